"""``gitops generate --all``: every package that nothing deploys yet, into one folder (see
:mod:`gitops_core.bundle`).

Human output: what was written (or, with ``--dry-run``, would be), the overlays deployed as
environments, and a table of the packages left out with the reason and the ``--include`` word
that deploys them anyway; notes go to stderr. ``--json`` prints one document with the same.
When every package is deployed already, it says so, writes nothing and exits 0.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from gitops_core.cli.common import chosen_provider, given_answers, print_json
from gitops_core.cli.options import GenerateOptions
from gitops_core.cli.progress import Progress
from gitops_core.cli.reports import BundleFileReport
from gitops_core.errors import UsageError
from gitops_core.models import PackageType
from gitops_core.serialization import unstructure

if TYPE_CHECKING:
    from gitops_core.bundle import Environment, NothingToDeploy, Skipped


@attrs.frozen(kw_only=True)
class SkippedReport:
    """A package left out: ``reason`` (see :data:`gitops_core.bundle.Reason`), ``detail`` in
    words, and ``include``, the ``--include`` word that deploys it anyway."""

    path: str
    type: PackageType
    name: str
    reason: str
    detail: str
    include: str | None
    managed_by: tuple[str, ...]


@attrs.frozen(kw_only=True)
class OverlayReport:
    path: str
    namespace: str | None


@attrs.frozen(kw_only=True)
class EnvironmentReport:
    """Overlays of one base deployed together (dev, staging, prod...)."""

    base: str
    overlays: tuple[OverlayReport, ...]


@attrs.frozen(kw_only=True)
class AllReport:
    """What ``generate --all --json`` prints. ``written`` is false for ``--dry-run`` (the
    files' ``status`` then says what writing would do) and when nothing is left to deploy
    (``files`` empty)."""

    provider: str
    folder: str
    repo_path: str | None
    entrypoint: str | None
    dry_run: bool
    written: bool
    notes: tuple[str, ...]
    files: tuple[BundleFileReport, ...]
    skipped: tuple[SkippedReport, ...]
    environments: tuple[EnvironmentReport, ...]


def run_generate_all(options: GenerateOptions) -> int:
    from gitops_core.bundle import NothingToDeploy, generate_all, preview, write_bundle

    for flag, given in (("--package", options.package), ("--save-answers", options.save_answers)):
        if given:
            raise UsageError(f"{flag} cannot be used with --all, which takes every package")
    if options.output == "-":
        raise UsageError("-o - cannot be used with --all, which writes a folder: give -o DIR")
    provided = given_answers(options)
    provider = chosen_provider(options)
    folder = Path(options.output or f"gitops-{provider.id}")
    with Progress() as progress:
        try:
            result = generate_all(
                Path(options.path),
                provider,
                provided,
                folder,
                options.exclude,
                only=options.only,
                include=options.include,
                progress=progress,
            )
        except NothingToDeploy as exc:
            progress.done()
            return nothing_to_deploy(exc, options, provider.id, folder)
        if not options.dry_run:
            progress("writing")
            statuses = [w.status for w in write_bundle(result, force=options.force)]
        else:
            statuses = preview(result)
    for note in result.advice:
        print(f"gitops: note: {note}", file=sys.stderr)

    shown = [folder / item.path.name for item in result.files]
    if options.json:
        report = AllReport(
            provider=provider.id,
            folder=str(folder),
            repo_path=result.repo_folder,
            entrypoint=str(shown[-1]),
            dry_run=options.dry_run,
            written=not options.dry_run,
            notes=result.notes,
            files=tuple(
                BundleFileReport(
                    path=str(path),
                    role=item.role,
                    status=status,
                    description=item.output.description,
                    package=item.package,
                )
                for path, item, status in zip(shown, result.files, statuses, strict=True)
            ),
            skipped=_skipped(result.skipped),
            environments=_environments(result.environments),
        )
        print_json(unstructure(report))
        return 0
    counts = ", ".join(f"{n} {status}" for status, n in sorted(Counter(statuses).items()))
    packages = f"{len(result.configs)} package{'s' if len(result.configs) != 1 else ''}"
    if options.dry_run:
        print(f"dry run, nothing written: {folder}/ would get {len(shown)} files for {packages}")
        rows = [
            (status, str(path), item.package.path if item.package else item.role)
            for path, item, status in zip(shown, result.files, statuses, strict=True)
        ]
        _table(("WOULD BE", "FILE", "PACKAGE"), rows)
        if "replaced" in statuses:
            print("(files that would be replaced need --force)")
    else:
        print(f"{folder}/: {len(shown)} files for {packages} ({counts})")
        print(f"entry point: {shown[-1]} ({result.entrypoint.output.description})")
        once = [
            str(path)
            for path, item in zip(shown, result.files, strict=True)
            if item.role != "package"
        ]
        print(f"commit the folder, then apply once: kubectl apply -f {' -f '.join(once)}")
    _print_environments(result.environments)
    _print_skipped(result.skipped, len(result.configs) + len(result.skipped))
    return 0


def nothing_to_deploy(
    exc: NothingToDeploy, options: GenerateOptions, provider: str, folder: Path
) -> int:
    """Every package is deployed already or left out: say so, write nothing, exit 0."""
    skipped = exc.plan.skipped
    if options.json:
        report = AllReport(
            provider=provider,
            folder=str(folder),
            repo_path=None,
            entrypoint=None,
            dry_run=options.dry_run,
            written=False,
            notes=(str(exc),),
            files=(),
            skipped=_skipped(skipped),
            environments=(),
        )
        print_json(unstructure(report))
        return 0
    print(f"nothing to deploy under {options.path}: every package is deployed already or left "
          "out, so nothing was written")  # fmt: skip
    _print_skipped(skipped, len(skipped))
    return 0


def _skipped(skipped: Sequence[Skipped]) -> tuple[SkippedReport, ...]:
    return tuple(
        SkippedReport(
            path=item.package.path,
            type=item.package.type,
            name=item.package.name,
            reason=item.reason,
            detail=item.detail,
            include=item.include,
            managed_by=item.package.managed_by,
        )
        for item in skipped
    )


def _environments(environments: Sequence[Environment]) -> tuple[EnvironmentReport, ...]:
    return tuple(
        EnvironmentReport(
            base=env.base,
            overlays=tuple(OverlayReport(path=p, namespace=ns) for p, ns in env.overlays),
        )
        for env in environments
    )


def _print_environments(environments: Sequence[Environment]) -> None:
    from gitops_core.bundle import namespace_clashes

    for environment in environments:
        where = ", ".join(f"{path} ({ns or 'no namespace'})" for path, ns in environment.overlays)
        print(f"environments of {environment.base}: {where}")
    for note in namespace_clashes(environments):
        print(f"gitops: warning: {note}", file=sys.stderr)


def _print_skipped(skipped: Sequence[Skipped], total: int) -> None:
    shown = [item for item in skipped if item.reason != "output"]
    if not shown:
        return
    words = sorted({item.include for item in shown if item.include})
    anyway = f"; --include {'|'.join(words)} deploys them anyway" if words else ""
    print()
    print(f"left out {len(shown)} of {total} packages{anyway}:")
    rows = [
        (item.package.path, item.package.type, item.reason, item.detail, item.include or "")
        for item in shown
    ]
    _table(("PATH", "TYPE", "LEFT OUT AS", "WHY", "INCLUDE"), rows)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    from gitops_core.cli import print_table

    print_table(header, rows)
