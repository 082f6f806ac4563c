"""Bad answers: each is refused in one line (exit 2) or makes a valid manifest meaning exactly it.

The oracle parses what was generated, as the API server's YAML decoder would, and compares the
field an answer fills with the answer itself: no answer can add, break or re-type a document.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, CliRunner, only_line, provider_plugins

from gitops_core import configuration, detection, generation
from gitops_core.errors import GitOpsError
from gitops_core.git import GitFacts
from gitops_core.output import render_document
from gitops_core.plugins import Providers
from gitops_core.questions import AnswerError, coerce_answer, normalize_repo_path
from gitops_core.validation import load_documents

SECRET = "S3cr3tT0ken"
BASE = {
    "gitRepoUrl": "https://github.com/acme/shop.git",
    "destinationNamespace": "shop",
    "targetRevision": "main",
    "outputPath": "out.yaml",
}
PACKAGES = {"flux": "kustomize/overlays/production", "argocd": "charts/podinfo"}
FACTS = GitFacts()

Documents = list[dict[str, Any]]


def by_kind(documents: Documents, kind: str) -> dict[str, Any]:
    (found,) = [d for d in documents if d["kind"] == kind]
    return found


def flux_objects(documents: Documents) -> Documents:
    return [d for d in documents if d["kind"] != "Namespace"]


#: Where each free-form answer lands, and what it must read back as there.
FIELDS: dict[str, dict[str, Callable[[Documents], object]]] = {
    "flux": {
        "gitRepoUrl": lambda d: by_kind(d, "GitRepository")["spec"]["url"],
        "targetRevision": lambda d: next(iter(by_kind(d, "GitRepository")["spec"]["ref"].values())),
        "gitRepoPath": lambda d: by_kind(d, "Kustomization")["spec"]["path"].removeprefix("./"),
        "destinationNamespace": lambda d: by_kind(d, "Kustomization")["spec"]["targetNamespace"],
        "fluxNamespace": lambda d: {o["metadata"]["namespace"] for o in flux_objects(d)},
        "reconcileInterval": lambda d: by_kind(d, "Kustomization")["spec"]["interval"],
        "resourceName": lambda d: {o["metadata"]["name"] for o in flux_objects(d)},
    },
    "argocd": {
        "gitRepoUrl": lambda d: d[0]["spec"]["source"]["repoURL"],
        "targetRevision": lambda d: d[0]["spec"]["source"]["targetRevision"],
        "gitRepoPath": lambda d: d[0]["spec"]["source"]["path"],
        "destinationNamespace": lambda d: d[0]["spec"]["destination"]["namespace"],
        "destinationName": lambda d: d[0]["spec"]["destination"]["name"],
        "applicationNamespace": lambda d: d[0]["metadata"]["namespace"],
        "project": lambda d: d[0]["spec"]["project"],
        "resourceName": lambda d: d[0]["metadata"]["name"],
        "valueFiles": lambda d: ",".join(d[0]["spec"]["source"]["helm"]["valueFiles"]),
        # (a value file must exist in the chart: hostile names are refused before this)
    },
}


def refused(result: Documents | GitOpsError, question_id: str) -> bool:
    """Whether ``result`` is the one-line bad-input error (exit 2) a bad answer must give."""
    if not isinstance(result, GitOpsError):
        return False
    message = str(result)
    assert result.exit_code == 2 and "\n" not in message, (question_id, message)
    assert message.startswith((f"{question_id}: ", f"missing answer for {question_id}")), message
    assert SECRET not in message
    return True


def expected(provider_id: str, question_id: str, answer: str) -> object:
    scp_like = re.fullmatch(r"([^@/:\s]+@)?([^@/:\s]+):([^\s]+)", answer)
    if question_id == "gitRepoUrl" and provider_id == "flux" and scp_like and "://" not in answer:
        user, host, path = scp_like.groups()
        return f"ssh://{user or ''}{host}/{path.lstrip('/')}"  # Flux clones ssh:// only
    if question_id == "gitRepoPath":
        return normalize_repo_path(answer)
    if question_id in ("fluxNamespace", "resourceName") and provider_id == "flux":
        return {answer}
    if question_id == "valueFiles":
        return ",".join(item.strip() for item in answer.split(",") if item.strip())
    return answer


def run(
    providers: Providers, provider_id: str, answers: Mapping[str, object]
) -> Documents | GitOpsError:
    """The generated documents as Go would read them, or the error a user would see."""
    provider = providers.get(provider_id)
    try:
        package = detection.find_package(EXAMPLES, PACKAGES[provider_id])
        config = configuration.configure(EXAMPLES, package, provider, answers, facts=FACTS)
        output = generation.generate(config, provider)
    except GitOpsError as error:
        return error
    documents = load_documents(output.manifests)
    assert all(isinstance(d, dict) for d in documents)
    return documents  # type: ignore[return-value]


HOSTILE = [
    "main\n---\nkind: Secret",  # a document marker after a line break
    "---",
    "main --- kind: Secret",
    "...",
    "'main'",
    '"main"',
    "it's",
    'a"b\\c',
    "main # comment",
    "main: {x: 1}",
    "[main]",
    "{a: b}",
    "&anchor main",
    "*alias",
    "!!binary aGk=",
    "? key",
    "- item",
    "|",
    "> folded",
    "%YAML 1.2",
    "@x",
    "`x`",
    "yes",
    "on",
    "null",
    "~",
    "1e3",
    "0o17",
    "2026-01-01",
    "0x1F",
    ".inf",
    " main",
    "main ",
    "\tmain",
    "main\r",
    "main\x00",
    "\x1b[31mred",
    "\x85",
    "\u2028",
    "ma\u200bin",  # zero-width space
    "\ufeffmain",
    "m\u0430in",  # Cyrillic a
    "\uff4d\uff41\uff49\uff4e",  # fullwidth "main"
    "\u0455hop",  # Cyrillic dze
    "ma\udcffin",  # a non-UTF-8 byte from argv
    "x" * 100_000,
    "../../etc/passwd",
    "../",
    "/etc/passwd",
    "C:/Windows",
    "charts/../../..",
    f"https://user:{SECRET}@github.com/acme/shop.git",
    f"https://{SECRET}@github.com/acme/shop.git",
    f"ssh://git:{SECRET}@github.com/acme/shop.git",
    "https://github.com/acme/shop.git\nkind: Secret",
    "https://g\u0456thub.com/acme/shop.git",  # Cyrillic i
    "file:///etc",
    "ext::sh -c touch% /tmp/pwned",
    "a.yaml,../../secrets.yaml",
    "values.yaml, /etc/passwd",
]


@pytest.mark.parametrize("provider_id", ["flux", "argocd"])
def test_every_hostile_text_is_refused_or_means_exactly_itself(
    providers: Providers, provider_id: str
) -> None:
    outcomes = {"refused": 0, "exact": 0}
    for question_id, field in FIELDS[provider_id].items():
        for answer in HOSTILE:
            result = run(providers, provider_id, {**BASE, question_id: answer})
            if refused(result, question_id):
                outcomes["refused"] += 1
            else:
                assert not isinstance(result, GitOpsError)
                assert field(result) == expected(provider_id, question_id, answer), (
                    question_id,
                    answer,
                )
                outcomes["exact"] += 1
    assert outcomes["refused"] and outcomes["exact"]


def test_100_kb_answers_are_judged_in_linear_time(providers: Providers) -> None:
    """Every question, 100 kB answers of the characters its checks scan for: no regex backtracks
    quadratically (redacting a long non-URL once took 44 s)."""
    longs = [c * 100_000 for c in ("x", "a:", "a@", "1.", "://", "/", "a-", " ", "@:")]
    for provider_id in PACKAGES:
        for question in configuration.question_list(providers.get(provider_id)):
            for answer in longs:
                started = time.perf_counter()
                try:
                    coerce_answer(question, answer)
                except AnswerError as error:
                    assert len(str(error)) < 500
                assert time.perf_counter() - started < 0.5, (question.id, answer[:4])


def test_line_breaks_and_control_characters_never_reach_a_manifest(providers: Providers) -> None:
    for answer in [a for a in HOSTILE if not a.isprintable()]:
        for provider_id in ("flux", "argocd"):
            for question_id in FIELDS[provider_id]:
                result = run(providers, provider_id, {**BASE, question_id: answer})
                assert refused(result, question_id), (provider_id, question_id, answer)


def test_credentials_in_urls_are_refused_with_advice(providers: Providers) -> None:
    for provider_id in ("flux", "argocd"):
        for url in HOSTILE:
            if SECRET in url:
                result = run(providers, provider_id, {**BASE, "gitRepoUrl": url})
                assert refused(result, "gitRepoUrl") and "secretRef" in str(result)


_ALL = Providers.from_plugins(provider_plugins())
QUESTION_IDS = {pid: [q.id for q in configuration.question_list(_ALL.get(pid))] for pid in PACKAGES}
LIST_IDS = {
    q.id for pid in PACKAGES for q in configuration.question_list(_ALL.get(pid)) if q.type == "list"
}
WRONG_TYPES: list[object] = [42, -1.5, ["main"], {"branch": "main"}, [], {}]


def wrong_for(question_id: str, wrong: object) -> bool:
    """Whether ``wrong`` is of the wrong type for the question (a list suits a list question)."""
    return not (isinstance(wrong, list) and question_id in LIST_IDS)


@pytest.mark.parametrize("provider_id", ["flux", "argocd"])
@pytest.mark.parametrize("wrong", WRONG_TYPES, ids=repr)
def test_every_question_refuses_a_wrong_type_in_one_line(
    providers: Providers, provider_id: str, wrong: object
) -> None:
    for question_id in QUESTION_IDS[provider_id]:
        if wrong_for(question_id, wrong):
            result = run(providers, provider_id, {**BASE, question_id: wrong})
            assert refused(result, question_id), (question_id, wrong)


@pytest.mark.parametrize("provider_id", ["flux", "argocd"])
def test_text_answers_to_yes_no_questions_and_booleans_to_text_questions(
    providers: Providers, provider_id: str
) -> None:
    questions = {q.id: q for q in configuration.question_list(providers.get(provider_id))}
    for question_id, question in questions.items():
        wrong = "maybe" if question.type == "confirm" else True
        result = run(providers, provider_id, {**BASE, question_id: wrong})
        assert refused(result, question_id), (question_id, wrong)


@pytest.mark.parametrize(
    ("provider_id", "question_id"),
    [(pid, qid) for pid in PACKAGES for qid in QUESTION_IDS[pid]],
)
def test_an_empty_answer_is_refused_missing_or_no_value(
    providers: Providers, provider_id: str, question_id: str
) -> None:
    """``""`` is no value: refused for yes/no and choices, missing when required, else left
    out with the manifest still valid and every namespaced object still in a namespace."""
    questions = configuration.question_list(providers.get(provider_id))
    question = {q.id: q for q in questions}[question_id]
    result = run(providers, provider_id, {**BASE, question_id: ""})
    if question.type in ("confirm", "select") or question.required:
        assert refused(result, question_id), result
    else:
        assert not isinstance(result, GitOpsError), result
        for document in result:
            assert document["kind"] == "Namespace" or document["metadata"].get("namespace")


@pytest.mark.parametrize("provider_id", ["flux", "argocd"])
def test_null_is_the_same_as_no_answer(providers: Providers, provider_id: str) -> None:
    """JSON ``null`` counts as not given: the default answers, or the question is missing."""
    for question_id in QUESTION_IDS[provider_id]:
        without = {k: v for k, v in BASE.items() if k != question_id}
        result = run(providers, provider_id, {**without, question_id: None})
        if isinstance(result, GitOpsError):
            assert refused(result, question_id) and "missing answer" in str(result)
        else:
            assert result == run(providers, provider_id, without), question_id


def test_the_renderer_refuses_text_no_yaml_parser_can_read() -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        render_document({"kind": "ConfigMap", "data": {"x": "ma\udcffin"}})


# --- through the real command ---------------------------------------------------------------


def generate(cli: CliRunner, provider_id: str, *args: str) -> Any:
    return cli(
        "generate", str(EXAMPLES), "--provider", provider_id, "--package", PACKAGES[provider_id],
        *args, "-o", "-",
    )  # fmt: skip


def test_cli_hostile_sets_are_one_line_errors_or_exact(cli: CliRunner, tmp_path: Path) -> None:
    base = [f"--set={k}={v}" for k, v in BASE.items() if k != "outputPath"]
    for answer in ("main\n---\nkind: Secret", "main --- kind: Secret", "ma\udcffin", "x" * 300):
        done = generate(cli, "flux", *base, f"--set=targetRevision={answer}")
        if done.returncode == 0:
            documents = load_documents(done.stdout)
            assert FIELDS["flux"]["targetRevision"](documents) == answer  # type: ignore[arg-type]
        else:
            assert done.returncode == 2
            assert only_line(done.stderr).startswith("gitops: error: targetRevision: ")


def test_cli_credentials_are_never_echoed(cli: CliRunner, tmp_path: Path) -> None:
    for url in [u for u in HOSTILE if SECRET in u]:
        for provider_id in ("flux", "argocd"):
            done = generate(
                cli, provider_id, "--set=destinationNamespace=shop", f"--set=gitRepoUrl={url}"
            )
            assert done.returncode == 2
            assert SECRET not in done.stdout + done.stderr
            assert "secretRef" in only_line(done.stderr)
    # Given in a field that is not a URL, it is refused too, and still never echoed.
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({**BASE, "destinationNamespace": HOSTILE[-9]}))
    done = generate(cli, "flux", f"--answers={answers}")
    assert done.returncode == 2 and SECRET not in done.stdout + done.stderr


@pytest.mark.parametrize("provider_id", ["flux", "argocd"])
@pytest.mark.parametrize("wrong", WRONG_TYPES[:4], ids=repr)
def test_cli_answers_file_with_every_id_wrong_gives_one_line_per_id(
    cli: CliRunner, tmp_path: Path, provider_id: str, wrong: object
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(dict.fromkeys(QUESTION_IDS[provider_id], wrong)))
    done = generate(cli, provider_id, f"--answers={answers}")
    assert done.returncode == 2 and not done.stdout
    # Every question applies to these packages: one line each, in question order.
    named = [
        line.removeprefix("gitops: error: ").split(":")[0] for line in done.stderr.splitlines()
    ]
    assert named == [q for q in QUESTION_IDS[provider_id] if wrong_for(q, wrong)]


def test_cli_answers_file_with_an_impossible_escape_is_one_line(
    cli: CliRunner, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text('targetRevision: "\\U99999999"\n')
    done = generate(cli, "flux", f"--answers={answers}")
    assert done.returncode == 2
    assert only_line(done.stderr).startswith(f"gitops: error: --answers {answers}: not valid")
