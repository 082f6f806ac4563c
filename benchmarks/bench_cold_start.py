"""Benchmark the start of a short ``gitops`` process against the imports it cannot avoid.

Run from the repository root: ``python3 benchmarks/bench_cold_start.py``. Each command runs as
a fresh process, interleaved with the others, several times; the table gives medians and the
ratio to the floor, ``python -c "import yaml, jsonschema, attrs, cattrs, pluggy"``. Targets:
``generate`` within 1.5x of the floor, ``import gitops_core`` lighter than it. Then
``python -X importtime`` says how much of the rest goes to imports the floor does not make. The
section goes to stdout and to ``cold-start`` in ``docs/benchmarks.md`` (``--no-docs`` leaves it).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(REPO))

from benchmarks.docs import machine, update_section  # noqa: E402
from benchmarks.docs import parser as bench_parser  # noqa: E402

#: The ``gitops`` command as users run it: the console script pip installed beside the
#: interpreter (run by it, as its ``#!`` line would), else ``python -m gitops_core``.
SCRIPT = Path(sys.executable).parent / "gitops"
GITOPS = [str(SCRIPT)] if SCRIPT.is_file() else ["-m", "gitops_core"]
GENERATE = [
    *GITOPS, "generate", "examples", "--provider", "flux",
    "--package", "charts/podinfo", "--set", "gitRepoUrl=https://github.com/acme/shop.git",
    "--set", "destinationNamespace=shop", "-o", "-",
]  # fmt: skip
COMMANDS = {
    "floor: `import yaml, jsonschema, attrs, cattrs, pluggy`": [
        "-c",
        "import yaml, jsonschema, attrs, cattrs, pluggy",
    ],
    "`import gitops_core`": ["-c", "import gitops_core"],
    "`gitops providers`": [*GITOPS, "providers"],
    "`gitops detect examples`": [*GITOPS, "detect", "examples"],
    "`gitops generate … -o -` (Flux, Helm chart)": GENERATE,
}
GENERATE_TARGET = 1.5
#: Installed from a wheel, pip compiles every module to bytecode; a checkout only gets that
#: when Python may write its __pycache__, so the warm-up run must be allowed to.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: What profiling taught (cProfile of an in-process run, python -X importtime), kept with the
#: table it explains.
LEARNED = """\
What was learned on the way (profiles of `generate`): `importlib.resources` (25 ms of
imports) and `importlib.metadata` (15 ms: it imports `email`, `csv` and `socket`) are no
longer used on this path; package data is found from `__file__`, and entry points are read
from the `*.dist-info` folders directly, telling distributions apart by their folders' names
(reading every distribution's METADATA took 4 ms). The git queries (three, and the grep
for the repository's committed sources) run side by side, started before anything else
loads, so that they overlap the imports on the second core (186 -> 169 ms).
Checking the provider's question and template files (JSON Schema, cattrs) took ~12 ms on
every run: the checked result is now kept per file (`gitops_core.cache`, keyed by
modification time and size). Tearing the interpreter down took ~20 ms, half of it the
final garbage collections walking every object the run made: the command freezes them
first (`gc.freeze`). `python -m gitops_core` costs ~5 ms more than the `gitops` script
(`runpy` and its imports); the table times the script, as users run it. What is left is
defining the model's ~30 attrs classes (~10 ms), compiling regular expressions (~8 ms),
loading and compiling the CRD schemas and their CEL rules, and git."""


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, check=True, env=ENV)
    return time.perf_counter() - start


def imports(args: list[str]) -> dict[str, float]:
    """Every module a command imports, with its own import time in ms (``-X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    found = {}
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, _, name = line.removeprefix("import time:").split("|")
            found[name.strip()] = int(own) / 1000
    return found


def beyond_floor(limit: int) -> tuple[list[tuple[str, float]], float]:
    """The modules ``generate`` imports that the floor does not, costliest first, and their sum."""
    floor = imports(next(iter(COMMANDS.values())))
    extra = {name: ms for name, ms in imports(GENERATE).items() if name not in floor}
    ranked = sorted(extra.items(), key=lambda item: -item[1])
    return ranked[:limit], sum(extra.values())


def report(
    medians: dict[str, float], repeat: int, extra: tuple[list[tuple[str, float]], float]
) -> str:
    floor = next(iter(medians.values()))
    lines = [
        "## Cold start",
        "",
        "`python3 benchmarks/bench_cold_start.py`: each command as a fresh process (the",
        "interpreter of the checkout's `.venv`; `gitops` is the console script installed",
        "there), interleaved, medians; provider files cached as after any first run.",
        "",
        "| command | median | vs floor |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {name} | {seconds * 1000:.0f} ms | {seconds / floor:.2f}x |"
        for name, seconds in medians.items()
    ]
    generate = list(medians.values())[-1] / floor
    light = list(medians.values())[1] / floor
    lines += [
        "",
        f"Targets: `generate` within {GENERATE_TARGET}x of the floor — "
        f"{'met' if generate <= GENERATE_TARGET else 'not met'} ({generate:.2f}x); "
        f"`import gitops_core` lighter than the floor — {'met' if light < 1 else 'not met'} "
        f"({light:.2f}x).",
        "",
        f"Of the {(list(medians.values())[-1] - floor) * 1000:.0f} ms `generate` spends beyond "
        f"the floor, {extra[1]:.0f} ms go to importing modules the floor does not import "
        "(`python -X importtime`, each module's own time; the costliest below); the rest is "
        "the work itself: reading the provider's question and template files, git, detection, "
        "and validating against the CRD schemas.",
        "",
        "| module | own import time |",
        "|---|---:|",
    ]
    lines += [f"| `{name}` | {own:.1f} ms |" for name, own in extra[0]]
    lines += ["", LEARNED]
    lines += [
        "",
        f"Medians of {repeat} interleaved runs; {machine()}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    for command in COMMANDS.values():  # warm-up: bytecode caches, the page cache
        timed(command)
    runs: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, command in COMMANDS.items():
            runs[name].append(timed(command))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    section = report(medians, args.repeat, beyond_floor(12))
    print(section)
    if not args.no_docs:
        update_section("cold-start", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
