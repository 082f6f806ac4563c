"""Which files given to ``gitops validate`` (and MCP's ``gitops_validate``) are manifests, and
checking them: folders walked, what is not a manifest skipped and counted with its reason.

Kept apart from :mod:`gitops_core.validation`, which checks documents (and generated output on
every ``gitops generate``), so that generating does not load what only validating files needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from gitops_core.errors import UsageError
from gitops_core.validation import Problem, SchemaStore, load_documents, validate_documents

#: Why something was not checked: reason → (one, several), as the summary says it.
SKIP_REASONS: dict[str, tuple[str, str]] = {
    "builtin-kind": (
        "document of a built-in Kubernetes kind with no schema here",
        "documents of built-in Kubernetes kinds with no schema here",
    ),
    "unknown-kind": (
        "document of a kind with no schema (unknown kinds allowed)",
        "documents of kinds with no schema (unknown kinds allowed)",
    ),
    "kustomization": ("kustomization.yaml", "kustomization.yaml files"),
    "kustomize-patch": ("Kustomize patch", "Kustomize patches"),
    "kustomize-input": (
        "other Kustomize input (generator file, replacement, transformer configuration)",
        "other Kustomize inputs (generator files, replacements, transformer configurations)",
    ),
    "helm-chart": (
        "Helm chart file (Chart.yaml, values, templates)",
        "Helm chart files (Chart.yaml, values, templates)",
    ),
    "template": (
        "template that is not YAML before rendering",
        "templates that are not YAML before rendering",
    ),
    "no-objects": ("file without Kubernetes objects", "files without Kubernetes objects"),
}

_SUFFIXES = (".yaml", ".yml", ".json")
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_KUSTOMIZE_GROUP = "kustomize.config.k8s.io/"
_CHART_FILES = frozenset({"Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock"})


@attrs.frozen
class Skipped:
    """Something not checked, and why (a key of :data:`SKIP_REASONS`). ``index`` is None for a
    whole file; ``kind`` and ``name`` are empty then, or when the document does not say them."""

    source: str
    index: int | None
    kind: str
    name: str
    reason: str


@attrs.frozen
class ManifestFile:
    """A file to check: ``path`` None reads standard input; ``named`` is False for a file found
    by walking a folder; ``skip`` is the reason a walked file is not a manifest, if it is not."""

    source: str
    path: Path | None
    named: bool = True
    skip: str | None = None


@attrs.define
class Report:
    """What :func:`validate_files` found."""

    problems: list[Problem] = attrs.Factory(list)
    skipped: list[Skipped] = attrs.Factory(list)
    files: int = 0  # files checked
    documents: int = 0  # documents checked

    @property
    def valid(self) -> bool:
        return not self.problems

    def skipped_by_reason(self) -> dict[str, int]:
        """How many were skipped for each reason (in :data:`SKIP_REASONS` order)."""
        counts = {reason: 0 for reason in SKIP_REASONS}
        for item in self.skipped:
            counts[item.reason] += 1
        return {reason: n for reason, n in counts.items() if n}

    def not_checked(self) -> str:
        """``not checked: 12 documents of built-in Kubernetes kinds …, 1 Kustomize patch``, or
        empty when everything was checked."""
        parts = [
            f"{n} {SKIP_REASONS[reason][n != 1]}" for reason, n in self.skipped_by_reason().items()
        ]
        return f"not checked: {', '.join(parts)}" if parts else ""

    def summary(self) -> str:
        """One line: what was checked and, when something was not, what and why."""
        files = f"{self.files} file{'' if self.files == 1 else 's'}"
        if self.valid:
            head = f"{self.documents} document{'' if self.documents == 1 else 's'} in {files} valid"
        else:
            count = len(self.problems)
            head = f"{count} problem{'' if count == 1 else 's'} in {files} checked"
        note = self.not_checked()
        return f"{head}; {note}" if note else head


def find_manifest_files(path: Path, source: str | None = None) -> list[ManifestFile]:
    """A file as given (``named``), or the ``.yaml``, ``.yml`` and ``.json`` files of a folder,
    sorted, hidden folders (``.git``) left out, each with the reason it is not a manifest.

    ``source`` names ``path`` in messages (default ``str(path)``); a walked file is named by
    it joined with the file's path inside the folder. Not manifests, in a walked folder: a Helm
    chart's ``Chart.yaml``, ``Chart.lock``, ``values*`` files and ``templates/`` (a chart is a
    folder holding ``Chart.yaml``: the file's own or one above it); a ``kustomization.yaml``;
    the patches (``patches``, ``patchesStrategicMerge``, ``patchesJson6902``) and other inputs
    (generator files, ``replacements``, ``configurations``, ``transformers``, ``generators``,
    ``validators`` files) of a kustomization in the folder. What else is not a manifest is
    only known once read (:func:`validate_files`).
    """
    shown = str(path) if source is None else source
    if not path.is_dir():
        return [ManifestFile(shown, path)]
    found: list[Path] = []
    kustomizations: list[Path] = []
    for file in path.rglob("*"):
        inside = file.relative_to(path).parts
        if any(part.startswith(".") for part in inside):
            continue
        if file.name in _KUSTOMIZATION_FILES and file.is_file():
            kustomizations.append(file)
        if file.suffix in _SUFFIXES and file.is_file():
            found.append(file)
    reasons = _kustomize_reasons(kustomizations)
    charts: dict[Path, Path | None] = {}
    files = []
    for file in sorted(found):
        reason = reasons.get(_normal(file)) or _chart_reason(file, charts)
        within = file.relative_to(path)
        name = str(file) if source is None else (Path(shown) / within).as_posix()
        files.append(ManifestFile(name, file, named=False, skip=reason))
    return files


def _normal(path: Path) -> str:
    import os

    return os.path.normpath(os.path.abspath(path))


def _chart_root(folder: Path, charts: dict[Path, Path | None]) -> Path | None:
    """The nearest folder holding a ``Chart.yaml``: ``folder`` or one above it."""
    if folder not in charts:
        if (folder / "Chart.yaml").is_file():
            charts[folder] = folder
        else:
            parent = folder.parent
            charts[folder] = None if parent == folder else _chart_root(parent, charts)
    return charts[folder]


def _chart_reason(file: Path, charts: dict[Path, Path | None]) -> str | None:
    root = _chart_root(file.parent.absolute(), charts)
    if root is None:
        return None
    inside = file.absolute().relative_to(root).parts
    if inside[0] == "templates" or (
        len(inside) == 1 and (file.name in _CHART_FILES or file.name.startswith("values"))
    ):
        return "helm-chart"
    return None


def _kustomize_reasons(kustomizations: Iterable[Path]) -> dict[str, str]:
    """The files each kustomization names as something other than a resource (normalized
    path → reason), and the kustomizations themselves when they hold Kustomize configuration."""
    reasons: dict[str, str] = {}
    for file in kustomizations:
        try:
            documents = load_documents(file.read_text(encoding="utf-8"), source=str(file))
        except (OSError, UnicodeDecodeError, UsageError):
            continue  # checked (and reported) as a file like any other
        config = documents[0] if len(documents) == 1 else None
        if not isinstance(config, dict) or not _is_kustomize_config(config):
            continue
        reasons[_normal(file)] = "kustomization"
        for entry, reason in _kustomize_inputs(config):
            if "\n" not in entry and "://" not in entry:  # not inline YAML, not remote
                reasons.setdefault(_normal(file.parent / entry), reason)
    return reasons


def _is_kustomize_config(document: dict[Any, Any]) -> bool:
    api_version, kind = document.get("apiVersion"), document.get("kind")
    return (api_version is None or str(api_version).startswith(_KUSTOMIZE_GROUP)) and kind in (
        None,
        "Kustomization",
        "Component",
    )


def _kustomize_inputs(config: dict[Any, Any]) -> Iterator[tuple[str, str]]:
    """(file as written, reason) for each file a kustomization reads that is no resource."""

    def entries(key: str) -> list[object]:
        value = config.get(key)
        return value if isinstance(value, list) else []

    for key in ("patches", "patchesJson6902", "patchesStrategicMerge"):
        for entry in entries(key):
            path = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(path, str):
                yield path, "kustomize-patch"
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in entries(key):
            if not isinstance(generator, dict):
                continue
            named = generator.get("files")
            for entry in [*(named if isinstance(named, list) else []), generator.get("env")]:
                if isinstance(entry, str):
                    yield entry.rpartition("=")[2], "kustomize-input"  # [key=]path
            envs = generator.get("envs")
            for entry in envs if isinstance(envs, list) else []:
                if isinstance(entry, str):
                    yield entry, "kustomize-input"
    for entry in entries("replacements"):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            yield entry["path"], "kustomize-input"
    for key in ("configurations", "generators", "transformers", "validators"):
        for entry in entries(key):
            if isinstance(entry, str):
                yield entry, "kustomize-input"


def validate_files(
    files: Iterable[ManifestFile],
    *,
    store: SchemaStore,
    allow_unknown_kinds: bool = False,
    read_stdin: Callable[[], str] | None = None,
) -> Report:
    """Check each file as ``gitops validate`` does: documents of built-in Kubernetes kinds with
    no schema here are skipped and counted (see :func:`builtin_kind`), as are walked files that
    are not manifests — those :func:`find_manifest_files` marks, a file with no document naming
    an apiVersion or kind, a file of only Kustomize configuration, and a file that is not YAML
    but holds ``{{`` (a template). A file named explicitly is always checked as given.

    A file that is not UTF-8 or not YAML is a problem; one that cannot be read is bad usage
    (UsageError).
    """
    report = Report()
    for file in files:
        if file.skip is not None:
            report.skipped.append(Skipped(file.source, None, "", "", file.skip))
            continue
        try:
            if file.path is None:
                text = (read_stdin or _read_stdin)()
            else:
                text = file.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            report.problems.append(Problem(file.source, 0, "", "", "(root)", "not UTF-8 text"))
            report.files += 1
            continue
        except OSError as exc:
            raise UsageError(f"{file.source}: cannot read: {exc.strerror or exc}") from None
        try:
            documents = load_documents(text, source=file.source)
        except UsageError as exc:  # not YAML, duplicate keys, a bomb: this file is invalid
            if not file.named and "{{" in text:
                report.skipped.append(Skipped(file.source, None, "", "", "template"))
                continue
            message = str(exc).removeprefix(f"{file.source}: ")
            report.problems.append(Problem(file.source, 0, "", "", "(root)", message))
            report.files += 1
            continue
        reason = None if file.named else _not_a_manifest(documents)
        if reason is not None:
            report.skipped.append(Skipped(file.source, None, "", "", reason))
            continue
        report.files += 1
        before = len(report.skipped)
        report.problems.extend(
            validate_documents(
                documents,
                source=file.source,
                store=store,
                allow_unknown_kinds=allow_unknown_kinds,
                skip_builtin_kinds=True,
                skipped=report.skipped,
            )
        )
        present = sum(document is not None for document in documents)
        report.documents += present - (len(report.skipped) - before)
    return report


def _read_stdin() -> str:
    import sys

    return sys.stdin.read()


def _not_a_manifest(documents: list[object]) -> str | None:
    """Why a walked file's documents are no Kubernetes objects, or None when some are."""
    objects = [d for d in documents if isinstance(d, dict) and ("kind" in d or "apiVersion" in d)]
    if not objects:
        return "no-objects"
    if all(str(d.get("apiVersion", "")).startswith(_KUSTOMIZE_GROUP) for d in objects):
        return "kustomization"
    return None
