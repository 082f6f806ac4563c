"""The journey one stage at a time: detect → selectPackage → selectProvider → configure → generate.

A session's state is plain data (:class:`~gitops_core.models.SessionState`) kept by a store
(:mod:`gitops_core.sessions.store`): in memory for one process, such as the wizard, or saved
atomically after every step under the user's state directory, resumable by its unguessable id
from another process hours later (the MCP tool, programs). Each step
returns a :class:`Step`: what comes next (the packages to confirm or pick, the providers, the
questions still open with their defaults, or the result). The CLI wizard and the MCP tool are
two faces of this one workflow.

A session is one package's journey: questions asked only for a whole set of packages
(``scope: set``) are neither listed nor accepted here.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

import attrs

from gitops_core import configuration, generation
from gitops_core.detection import detect, find_package
from gitops_core.errors import AnswerError, SessionError, UsageError
from gitops_core.git import COMMITTED_OBJECTS, git_facts
from gitops_core.models import (
    DetectedPackage,
    GeneratedOutput,
    Option,
    Question,
    SessionState,
    Stage,
    Value,
)
from gitops_core.output import write_outputs
from gitops_core.output.write import Status
from gitops_core.plugins import Providers
from gitops_core.questions import (
    check_one_package_answers,
    check_question_ids,
    coerce_answer,
    resolve_answers,
)
from gitops_core.sessions.store import DEFAULT_TTL, FileStore, MemoryStore, SessionStore, state_dir

__all__ = [
    "FileStore",
    "MemoryStore",
    "Pending",
    "SessionError",
    "SessionState",
    "SessionStore",
    "Sessions",
    "Stage",
    "Step",
    "state_dir",
]

_TYPE_NAMES = {
    "helm": "Helm chart",
    "kustomize": "Kustomize overlay",
    "raw-manifests": "folder of Kubernetes manifests",
}


@attrs.frozen(kw_only=True)
class Pending:
    """A question still open, with the default that applies to this package and repository."""

    question: Question
    default: Value = None
    answered: bool = False
    #: What to offer: a select question's options, else what the repository suggests (the
    #: chart's value files, the namespaces its packages declare); free text stays allowed.
    choices: tuple[Option, ...] = ()


@attrs.frozen(kw_only=True)
class Step:
    """What a step returns: the stage that comes next and what it needs."""

    session_id: str
    stage: Stage
    message: str
    packages: tuple[DetectedPackage, ...] = ()
    providers: tuple[tuple[str, str], ...] = ()
    questions: tuple[Pending, ...] = ()
    missing: tuple[str, ...] = ()
    output: GeneratedOutput | None = None
    output_path: str | None = None
    status: Status | None = None


def describe(package: DetectedPackage) -> str:
    return f"a {_TYPE_NAMES[package.type]} at ./{package.path}".replace("./.", ".")


class Sessions:
    """Create, advance and resume sessions kept in ``store`` (by default files in
    ``directory``, see :class:`FileStore`)."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        providers: Providers | None = None,
        ttl: float = DEFAULT_TTL,
        store: SessionStore | None = None,
    ) -> None:
        self.store: SessionStore = store or FileStore(directory, ttl)
        self.providers = providers or Providers.discover()

    def load(self, session_id: str) -> SessionState:
        """A copy of the session as it is now."""
        return self.store.load(session_id)

    # --- the stages ------------------------------------------------------------------------

    def start(self, root: str | Path) -> Step:
        """Detect the packages under ``root`` and open a session on them."""
        folder = Path(root).resolve()
        packages = detect(folder)
        now = time.time()
        state = SessionState(
            id=secrets.token_urlsafe(16),
            root=str(folder),
            created=now,
            updated=now,
            stage="selectPackage",
            packages=packages,
        )
        self.store.create(state)
        return self._package_step(state)

    def _package_step(self, state: SessionState) -> Step:
        packages = tuple(state.packages)
        if not packages:
            message = (
                "I couldn't detect a Helm chart, Kustomize overlay or manifest directory. "
                "Where is your package located?"
            )
        elif len(packages) == 1:
            message = f"I found {describe(packages[0])}. Is this the package you want to deploy?"
        else:
            message = (
                f"I found {len(packages)} packages. Which one would you like to deploy? "
                "(or specify a different path)"
            )
        return Step(session_id=state.id, stage="selectPackage", message=message, packages=packages)

    def select_package(
        self, session_id: str, *, index: int | None = None, path: str | None = None
    ) -> Step:
        """Pick a detected package by index, or name any folder (the user says where it is)."""
        if (index is None) == (path is None):
            raise UsageError("select a package by its index or by a path, not both or neither")
        with self.store.step(session_id) as state:
            if index is not None:
                if not 0 <= index < len(state.packages):
                    raise UsageError(
                        f"package index {index} is out of range; "
                        f"{len(state.packages)} package(s) were found"
                    )
                package = state.packages[index]
            else:
                package = find_package(Path(state.root), path)
            state.package = package
            state.stage = "selectProvider"
            return self._provider_step(state, f"Using {describe(package)}.")

    def _provider_step(self, state: SessionState, prefix: str) -> Step:
        loaded, errors = self.providers.load_all()
        choices = tuple((p.id, p.name) for p in loaded)
        broken = "".join(f" ({e})" for e in errors)
        if not choices:
            raise UsageError("no GitOps provider is installed; install one such as gitops-<id>")
        return Step(
            session_id=state.id,
            stage="selectProvider",
            providers=choices,
            message=f"{prefix} Which GitOps tool would you like to use?{broken}",
        )

    def select_provider(self, session_id: str, provider_id: str) -> Step:
        with self.store.step(session_id) as state:
            if state.package is None:
                raise UsageError("select a package before a provider")
            provider = self.providers.get(provider_id)
            known = {q.id for q in configuration.question_list(provider)}
            state.answers = {k: v for k, v in state.answers.items() if k in known}
            state.provider = provider_id
            state.stage = "configure"
            return self._configure_step(state)

    def _configure_step(self, state: SessionState) -> Step:
        assert state.package is not None and state.provider is not None
        provider = self.providers.get(state.provider)
        root = Path(state.root)
        prepared = configuration.prepare(
            root,
            state.package,
            provider,
            git_facts(root, grep=COMMITTED_OBJECTS),
            configuration.repository_names(root, state.packages or None),
        )
        resolved, missing = resolve_answers(
            prepared.questions,
            package=state.package,
            provided=state.answers,
            defaults=prepared.defaults,
        )
        pending = tuple(
            Pending(
                question=q,
                default=resolved.get(q.id),
                answered=q.id in state.answers,
                choices=q.options or prepared.choices.get(q.id, ()),
            )
            for q in prepared.questions
            if q.for_one_package and q.applies_to(state.package, resolved)
        )
        state.stage = "configure" if missing else "generate"
        message = (
            f"Still needed: {', '.join(missing)}."
            if missing
            else "Every question has an answer or a default; generate when ready."
        )
        return Step(
            session_id=state.id,
            stage=state.stage,
            message=message,
            questions=pending,
            missing=tuple(missing),
        )

    def answer(self, session_id: str, answers: Mapping[str, object]) -> Step:
        """Record answers (one or many, new or changed); each is checked as it arrives."""
        with self.store.step(session_id) as state:
            if state.provider is None or state.package is None:
                raise UsageError("select a package and a provider before answering questions")
            questions = {
                q.id: q for q in configuration.question_list(self.providers.get(state.provider))
            }
            check_question_ids(tuple(questions.values()), answers)
            problems = []
            for question_id, raw in answers.items():
                try:
                    coerce_answer(questions[question_id], raw)
                except AnswerError as exc:
                    problems.append(str(exc))
            if problems:
                raise AnswerError("\n".join(problems))
            check_one_package_answers(questions.values(), answers)
            state.answers.update(answers)
            return self._configure_step(state)

    def questions(self, session_id: str) -> Step:
        """The current questions and defaults, without changing anything."""
        with self.store.step(session_id) as state:
            if state.provider is None:
                raise UsageError("select a package and a provider first")
            return self._configure_step(state)

    def generate(self, session_id: str, *, write: bool = True, force: bool = False) -> Step:
        """Generate, validate and (unless ``write`` is false) write: only inside the project, since
        a session acts for someone who is not at the keyboard."""
        with self.store.step(session_id) as state:
            if state.provider is None or state.package is None:
                raise UsageError("select a package and a provider before generating")
            provider = self.providers.get(state.provider)
            root = Path(state.root)
            names = configuration.repository_names(root, state.packages or None)
            config = configuration.configure(
                root, state.package, provider, state.answers, names=names
            )
            output = generation.generate(config, provider)
            target = (root / str(config.shared["outputPath"])).resolve()
            status: Status | None = None
            if write:
                (written,) = write_outputs([(target, output.manifests)], force=force, within=root)
                status = written.status
            state.stage = "done"
            shown = os.path.relpath(target, root)
            return Step(
                session_id=state.id,
                stage="done",
                output=output,
                output_path=shown,
                status=status,
                message=(
                    f"{output.description}: {status} {shown}"
                    if write
                    else f"{output.description} (not written)"
                ),
            )
