"""The validator against hand-written fixtures and hypothesis mutations of valid documents.

Fixtures: ``tests/fixtures/validation/valid/*.yaml`` must pass; every file in ``invalid/`` lists
the exact problem lines it must produce as ``# expect: <line>`` comments, in order.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

from gitops_core.checks import go_search
from gitops_core.errors import UsageError
from gitops_core.validation import (
    Problem,
    SchemaStore,
    load_documents,
    schema_file_name,
    validate_documents,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "validation"
SCHEMA_DIRS = (ROOT / "schemas" / "flux", ROOT / "schemas" / "argocd")
STORE = SchemaStore(SCHEMA_DIRS)
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
DURATION_PATTERNS = {
    r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$",
    r"^([0-9]+(\.[0-9]+)?(ms|s|m))+$",
}
MUTATION_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def check(text: str, source: str = "test.yaml", *, allow_unknown_kinds: bool = False) -> list[str]:
    documents = load_documents(text, source=source)
    found = validate_documents(
        documents, source=source, store=STORE, allow_unknown_kinds=allow_unknown_kinds
    )
    return [str(p) for p in found]


def check_document(document: object) -> list[Problem]:
    return validate_documents([document], source="m.yaml", store=STORE)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_passes(path: Path) -> None:
    assert check(path.read_text(), source=path.name) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_fixture_reports_its_expected_lines(path: Path) -> None:
    text = path.read_text()
    expected = [
        line.removeprefix("# expect: ")
        for line in text.splitlines()
        if line.startswith("# expect: ")
    ]
    assert expected, f"{path.name} states no '# expect:' line"
    assert check(text, source=path.name) == expected


def test_unknown_kinds_pass_when_allowed() -> None:
    text = (FIXTURES / "invalid" / "unknown-kind.yaml").read_text()
    assert check(text, allow_unknown_kinds=True) == []


def test_fixtures_cover_every_vendored_kind() -> None:
    kinds = {
        (doc["apiVersion"], doc["kind"])
        for path in VALID
        for doc in load_documents(path.read_text())
        if isinstance(doc, dict)
    }
    vendored = {
        (schema["properties"]["apiVersion"]["const"], schema["properties"]["kind"]["const"])
        for folder in SCHEMA_DIRS
        for schema in map(json.loads, map(Path.read_text, folder.glob("*.json")))
    }
    assert kinds == vendored


# --- the API -----------------------------------------------------------------------------------


def test_problem_prints_the_spec_line() -> None:
    problem = Problem(
        "out.yaml", 1, "Kustomization", "podinfo", "spec.prune", "'prune' is a required property"
    )
    assert (
        str(problem)
        == "out.yaml#1 Kustomization/podinfo: spec.prune: 'prune' is a required property"
    )
    assert str(Problem("-", 0, "", "", "(root)", "m")) == "-#0 ?/?: (root): m"
    odd = Problem("a.yaml", 0, "Kind\n", "na\u2028me", "spec[a\nb]", "unknown field 'a\\nb'")
    assert str(odd) == "a.yaml#0 Kind\\n/na\\u2028me: spec[a\\nb]: unknown field 'a\\nb'"


def test_load_documents_numbers_documents_as_the_file_does() -> None:
    text = "# comment\n---\na: 1\n---\n---\nb: 2\n---\n"
    assert load_documents(text) == [{"a": 1}, None, {"b": 2}, None]


def test_load_documents_reads_scalars_as_go_does() -> None:
    [document] = load_documents("date: 2026-01-01\nexp: 1e3\noctal: 0o17\nyes: yes\nnil: ~\n")
    # Keys become strings, as sigs.k8s.io/yaml turns the YAML into JSON.
    assert document == {"date": "2026-01-01", "exp": 1000.0, "octal": 15, "true": True, "nil": None}


def test_load_documents_refuses_bad_yaml_in_one_line() -> None:
    with pytest.raises(UsageError, match=r"^bad\.yaml: not valid YAML at line 2: ") as raised:
        load_documents("a: 1\n  b: [\n", source="bad.yaml")
    assert "\n" not in str(raised.value)
    assert str(raised.value).endswith("mapping values are not allowed in this context")


def test_schema_file_names() -> None:
    assert (
        schema_file_name("source.toolkit.fluxcd.io/v1", "GitRepository")
        == "source.toolkit.fluxcd.io_v1_gitrepository.json"
    )
    assert schema_file_name("v1", "ConfigMap") == "core_v1_configmap.json"
    for api_version, kind in [("../x/v1", "A"), ("a/v1", "../b"), ("a/b/v1", "C"), ("a/", "B")]:
        with pytest.raises(ValueError):
            schema_file_name(api_version, kind)
        assert STORE.schema_file(api_version, kind) is None


def test_store_opens_only_the_schema_it_needs(tmp_path: Path) -> None:
    name = "source.toolkit.fluxcd.io_v1_gitrepository.json"
    (tmp_path / name).write_bytes((SCHEMA_DIRS[0] / name).read_bytes())
    (tmp_path / "helm.toolkit.fluxcd.io_v2_helmrelease.json").write_text("{ not json")
    store = SchemaStore([tmp_path])
    text = (FIXTURES / "valid" / "flux-helm.yaml").read_text()
    repository, release = (doc for doc in load_documents(text) if doc is not None)
    assert validate_documents([repository, repository], source="f", store=store) == []
    with pytest.raises(json.JSONDecodeError):
        validate_documents([release], source="f", store=store)


def test_first_folder_wins(tmp_path: Path) -> None:
    name = "kustomize.toolkit.fluxcd.io_v1_kustomization.json"
    schema = json.loads((SCHEMA_DIRS[0] / name).read_text())
    schema["properties"]["spec"]["required"].append("wait")
    (tmp_path / name).write_text(json.dumps(schema))
    text = (FIXTURES / "valid" / "flux-kustomize.yaml").read_text()
    documents = load_documents(text)
    problems = validate_documents(
        documents, source="f", store=SchemaStore([tmp_path, *SCHEMA_DIRS])
    )
    assert [p.path for p in problems] == ["spec.wait"]


def test_documents_are_not_modified() -> None:
    documents = load_documents((FIXTURES / "valid" / "flux-helm.yaml").read_text())
    before = copy.deepcopy(documents)
    validate_documents(documents, source="f", store=STORE)
    assert documents == before


def test_import_is_cheap() -> None:
    code = (
        "import sys, gitops_core.validation as v; print({'jsonschema', 'yaml'} & set(sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "set()"


# --- mutations ---------------------------------------------------------------------------------

Parts = tuple[str | int, ...]


def render(parts: Parts) -> str:
    """The documented path form: dotted plain keys, ``[i]`` items, other keys in brackets."""
    out = ""
    for part in parts:
        if isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part}]"
    return out


def nodes(
    value: Any, schema: dict[str, Any], parts: Parts = ()
) -> Iterator[tuple[Parts, Any, dict[str, Any]]]:
    """Every (path, value, schema) in a document, following its schema."""
    yield parts, value, schema
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        for key, child in value.items():
            sub = properties.get(key, additional)
            if isinstance(sub, dict):
                yield from nodes(child, sub, (*parts, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from nodes(item, schema["items"], (*parts, index))


@attrs.frozen
class Base:
    """A valid document and its schema (kept out of hypothesis' reports: schemas are large)."""

    label: str
    document: dict[str, Any] = attrs.field(repr=False)
    schema: dict[str, Any] = attrs.field(repr=False)


def _valid_documents() -> list[Base]:
    bases = []
    for path in VALID:
        for index, document in enumerate(load_documents(path.read_text())):
            if isinstance(document, dict):
                schema = STORE.schema(document["apiVersion"], document["kind"])
                assert schema is not None
                bases.append(Base(f"{path.name}#{index}", document, schema))
    return bases


BASES = _valid_documents()


def mutated(document: dict[str, Any], parts: Parts, change: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with ``change(parent_node)`` applied at ``parts``."""
    result = copy.deepcopy(document)
    node: Any = result
    for part in parts:
        node = node[part]
    change(node)
    return result


def pick(data: st.DataObject, candidates: list[Any]) -> Any:
    if not candidates:
        reject()
    return data.draw(st.sampled_from(candidates))


def has_problem(document: dict[str, Any], path: str, message: str) -> bool:
    problems = check_document(document)
    assert problems, "the mutation was not caught"
    return any(p.path == path and p.message == message for p in problems)


@MUTATION_SETTINGS
@given(base=st.sampled_from(BASES), data=st.data())
def test_dropped_required_field_is_reported_at_its_path(base: Base, data: st.DataObject) -> None:
    document, schema = base.document, base.schema
    candidates = [
        (parts, key)
        for parts, value, node in nodes(document, schema)
        if isinstance(value, dict)
        for key in node.get("required", ())
        if key in value and "default" not in node.get("properties", {}).get(key, {})
    ]
    parts, key = pick(data, candidates)
    broken = mutated(document, parts, lambda node: node.pop(key))
    assert has_problem(broken, render((*parts, key)), f"{key!r} is a required property")


@MUTATION_SETTINGS
@given(base=st.sampled_from(BASES), data=st.data())
def test_unknown_field_is_reported_at_its_path(base: Base, data: st.DataObject) -> None:
    document, schema = base.document, base.schema
    candidates = [
        (parts, node)
        for parts, value, node in nodes(document, schema)
        if isinstance(value, dict) and node.get("additionalProperties") is False
    ]
    parts, node = pick(data, candidates)
    name = data.draw(st.from_regex(r"[a-z][A-Za-z0-9]{0,12}", fullmatch=True))
    assume(name not in node["properties"])
    extra = data.draw(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)))
    broken = mutated(document, parts, lambda node: node.__setitem__(name, extra))
    assert has_problem(broken, render((*parts, name)), f"unknown field {name!r}")


def pattern_fields(base: Base) -> list[tuple[Parts, str, str]]:
    return [
        (parts, value, node["pattern"])
        for parts, value, node in nodes(base.document, base.schema)
        if isinstance(value, str) and "pattern" in node
    ]


@MUTATION_SETTINGS
@given(base=st.sampled_from(BASES), data=st.data())
def test_broken_pattern_is_reported_at_its_path(base: Base, data: st.DataObject) -> None:
    parts, _, pattern = pick(data, pattern_fields(base))
    bad = data.draw(st.text(max_size=12).filter(lambda text: not go_search(pattern, text)))
    broken = mutated(base.document, parts[:-1], lambda node: node.__setitem__(parts[-1], bad))
    assert has_problem(broken, render(parts), f"{bad!r} does not match {pattern!r}")


@MUTATION_SETTINGS
@given(base=st.sampled_from(BASES), data=st.data())
def test_newline_after_a_duration_is_reported(base: Base, data: st.DataObject) -> None:
    candidates = [field for field in pattern_fields(base) if field[2] in DURATION_PATTERNS]
    parts, value, pattern = pick(data, candidates)
    bad = value + "\n"
    assert re.search(pattern, bad), "Python's own '$' would let this through"
    broken = mutated(base.document, parts[:-1], lambda node: node.__setitem__(parts[-1], bad))
    assert has_problem(broken, render(parts), f"{bad!r} does not match {pattern!r}")


# CEL rules, each against an oracle written from the rule's English message.

CHART = {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}}
CHART_REF = {"kind": "OCIRepository", "name": "podinfo"}
KUBECONFIG_MESSAGE = (
    "exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified"
)


def base_of(kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(b.document for b in BASES if b.document["kind"] == kind))


def cel_problems(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (p.path, p.message)
        for p in check_document(document)
        if not p.message.endswith("is a required property")
    }


@MUTATION_SETTINGS
@given(has_chart=st.booleans(), has_chart_ref=st.booleans())
def test_helmrelease_needs_exactly_one_chart_source(has_chart: bool, has_chart_ref: bool) -> None:
    document = base_of("HelmRelease")
    document["spec"].pop("chart", None)
    document["spec"].pop("chartRef", None)
    if has_chart:
        document["spec"]["chart"] = copy.deepcopy(CHART)
    if has_chart_ref:
        document["spec"]["chartRef"] = dict(CHART_REF)
    expected = (
        {("spec", "either chart or chartRef must be set")} if has_chart == has_chart_ref else set()
    )
    assert cel_problems(document) == expected


@MUTATION_SETTINGS
@given(
    kind=st.sampled_from(["HelmRelease", "Kustomization"]),
    refs=st.sets(st.sampled_from(["configMapRef", "secretRef"])),
)
def test_kubeconfig_needs_exactly_one_ref(kind: str, refs: set[str]) -> None:
    document = base_of(kind)
    document["spec"]["kubeConfig"] = {ref: {"name": "remote"} for ref in refs}
    expected = {("spec.kubeConfig", KUBECONFIG_MESSAGE)} if len(refs) != 1 else set()
    assert cel_problems(document) == expected


@MUTATION_SETTINGS
@given(
    phase=st.sampled_from(["install", "upgrade"]),
    name=st.sampled_from(["RemediateOnFailure", "RetryOnFailure"]),
    retry_interval=st.booleans(),
)
def test_helmrelease_retry_interval_rules(phase: str, name: str, retry_interval: bool) -> None:
    document = base_of("HelmRelease")
    strategy: dict[str, str] = {"name": name}
    if retry_interval:
        strategy["retryInterval"] = "1m"
    document["spec"][phase] = {"strategy": strategy}
    messages = {
        "install": ".retryInterval cannot be set when .name is 'RemediateOnFailure'",
        "upgrade": ".retryInterval can only be set when .name is 'RetryOnFailure'",
    }
    broken = retry_interval and name == "RemediateOnFailure"
    expected = {(f"spec.{phase}.strategy", messages[phase])} if broken else set()
    assert cel_problems(document) == expected


@MUTATION_SETTINGS
@given(
    provider=st.sampled_from([None, "generic", "aws", "azure", "github"]),
    service_account=st.booleans(),
)
def test_gitrepository_service_account_rule(provider: str | None, service_account: bool) -> None:
    document = base_of("GitRepository")
    spec = document["spec"]
    spec.pop("provider", None)
    spec.pop("serviceAccountName", None)
    if provider is not None:
        spec["provider"] = provider
    if service_account:
        spec["serviceAccountName"] = "reader"
    message = "serviceAccountName can only be set when provider is 'azure' or 'aws'"
    broken = service_account and provider not in ("azure", "aws")
    assert cel_problems(document) == ({("spec", message)} if broken else set())


# --- robustness ---------------------------------------------------------------------------------

YAML_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), YAML_SCALARS), children, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(base=st.sampled_from(BASES), data=st.data())
def test_any_value_anywhere_gives_problems_not_exceptions(base: Base, data: st.DataObject) -> None:
    parts, _, _ = data.draw(st.sampled_from(list(nodes(base.document, base.schema))))
    value = data.draw(YAML_VALUES)
    document: object = value
    if parts:
        document = mutated(
            base.document, parts[:-1], lambda node: node.__setitem__(parts[-1], value)
        )
    for problem in validate_documents([document], source="r.yaml", store=STORE):
        assert str(problem).splitlines() == [str(problem)]
        assert str(problem).startswith("r.yaml#0 ")


@settings(max_examples=300, deadline=None)
@given(base=st.sampled_from(BASES), data=st.data())
def test_judging_valid_parts_in_one_walk_hides_no_problem(base: Base, data: st.DataObject) -> None:
    """The engine skips jsonschema's descent where a part is certainly valid; with every part
    descended instead, the problems are the same."""
    from unittest import mock

    from gitops_core.validation import _engine

    parts, _, _ = data.draw(st.sampled_from(list(nodes(base.document, base.schema))))
    value = data.draw(YAML_VALUES)
    document = base.document
    if parts:
        document = mutated(
            base.document, parts[:-1], lambda node: node.__setitem__(parts[-1], value)
        )
    fast = validate_documents([document], source="r.yaml", store=STORE)
    with mock.patch.object(_engine, "_certainly_valid", lambda schema, value: False):
        full = validate_documents([document], source="r.yaml", store=STORE)
    assert [str(p) for p in fast] == [str(p) for p in full]


def test_moderate_aliasing_is_read_and_a_billion_laughs_bomb_is_refused() -> None:
    anchors = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
        "  labels: &labels {app: a, tier: web}\n  annotations: *labels\n"
    )
    assert load_documents(anchors) == [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": "a",
                "labels": {"app": "a", "tier": "web"},
                "annotations": {"app": "a", "tier": "web"},
            },
        }
    ]
    levels = ["a0: &a0 [" + ", ".join(['"lol"'] * 10) + "]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(UsageError, match=r"^bomb.yaml#1: the document contains excessive aliasing"):
        load_documents("---\n{}\n---\n" + "\n".join(levels) + "\n", source="bomb.yaml")
