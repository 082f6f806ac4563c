"""Run every benchmark; each prints its table and rewrites its part of docs/benchmarks.md."""

from __future__ import annotations

import sys

from benchmarks import bench_cold_start, bench_detection, bench_generate_all, bench_validation


def main() -> int:
    worst = 0
    for bench in (bench_cold_start, bench_detection, bench_validation, bench_generate_all):
        print(f"\n== {bench.__name__} ==", flush=True)
        worst = max(worst, bench.main([]))
    return worst


if __name__ == "__main__":
    sys.exit(main())
