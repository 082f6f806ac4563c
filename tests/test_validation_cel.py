"""The CEL subset: parsing, CEL's evaluation semantics, and refusal of what it does not cover."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_core.checks import go_regex
from gitops_core.validation import SchemaStore, _engine, cel, load_documents, validate_documents
from gitops_core.validation.cel import CelEvalError, CelSyntaxError, _functions, parse
from gitops_core.validation.convert import main as convert

ROOT = Path(__file__).resolve().parents[1]
FLUX_SCHEMAS = ROOT / "schemas" / "flux"

SELF = {
    "name": "RetryOnFailure",
    "provider": "aws",
    "count": 3,
    "ratio": 1.5,
    "enabled": True,
    "tags": ["a", "b"],
    "labels": {"app": "podinfo"},
    "empty": {},
    "note": "naïve",
    "regex": "(a",
    "small": -9223372036854775808,
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("has(self.name)", True),
        ("has(self.missing)", False),
        ("has(self.labels.app) && !has(self.labels.tier)", True),
        ("self.name == 'RetryOnFailure'", True),
        ('self.name != "RetryOnFailure"', False),
        ("self.count > 2 && self.count >= 3 && self.count < 4 && self.count <= 3", True),
        ("self.ratio > 1 && self.count == 3.0", True),
        ("self.name < 'Z' && 'abc' <= 'abd'", True),
        ("size(self.tags) == 2 && self.tags.size() == 2 && self.note.size() == 5", True),
        ("size(self.labels) == 1 && size(self.empty) == 0", True),
        ("'b' in self.tags && !('c' in self.tags) && 'app' in self.labels", True),
        ("self.provider in ['aws', 'azure']", True),
        ("self.tags[1] == 'b' && self.labels['app'] == 'podinfo'", True),
        ("self.tags == ['a', 'b'] && self.labels == self.labels", True),
        ("self.count == '3' || self.enabled == 1 || self.name == null", False),
        ("true || false && false", True),  # && binds tighter than ||
        ("!false == true", True),
        ("-self.count < 0 && --self.count == 3", True),
        ("self.enabled ? self.count == 3 : self.missing", True),
        ("(self.count == 3) == self.enabled", True),
        ("'it\\'s' == \"it's\" && '\\x41\\u00e9' == 'Aé' && '\\n'.size() == 1", True),
        # macros over lists
        ("self.tags.all(t, t in ['a', 'b'])", True),
        ("self.tags.all(t, t == 'a')", False),
        ("self.empty.all(k, false) && !self.empty.exists(k, true)", True),  # vacuous
        ("self.tags.exists(t, t == 'b')", True),
        ("self.tags.exists(t, t == 'c')", False),
        ("self.tags.exists_one(t, t != '')", False),
        ("self.tags.exists_one(t, t == 'a')", True),
        ("self.tags.map(t, [t]) == [['a'], ['b']]", True),
        ("self.tags.map(t, t == 'b', t) == ['b']", True),
        ("self.tags.filter(t, t != 'a') == ['b'] && self.tags.filter(t, false) == []", True),
        ("size(self.tags.filter(t, t in self.tags)) == 2", True),
        # macros over maps range over the keys
        (
            "self.labels.all(k, k == 'app') && self.labels.map(k, self.labels[k]) == ['podinfo']",
            True,
        ),
        ("self.labels.exists(k, k == 'podinfo')", False),
        ("self.labels.filter(k, true) == ['app']", True),
        # nesting, shadowing and the outer variable inside
        ("[self.tags, ['c']].all(l, l.exists(t, t != self.name))", True),
        ("[['a'], ['b', 'c']].exists(t, t.exists(t, t == 'c'))", True),
        ("self.tags.all(self, self != 'RetryOnFailure')", True),
        # string functions
        ("self.name.startsWith('Retry') && self.name.endsWith('Failure')", True),
        ("self.name.startsWith('retry') || self.name.endsWith('Retry')", False),
        ("self.name.contains('OnF') && !self.name.contains('onf') && self.name.contains('')", True),
        ("self.note.startsWith('na') && self.note.endsWith('ïve')", True),
        # matches(): RE2, an unanchored search; '$' only at the very end of the text
        ("self.name.matches('On') && matches(self.name, '^R.*e$')", True),
        ("self.name.matches('^On')", False),
        ("'ab\\n'.matches('b$') || 'ab\\n'.matches('^ab$')", False),
        ("'ab\\n'.matches('b\\n$') && 'ab\\n'.matches('b\\\\n$')", True),
        ("self.tags.all(t, t.matches('^[a-z]$'))", True),
        ("self.name.matches(self.provider) || self.provider.matches(self.tags[0])", True),
        # the smallest int is a literal; negation of a negative literal
        ("-9223372036854775808 < 0 && -(-9223372036854775807) == 9223372036854775807", True),
        ("---self.count == -3 && !!!false", True),
    ],
)
def test_rules_evaluate_as_cel_does(rule: str, expected: bool) -> None:
    assert parse(rule).evaluate(SELF) is expected


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ("self.missing == 'x'", "no such key: missing"),
        ("has(self.missing.field)", "no such key: missing"),
        ("self.name.first == 'x'", "no such field 'first' on string"),
        ("self.count < 'x'", "no such overload: int < string"),
        ("self.tags[5] == 'x'", "index out of range: 5"),
        ("size(self.count) == 1", "no such overload: size(int)"),
        ("!self.count", "no such overload: !int"),
        ("self.count", "the rule evaluated to a int, not a bool"),
        ("'a' in self.name", "no such overload: string in string"),
        ("self.missing || false", "no such key: missing"),
        # macros: the range must be a list or a map, the predicate a bool
        ("self.name.all(c, true)", "no such overload: string.all()"),
        ("self.missing.exists(t, true)", "no such key: missing"),
        ("self.tags.all(t, t.size())", "no matching overload: int result"),
        ("self.tags.exists(t, 1)", "no matching overload: int result"),
        ("self.tags.filter(t, t)", "no matching overload: string filter"),
        ("self.tags.map(t, t.missing)", "no such field 'missing' on string"),
        ("self.tags.map(t, t == 'a', t[0])", "no such overload: _[_](string, int)"),
        # exists_one() takes every element's verdict: an error anywhere is the result
        ("[1, 'x', 2].exists_one(v, v == 1 || v > 5)", "no such overload: string > int"),
        # string functions take strings
        ("self.count.startsWith('3')", "no such overload: startsWith(int, string)"),
        ("self.name.contains(1)", "no such overload: contains(string, int)"),
        ("self.tags.endsWith('b')", "no such overload: endsWith(list, string)"),
        ("self.count.matches('3')", "no such overload: matches(int, string)"),
        # arithmetic has CEL's overflow and division errors
        ("self.count * 9223372036854775807 > 0", "integer overflow"),
        ("self.count / 0 == 1", "division by zero"),
        ("self.count % 0 == 1", "modulus by zero"),
        ("1u - 2u == 0u", "unsigned integer overflow"),
        ("self.count + 1u == 4", "no such overload: _+_(int, uint)"),
        ("duration(self.name) > duration('1s')", "invalid duration 'RetryOnFailure'"),
        ("self.name.substring(20) == ''", "index out of range: 20"),
        ("self.name.matches(self.missing)", "no such key: missing"),
        ("self.name.matches(self.regex)", "invalid regular expression '(a'"),
        # int64 arithmetic: the negation of the smallest int overflows
        ("-(-9223372036854775808) != 0", "integer overflow"),
        ("-self.small < 0", "integer overflow"),
    ],
)
def test_runtime_errors(rule: str, error: str) -> None:
    with pytest.raises(CelEvalError, match=re.escape(error)):
        parse(rule).evaluate(SELF)


def test_logical_operators_absorb_errors_like_cel() -> None:
    # CEL evaluates both sides of && and ||; a deciding value wins over an error on either side.
    assert parse("self.missing == 'x' || true").evaluate(SELF) is True
    assert parse("self.missing == 'x' && false").evaluate(SELF) is False
    assert parse("false && self.missing == 'x'").evaluate(SELF) is False


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # all(): a false element decides, whatever errors the others give (either order) ...
        ("[1, 'x'].all(v, v > 5)", False),
        ("['x', 1].all(v, v > 5)", False),
        ("[self.missing, 0].all(v, v > 5)", None),  # ... but not an error in the list itself
        ("self.labels.all(k, self.labels[k].missing) && false", False),
        # exists(): a true element decides
        ("[1, 'x'].exists(v, v > 0)", True),
        ("['x', 1].exists(v, v > 0)", True),
        ("['x', 1].exists(v, v.size() > 0)", True),
        ("self.tags.all(t, self.missing) || true", True),
    ],
)
def test_all_and_exists_absorb_errors_like_cel(rule: str, expected: bool | None) -> None:
    # cel-go expands all() to a fold of '&&' that stops once false, exists() to one of '||'.
    if expected is None:
        with pytest.raises(CelEvalError, match="no such key: missing"):
            parse(rule).evaluate(SELF)
    else:
        assert parse(rule).evaluate(SELF) is expected


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ("[1, 'x'].all(v, v > 0)", "no such overload: string > int"),  # no element decides
        ("['x', 0].exists(v, v > 0)", "no such overload: string > int"),
        ("[1, 'x'].all(v, v == 1 ? true : v)", "no matching overload: string result"),
    ],
)
def test_undecided_all_and_exists_raise_the_error(rule: str, error: str) -> None:
    with pytest.raises(CelEvalError, match=re.escape(error)):
        parse(rule).evaluate(SELF)


def test_negating_the_smallest_int_overflows() -> None:
    assert parse("-9223372036854775808 == self.small").evaluate(SELF) is True
    assert parse("-(-9223372036854775807) == 9223372036854775807").evaluate(SELF) is True
    for rule in ("-(-9223372036854775808) > 0", "-self.small > 0", "-(self.small) != 0"):
        with pytest.raises(CelEvalError, match=r"^integer overflow"):
            parse(rule).evaluate(SELF)
    # Doubles have no such limit.
    assert parse("-(-9223372036854775808.0) > 0.0").evaluate(SELF) is True


def test_errors_never_escape_as_python_exceptions() -> None:
    deep = "(" * 400 + "true" + ")" * 400
    with pytest.raises(CelSyntaxError, match="nests deeper than 250 levels"):
        parse(deep)
    assert parse("(" * 100 + "true" + ")" * 100).evaluate(SELF) is True
    nested: list[Any] = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(CelEvalError, match="nests too deeply"):
        parse("[self] == [self]").evaluate(nested)


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ("self.name.lowerAscii(1) == 'x'", "no matching overload for 'lowerAscii'"),
        ("self.name.frobnicate() == 1", "undeclared reference to 'frobnicate'"),
        ("frobnicate(self.name)", "undeclared reference to 'frobnicate'"),
        ("self.name.startsWith()", "no matching overload for 'startsWith' with 0 argument(s)"),
        ("self.name.size(1) == 1", "no matching overload for 'size' with 1 argument(s)"),
        ("matches(self.name) ", "no matching overload for 'matches' with 1 argument(s)"),
        ("self.tags.map(t)", "undeclared reference to 'map'"),
        ("self.tags.exists_one()", "undeclared reference to 'exists_one'"),
        ("self.tags.map(t, t, t, t)", "undeclared reference to 'map'"),
        ("self.tags.exists(t.x, true)", "exists() argument must be a simple name"),
        ("self.tags.all('t', true)", "all() argument must be a simple name"),
        ("self.tags.all(true, true)", "all() argument must be a simple name"),
        ("self.tags.all(t, t, true)", "all(): duplicate variable name 't'"),
        ("self.tags.all(t, true) && t == 'a'", "undeclared reference to 't'"),  # out of scope
        ("self.name.matches('[a-')", "invalid regular expression '[a-'"),  # checked with the rule
        ("self.name.find('(a')", "invalid regular expression '(a'"),
        ("9223372036854775808 > 0", "invalid int literal 9223372036854775808"),
        ("18446744073709551616u > 0u", "invalid uint literal 18446744073709551616u"),
        ("'\\ud800' == self.name", "invalid code point in escape"),
        ("spec.name == 'x'", "undeclared reference to 'spec.name'"),
        ("has(self)", "invalid argument to has() macro"),
        ("self.count == ", "unexpected 'end of expression'"),
        ("(self.count == 3", "expected ')'"),
        ("self.count = 3", "unexpected character '='"),
        ("self.name == 'unterminated", "unexpected character"),
        ("'\\q' == self.name", "invalid escape sequence \\q"),
        ("self.if == 1", ""),  # reserved words are fine as field names ...
        ("if == 1", "reserved identifier 'if'"),  # ... not as identifiers
        ("Message{a: 1}.a == 1", "undeclared message type 'Message'"),  # a rule has none
        ("google.protobuf.Int64Value{val: 1} == 1", "undefined field 'val'"),
        ("google.protobuf.Any{type_url: 'x', value: b''} == 1", "serialized protocol buffer"),
    ],
)
def test_rules_the_api_server_would_refuse_are_refused(rule: str, error: str) -> None:
    if not error:
        parse(rule)
        return
    with pytest.raises(CelSyntaxError, match=re.escape(error)):
        parse(rule)


@pytest.mark.parametrize(
    "rule",
    [
        "google.protobuf.Int64Value{value: self.count} == self.count",
        "google.protobuf.Int32Value{} == 0 && google.protobuf.StringValue{} == ''",
        "dyn(google.protobuf.Value{}) == null",
        "google.protobuf.Duration{seconds: 90} == duration('1m30s')",
        ".google.protobuf.BoolValue{value: true}",
    ],
)
def test_well_known_message_types_are_part_of_the_language(rule: str) -> None:
    # The API server (cel-go) accepts them in a CRD rule: a wrapper is its plain value.
    assert parse(rule).evaluate({"count": 3}) is True


def test_transition_rules_are_recognised_and_not_evaluated() -> None:
    rule = parse("self.name == oldSelf.name")
    assert rule.is_transition_rule
    assert not parse("self.name == 'x'").is_transition_rule
    with pytest.raises(CelEvalError, match="needs oldSelf"):
        rule.evaluate(SELF)


# Random boolean formulas over has() and comparisons, against Python's evaluation of them.

ATOMS: list[tuple[str, bool]] = [
    ("has(self.name)", True),
    ("has(self.missing)", False),
    ("self.count == 3", True),
    ("self.count > 3", False),
    ("self.provider != 'aws'", False),
    ("'a' in self.tags", True),
    ("size(self.tags) >= 2", True),
    ("true", True),
    ("false", False),
]


def formulas() -> st.SearchStrategy[tuple[str, bool]]:
    def extend(children: st.SearchStrategy[tuple[str, bool]]) -> st.SearchStrategy[Any]:
        pairs = st.tuples(children, children)
        return st.one_of(
            children.map(lambda c: (f"!({c[0]})", not c[1])),
            pairs.map(lambda p: (f"({p[0][0]}) && ({p[1][0]})", p[0][1] and p[1][1])),
            pairs.map(lambda p: (f"({p[0][0]}) || ({p[1][0]})", p[0][1] or p[1][1])),
            pairs.map(lambda p: (f"({p[0][0]}) == ({p[1][0]})", p[0][1] == p[1][1])),
            st.tuples(children, children, children).map(
                lambda t: (
                    f"({t[0][0]}) ? ({t[1][0]}) : ({t[2][0]})",
                    t[1][1] if t[0][1] else t[2][1],
                )
            ),
        )

    return st.recursive(st.sampled_from(ATOMS), extend, max_leaves=12)


@given(formulas())
def test_random_formulas_match_python(formula: tuple[str, bool]) -> None:
    text, expected = formula
    assert parse(text).evaluate(SELF) is expected


@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=6), st.data())
def test_unparenthesised_precedence(atoms: list[tuple[str, bool]], data: st.DataObject) -> None:
    # a || b && c || d ...: '&&' groups first, so the value is an OR of AND-groups.
    ops = [data.draw(st.sampled_from(["&&", "||"])) for _ in atoms[1:]]
    text = atoms[0][0] + "".join(
        f" {op} {atom}" for op, (atom, _) in zip(ops, atoms[1:], strict=True)
    )
    groups = [[atoms[0][1]]]
    for op, (_, value) in zip(ops, atoms[1:], strict=True):
        if op == "||":
            groups.append([])
        groups[-1].append(value)
    assert parse(text).evaluate(SELF) is any(all(group) for group in groups)


# The rules of the vendored CRDs, through the converted schemas and the validator.

ARTIFACT_GENERATOR = """\
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: monorepo, namespace: flux-system}
spec:
  sources: [{alias: repo, kind: GitRepository, name: monorepo}]
  artifacts:
    - name: frontend
      copy: [{from: "@repo/apps/frontend/**", to: "@artifact/"}]
