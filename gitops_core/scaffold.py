"""A new provider distribution from the template: ``gitops provider new ID``.

The template (``gitops_core/provider_template/``) is a working provider: one question, one
document (a ``ConfigMap``), the JSON Schema of its kind, and tests that pass once it is
installed (``pip install -e gitops-ID pytest && pytest gitops-ID``). ``docs/providers.md``
starts from it. Names follow one convention: provider id ``fleet``, distribution
``gitops-fleet``, import name ``gitops_fleet``, entry point ``fleet = "gitops_fleet:provider"``.

Template files ending in ``.tmpl`` have ``{{id}}``, ``{{name}}``, ``{{package}}``,
``{{distribution}}`` and ``{{core_requirement}}`` replaced; the folder ``package`` becomes the
import name and ``tests/test_package.py`` the test of that name. Files are written by the write
stage (:func:`gitops_core.output.write_outputs`): atomically, and never replacing a different
file without ``force``.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from gitops_core.errors import UsageError
from gitops_core.output import WriteResult, write_outputs

__all__ = ["ProviderNames", "new_provider", "provider_files", "provider_names"]

TEMPLATE = Path(__file__).parent / "provider_template"
_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
_TOKEN = re.compile(r"\{\{(\w+)\}\}")
#: Characters a display name cannot hold: it is written into YAML, TOML and Python strings.
_UNSAFE_NAME = re.compile(r"[\"\\{}]")


@attrs.frozen(kw_only=True)
class ProviderNames:
    """The names of one provider, each derived from its id."""

    id: str
    name: str
    package: str
    distribution: str
    #: The gitops-core versions the provider is written for: this minor version on.
    core_requirement: str


def provider_names(provider_id: str, name: str | None = None) -> ProviderNames:
    """The names for ``provider_id`` (lowercase letters, digits, single '-' between words);
    ``name`` is the display name (the id, capitalised, by default)."""
    if not _ID.match(provider_id) or len(provider_id) > 40:
        raise UsageError(
            f"provider id {provider_id!r} is not accepted; expected lowercase letters and digits, "
            "words joined by '-', starting with a letter (such as fleet or my-tool)"
        )
    display = provider_id.replace("-", " ").title() if name is None else name.strip()
    if not display.isprintable() or _UNSAFE_NAME.search(display) or not 0 < len(display) <= 60:
        raise UsageError(
            f"provider name {display!r} is not accepted; expected one line of at most 60 "
            "characters without quotes, backslashes or braces"
        )
    from gitops_core import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    package = "gitops_" + provider_id.replace("-", "_")
    return ProviderNames(
        id=provider_id,
        name=display,
        package=package,
        distribution=f"gitops-{provider_id}",
        core_requirement=f"gitops-core>={major}.{minor},<{upper}",
    )


def provider_files(names: ProviderNames) -> dict[str, str]:
    """The files of the new distribution: its relative path (``/``-separated) → text."""
    values = attrs.asdict(names)

    def fill(match: re.Match[str]) -> str:
        return str(values[match[1]])

    files: dict[str, str] = {}
    for source in sorted(p for p in TEMPLATE.rglob("*") if p.is_file()):
        parts = list(source.relative_to(TEMPLATE).parts)
        if "__pycache__" in parts:
            continue
        if parts[0] == "package":
            parts[0] = names.package
        if parts[-1] == "test_package.py.tmpl":
            parts[-1] = f"test_{names.package}.py.tmpl"
        text = source.read_text(encoding="utf-8")
        if parts[-1].endswith(".tmpl"):
            parts[-1] = parts[-1].removesuffix(".tmpl")
            text = _TOKEN.sub(fill, text)
        files["/".join(parts)] = text
    return files


def new_provider(
    provider_id: str,
    folder: Path | None = None,
    *,
    name: str | None = None,
    force: bool = False,
) -> tuple[Path, list[WriteResult]]:
    """Write the distribution of a new provider into ``folder`` (``./gitops-ID`` by default).

    Returns the folder and what happened to each file. Raises
    :class:`~gitops_core.errors.UsageError` for an id or name that is not accepted, and
    :class:`~gitops_core.errors.OverwriteRefusedError` when a different file is in the way.
    """
    names = provider_names(provider_id, name)
    target = Path(folder) if folder is not None else Path(names.distribution)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file; the provider needs a folder")
    items = [(target / relative, text) for relative, text in provider_files(names).items()]
    return target, write_outputs(items, force=force)
