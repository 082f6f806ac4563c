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

A second corpus holds documents of a CRD heavy in CEL rules (``HEAVY_RULES`` below: 20 rules,
macros over lists, nested comprehensions, regular expressions, quantities, URLs, durations,
bindings), converted by our converter; check-jsonschema gets the same converted schema and
skips the rules, which it does not know.

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


TARGET = 5.0  # ours vs check-jsonschema, documents/s with start-up excluded: what we aim for


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


_DNS_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_CRON = r"^(@(hourly|daily|weekly)|[0-9*/,-]+( [0-9*/,-]+){4})$"
#: The rules of the CEL-heavy CRD, as a CRD author writes them.
HEAVY_RULES = [
    "self.ports.all(p, p.port > 0 && p.port < 65536)",
    "self.ports.all(p, self.ports.exists_one(q, q.name == p.name))",
    "self.ports.map(p, p.port).all(x, x != 0)",
    "self.ports.all(p, p.protocol in ['TCP', 'UDP', 'SCTP'])",
    f"self.hosts.all(h, h.matches('{_DNS_NAME}'))",
    "self.hosts.all(h, h.size() <= 253)",
    "self.hosts.exists(h, h.endsWith('.example.com'))",
    "!has(self.env) || self.env.all(e, e.name.matches('^[A-Z_][A-Z0-9_]*$'))",
    "!has(self.env) || self.env.filter(e, e.name.startsWith('SECRET_')).size() == 0",
    "!has(self.env) || size(self.env) <= 100",
    "quantity(string(self.resources.memory)).compareTo(quantity('64Gi')) <= 0",
    "isQuantity(string(self.resources.cpu))",
    "isURL(self.endpoint) && url(self.endpoint).getScheme() in ['http', 'https']",
    "duration(self.timeout) <= duration('1h')",
    "self.image.contains(':') && !self.image.endsWith(':latest')",
    "self.image.split('/').size() <= 3",
    "!has(self.labels) || self.labels.all(k, k.size() <= 63 && self.labels[k].size() <= 63)",
    f"!has(self.schedule) || self.schedule.matches('{_CRON}')",
    "!has(self.replicas) || self.replicas <= 100",
    "cel.bind(names, self.ports.map(p, p.name), names.all(n, n.lowerAscii() == n))",
]
_HEAVY_SPEC: dict[str, Any] = {
    "type": "object",
    "required": ["image", "ports", "hosts", "endpoint", "timeout", "resources"],
    "properties": {
        "replicas": {"type": "integer", "minimum": 0},
        "image": {"type": "string"},
        "endpoint": {"type": "string"},
        "timeout": {"type": "string"},
        "schedule": {"type": "string"},
        "ports": {
            "type": "array",
            "maxItems": 64,
            "items": {
                "type": "object",
                "required": ["name", "port"],
                "properties": {
                    "name": {"type": "string"},
                    "port": {"type": "integer"},
                    "protocol": {"type": "string", "default": "TCP"},
                },
            },
        },
        "hosts": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "env": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
            },
        },
        "resources": {
            "type": "object",
            "properties": {
                "cpu": {"x-kubernetes-int-or-string": True},
                "memory": {"x-kubernetes-int-or-string": True},
            },
        },
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "x-kubernetes-validations": [{"rule": rule} for rule in HEAVY_RULES],
}
HEAVY_CRD = yaml.safe_dump(
    {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "services.bench.example.com"},
        "spec": {
            "group": "bench.example.com",
            "names": {"kind": "Service", "plural": "services"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": _HEAVY_SPEC},
                        }
                    },
                }
            ],
        },
    }
)


def heavy_document(index: int) -> dict[str, Any]:
    """A valid document of HEAVY_CRD: 16 ports, 8 hosts, 10 variables, 10 labels."""
    return {
        "apiVersion": "bench.example.com/v1",
        "kind": "Service",
        "metadata": {"name": f"service-{index}", "namespace": "bench"},
        "spec": {
            "replicas": 3,
            "image": "ghcr.io/example/service:1.2.3",
            "endpoint": f"https://service-{index}.example.com:8443/health",
            "timeout": "30s",
            "schedule": "*/5 * * * *",
            "ports": [
                {"name": f"port-{n}", "port": 8000 + n, "protocol": "TCP"} for n in range(16)
            ],
            "hosts": [f"host-{n}.example.com" for n in range(8)],
            "env": [{"name": f"VAR_{n}", "value": str(n)} for n in range(10)],
            "resources": {"cpu": "500m", "memory": "512Mi"},
            "labels": {f"example.com/label-{n}": f"value-{n}" for n in range(10)},
        },
    }


def build_heavy_corpus(folder: Path, count: int) -> dict[Path, list[Path]]:
    """``count`` files of HEAVY_CRD, and its schema converted into ``folder``/schema."""
    from gitops_core.validation.convert import convert_text, render

    [(name, schema)] = convert_text(HEAVY_CRD, "heavy.yaml").items()
    schema_dir = folder / "schema"
    schema_dir.mkdir()
    schema_file = schema_dir / name
    schema_file.write_text(render(schema), encoding="utf-8")
    documents = folder / "documents"
    documents.mkdir()
    files = []
    for index in range(count):
        path = documents / f"{index:05}.yaml"
        path.write_text(yaml.safe_dump(heavy_document(index), sort_keys=False), encoding="utf-8")
        files.append(path)
    return {schema_file: files}


