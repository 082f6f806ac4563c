"""Run the benchmarks; each prints its table and rewrites its part of docs/benchmarks.md.

    python -m benchmarks                      # all of them
    python -m benchmarks detection cold_start # some of them, by name
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from benchmarks import bench_cold_start, bench_detection, bench_generate_all, bench_validation

BENCHMARKS: dict[str, ModuleType] = {
    "cold_start": bench_cold_start,
    "detection": bench_detection,
    "validation": bench_validation,
    "generate_all": bench_generate_all,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="run benchmarks")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"{', '.join(BENCHMARKS)} (default: all)"
    )
    chosen = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    worst = 0
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        worst = max(worst, BENCHMARKS[name].main([]))
    return worst


if __name__ == "__main__":
    sys.exit(main())