"""
NAMES_MESSAGE = "artifact names must be valid Kubernetes object names when pathPattern is not set"
# The rule's pattern, a DNS-1123 subdomain without the length limit, as an independent oracle.
OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def artifact_generator(names: list[str], path_pattern: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ARTIFACT_GENERATOR)
    template = document["spec"]["artifacts"][0]
    document["spec"]["artifacts"] = [{**copy.deepcopy(template), "name": n} for n in names]
    if path_pattern is not None:
        document["spec"]["pathPattern"] = path_pattern
    return document


def problems(document: object, store: SchemaStore | None = None) -> list[str]:
    store = store or SchemaStore([FLUX_SCHEMAS])
    return [
        f"{p.path}: {p.message}" for p in validate_documents([document], source="t", store=store)
    ]


def test_the_artifact_generator_rule_is_in_its_converted_schema() -> None:
    schema = json.loads(
        (FLUX_SCHEMAS / "source.extensions.fluxcd.io_v1beta1_artifactgenerator.json").read_text()
    )
    [rule] = schema["properties"]["spec"]["x-kubernetes-validations"]
    assert ".all(a, a.name.matches(" in rule["rule"]
    assert rule["message"] == NAMES_MESSAGE


@pytest.mark.parametrize(
    ("names", "path_pattern", "valid"),
    [
        (["frontend"], None, True),
        (["frontend", "backend.v2", "0-a.b-1"], None, True),
        (["frontend", "Backend"], None, False),  # one bad name fails all()
        (["web_app"], None, False),
        (["-web"], None, False),
        (["web."], None, False),
        (["frontend\n"], None, False),  # RE2's '$' does not match before a final newline
        (["{app}", "Backend"], "@repo/apps/{app}", True),  # with a pathPattern, names are free
        (["{app}"], "", False),  # an empty pathPattern counts as none (and breaks its pattern)
    ],
)
def test_artifact_generator_names_rule(
    names: list[str], path_pattern: str | None, valid: bool
) -> None:
    found = problems(artifact_generator(names, path_pattern))
    assert (f"spec: {NAMES_MESSAGE}" not in found) is valid
    assert all("could not be evaluated" not in p for p in found)
    if path_pattern != "":
        assert found == ([] if valid else [f"spec: {NAMES_MESSAGE}"])


def test_artifact_generator_fixture_text_validates() -> None:
    store = SchemaStore([FLUX_SCHEMAS])
    text = ARTIFACT_GENERATOR.replace("name: frontend", "name: Frontend")
    assert validate_documents(load_documents(ARTIFACT_GENERATOR), source="a", store=store) == []
    [problem] = validate_documents(load_documents(text), source="a.yaml", store=store)
    assert str(problem) == f"a.yaml#0 ArtifactGenerator/monorepo: spec: {NAMES_MESSAGE}"


@settings(max_examples=200, deadline=None)
@given(names=st.lists(st.text(alphabet="az09-._A\n", min_size=1, max_size=8), min_size=1))
def test_artifact_generator_names_against_an_oracle(names: list[str]) -> None:
    valid = all(OBJECT_NAME.fullmatch(name) for name in names)
    assert problems(artifact_generator(names)) == ([] if valid else [f"spec: {NAMES_MESSAGE}"])
    assert problems(artifact_generator(names, "@repo/{name}")) == []


def test_a_rule_that_errors_is_a_problem_not_an_exception() -> None:
    # The same rule on a spec without artifacts: the required field is missing, and all() has
    # no list to range over, as the API server reports it (an evaluation error fails the rule).
    document = artifact_generator(["frontend"])
    del document["spec"]["artifacts"]
    required, failed = problems(document)[::-1]
    assert required == "spec.artifacts: 'artifacts' is a required property"
    assert failed.startswith('spec: rule "has(self.pathPattern) && size(self.pathPattern) > 0 ||')
    assert failed.endswith(" could not be evaluated: no such key: artifacts")


def test_rules_are_compiled_once_per_schema_not_per_document() -> None:
    _engine._program.cache_clear()
    cel.parse.cache_clear()
    go_regex.cache_clear()
    _functions._re2.cache_clear()
    store = SchemaStore([FLUX_SCHEMAS])
    documents = [artifact_generator([f"app-{i}", f"lib-{i}"]) for i in range(50)]
    with (
        mock.patch.object(cel, "compile_expression", wraps=cel.compile_expression) as compile_rule,
        mock.patch("gitops_core.checks.go_regex", wraps=go_regex) as compile_regex,
    ):
        assert validate_documents(documents, source="many", store=store) == []
    compile_rule.assert_called_once()
    # The rule's regular expression (the schema's own patterns come through go_regex too).
    rule_pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
    assert [c for c in compile_regex.call_args_list if c.args == (rule_pattern,)] == [
        mock.call(rule_pattern)
    ]


WIDGETS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-preserve-unknown-fields: true
              x-kubernetes-validations:
                - rule: self.ports.all(p, p.port > 0)
                  message: ports must be positive
                - rule: self.ports.exists_one(p, has(p.primary) && p.primary)
                  message: exactly one port is primary
                - rule: self.ports.map(p, p.name).filter(n, n.startsWith('http')).size() <= 1
                  message: at most one http port
                - rule: self.hosts.all(h, h.endsWith('.example.com') || h.contains('localhost'))
                  message: hosts must be in example.com
"""


