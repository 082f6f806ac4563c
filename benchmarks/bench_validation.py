"""Benchmark manifest validation: ours against ``check-jsonschema``, same documents, same schemas.

Run from the repository root: ``python3 benchmarks/bench_validation.py`` (``--help`` for
options). It writes a corpus of valid documents of every vendored kind (built from
``tests/fixtures/validation/valid``, one document per file, as check-jsonschema reads one
document per file) and times, in the same run and interleaved:

* **check-jsonschema** — one ``check-jsonschema --fill-defaults --schemafile <kind's schema>``
  process per kind, over that kind's files: JSON Schema only (no CEL, no name checks);
* **ours** — one process per kind running ``load_documents`` + ``validate_documents`` over the
  same files with the same schemas: JSON Schema plus defaulting, CEL rules, Go-anchored
  patterns and metadata checks.

Both run once over a single file per kind (start-up and schema loading) and once over the
whole corpus; documents per second come from the difference, so start-up does not dilute
them. Ours is also timed in-process. The table goes to stdout and to the ``validation``
section of ``docs/benchmarks.md`` (``--no-docs`` leaves it alone).

check-jsonschema is taken from ``--check-jsonschema PATH``, else from ``PATH``, else installed
with pip into a temporary virtual environment for the run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(REPO))

from benchmarks.docs import machine, update_section  # noqa: E402
from benchmarks.docs import parser as bench_parser  # noqa: E402

SCHEMA_DIRS = [REPO / "schemas" / "flux", REPO / "schemas" / "argocd"]
FIXTURES = REPO / "tests" / "fixtures" / "validation" / "valid"

# What `gitops validate` does per file, minus the CLI and plugin discovery.
OURS = """\
import sys
from pathlib import Path
from gitops_core.validation import SchemaStore, load_documents, validate_documents

split = sys.argv.index("--")
store = SchemaStore([Path(p) for p in sys.argv[1:split]])
problems = []
for name in sys.argv[split + 1 :]:
    documents = load_documents(Path(name).read_text(encoding="utf-8"), source=name)
    problems += validate_documents(documents, source=name, store=store)
print(*problems, sep="\\n")
sys.exit(1 if problems else 0)
"""


def without_nulls(value: Any) -> Any:
    """The document minus null fields, which the API server (and we) prune, but check-jsonschema
    would reject; the corpus must be valid to both tools so that both do the whole work."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def build_corpus(folder: Path, per_kind: int) -> dict[Path, list[Path]]:
    """``per_kind`` files per vendored kind, keyed by the kind's schema file."""
    from gitops_core.validation import SchemaStore, load_documents

    store = SchemaStore(SCHEMA_DIRS)
    templates: dict[Path, list[dict[str, Any]]] = {}
    for fixture in sorted(FIXTURES.glob("*.yaml")):
        for document in load_documents(fixture.read_text(encoding="utf-8")):
            if isinstance(document, dict):
                schema = store.schema_file(document["apiVersion"], document["kind"])
                assert isinstance(schema, Path)
                templates.setdefault(schema, []).append(without_nulls(document))
    corpus: dict[Path, list[Path]] = {}
    for schema, documents in templates.items():
        kind_folder = folder / schema.stem
        kind_folder.mkdir()
        corpus[schema] = []
        for index in range(per_kind):
            document = documents[index % len(documents)]
            document["metadata"]["name"] = f"{schema.stem.rpartition('_')[2]}-{index}"
            path = kind_folder / f"{index:05}.yaml"
            path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
            corpus[schema].append(path)
    return corpus


def commands(check_jsonschema: Path, schema: Path, files: Sequence[Path]) -> dict[str, list[str]]:
    names = [str(f) for f in files]
    dirs = [str(d) for d in SCHEMA_DIRS]
    return {
        "ours": [sys.executable, "-c", OURS, *dirs, "--", *names],
        "check-jsonschema": [
            str(check_jsonschema), "--fill-defaults", "--schemafile", str(schema), *names
        ],
    }  # fmt: skip


