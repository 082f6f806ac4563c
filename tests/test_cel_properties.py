"""Property tests of the CEL evaluator against reference semantics written out in Python:
int64 arithmetic with overflow errors, Go's truncating division, code-point strings,
heterogeneous equality, and round trips through string()."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_core.validation.cel import CelEvalError, Program, compile_expression
from gitops_core.validation.cel._values import Duration

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
SETTINGS = settings(max_examples=300, deadline=None)
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
JSON = st.recursive(
    st.none() | st.booleans() | INT64 | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@functools.cache
def program(source: str) -> Program:
    return compile_expression(source, frozenset({"a", "b", "s", "t", "self"}))


def run(source: str, **variables: Any) -> Any:
    return program(source).run(variables)[0]


def in_int64(value: int) -> bool:
    return -(2**63) <= value < 2**63


def truncated_division(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


@SETTINGS
@given(a=INT64, b=INT64, op=st.sampled_from(["+", "-", "*", "/", "%"]))
def test_int_arithmetic_is_int64_with_overflow_errors(a: int, b: int, op: str) -> None:
    if op in "/%" and b == 0:
        with pytest.raises(CelEvalError, match=r"division by zero|modulus by zero"):
            run(f"a {op} b", a=a, b=b)
        return
    quotient = truncated_division(a, b) if op in "/%" else 0
    expected = {
        "+": a + b,
        "-": a - b,
        "*": a * b,
        "/": quotient,
        "%": a - b * quotient,
    }[op]
    if op == "%" and a == -(2**63) and b == -1:
        expected = 2**63  # Go panics here; cel-go reports an overflow
    if in_int64(expected):
        assert run(f"a {op} b", a=a, b=b) == expected
    else:
        with pytest.raises(CelEvalError, match="overflow"):
            run(f"a {op} b", a=a, b=b)


@SETTINGS
@given(a=INT64, b=INT64)
def test_int_comparisons_and_conversions(a: int, b: int) -> None:
    assert run("a < b", a=a, b=b) is (a < b)
    assert run("a >= b", a=a, b=b) is (a >= b)
    assert run("int(string(a)) == a", a=a) is True
    if abs(a) < 2**53:
        assert run("a == double(a) && double(a) == a", a=a) is True


def test_mixed_int_and_uint_arithmetic_has_no_overload() -> None:
    with pytest.raises(CelEvalError, match="no such overload"):
        run("a + 0u", a=1)


@SETTINGS
@given(s=TEXT, t=TEXT)
def test_strings_are_sequences_of_code_points(s: str, t: str) -> None:
    assert run("size(s)", s=s) == len(s)
    assert run("s + t", s=s, t=t) == s + t
    assert run("s.startsWith(t)", s=s, t=t) is s.startswith(t)
    assert run("s.endsWith(t)", s=s, t=t) is s.endswith(t)
    assert run("s.contains(t)", s=s, t=t) is (t in s)
    assert run("s.indexOf(t)", s=s, t=t) == s.find(t)
    assert run("s.lastIndexOf(t)", s=s, t=t) == s.rfind(t)
    assert run("s.reverse().reverse() == s", s=s) is True
    assert run("s < t", s=s, t=t) is (s.encode() < t.encode())  # Go compares UTF-8 bytes
    if t:
        assert run("s.split(t)", s=s, t=t) == s.split(t)
    assert run("s.substring(0, size(s)) == s && s.substring(size(s)) == ''", s=s) is True


@SETTINGS
@given(value=JSON)
def test_equality_is_reflexive_and_membership_follows(value: Any) -> None:
    assert run("self == self && !(self != self)", self=value) is True
    assert run("self in [self] && [self] == [self]", self=value) is True
    assert run("{'k': self} == {'k': self}", self=value) is True


@SETTINGS
@given(ns=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_durations_print_and_read_back(ns: int) -> None:
    assert run("duration(string(a)) == a", a=Duration(ns)) is True
