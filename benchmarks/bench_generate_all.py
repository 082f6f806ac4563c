"""Benchmark ``gitops generate --all`` on the synthetic monorepo against the work it cannot avoid.

Run from the repository root: ``python3 benchmarks/bench_generate_all.py`` (``--help`` for
options). It builds the monorepo of :mod:`benchmarks.monorepo` once in a temporary folder, then,
for each provider, in the same run and interleaved:

* **detection alone** — :func:`gitops_core.detection.detect` over the tree;
* **validation alone** — reading, parsing and validating the files ``--all`` writes, with a
  fresh schema store (schemas loaded and compiled once, as ``--all`` does);
* **library** — :func:`gitops_core.bundle.generate_all` + :func:`~gitops_core.bundle.write_bundle`
  in this process, into a fresh folder: detected, configured, generated, validated, written;
* **command** — the real ``gitops generate . --all`` as a fresh process, start-up included, with
  its peak RSS (``getrusage`` of that child), also on a smaller tree to show how memory grows.

Packages per second, and the ratio of ``--all`` to detection + validation (target: at least
1,000 packages/s, within 1.5x of that sum). A cProfile run of the library path says where
the time goes. The section goes to stdout and to ``generate-all`` in
``docs/benchmarks.md`` (``--no-docs`` leaves it alone).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(REPO))

from benchmarks.docs import machine, update_section  # noqa: E402
from benchmarks.docs import parser as bench_parser  # noqa: E402
from benchmarks.monorepo import build_monorepo  # noqa: E402

PROVIDERS = ("flux", "argocd")
ANSWERS = {"gitRepoUrl": "https://github.com/acme/monorepo.git", "destinationNamespace": "apps"}
RATE_TARGET, RATIO_TARGET = 1000.0, 1.5
#: Where the time of an --all run goes: (phase, function name as cProfile shows it).
PHASES = (
    ("detection", "detect"),
    ("package contents (namespaces)", "package_contents"),
    ("answers (configure)", "configure"),
    ("templates (fill)", "fill"),
    ("YAML rendering", "render_documents"),
    ("YAML parsing for validation", "load_documents"),
    ("validation", "validate_documents"),
    ("writing (write_files)", "write_files"),
    ("  of which one sync", "<built-in method posix.sync>"),
)


def command(root: Path, provider: str, folder: Path) -> list[str]:
    sets = [arg for key, value in ANSWERS.items() for arg in ("--set", f"{key}={value}")]
    return [
        sys.executable,
        "-m",
        "gitops_core",
        "generate",
        str(root),
        "--provider",
        provider,
        "--all",
        "--include",
        "all",
        "-o",
        str(folder),
        *sets,
    ]


# Started from a small helper process: a child's peak RSS counts the image it was forked from
# before exec, so measured from this (large) process every run would look as big as this one.
MEASURE = """\
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - start
if done.returncode != 0:
    sys.exit(done.stderr.decode())
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def clean(root: Path) -> None:
    """No output of an earlier run: what it deploys would count as deployed already.

    Moved out of the tree rather than deleted (the benchmark's temporary folder goes at the
    end): see :data:`MOVED_ASIDE`."""
    aside = root.parent / "earlier-output"
    aside.mkdir(exist_ok=True)
    for folder in root.glob("gitops-*"):
        folder.rename(aside / f"{folder.name}-{time.monotonic_ns()}")


#: Why :func:`clean` moves the output of earlier runs aside, kept with the page's text.
MOVED_ASIDE = """\
Every run writes all its files fresh: the output of the run before is moved out of the tree
first, not deleted. On this machine (ext4 without a journal) deleting thousands of files
makes every file created in the next minute or so cost several times more, since the
allocator passes over each recently freed inode: deleting the last run's 5,000 files just
before each run made the same code take 5.7 s instead of 3.5 s (Flux), a cost of the
benchmark's clean-up rather than of the command, and the reason earlier figures of this page
varied so much."""


def set_size(root: Path) -> int:
    """How many packages ``--all`` deploys: those nothing in the tree deploys yet."""
    from gitops_core.bundle import plan_all

    clean(root)
    return len(plan_all(root, root / "gitops-plan").chosen)


