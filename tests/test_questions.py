"""Question files and answers: schema errors with JSON paths, coercion, defaults, conditions."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_core.errors import SetOnlyAnswersError, UsageError
from gitops_core.models import DetectedPackage, Question, Validator
from gitops_core.questions import (
    AnswerError,
    QuestionFileError,
    check_one_package_answers,
    coerce_answer,
    load_questions,
    normalize_repo_path,
    questions_as_data,
    resolve_answers,
    shared_questions,
)
from gitops_core.resources import schema_dir

HELM = DetectedPackage(path="charts/a", type="helm", name="a", confidence="high")
KUSTOMIZE = DetectedPackage(path="k", type="kustomize", name="k", confidence="high")

GOOD = """
questions:
  - id: first
    question: First?
  - id: second
    question: Second?
    type: confirm
    default: true
  - id: third
    question: Third?
    type: select
    options:
      - {value: a, label: A}
      - {value: b, label: B, description: the b one}
    default: a
"""


def test_a_valid_file_loads_into_questions() -> None:
    questions = load_questions(GOOD, "good.yaml")
    assert [q.id for q in questions] == ["first", "second", "third"]
    assert questions[1].default is True
    assert questions[2].options[1].description == "the b one"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    default: a\n", "    default: 3\n"), "bad.yaml: $.questions[2].default: "),
        (("    default: true\n", "    default: maybe\n"), "bad.yaml: $.questions[1].default: "),
        (("  - id: first\n", "  - id: First\n"), "bad.yaml: $.questions[0].id: "),
        (
            ("    question: Second?\n", "    question: Second?\n    colour: red\n"),
            "bad.yaml: $.questions[1]: Additional properties are not allowed ('colour'",
        ),
        (("    type: select\n", "    type: slider\n"), "bad.yaml: $.questions[2].type: "),
    ],
)
def test_a_bad_file_names_the_file_and_json_path(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(QuestionFileError) as caught:
        load_questions(GOOD.replace(*change), "bad.yaml")
    assert str(caught.value).startswith(expected), str(caught.value)


def test_a_select_default_outside_its_options_is_refused_with_its_path() -> None:
    with pytest.raises(QuestionFileError, match=r"\$\.questions\[2\]\.default: 'c' is not one"):
        load_questions(GOOD.replace("    default: a\n", "    default: c\n"), "q.yaml")


def test_duplicate_ids_are_refused() -> None:
    text = 'questions:\n  - {id: a, question: "A?"}\n  - {id: a, question: "B?"}\n'
    with pytest.raises(QuestionFileError, match=r"\$\.questions\[1\]\.id: duplicate"):
        load_questions(text, "q.yaml")


def test_shared_questions_are_the_spec_ids_in_order() -> None:
    ids = [q.id for q in shared_questions()]
    assert ids == [
        "gitRepoUrl",
        "gitRepoPath",
        "targetRevision",
        "destinationNamespace",
        "valueFiles",
        "outputPath",
    ]


def test_questions_as_data_is_valid_against_the_schema_and_loads_back() -> None:
    schema = json.loads((schema_dir("gitops_core", "") / "question.schema.json").read_text())
    data = questions_as_data(shared_questions())
    jsonschema.Draft202012Validator(schema).validate(data)
    import yaml

    assert load_questions(yaml.safe_dump(data), "x") == shared_questions()


CONFIRM = Question(id="prune", question="Prune?", type="confirm", default=True)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("yes", True), ("No", False), ("true", True), ("0", False), (True, True), (False, False)],
)
def test_confirm_answers_from_text_and_json_agree(raw: object, value: bool) -> None:
    assert coerce_answer(CONFIRM, raw) is value


@pytest.mark.parametrize("raw", ["maybe", 1, None, ["yes"]])
def test_a_bad_confirm_answer_names_the_question(raw: object) -> None:
    with pytest.raises(AnswerError, match=r"^prune: .* expected yes/no or true/false$"):
        coerce_answer(CONFIRM, raw)


def _q(check: str) -> Question:
    return Question(id="x", question="X?", validate=Validator(check=check))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        ("dns1123-label", ["a", "my-app", "a" * 63], ["My", "-a", "a-", "a.b", "a" * 64, "a_b"]),
        (
            "go-duration",
            ["1m", "1h30m", "1.5h", "500ms"],
            ["1d", "1 m", "-1m", "5", "1m\n", "0s", "0m0s"],
        ),
        (
            "git-url",
            [
                "https://github.com/o/r.git",
                "ssh://git@h:2222/o/r",
                "git@github.com:o/r.git",
                "http://gitea.local/o/r",
            ],
            ["ftp://h/r", "https://", "/local/path", "file:///x", "h"],
        ),
        (
            "relative-path",
            ["charts/a", "./a/", "a\\b", "."],
            ["/abs", "../up", "a/../../up", "C:/x"],
        ),
    ],
)
def test_named_checks_accept_and_refuse(check: str, good: list[str], bad: list[str]) -> None:
    for value in good:
        coerce_answer(_q(check), value)
    for value in bad:
        with pytest.raises(AnswerError, match=r"^x: "):
            coerce_answer(_q(check), value)


def test_relative_paths_are_normalised() -> None:
    assert normalize_repo_path("./charts\\app/") == "charts/app"
    assert normalize_repo_path("./") == "."
    assert coerce_answer(_q("relative-path"), "a/./b//c/") == "a/b/c"


@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cret@github.com/o/r.git",
        "https://s3cret@github.com/o/r.git",
        "ssh://git:s3cret@host/o/r",
        "oauth2:s3cret@github.com:o/r.git",
    ],
)
def test_credentials_in_a_url_are_refused_and_never_echoed(url: str) -> None:
    with pytest.raises(AnswerError) as caught:
        coerce_answer(_q("git-url"), url)
    assert "s3cret" not in str(caught.value)
    assert "secretRef" in str(caught.value)


@pytest.mark.parametrize(
    "raw", ["a\nb", "a\rb", "---\nkind: Secret", "a\x00b", "a\u2028b", "\u202eab"]
)
def test_text_with_line_breaks_or_control_characters_is_refused(raw: str) -> None:
    with pytest.raises(AnswerError, match="control character"):
        coerce_answer(Question(id="x", question="X?"), raw)


def test_a_select_answer_must_be_an_option() -> None:
    question = load_questions(GOOD, "q")[2]
    assert coerce_answer(question, "b") == "b"
    with pytest.raises(AnswerError, match=r"^third: 'c' is not a choice; expected one of a, b$"):
        coerce_answer(question, "c")


@given(st.text(max_size=200))
def test_any_text_answer_is_accepted_verbatim_or_refused_with_the_question_id(raw: str) -> None:
    question = Question(id="anything", question="?")
    try:
        value = coerce_answer(question, raw)
    except AnswerError as exc:
        assert str(exc).startswith("anything: ")
    else:
        assert value == (raw or None)


def test_resolve_prefers_given_answers_then_defaults_then_question_defaults() -> None:
    questions = load_questions(GOOD, "q")
    answers, missing = resolve_answers(
        questions, package=HELM, provided={"second": "no"}, defaults={"third": "b", "first": "f"}
    )
    assert answers == {"first": "f", "second": False, "third": "b"}
    assert missing == []


def test_resolve_lists_every_missing_required_answer() -> None:
    answers, missing = resolve_answers(shared_questions(), package=HELM, provided={})
    assert missing == [
        "gitRepoUrl",
        "gitRepoPath",
        "targetRevision",
        "destinationNamespace",
        "outputPath",
    ]
    assert answers == {}


def test_resolve_refuses_unknown_ids_and_names_them() -> None:
    with pytest.raises(
        UsageError, match=r"^unknown question id colour; known: first, second, third$"
    ):
        resolve_answers(load_questions(GOOD, "q"), package=HELM, provided={"colour": "red"})


def test_resolve_reports_every_bad_answer_on_its_own_line() -> None:
    with pytest.raises(AnswerError) as caught:
        resolve_answers(
            shared_questions(),
            package=HELM,
            provided={"destinationNamespace": "Bad_NS", "gitRepoUrl": "ftp://x/y"},
        )
    lines = str(caught.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["gitRepoUrl", "destinationNamespace"]


def test_conditions_skip_questions_for_other_package_types_and_answers() -> None:
    text = """
