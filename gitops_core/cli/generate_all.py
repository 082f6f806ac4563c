"""``gitops generate --all``: every package into one folder (see :mod:`gitops_core.bundle`)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from gitops_core.cli.common import chosen_provider, given_answers, print_json
from gitops_core.cli.options import GenerateOptions
from gitops_core.cli.reports import BundleFileReport, BundleReport
from gitops_core.errors import UsageError
from gitops_core.serialization import unstructure


def run_generate_all(options: GenerateOptions) -> int:
    from gitops_core.bundle import generate_all, write_bundle

    for flag, given in (("--package", options.package), ("--save-answers", options.save_answers)):
        if given:
            raise UsageError(f"{flag} cannot be used with --all, which takes every package")
    if options.output == "-":
        raise UsageError("-o - cannot be used with --all, which writes a folder: give -o DIR")
    provided = given_answers(options)
    provider = chosen_provider(options)
    folder = Path(options.output or f"gitops-{provider.id}")
    result = generate_all(Path(options.path), provider, provided, folder, options.exclude)
    for note in result.notes:
        print(f"gitops: note: {note}", file=sys.stderr)
    written = write_bundle(result, force=options.force)

    shown = [folder / item.path.name for item in result.files]
    if options.json:
        report = BundleReport(
            provider=provider.id,
            folder=str(folder),
            repo_path=result.repo_folder,
            entrypoint=str(shown[-1]),
            notes=result.notes,
            files=tuple(
                BundleFileReport(
                    path=str(path),
                    role=item.role,
                    status=status.status,
                    description=item.output.description,
                    package=item.package,
                )
                for path, item, status in zip(shown, result.files, written, strict=True)
            ),
        )
        print_json(unstructure(report))
        return 0
    statuses = Counter(w.status for w in written)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    print(f"{folder}/: {len(written)} files for {len(result.configs)} packages ({counts})")
    print(f"entry point: {shown[-1]} ({result.entrypoint.output.description})")
    once = [
        str(path) for path, item in zip(shown, result.files, strict=True) if item.role != "package"
    ]
    print(f"commit the folder, then apply once: kubectl apply -f {' -f '.join(once)}")
    return 0