def run_command(root: Path, provider: str, folder: Path) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of the real command, as a fresh process."""
    clean(root)
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command(root, provider, folder)],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"gitops generate --all failed:\n{done.stderr}")
    seconds, kilobytes = done.stdout.split()
    return float(seconds), int(kilobytes) * 1024


def run_library(root: Path, provider_id: str, folder: Path) -> float:
    from gitops_core.bundle import generate_all, write_bundle
    from gitops_core.plugins import Providers

    clean(root)
    start = time.perf_counter()
    provider = Providers.discover().get(provider_id)
    write_bundle(generate_all(root, provider, ANSWERS, folder, include=("all",)))
    return time.perf_counter() - start


def detection_alone(root: Path) -> float:
    from gitops_core.detection import detect

    start = time.perf_counter()
    detect(root)
    return time.perf_counter() - start


def validation_alone(folder: Path, provider_id: str) -> float:
    """Validate what --all wrote, as `gitops validate` would, schemas loaded once."""
    from gitops_core.plugins import Providers
    from gitops_core.resources import schema_dir
    from gitops_core.validation import SchemaStore, load_documents, validate_documents

    files = sorted(folder.iterdir())
    start = time.perf_counter()
    provider = Providers.discover().get(provider_id)
    store = SchemaStore([schema_dir("gitops_core", "") / "kubernetes", *provider.schema_dirs()])
    for path in files:
        text = path.read_text(encoding="utf-8")
        problems = validate_documents(load_documents(text), source=path.name, store=store)
        assert not problems, problems
    return time.perf_counter() - start


def median_of(repeat: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeat))


def profile(root: Path, provider: str, folder: Path) -> list[tuple[str, float]]:
    """Seconds per phase of one library run under cProfile (inflated, compare them only)."""
    profiler = cProfile.Profile()
    profiler.runcall(run_library, root, provider, folder)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    cumulative: dict[str, float] = {}
    for (_, _, name), (_, _, _, cumtime, _) in stats.items():
        cumulative[name] = max(cumulative.get(name, 0.0), cumtime)
    total = sum(cumulative.get(name, 0.0) for _, name in PHASES if not _.startswith(" "))
    return [
        ("total profiled", total),
        *((label, cumulative.get(name, 0.0)) for label, name in PHASES),
    ]


#: What the profile taught, kept with the table it explains.
LEARNED = """\
What this says: beyond detection + validation, `--all` reads each package's manifests for the
namespaces they declare, answers (configure), fills templates, renders YAML and writes one
file per package. Fixed so far: rendering uses libyaml's emitter, and the nodes of plain data
are built without PyYAML's representer dispatch (the same bytes); a set is flushed with one
`sync`, not one `fsync` per file, and each temporary file is written with plain system calls,
its folder made once per set; a set reads its packages' files through one cache (a base that
three overlays build was read four times, and detection's kustomization texts are reused);
the provider's questions and defaults are asked once per set, and answers checked once per
distinct value. What is left is mostly work no run can avoid but the baseline does not count:
rendering and writing 5,000 files. Closing the rest would mean validating the provider's data
instead of parsing the rendered text back (the YAML parsing row), which would check something
other than the bytes written; we keep validating the bytes."""


def report(
    packages: int,
    deployed: Mapping[int, int],
    rows: dict[str, dict[str, float]],
    memory: dict[str, dict[int, int]],
    profiles: dict[str, list[tuple[str, float]]],
    repeat: int,
    build_seconds: float,
) -> str:
    lines = [
        "## generate --all on a monorepo",
        "",
        "`python3 benchmarks/bench_generate_all.py` builds the synthetic monorepo of",
        f"`benchmarks/monorepo.py` ({packages:,} packages) and runs `gitops generate --all` on it",
        "for each provider: detected, configured, generated, validated and written (one file per",
        "package), in-process through the library and as the real command (start-up included).",
        "It runs with `--include all`, so that every package is generated: by default `--all`",
        f"deploys the {deployed[packages]:,} that nothing deploys yet (the others are deployed",
        "already by the tree's own Flux and Argo CD objects, are Flux's installation or GitOps",
        "configuration, or are Kustomize bases that overlays build).",
        f"The tree took {build_seconds:.0f} s to build.",
        "",
        MOVED_ASIDE,
        "",
        "| provider | detection alone | validation alone | library `--all` | packages/s | "
        "vs detection + validation | command `--all` | packages/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for provider, row in rows.items():
        floor = row["detect"] + row["validate"]
        library_rate, command_rate = packages / row["library"], packages / row["command"]
        ratio = row["library"] / floor
        lines.append(
            f"| {provider} | {row['detect']:.2f} s | {row['validate']:.2f} s | "
            f"{row['library']:.2f} s | {library_rate:,.0f} | {ratio:.2f}x | "
            f"{row['command']:.2f} s | {command_rate:,.0f} |"
        )
        verdicts.append(
            f"{provider}: {command_rate:,.0f} packages/s as a command "
            f"({'met' if command_rate >= RATE_TARGET else 'not met'}), "
            f"{ratio:.2f}x detection + validation "
            f"({'met' if ratio <= RATIO_TARGET else 'not met'})"
        )
    lines += [
        "",
        f"Targets: at least {RATE_TARGET:,.0f} packages/s, within {RATIO_TARGET}x of detection + "
        "validation alone. " + "; ".join(verdicts) + ".",
        "",
        "Peak RSS of the command (`getrusage` of the child, from a small parent process):",
        "",
        "| provider | " + " | ".join(f"{n:,} packages" for n in next(iter(memory.values()))) + " |",
        "|---|" + "---:|" * len(next(iter(memory.values()))),
    ]
    for provider, by_size in memory.items():
        cells = " | ".join(f"{rss / 2**20:.0f} MiB" for rss in by_size.values())
        lines.append(f"| {provider} | {cells} |")
    (small, small_rss), (large, large_rss) = list(next(iter(memory.values())).items())[:2]
    per_package = (large_rss - small_rss) / (large - small)
    lines += [
        "",
        f"Memory grows by about {per_package / 1024:.0f} KiB per package (every "
        "rendered file is held until all are validated, so that nothing is written if one is "
        "invalid) over a "
        f"base of {(small_rss - small * per_package) / 2**20:.0f} MiB: linearly, and far more "
        "slowly than the number of packages.",
    ]
    if profiles:
        labels = [label for label, _ in next(iter(profiles.values()))]
        lines += [
            "",
            "Where the time goes (cProfile, one library run; seconds are inflated by the "
            "profiler, compare them with each other):",
            "",
            "| phase | " + " | ".join(profiles) + " |",
            "|---|" + "---:|" * len(profiles),
        ]
        for index, label in enumerate(labels):
            cells = " | ".join(f"{phases[index][1]:.2f} s" for phases in profiles.values())
            lines.append(f"| {label} | {cells} |")
        lines += ["", LEARNED]
    lines += [
        "",
        f"Medians of {repeat} interleaved runs; {machine()}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--packages", type=int, default=5000)
    parser.add_argument("--small", type=int, default=1000, help="smaller tree, for memory growth")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-generate-all-") as tmp:
        start = time.perf_counter()
        root = build_monorepo(Path(tmp) / "mono", packages=args.packages, seed=args.seed).root
        small = build_monorepo(Path(tmp) / "small", packages=args.small, seed=args.seed).root
        build_seconds = time.perf_counter() - start
        deployed = {args.packages: set_size(root)}
        rows: dict[str, dict[str, float]] = {}
        memory: dict[str, dict[int, int]] = {}
        runs: dict[str, dict[str, list[float]]] = {p: {} for p in PROVIDERS}
        for provider in PROVIDERS:  # warm-up: imports, and the tree in the page cache
            run_library(root, provider, root / f"gitops-{provider}")
        for _ in range(args.repeat):
            for provider in PROVIDERS:
                folder = root / f"gitops-{provider}"
                timings = runs[provider]
                timings.setdefault("detect", []).append(detection_alone(root))
                timings.setdefault("library", []).append(run_library(root, provider, folder))
                timings.setdefault("validate", []).append(validation_alone(folder, provider))
                seconds, _ = run_command(root, provider, folder)
                timings.setdefault("command", []).append(seconds)
        for provider in PROVIDERS:
            rows[provider] = {k: statistics.median(v) for k, v in runs[provider].items()}
            memory[provider] = {
                size: run_command(tree, provider, tree / f"gitops-{provider}")[1]
                for size, tree in ((args.small, small), (args.packages, root))
            }
        profiles = {
            provider: profile(root, provider, root / f"gitops-{provider}") for provider in PROVIDERS
        }
        section = report(
            args.packages, deployed, rows, memory, profiles, args.repeat, build_seconds
        )
    print(section)
    if not args.no_docs:
        update_section("generate-all", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
