"""``gitops validate PATH... [--crd FILE|DIR]... [--json]`` (SPEC §4).

Files are checked as given; folders are walked for ``.yaml``, ``.yml`` and ``.json`` files
(hidden folders such as ``.git`` left out); ``-`` reads standard input. In a walked folder, a
file with no Kubernetes object in it (Helm values, a chart's ``Chart.yaml``), a template that is
not YAML before rendering, and Kustomize's own ``kustomization.yaml`` (a build input, never sent
to a cluster) are skipped and counted.
Exit codes: 0 every document valid, 1 a problem found, 2 bad usage (no such path, a CRD that
does not convert).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from gitops_core.errors import UsageError

__all__ = ["manifest_files", "run_validate"]

_SUFFIXES = (".yaml", ".yml", ".json")
_KUSTOMIZE_GROUP = "kustomize.config.k8s.io/"


def manifest_files(paths: tuple[str, ...]) -> Iterator[tuple[str, bool]]:
    """(name, named): every path given, folders expanded (sorted, recursively); ``named`` is
    False for a file found by walking a folder."""
    for name in paths:
        if name == "-":
            yield name, True
            continue
        path = Path(name)
        if path.is_dir():
            found = [
                p
                for p in path.rglob("*")
                if p.suffix in _SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
            for file in sorted(found):
                yield str(file), False
        elif path.exists():
            yield name, True
        else:
            raise UsageError(f"{name}: no such file or folder")


def _skippable(documents: list[object]) -> bool:
    """A walked file holding no Kubernetes object, or only Kustomize build configuration."""
    objects = [d for d in documents if isinstance(d, dict) and ("kind" in d or "apiVersion" in d)]
    if not objects:
        return True
    return all(str(d.get("apiVersion", "")).startswith(_KUSTOMIZE_GROUP) for d in objects)


def run_validate(
    paths: tuple[str, ...], crds: tuple[str, ...], allow_unknown_kinds: bool, as_json: bool
) -> int:
    from gitops_core.cli.common import installed_providers, print_json
    from gitops_core.serialization import unstructure
    from gitops_core.validation import (
        Problem,
        SchemaStore,
        core_schema_dir,
        load_documents,
        validate_documents,
    )

    files = list(manifest_files(paths))  # a missing path is bad usage before any work
    dirs, errors = installed_providers().schema_dirs()
    for error in errors:
        print(f"gitops: warning: {error}", file=sys.stderr)
    store = SchemaStore([core_schema_dir(), *dirs])
    if crds:
        from gitops_core.validation.crds import schemas_from_crds

        store.add_schemas(schemas_from_crds(Path(c) for c in crds))
    problems: list[Problem] = []
    checked = skipped = 0
    for name, named in files:
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(name, 0, "", "", "(root)", "not UTF-8 text"))
            continue
        except OSError as exc:
            raise UsageError(f"{name}: cannot read: {exc.strerror or exc}") from None
        try:
            documents = load_documents(text, source=name)
        except UsageError as exc:  # not YAML, duplicate keys, a bomb: this file is invalid
            if not named and "{{" in text:
                skipped += 1  # a template (a Helm chart's), not a manifest
                continue
            message = str(exc).removeprefix(f"{name}: ")
            problems.append(Problem(name, 0, "", "", "(root)", message))
            continue
        if not named and _skippable(documents):
            skipped += 1
            continue
        checked += 1
        problems.extend(
            validate_documents(
                documents, source=name, store=store, allow_unknown_kinds=allow_unknown_kinds
            )
        )
    if as_json:
        print_json(
            {
                "valid": not problems,
                "files": checked,
                "skipped": skipped,
                "problems": unstructure(problems),
            }
        )
    else:
        for problem in problems:
            print(problem)
        if not problems:
            note = f" ({skipped} without Kubernetes objects skipped)" if skipped else ""
            print(f"{checked} file{'' if checked == 1 else 's'} valid{note}")
    return 1 if problems else 0