def test_a_third_party_crd_with_macros_converts_and_validates(tmp_path: Path) -> None:
    (tmp_path / "widgets.yaml").write_text(WIDGETS)
    out = tmp_path / "schemas"
    assert convert([str(tmp_path / "widgets.yaml"), "--out", str(out)]) == 0
    store = SchemaStore([out])

    def widget(spec: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, **spec}

    good = {"ports": [{"name": "http", "port": 80, "primary": True}], "hosts": ["a.example.com"]}
    assert problems(widget({"spec": good}), store) == []
    bad = {
        "ports": [
            {"name": "http", "port": 0, "primary": True},
            {"name": "https", "port": 443, "primary": True},
            {"name": "grpc", "port": "9090"},
        ],
        "hosts": ["localhost", "example.org"],
    }
    assert problems(widget({"spec": bad}), store) == [
        "spec: at most one http port",
        "spec: exactly one port is primary",
        "spec: hosts must be in example.com",
        "spec: ports must be positive",  # port 0 is false, so the "9090" > 0 error is absorbed
    ]
    odd = {"ports": [{"name": 80, "port": "80", "primary": "yes"}], "hosts": "example.com"}
    assert problems(widget({"spec": odd}), store) == [
        "spec: rule \"self.hosts.all(h, h.endsWith('.example.com') || h.contains('localhost'))\" "
        "could not be evaluated: no such overload: string.all()",
        "spec: rule \"self.ports.map(p, p.name).filter(n, n.startsWith('http')).size() <= 1\" "
        "could not be evaluated: no such overload: startsWith(int, string)",
        "spec: rule 'self.ports.all(p, p.port > 0)' could not be evaluated: "
        "no such overload: string > int",
        "spec: rule 'self.ports.exists_one(p, has(p.primary) && p.primary)' could not be "
        "evaluated: no matching overload: logical operator on string",
    ]


def test_a_hand_written_schema_with_an_unsupported_rule_gives_problems(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "apiVersion": {"const": "example.com/v1"},
            "kind": {"const": "Gadget"},
            "spec": {
                "type": "object",
                "x-kubernetes-validations": [{"rule": "self.name.frobnicate() == self.name"}],
            },
        },
    }
    (tmp_path / "example.com_v1_gadget.json").write_text(json.dumps(schema))
    gadget = {"apiVersion": "example.com/v1", "kind": "Gadget", "spec": {"name": "x"}}
    expected = [
        "spec: rule 'self.name.frobnicate() == self.name' cannot be evaluated: "
        "undeclared reference to 'frobnicate'"
    ]
    store = SchemaStore([tmp_path])
    assert problems(gadget, store) == expected
    assert problems(gadget, store) == expected  # the refusal is kept, not raised on a later use