def commands(check_jsonschema: Path, schema: Path, files: Sequence[Path]) -> dict[str, list[str]]:
    names = [str(f) for f in files]
    dirs = [str(d) for d in [*SCHEMA_DIRS, schema.parent]]
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

    store = SchemaStore([*SCHEMA_DIRS, *{schema.parent for schema in corpus}])
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


def reading_only(corpus: dict[Path, list[Path]]) -> float:
    """Seconds for ours to read and parse every file as the API server's decoder would, without
    validating: the profile's first part."""
    from gitops_core.validation import load_documents

    start = time.perf_counter()
    for kind_files in corpus.values():
        for path in kind_files:
            load_documents(path.read_text())
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
    reading: float,
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
    ratio = marginal["ours"] / marginal[theirs]
    verdict = "met" if ratio >= TARGET else "not met"
    lines += [
        "",
        f"In-process (no start-up, schemas compiled), ours validates {in_process:,.0f}",
        "documents/s, reading and parsing the YAML included.",
        "",
        f"Target: at least {TARGET:.0f}x check-jsonschema's documents/s, start-up excluded, with",
        f"every CEL rule evaluated — {verdict} ({ratio:.1f}x). Where ours spends its time",
        f"in-process: {reading / ours_in_process:.0%} reading the YAML as the API server's decoder",
        "reads it (duplicate keys, Go's scalars, the alias limit); the rest checks the structural",
        "schema, the CEL rules and what the server checks around the schema (metadata, list",
        "types, formats), none of which check-jsonschema does.",
        "",
        f"Medians of {repeat} interleaved runs; {machine()}",
    ]
    return "\n".join(lines)


def measure(
    tool: Path, corpus: dict[Path, list[Path]], repeat: int
) -> tuple[dict[str, float], dict[str, float], float]:
    """Median seconds per tool (single file per kind, whole corpus) and ours in-process."""
    runs: dict[str, list[dict[str, float]]] = {"single": [], "batch": []}
    for _ in range(repeat):
        runs["single"].append(run_all(tool, corpus, first_only=True))
        runs["batch"].append(run_all(tool, corpus, first_only=False))
    median = {
        name: {t: statistics.median(r[t] for r in results) for t in results[0]}
        for name, results in runs.items()
    }
    ours_in_process = statistics.median(in_process(corpus) for _ in range(repeat))
    return median["single"], median["batch"], ours_in_process


def heavy_rows(
    single: dict[str, float], batch: dict[str, float], ours_in_process: float, documents: int
) -> list[str]:
    theirs = "check-jsonschema"
    marginal = {tool: (documents - 1) / (batch[tool] - single[tool]) for tool in batch}
    speedup = marginal["ours"] / marginal[theirs]
    return [
        "",
        "A CRD heavy in CEL rules (`HEAVY_RULES` in the script: 20 rules with macros over lists,",
        "a nested comprehension, regular expressions, quantities, URLs, durations and a binding),",
        f"{documents:,} documents of 16 ports, 8 hosts, 10 variables and 10 labels each;",
        "check-jsonschema skips the rules:",
        "",
        "| measure | ours | check-jsonschema | ours vs check-jsonschema |",
        "|---|---:|---:|---:|",
        f"| CEL-heavy CRD: documents/s, start-up excluded | {marginal['ours']:,.0f} | "
        f"{marginal[theirs]:,.0f} | {speedup:.1f}x {'faster' if speedup >= 1 else 'slower'} |",
        "",
        f"In-process, ours validates {documents / ours_in_process:,.0f} of these documents/s.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--docs-per-kind", type=int, default=100)
    parser.add_argument("--heavy-docs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check-jsonschema", type=Path, help="the check-jsonschema executable")
    args = parser.parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # benchmark this checkout, installed or not
    with check_jsonschema_tool(args.check_jsonschema) as tool, tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "vendored").mkdir()
        (Path(tmp) / "heavy").mkdir()
        corpus = build_corpus(Path(tmp) / "vendored", args.docs_per_kind)
        heavy = build_heavy_corpus(Path(tmp) / "heavy", args.heavy_docs)
        single, batch, ours_in_process = measure(tool, corpus, args.repeat)
        reading = statistics.median(reading_only(corpus) for _ in range(args.repeat))
        section = report(
            single,
            batch,
            ours_in_process,
            reading,
            len(corpus),
            sum(map(len, corpus.values())),
            args.repeat,
            version_of(tool),
        )
        heavy_single, heavy_batch, heavy_in_process = measure(tool, heavy, args.repeat)
        section += "\n" + "\n".join(
            heavy_rows(heavy_single, heavy_batch, heavy_in_process, args.heavy_docs)
        )
    print(section)
    if not args.no_docs:
        update_section("validation", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
