"""``gitops generate --all``: every package into one folder (see :mod:`gitops_core.bundle`)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from gitops_core.cli import (
    _load_answers_file,
    _only_provider,
    _package_json,
    _parse_set,
    _print_json,
    _providers,
)
from gitops_core.errors import UsageError


def run_generate_all(args: argparse.Namespace) -> int:
    from gitops_core.bundle import generate_all, write_bundle

    for flag, given in (("--package", args.package), ("--save-answers", args.save_answers)):
        if given:
            raise UsageError(f"{flag} cannot be used with --all, which takes every package")
    if args.output == "-":
        raise UsageError("-o - cannot be used with --all, which writes a folder: give -o DIR")
    provided: dict[str, object] = {}
    if args.answers:
        provided.update(_load_answers_file(args.answers))
    provided.update(_parse_set(args.set))

    providers = _providers()
    provider = providers.get(args.provider or _only_provider(providers))
    folder = Path(args.output or f"gitops-{provider.id}")
    result = generate_all(Path(args.path), provider, provided, folder, args.exclude)
    for note in result.notes:
        print(f"gitops: note: {note}", file=sys.stderr)
    written = write_bundle(result, force=args.force)

    shown = [folder / item.path.name for item in result.files]
    if args.json:
        _print_json(
            {
                "provider": provider.id,
                "folder": str(folder),
                "repoPath": result.repo_folder,
                "entrypoint": str(shown[-1]),
                "notes": list(result.notes),
                "files": [
                    _file_json(path, item, status.status)
                    for path, item, status in zip(shown, result.files, written, strict=True)
                ],
            }
        )
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


def _file_json(path: Path, item: Any, status: str) -> dict[str, Any]:
    return {
        "path": str(path),
        "role": item.role,
        "status": status,
        "description": item.output.description,
        "package": _package_json(item.package) if item.package is not None else None,
    }
