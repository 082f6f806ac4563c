"""``gitops provider new ID``: start a provider distribution from the template.

See :mod:`gitops_core.scaffold` for what is written, and ``docs/providers.md`` for what comes
next. Errors as every command's: an id or name that is not accepted exits 2, a different file
in the way exits 3 (``--force`` replaces it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_core.cli.common import print_json
from gitops_core.cli.options import Command, ProviderNewOptions

if TYPE_CHECKING:
    from gitops_core.cli import Parser


def cmd_provider_new(options: ProviderNewOptions) -> int:
    from gitops_core.scaffold import new_provider, provider_names

    names = provider_names(options.id, options.display_name)
    folder, written = new_provider(
        options.id,
        Path(options.dir) if options.dir else None,
        name=options.display_name,
        force=options.force,
    )
    if options.json:
        print_json(
            {
                "provider": names.id,
                "name": names.name,
                "distribution": names.distribution,
                "package": names.package,
                "folder": str(folder),
                "files": [{"path": str(item.path), "status": item.status} for item in written],
            }
        )
        return 0
    counts: dict[str, int] = {}
    for item in written:
        counts[item.status] = counts.get(item.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"{folder}/: the {names.name} provider, {names.distribution} ({summary})")
    print(f"next: pip install -e {folder} pytest && pytest {folder}", file=sys.stderr)
    return 0


def register(commands: argparse._SubParsersAction[Parser]) -> None:
    """Add ``gitops provider new`` to the command line's subcommands."""
    provider = commands.add_parser(
        "provider",
        help="write a new provider distribution from the template",
        description="Tools for provider authors (docs/providers.md).",
    )
    actions = provider.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser(
        "new",
        help="write a working provider distribution into ./gitops-ID",
        description="Write a provider distribution that works as written: one question, one "
        "document, its schema and a passing test. Then: pip install -e gitops-ID pytest && "
        "pytest gitops-ID.",
    )
    new.add_argument("id", metavar="ID", help="the provider id, such as fleet or my-tool")
    new.add_argument(
        "--name",
        dest="display_name",
        metavar="NAME",
        help="the display name (default: the id, capitalised)",
    )
    new.add_argument("--dir", metavar="DIR", help="where to write it (default: ./gitops-ID)")
    new.add_argument("--force", action="store_true", help="replace different existing files")
    new.add_argument("--json", action="store_true", help="print one JSON document")
    new.set_defaults(command=Command(ProviderNewOptions, cmd_provider_new))
