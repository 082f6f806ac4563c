"""docs/benchmarks.md holds one section per benchmark, each rewritten only by its own script."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def update_section(name: str, section: str, docs: Path = DOCS) -> None:
    """Replace the ``<!-- name:start -->`` … ``<!-- name:end -->`` block, or append it."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{section}\n{end}"
    text = docs.read_text(encoding="utf-8") if docs.exists() else ""
    if start in text and end in text:
        before, _, rest = text.partition(start)
        text = before + block + rest.partition(end)[2]
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block + "\n"
    docs.parent.mkdir(parents=True, exist_ok=True)
    partial = docs.with_name(f"{docs.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(docs)


def machine() -> str:
    """Today's date and what ran the benchmark, for the line under every table."""
    return (
        f"{datetime.date.today().isoformat()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs."
    )


def parser(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line: its docstring's first line, and ``--no-docs``."""
    parsed = argparse.ArgumentParser(description=(doc or "").partition("\n")[0])
    parsed.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    return parsed
