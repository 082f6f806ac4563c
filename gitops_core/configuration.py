"""The configure stage: every question answered (given answers over defaults) for one package.

Defaults come from the provider's conventions and the local checkout (origin, the package's
path from the top level, the current branch); what the user gives wins. The result is the
:class:`~gitops_core.models.GitOpsConfig` a provider generates from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gitops_core.checks import inside
from gitops_core.errors import AnswerError, MissingAnswersError
from gitops_core.git import GitFacts, git_facts
from gitops_core.models import DetectedPackage, GitOpsConfig, Question, Value
from gitops_core.plugins import Provider
from gitops_core.questions import coerce_answer, resolve_answers, shared_questions

__all__ = ["configure", "default_answers", "question_list"]


def question_list(provider: Provider) -> tuple[Question, ...]:
    """Shared questions, then the provider's, then where to save (the order they are asked)."""
    shared = shared_questions()
    return (*shared[:-1], *provider.questions(), shared[-1])


def default_answers(
    root: Path, package: DetectedPackage, provider: Provider, facts: GitFacts
) -> dict[str, Value]:
    """Defaults from the checkout (origin, path from the top level, branch) over the provider's."""
    defaults: dict[str, Value] = dict(provider.shared_defaults())
    package_dir = (root / package.path).resolve()
    if facts.top_level is not None and inside(facts.top_level.resolve(), package_dir):
        defaults["gitRepoPath"] = package_dir.relative_to(facts.top_level.resolve()).as_posix()
    else:
        defaults["gitRepoPath"] = package.path
    defaults["gitRepoPath"] = defaults["gitRepoPath"] or "."
    # What the checkout offers is only a default when it would be accepted as an answer: a
    # fresh clone's origin is often a local path, which no controller can clone.
    questions = {q.id: q for q in shared_questions()}
    for question_id, value in (("gitRepoUrl", facts.origin_url), ("targetRevision", facts.branch)):
        if value:
            try:
                coerce_answer(questions[question_id], value)
            except AnswerError:
                continue
            defaults[question_id] = value
    return defaults


def configure(
    root: Path,
    package: DetectedPackage,
    provider: Provider,
    provided: Mapping[str, object],
    *,
    facts: GitFacts | None = None,
) -> GitOpsConfig:
    """Answer every question (given answers over defaults) and build the provider's config.

    Raises :class:`AnswerError` for answers that are refused and :class:`MissingAnswersError`
    naming every required question left without an answer.
    """
    facts = git_facts(root) if facts is None else facts
    questions = question_list(provider)
    answers, missing = resolve_answers(
        questions,
        package=package,
        provided=provided,
        defaults=default_answers(root, package, provider, facts),
    )
    if missing:
        raise MissingAnswersError(missing)
    shared_ids = {q.id for q in shared_questions()}
    return GitOpsConfig(
        package=package,
        shared={k: v for k, v in answers.items() if k in shared_ids},
        provider={k: v for k, v in answers.items() if k not in shared_ids},
        facts={"tags": facts.tags},
    )