def run_all(
    check_jsonschema: Path, corpus: dict[Path, list[Path]], first_only: bool
) -> dict[str, float]:
    """Seconds per tool to validate the corpus (or its first file per kind), all must pass."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    seconds = {"ours": 0.0, "check-jsonschema": 0.0}
    for schema, files in corpus.items():
        for tool, command in commands(
            check_jsonschema, schema, files[:1] if first_only else files
        ).items():
            start = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
            seconds[tool] += time.perf_counter() - start
            if result.returncode != 0:
                raise SystemExit(
                    f"{tool} rejected the corpus ({schema.name}):\n{result.stdout}{result.stderr}"
                )
    return seconds


def in_process(corpus: dict[Path, list[Path]]) -> float:
    """Seconds for ours to read, parse and validate every file in this process, store warm."""
    from gitops_core.validation import SchemaStore, load_documents, validate_documents

    store = SchemaStore(SCHEMA_DIRS)
    files = [f for kind_files in corpus.values() for f in kind_files]
    for kind_files in corpus.values():  # compile every schema before timing
        validate_documents(load_documents(kind_files[0].read_text()), source="warm", store=store)
    start = time.perf_counter()
    for path in files:
        problems = validate_documents(
            load_documents(path.read_text()), source=str(path), store=store
        )
        assert not problems, problems
    return time.perf_counter() - start


@contextmanager
def check_jsonschema_tool(given: Path | None) -> Iterator[Path]:
    found = given or (Path(p) if (p := shutil.which("check-jsonschema")) else None)
    if found is not None:
        yield found
        return
    with tempfile.TemporaryDirectory(prefix="check-jsonschema-") as tmp:
        print("check-jsonschema not found: installing it into a temporary virtual environment")
        venv.EnvBuilder(with_pip=True).create(tmp)
        bin_dir = Path(tmp) / ("Scripts" if os.name == "nt" else "bin")
        pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "check-jsonschema"]
        subprocess.run(pip, check=True)
        yield bin_dir / "check-jsonschema"


def version_of(check_jsonschema: Path) -> str:
    output = subprocess.run([str(check_jsonschema), "--version"], capture_output=True, text=True)
    return output.stdout.strip().rpartition(" ")[2]


def report(
    single: dict[str, float],
    batch: dict[str, float],
    ours_in_process: float,
    kinds: int,
    documents: int,
    repeat: int,
    tool_version: str,
) -> str:
    extra = documents - kinds
    theirs = "check-jsonschema"
    marginal = {tool: extra / (batch[tool] - single[tool]) for tool in batch}
    # (label, ours, theirs, whether more is better)
    rows = [
        ("documents/s, start-up excluded", marginal["ours"], marginal[theirs], True),
        (
            f"documents/s, whole run ({kinds} processes)",
            documents / batch["ours"],
            documents / batch[theirs],
            True,
        ),
        (
            "start-up: one file per kind, ms per process",
            1000 * single["ours"] / kinds,
            1000 * single[theirs] / kinds,
            False,
        ),
    ]
    lines = [
        "## Manifest validation",
        "",
        "`python3 benchmarks/bench_validation.py` (from the repository root) validates the same",
        f"{documents:,} documents ({kinds} kinds, one document per file, built from",
        "`tests/fixtures/validation/valid`) with the same converted schemas, one process per kind,",
        f"with ours and with check-jsonschema {tool_version} (`--fill-defaults`).",
        "check-jsonschema checks JSON Schema only; ours also prunes nulls, applies defaults,",
        "evaluates every CEL rule, anchors patterns as Go does and checks metadata names.",
        "",
        "| measure | ours | check-jsonschema | ours vs check-jsonschema |",
        "|---|---:|---:|---:|",
    ]
    for label, ours, other, more_is_better in rows:
        speedup = ours / other if more_is_better else other / ours
        lines.append(f"| {label} | {ours:,.0f} | {other:,.0f} | {speedup:.1f}x faster |")
    in_process = documents / ours_in_process
    lines += [
        "",
        f"In-process (no start-up, schemas compiled), ours validates {in_process:,.0f}",
        "documents/s, reading and parsing the YAML included.",
        "",
        f"Medians of {repeat} interleaved runs; {machine()}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--docs-per-kind", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check-jsonschema", type=Path, help="the check-jsonschema executable")
    args = parser.parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # benchmark this checkout, installed or not
    with check_jsonschema_tool(args.check_jsonschema) as tool, tempfile.TemporaryDirectory() as tmp:
        corpus = build_corpus(Path(tmp), args.docs_per_kind)
        runs: dict[str, list[dict[str, float]]] = {"single": [], "batch": []}
        for _ in range(args.repeat):
            runs["single"].append(run_all(tool, corpus, first_only=True))
            runs["batch"].append(run_all(tool, corpus, first_only=False))
        median = {
            name: {t: statistics.median(r[t] for r in results) for t in results[0]}
            for name, results in runs.items()
        }
        ours_in_process = statistics.median(in_process(corpus) for _ in range(args.repeat))
        section = report(
            median["single"],
            median["batch"],
            ours_in_process,
            len(corpus),
            sum(map(len, corpus.values())),
            args.repeat,
            version_of(tool),
        )
    print(section)
    if not args.no_docs:
        update_section("validation", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
