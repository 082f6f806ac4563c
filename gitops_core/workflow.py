"""The journey as library calls: detect → configure → generate → validate (→ write, in output).

Each step is a plain function of plain data, so the CLI, sessions and the MCP tool all run the
same code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_core.errors import InvalidManifestError, UsageError
from gitops_core.git import GitFacts, git_facts
from gitops_core.models import DetectedPackage, GeneratedOutput, GitOpsConfig, Question, Value
from gitops_core.plugins import Provider
from gitops_core.questions import AnswerError, coerce_answer, resolve_answers, shared_questions
from gitops_core.resources import schema_dir

if TYPE_CHECKING:
    from gitops_core.validation import Problem, SchemaStore

__all__ = [
    "MissingAnswersError",
    "configure",
    "default_answers",
    "find_package",
    "generate",
    "question_list",
    "validate_output",
]


class MissingAnswersError(UsageError):
    """Required questions left unanswered in a non-interactive run."""

    def __init__(
        self, missing: Sequence[str], hint: str = "give them with --set ID=VALUE or --answers FILE"
    ) -> None:
        super().__init__(
            f"missing answer{'s' if len(missing) > 1 else ''} for {', '.join(missing)}: {hint}"
        )
        self.missing = tuple(missing)


def inside(root: Path, target: Path) -> bool:
    return target == root or root in target.parents


def find_package(root: Path, package_dir: str | None = None) -> DetectedPackage:
    """The one package to deploy: ``package_dir`` (relative to ``root``) or the only one found."""
    from gitops_core.detection import analyze, detect

    root = root.resolve()
    if package_dir is not None:
        target = (root / package_dir).resolve()
        if not inside(root, target):
            raise UsageError(f"package path {package_dir!r} is outside {root}")
        package = analyze(target, root=root)
        if package is None:
            raise UsageError(
                f"no Helm chart, Kustomize overlay or Kubernetes manifests in {package_dir!r}"
            )
        return package
    packages = detect(root)
    if not packages:
        raise UsageError(
            f"no Helm chart, Kustomize overlay or Kubernetes manifests found under {root}; "
            "point at the package with --package DIR"
        )
    if len(packages) > 1:
        listing = ", ".join(f"{p.path} ({p.type})" for p in packages)
        raise UsageError(f"{len(packages)} packages found; pick one with --package: {listing}")
    return packages[0]


def question_list(provider: Provider) -> tuple[Question, ...]:
    """Shared questions, then the provider's, then where to save (the PRD's order)."""
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
    """Answer every question (given answers over defaults) and build the provider's config."""
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


def schema_store(provider: Provider) -> SchemaStore:
    """The schemas a provider's output is checked against: its own and the core's."""
    from gitops_core.validation import SchemaStore

    return SchemaStore([schema_dir("gitops_core", "") / "kubernetes", *provider.schema_dirs()])


def output_problems(output: GeneratedOutput, store: SchemaStore, source: str) -> list[Problem]:
    """What is wrong with the YAML that will be written (not just the provider's data)."""
    from gitops_core.validation import load_documents, validate_documents

    documents = load_documents(output.manifests, source=source)
    return validate_documents(documents, source=source, store=store)


def validate_output(output: GeneratedOutput, provider: Provider) -> None:
    """Raise :class:`InvalidManifestError`, one line per problem, unless the output is valid."""
    problems = output_problems(output, schema_store(provider), output.filename)
    if problems:
        # The user's answers passed their checks, so the provider is the one to report to.
        raise InvalidManifestError(
            "\n".join(
                [f"provider from {provider.distribution} generated an invalid manifest:"]
                + [str(p) for p in problems]
            )
        )


def generate(config: GitOpsConfig, provider: Provider) -> GeneratedOutput:
    """Generate and validate; nothing is returned unless every document is valid."""
    output = provider.generate(config)
    validate_output(output, provider)
    return output
