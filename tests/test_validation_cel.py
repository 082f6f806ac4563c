"""The CEL subset: parsing, CEL's evaluation semantics, and refusal of what it does not cover."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_core.validation.cel import CelEvalError, CelSyntaxError, parse

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
    ],
)
def test_rules_evaluate_as_cel_does(rule: str, expected: bool) -> None:
    assert parse(rule).evaluate(SELF) is expected


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ("self.missing == 'x'", "no such key: missing"),
        ("has(self.missing.field)", "no such key: missing"),
        ("self.name.first == 'x'", "cannot select field 'first' from string"),
        ("self.count < 'x'", "no such overload: int < string"),
        ("self.tags[5] == 'x'", "index out of range: 5"),
        ("size(self.count) == 1", "no such overload: size(int)"),
        ("!self.count", "operand of '!' must be a bool"),
        ("self.count", "a rule's result must be a bool"),
        ("'a' in self.name", "no such overload: string in string"),
        ("self.missing || false", "no such key: missing"),
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
    ("rule", "error"),
    [
        ("self.name.startsWith('R')", "unsupported method startsWith()"),
        ("self.tags.all(t, t != '')", "unsupported method all()"),
        ("matches(self.name, 'x')", "unsupported function matches()"),
        ("spec.name == 'x'", "undeclared reference to 'spec'"),
        ("has(self)", "has() needs a field selection"),
        ("self.count == ", "unexpected 'end of rule'"),
        ("(self.count == 3", "expected ')'"),
        ("self.count = 3", "unexpected character '='"),
        ("self.name == 'unterminated", "unexpected character"),
        ("r'raw' == self.name", "undeclared reference to 'r'"),
        ("self.count + 1 == 4", "unexpected character '+'"),
        ("'\\q' == self.name", "unsupported escape"),
    ],
)
def test_syntax_outside_the_subset_is_refused(rule: str, error: str) -> None:
    with pytest.raises(CelSyntaxError, match=re.escape(error)):
        parse(rule)


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