questions:
  - {id: helmOnly, question: "H?", default: h, when: {packageType: [helm]}}
  - {id: gate, question: "G?", type: confirm, default: false}
  - {id: gated, question: "D?", required: true, when: {answer: gate}}
"""
    questions = load_questions(text, "q")
    answers, missing = resolve_answers(questions, package=KUSTOMIZE, provided={})
    assert answers == {"gate": False} and missing == []
    answers, missing = resolve_answers(questions, package=HELM, provided={"gate": "yes"})
    assert answers == {"helmOnly": "h", "gate": True} and missing == ["gated"]


def test_a_condition_can_name_the_values_of_a_select_answer() -> None:
    text = """
questions:
  - id: policy
    question: "Policy?"
    type: select
    options: [{value: manual, label: M}, {value: auto, label: A}, {value: fast, label: F}]
    default: manual
  - {id: heal, question: "Heal?", type: confirm, default: true,
     when: {answer: policy, in: [auto, fast]}}
"""
    questions = load_questions(text, "q")
    assert questions[1].when is not None and questions[1].when.in_ == ("auto", "fast")
    assert resolve_answers(questions, package=HELM, provided={})[0] == {"policy": "manual"}
    answers, _ = resolve_answers(questions, package=HELM, provided={"policy": "fast"})
    assert answers == {"policy": "fast", "heal": True}
    with pytest.raises(QuestionFileError, match=r"\$\.questions\[1\]\.when: 'answer' is a dep"):
        load_questions(text.replace("answer: policy, ", ""), "q")


def test_a_bad_answer_to_a_question_that_does_not_apply_is_still_refused() -> None:
    questions = load_questions(
        GOOD.replace(
            "    default: true\n", "    default: true\n    when: {packageType: [kustomize]}\n"
        ),
        "q",
    )
    assert "second" not in resolve_answers(questions, package=HELM, provided={"second": "no"})[0]
    with pytest.raises(AnswerError, match=r"^second: 'maybe' is not yes or no"):
        resolve_answers(questions, package=HELM, provided={"second": "maybe"})


@pytest.mark.parametrize(
    "url", ["https://user:to/s3cret@github.com/o/r.git", "ftp://u:p@s3cret@host/x"]
)
def test_a_refused_url_is_shown_without_anything_before_its_last_at(url: str) -> None:
    with pytest.raises(AnswerError) as caught:
        coerce_answer(_q("git-url"), url)
    assert "s3cret" not in str(caught.value) and "***@" in str(caught.value)


@pytest.mark.parametrize("revision", [" main", "main ", "main\t"])
def test_a_revision_with_spaces_at_either_end_is_refused(revision: str) -> None:
    with pytest.raises(AnswerError, match=r"^targetRevision: "):
        coerce_answer(shared_questions()[2], revision)
    assert coerce_answer(shared_questions()[2], ">= 1.0, < 2") == ">= 1.0, < 2"


# --- questions asked only for a whole set ---------------------------------------------------

SET_ONLY = """
questions:
  - id: bundled
    question: One object for the whole set?
    type: confirm
    default: false
    scope: set
  - id: mode
    question: Mode?
    default: fast
    scope: set
