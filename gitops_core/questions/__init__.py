"""Questions as data: loading question files, coercing and validating answers.

A question file is YAML (``questions: [...]``) validated against ``schemas/question.schema.json``
and then structured into :class:`~gitops_core.models.Question` with cattrs. Answers come as strings
(CLI, answers files) or JSON values (programs, MCP); both go through :func:`coerce_answer`, so
they are checked the same way.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from gitops_core import checks
from gitops_core.checks import did_you_mean
from gitops_core.errors import AnswerError, QuestionFileError, SetOnlyAnswersError, UsageError
from gitops_core.models import CheckName, DetectedPackage, Question, Value
from gitops_core.resources import package_dir, schema_dir
from gitops_core.serialization import structure, unstructure
from gitops_core.yamlio import InvalidYAML, safe_load

__all__ = [
    "AnswerError",
    "QuestionFileError",
    "check_one_package_answers",
    "check_question_ids",
    "coerce_answer",
    "load_questions",
    "normalize_repo_path",
    "resolve_answers",
    "shared_questions",
]


@functools.cache
def _question_schema_validator() -> Any:
    import jsonschema  # deferred: jsonschema is the heaviest import on the start-up path

    text = (schema_dir("gitops_core", "") / "question.schema.json").read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def load_questions(text: str, source: str) -> tuple[Question, ...]:
    """Parse and check a question file; ``source`` names it in error messages."""
    try:
        data = safe_load(text)
    except InvalidYAML as exc:
        raise QuestionFileError(f"{source}: not valid YAML: {exc}") from None
    errors = list(_question_schema_validator().iter_errors(data))
    if errors:
        # The deepest error names the field at fault; shallower ones restate it for the parent.
        first = max(errors, key=lambda e: len(e.absolute_path))
        raise QuestionFileError(f"{source}: {first.json_path}: {first.message}")
    questions = structure(data["questions"], tuple[Question, ...], source, QuestionFileError)
    seen: set[str] = set()
    for index, question in enumerate(questions):
        if question.id in seen:
            raise QuestionFileError(
                f"{source}: $.questions[{index}].id: duplicate question id {question.id!r}"
            )
        seen.add(question.id)
        if question.type == "select" and question.default is not None:
            values = [o.value for o in question.options]
            if question.default not in values:
                raise QuestionFileError(
                    f"{source}: $.questions[{index}].default: {question.default!r} "
                    f"is not one of the options {values}"
                )
    return questions


def load_package_questions(package: str, resource: str = "questions.yaml") -> tuple[Question, ...]:
    """Load a question file shipped inside an installed package (checked once per version of
    the file: :mod:`gitops_core.cache`)."""
    from gitops_core.cache import cached

    source = f"{package}/{resource}"
    return cached(package_dir(package) / resource, "questions", lambda t: load_questions(t, source))


@functools.cache
def shared_questions() -> tuple[Question, ...]:
    """The questions every provider asks, in the order they are asked (docs/providers.md)."""
    return load_package_questions("gitops_core.questions", "shared.yaml")


# --- answers --------------------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})
# The scheme's length is bounded: unbounded, a search backtracks from every position of a long
# answer without "://" (quadratic: 44 s for 100 kB).
# Up to the last "@" of the URL: tokens may hold "/" or "@" themselves (base64, "p@ss").
_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]{0,31}://)\S*@", re.IGNORECASE)
# user:secret@ without a scheme in front: a URL that a path normalisation has bent.
# Both parts are bounded, so that a long answer without "@" is scanned in linear time.
_USER_SECRET = re.compile(r"[^\s:/@]{1,256}:[^\s:/@]{0,1024}@")
_SCP_LIKE = re.compile(r"(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?!//)(?P<path>\S+)\Z")

_CHECK_TEXT: dict[CheckName, str] = {
    "dns1123-label": (
        "a DNS-1123 label: at most 63 lower-case letters, digits or '-', "
        "starting and ending with a letter or digit"
    ),
    "dns1123-subdomain": (
        "a DNS-1123 subdomain: at most 253 characters of lower-case letters, digits, '-' "
        "and '.', starting and ending with a letter or digit"
    ),
    "go-duration": "a duration such as 30s, 5m or 1h30m (units ms, s, m, h)",
    "git-url": "an https://, http:// or ssh:// Git URL, or scp-like git@host:org/repo.git",
    "relative-path": "a relative path inside the repository, such as charts/my-app",
}


def redact(text: str) -> str:
    """Hide credentials embedded in URLs (``https://user:token@host`` → ``https://***@host``)."""
    text = _CREDENTIALS.sub(r"\g<scheme>***@", text)
    return _USER_SECRET.sub("***@", text) if "@" in text and ":" in text else text


def show_answer(value: str) -> str:
    """An answer quoted in a message: credentials hidden, at most 60 characters."""
    shown = redact(value)
    return repr(shown if len(shown) <= 60 else shown[:57] + "...")


def normalize_repo_path(value: str) -> str:
    """``./charts\\app/`` → ``charts/app``; ``.`` is the root. Refuses absolute, escaping paths."""
    path = value.strip().replace("\\", "/")
    if "://" in path:
        raise ValueError("is a URL")
    if path.startswith("/") or re.match(r"[A-Za-z]:/", path):
        raise ValueError("is absolute")
    normal = posixpath.normpath(path) if path else "."
    if normal == ".." or normal.startswith("../"):
        raise ValueError("climbs out of the repository")
    return normal


def _check_git_url(value: str) -> None:
    from urllib.parse import urlsplit

    if any(char.isspace() for char in value):
        raise ValueError("contains white space")
    scp = _SCP_LIKE.match(value)
    if scp and "://" not in value:
        if "@" in scp["path"]:
            raise _CredentialsInUrl()  # user:token@host:path, read as host "user"
        return
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise ValueError("is not a URL") from None
    if parts.scheme not in {"http", "https", "ssh"} or not parts.hostname or not port_ok:
        raise ValueError("is not a Git URL")
    if parts.password is not None or (parts.scheme != "ssh" and parts.username is not None):
        raise _CredentialsInUrl()


class _CredentialsInUrl(ValueError):
    pass


def _run_check(check: CheckName, value: str) -> str:
    """Run a named check; return the (possibly normalised) value or raise ValueError."""
    if check == "dns1123-label":
        ok = checks.is_dns1123_label(value)
    elif check == "dns1123-subdomain":
        ok = checks.is_dns1123_subdomain(value)
    elif check == "go-duration":
        ok = checks.is_go_duration(value)
    elif check == "git-url":
        _check_git_url(value)
        ok = True
    else:
        return normalize_repo_path(value)
    if not ok:
        raise ValueError("is not accepted")
    return value


def _has_control_characters(value: str) -> bool:
    # Cs: a lone surrogate, what Python makes of a non-UTF-8 byte in argv; no YAML can hold it.
    # A printable string has none of these categories: skip the per-character scan for it.
    return not value.isprintable() and any(
        unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for char in value
    )


def coerce_answer(question: Question, raw: object) -> Value:
    """Turn a raw answer (CLI string or JSON value) into the question's type, or raise.

    Returns ``None`` for an empty text answer (no answer). Raises :class:`AnswerError` naming
    the question and what it accepts.
    """
    if isinstance(raw, str | bool):
        # `generate --all` gives the same answers to thousands of packages: check each once.
        return _coerce_scalar(question, raw)
    return _coerce(question, raw)


@functools.lru_cache(maxsize=1024)
def _coerce_scalar(question: Question, raw: str | bool) -> Value:
    return _coerce(question, raw)


def _coerce(question: Question, raw: object) -> Value:
    def fail(problem: str, accepted: str) -> AnswerError:
        return AnswerError(f"{question.id}: {problem}; expected {accepted}")

    if question.type == "confirm":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise fail(f"{_describe(raw)} is not yes or no", "yes/no or true/false")

    if question.type == "list":
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise fail(f"{_describe(raw)} is not a list", "a list of text, or comma-separated text")
        one = attrs.evolve(question, type="text")
        # Spaces around the commas are layout; any other white space is the item's own.
        values = (_coerce(one, item.strip(" ")) for item in items)
        return tuple(value for value in values if value is not None) or None

    if not isinstance(raw, str):
        raise fail(f"{_describe(raw)} is not text", "a string")
    if _has_control_characters(raw):
        raise fail(
            "contains a line break, control character or invalid byte",
            "a single line of plain UTF-8 text",
        )

    if question.type == "select":
        choices = [option.value for option in question.options]
        if raw not in choices:
            raise fail(f"{show_answer(raw)} is not a choice", "one of " + ", ".join(choices))
        return raw

    if raw == "":
        return None
    validator = question.validate
    if validator is None:
        return raw
    if validator.message:
        accepted = validator.message
    elif validator.check:
        accepted = _CHECK_TEXT[validator.check]
    else:
        accepted = f"text matching {validator.pattern}" if validator.pattern else "text"
    if validator.max_length is not None and len(raw) > validator.max_length:
        raise fail(
            f"is {len(raw)} characters long",
            f"{accepted}, at most {validator.max_length} characters",
        )
    value = raw
    if validator.check is not None:
        try:
            value = _run_check(validator.check, raw)
        except _CredentialsInUrl:
            raise AnswerError(
                f"{question.id}: the URL embeds credentials, which would end up in the manifest; "
                "give the URL without them and let the controller read them from a Secret "
                "(a secretRef)"
            ) from None
        except ValueError as exc:
            raise fail(f"{show_answer(raw)} {exc}", accepted) from None
    if validator.pattern is not None and not checks.go_search(validator.pattern, value):
        raise fail(f"{show_answer(raw)} does not match", accepted)
    return value


def _describe(raw: object) -> str:
    if isinstance(raw, str):
        return show_answer(raw)
    return f"a {type(raw).__name__} value" if raw is not None else "null"


def check_question_ids(questions: Sequence[Question], given: Mapping[str, object]) -> None:
    """Refuse answers to questions the provider does not ask, suggesting the id meant."""
    ids = [question.id for question in questions]
    strays = [key for key in given if key not in ids]
    if not strays:
        return
    named = []
    for key in strays:
        guess = did_you_mean(key, ids)
        named.append(f"{key} (did you mean {guess}?)" if guess else key)
    plural = "s" if len(strays) > 1 else ""
    raise UsageError(f"unknown question id{plural} {', '.join(named)}; known: {', '.join(ids)}")


def check_one_package_answers(questions: Iterable[Question], given: Mapping[str, object]) -> None:
    """Refuse, for one package, answers to questions asked only for a whole set (``scope:
    set``, see :data:`gitops_core.models.QuestionScope`) with :class:`SetOnlyAnswersError`.

    An answer that is the question's default changes nothing and passes: answers files saved
    from one package's run hold every answer, ``applicationSet: false`` among them. A malformed
    answer is left to :func:`resolve_answers`, which refuses it with every other problem.
    """
    refused = []
    for question in questions:
        raw = given.get(question.id)
        if question.for_one_package or raw is None:
            continue
        try:
            value = coerce_answer(question, raw)
        except AnswerError:
            continue
        default = None if question.default is None else coerce_answer(question, question.default)
        if value != default:
            refused.append(question.id)
    if refused:
        raise SetOnlyAnswersError(refused)


def resolve_answers(
    questions: Sequence[Question],
    *,
    package: DetectedPackage | None,
    provided: Mapping[str, object],
    defaults: Mapping[str, Value] | None = None,
) -> tuple[dict[str, Value], list[str]]:
    """Answer ``questions`` in order from ``provided``, then ``defaults``, then their own defaults.

    A ``None`` answer counts as not given; ``""`` is given and means no value.

    Returns the coerced answers of the questions that apply to ``package`` and the ids of the
    required ones left unanswered. Raises :class:`UsageError` for unknown ids and
    :class:`AnswerError` with one line per bad answer.
    """
    check_question_ids(questions, provided)
    defaults = defaults or {}
    answers: dict[str, Value] = {}
    missing: list[str] = []
    problems: list[str] = []
    for question in questions:
        if not question.applies_to(package, answers):
            # Not used here, but a bad answer is still refused: it says the caller is confused.
            if provided.get(question.id) is not None:
                try:
                    coerce_answer(question, provided[question.id])
                except AnswerError as exc:
                    problems.append(str(exc))
            continue
        # null is no answer (as JSON programs mean it): the next source answers. An empty text
        # answer is an answer, "none": it leaves an optional question unanswered.
        for source in (provided, defaults):
            if source.get(question.id) is not None:
                raw = source[question.id]
                break
        else:
            raw = question.default
        try:
            value = None if raw is None else coerce_answer(question, raw)
        except AnswerError as exc:
            problems.append(str(exc))
            continue
        if value is None:
            if question.required:
                missing.append(question.id)
        else:
            answers[question.id] = value
    if problems:
        raise AnswerError("\n".join(problems))
    return answers, missing


def questions_as_data(questions: Iterable[Question]) -> dict[str, Any]:
    """The question file form of ``questions`` (valid against the question schema)."""
    return {"questions": unstructure(tuple(questions))}
