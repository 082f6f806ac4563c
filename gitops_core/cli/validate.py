"""``gitops validate PATH... [--crd FILE|DIR]... [--allow-unknown-kinds] [--json]`` (SPEC §4).

Files are checked as given; folders are walked for ``.yaml``, ``.yml`` and ``.json`` files
(hidden folders such as ``.git`` left out); ``-`` reads standard input. What is not checked is
counted, with its reason (:data:`gitops_core.validation.files.SKIP_REASONS`):

- documents of Kubernetes' built-in kinds (``v1 Service``, ``apps/v1 Deployment``) with no
  vendored schema (:func:`gitops_core.validation.builtin_kind` says which groups are built in;
  a version Kubernetes no longer serves, or a kind it does not have, is still a problem);
  documents of other kinds with no schema only with ``--allow-unknown-kinds``;
- in a walked folder, files that are not manifests: a Helm chart's ``Chart.yaml``,
  ``Chart.lock``, ``values*`` and ``templates/``, ``kustomization.yaml`` and the patches and
  other inputs it names, files with no document naming an apiVersion or kind, and templates
  that are not YAML before rendering.

A valid run prints one summary line; an invalid one prints one line per problem on stdout and,
when something was not checked, the summary on stderr. Exit codes: 0 every document checked is
valid, 1 a problem found, 2 bad usage (no such path, a CRD that does not convert).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_core.errors import UsageError

if TYPE_CHECKING:
    from gitops_core.validation.files import ManifestFile, Report

__all__ = ["manifest_files", "report_data", "run_validate"]


def manifest_files(paths: tuple[str, ...]) -> Iterator[ManifestFile]:
    """Every path given, folders walked
    (:func:`gitops_core.validation.files.find_manifest_files`)."""
    from gitops_core.validation.files import ManifestFile, find_manifest_files

    for name in paths:
        if name == "-":
            yield ManifestFile(name, None)
        elif Path(name).exists():
            yield from find_manifest_files(Path(name))
        else:
            raise UsageError(f"{name}: no such file or folder")


def report_data(report: Report) -> dict[str, object]:
    """The ``--json`` report: valid, files and documents checked, what was skipped (a count,
    counts by reason, and each file or document with its reason), the problems."""
    from gitops_core.serialization import unstructure

    return {
        "valid": report.valid,
        "files": report.files,
        "documents": report.documents,
        "skipped": len(report.skipped),
        "skippedReasons": report.skipped_by_reason(),
        "skippedItems": unstructure(report.skipped),
        "problems": unstructure(report.problems),
    }


def run_validate(
    paths: tuple[str, ...], crds: tuple[str, ...], allow_unknown_kinds: bool, as_json: bool
) -> int:
    from gitops_core.cli.common import installed_providers, print_json
    from gitops_core.validation import SchemaStore, core_schema_dir
    from gitops_core.validation.files import validate_files

    files = list(manifest_files(paths))  # a missing path is bad usage before any work
    dirs, errors = installed_providers().schema_dirs()
    for error in errors:
        print(f"gitops: warning: {error}", file=sys.stderr)
    store = SchemaStore([core_schema_dir(), *dirs])
    if crds:
        from gitops_core.validation.crds import schemas_from_crds

        store.add_schemas(schemas_from_crds(Path(c) for c in crds))
    report = validate_files(files, store=store, allow_unknown_kinds=allow_unknown_kinds)
    if as_json:
        print_json(report_data(report))
    else:
        for problem in report.problems:
            print(problem)
        if report.valid:
            print(report.summary())
        elif report.skipped:  # stdout holds one line per problem, nothing else (SPEC §4)
            print(f"gitops: {report.summary()}", file=sys.stderr)
    return 0 if report.valid else 1