"""


def test_a_question_for_sets_only_says_so_in_its_data() -> None:
    bundled, _ = load_questions(SET_ONLY, "set.yaml")
    assert bundled.scope == "set" and not bundled.for_one_package
    assert CONFIRM.scope == "any" and CONFIRM.for_one_package
    schema = json.loads((schema_dir("gitops_core", "") / "question.schema.json").read_text())
    data = questions_as_data((bundled, CONFIRM))
    jsonschema.Draft202012Validator(schema).validate(data)
    # Only a set question carries the key: "any" is the default, left out.
    assert [q.get("scope") for q in data["questions"]] == ["set", None]
    assert load_questions(json.dumps(data), "x") == (bundled, CONFIRM)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    scope: set\n  - id: mode", "    scope: sets\n  - id: mode"), "$.questions[0].scope"),
        # One package's run never asks it, so it cannot be required there.
        (("    default: fast\n", "    required: true\n"), "$.questions[1].required: False was"),
    ],
)
def test_a_set_question_is_set_or_any_and_never_required(
    change: tuple[str, str], expected: str
) -> None:
    with pytest.raises(QuestionFileError) as caught:
        load_questions(SET_ONLY.replace(*change), "set.yaml")
    assert str(caught.value).startswith(f"set.yaml: {expected}"), str(caught.value)


def test_answers_for_a_set_are_refused_for_one_package_unless_they_change_nothing() -> None:
    questions = (*load_questions(SET_ONLY, "set.yaml"), CONFIRM)
    check_one_package_answers(questions, {"prune": "no"})  # not a set question
    # The default changes nothing (answers files saved from one package hold it): accepted.
    check_one_package_answers(questions, {"bundled": "false", "mode": "fast", "prune": None})
    check_one_package_answers(questions, {"bundled": False, "mode": None})
    with pytest.raises(SetOnlyAnswersError) as caught:
        check_one_package_answers(questions, {"bundled": "yes", "mode": "slow"})
    assert caught.value.ids == ("bundled", "mode")
    assert str(caught.value) == (
        "bundled, mode are answered only for a whole set of packages, not for one package"
    )
    assert caught.value.exit_code == 2 and caught.value.remedy == "whole-set"
    # A malformed answer is left to resolve_answers, which says it with every other problem.
    check_one_package_answers(questions, {"bundled": "perhaps"})
