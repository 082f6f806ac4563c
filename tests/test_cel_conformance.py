"""The CEL specification's conformance tests (shared/cel-spec) on the files that concern CRD
rules: at least 95% pass, nothing evaluated wrongly, every other case refused with a message.

The rate counts every case of those files. Protocol buffer messages are evaluated: the
well-known types are part of the language, and the harness declares the specification's test
message types (``TestAllTypes``, ``NestedTestAllTypes``) as a cel-go environment would. Only a
``google.protobuf.Any`` built from serialized bytes is refused among them; ``type_deduction``
checks a type checker's deductions, which the evaluator does not make.
"""

from __future__ import annotations

import pytest
from cel_conformance import CRD_FILES, SPEC, Outcome, Tally, ours, run

pytestmark = pytest.mark.skipif(not SPEC.is_dir(), reason=f"no CEL conformance data at {SPEC}")


@pytest.fixture(scope="module")
def results() -> dict[str, list[Outcome]]:
    return run(CRD_FILES, ours)


def test_nothing_is_evaluated_wrongly(results: dict[str, list[Outcome]]) -> None:
    wrong = [
        f"{o.case.label}: {o.case.expr!r}: {o.detail}"
        for outcomes in results.values()
        for o in outcomes
        if o.result == "wrong"
    ]
    assert wrong == []


def test_every_case_not_passed_is_refused_with_a_message(results: dict[str, list[Outcome]]) -> None:
    for outcomes in results.values():
        for outcome in outcomes:
            if outcome.result in ("refused", "kubernetes"):
                assert outcome.detail.strip(), outcome.case.label


def test_pass_rate_on_the_crd_relevant_files(results: dict[str, list[Outcome]]) -> None:
    everything = [o for outcomes in results.values() for o in outcomes]
    total = Tally.of(everything)
    assert total.cases == 1787
    assert total.rate >= 95.0, total
    for name, outcomes in results.items():
        tally = Tally.of(outcomes)
        if name != "type_deduction":  # its cases test a type checker's deductions
            assert tally.rate >= 95.0, (name, tally)


def test_only_serialized_any_messages_are_refused(results: dict[str, list[Outcome]]) -> None:
    refused = [
        o.case.label
        for outcomes in results.values()
        for o in outcomes
        if o.result == "refused" and o.case.file != "type_deduction"
    ]
    assert len(refused) == 12
    for outcomes in results.values():
        for o in outcomes:
            if o.case.label in refused:
                assert "google.protobuf.Any" in o.detail, o.case.label


@pytest.mark.parametrize(
    "name",
    ["basic", "conversions", "fp_math", "integer_math", "lists", "logic", "macros", "macros2",
     "parse", "plumbing", "string", "string_ext", "timestamps", "optionals", "math_ext",
     "bindings_ext", "namespace"],
)  # fmt: skip
def test_files_pass_whole(name: str, results: dict[str, list[Outcome]]) -> None:
    tally = Tally.of(results[name])
    assert tally.passed == tally.cases, [
        o.case.label for o in results[name] if o.result != "passed"
    ]
