"""The journey one stage at a time: detect → selectPackage → selectProvider → configure → generate.

A session's state is plain data, saved atomically after every step under the user's state
directory and resumable by its unguessable id from another process, hours later. Each step
returns a :class:`Step`: what comes next (the packages to confirm or pick, the providers, the
questions still open with their defaults, or the result). The CLI wizard and the MCP tool are
two faces of this one workflow.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs

from gitops_core import workflow
from gitops_core.errors import OverwriteRefusedError, UsageError
from gitops_core.git import git_facts
from gitops_core.models import DetectedPackage, GeneratedOutput, Question, Value
from gitops_core.output import write_file
from gitops_core.output.write import Status
from gitops_core.plugins import Providers
from gitops_core.questions import AnswerError, coerce_answer, resolve_answers

__all__ = ["Pending", "SessionError", "SessionState", "Sessions", "Stage", "Step", "state_dir"]

Stage = Literal["detect", "selectPackage", "selectProvider", "configure", "generate", "done"]

FORMAT = "gitops-session/1"
#: Sessions untouched for this long are removed (a day: an agent conversation, a lunch break).
DEFAULT_TTL = 24 * 3600
_ID = re.compile(r"[A-Za-z0-9_-]{22}\Z")
_TYPE_NAMES = {
    "helm": "Helm chart",
    "kustomize": "Kustomize overlay",
    "raw-manifests": "folder of Kubernetes manifests",
}


class SessionError(UsageError):
    """An unknown, expired, corrupted or foreign session."""


def state_dir() -> Path:
    """``$GITOPS_STATE_DIR``, else ``$XDG_STATE_HOME/gitops/sessions`` (``~/.local/state/…``)."""
    explicit = os.environ.get("GITOPS_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "gitops" / "sessions"


@attrs.define(kw_only=True)
class SessionState:
    """Everything a session knows; saved as JSON after every step."""

    format: str = FORMAT
    id: str
    root: str
    created: float
    updated: float
    stage: Stage = "detect"
    packages: list[DetectedPackage] = attrs.Factory(list)
    package: DetectedPackage | None = None
    provider: str | None = None
    answers: dict[str, Value] = attrs.Factory(dict)


@attrs.frozen(kw_only=True)
class Pending:
    """A question still open, with the default that applies to this package and repository."""

    question: Question
    default: Value = None
    answered: bool = False


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


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(DetectedPackage, lambda value, _: _package(value))
    return converter


def _package(value: Any) -> DetectedPackage:
    if not isinstance(value, dict):
        raise ValueError("a package is a mapping")
    return DetectedPackage(
        path=value["path"],
        type=value["type"],
        name=value["name"],
        confidence=value["confidence"],
        notes=tuple(value.get("notes", ())),
        files=tuple(value.get("files", ())),
    )


def describe(package: DetectedPackage) -> str:
    return f"a {_TYPE_NAMES[package.type]} at ./{package.path}".replace("./.", ".")


class Sessions:
    """Create, advance and resume sessions stored in ``directory``."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        providers: Providers | None = None,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self.directory = directory or state_dir()
        self.providers = providers or Providers.discover()
        self.ttl = ttl

    # --- storage ---------------------------------------------------------------------------

    def _path(self, session_id: str) -> Path:
        if not _ID.match(session_id):
            raise SessionError(f"session id {session_id!r} is not one this tool gave out")
        return self.directory / f"{session_id}.json"

    @contextlib.contextmanager
    def _locked(self, session_id: str) -> Iterator[None]:
        """Serialise steps on one session across processes (the last step wins, whole)."""
        lock = self._path(session_id).with_suffix(".lock")  # checks the id before any file
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def load(self, session_id: str) -> SessionState:
        path = self._path(session_id)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SessionError(f"no session {session_id} (it may have expired)") from None
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a gitops session")
            state = _converter().structure(data, SessionState)
        except (ValueError, KeyError, TypeError, cattrs.BaseValidationError):
            raise SessionError(
                f"session file {path} is corrupted or not a gitops session; start a new session"
            ) from None
        if time.time() - state.updated > self.ttl:
            path.unlink(missing_ok=True)
            raise SessionError(f"session {session_id} expired; start a new session")
        return state

    def save(self, state: SessionState) -> None:
        state.updated = time.time()
        text = json.dumps(_converter().unstructure(state), indent=2, sort_keys=True) + "\n"
        write_file(self._path(state.id), text, force=True)

    def expire(self) -> int:
        """Remove sessions untouched for longer than the TTL; returns how many."""
        removed = 0
        if not self.directory.is_dir():
            return 0
        cutoff = time.time() - self.ttl
        for path in self.directory.glob("*.json"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    path.with_suffix(".lock").unlink(missing_ok=True)
                    removed += 1
        return removed

    @contextlib.contextmanager
    def _step(self, session_id: str) -> Iterator[SessionState]:
        with self._locked(session_id):
            state = self.load(session_id)
            yield state
            self.save(state)

    # --- the stages ------------------------------------------------------------------------

    def start(self, root: str | Path) -> Step:
        """Detect the packages under ``root`` and open a session on them."""
        from gitops_core.detection import detect

        self.expire()
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
        with self._locked(state.id):
            self.save(state)
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
        """Pick a detected package by index, or name any folder (journey 4: "where is it?")."""
        if (index is None) == (path is None):
            raise UsageError("select a package by its index or by a path, not both or neither")
        with self._step(session_id) as state:
            if index is not None:
                if not 0 <= index < len(state.packages):
                    raise UsageError(
                        f"package index {index} is out of range; "
                        f"{len(state.packages)} package(s) were found"
                    )
                package = state.packages[index]
            else:
                package = workflow.find_package(Path(state.root), path)
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
        with self._step(session_id) as state:
            if state.package is None:
                raise UsageError("select a package before a provider")
            provider = self.providers.get(provider_id)
            known = {q.id for q in workflow.question_list(provider)}
            state.answers = {k: v for k, v in state.answers.items() if k in known}
            state.provider = provider_id
            state.stage = "configure"
            return self._configure_step(state)

    def _configure_step(self, state: SessionState) -> Step:
        assert state.package is not None and state.provider is not None
        provider = self.providers.get(state.provider)
        root = Path(state.root)
        questions = workflow.question_list(provider)
        defaults = workflow.default_answers(root, state.package, provider, git_facts(root))
        resolved, missing = resolve_answers(
            questions, package=state.package, provided=state.answers, defaults=defaults
        )
        pending = tuple(
            Pending(question=q, default=resolved.get(q.id), answered=q.id in state.answers)
            for q in questions
            if q.applies_to(state.package, resolved)
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
        with self._step(session_id) as state:
            if state.provider is None or state.package is None:
                raise UsageError("select a package and a provider before answering questions")
            questions = {
                q.id: q for q in workflow.question_list(self.providers.get(state.provider))
            }
            unknown = sorted(set(answers) - set(questions))
            if unknown:
                raise UsageError(
                    f"unknown question id {', '.join(unknown)}; known: {', '.join(questions)}"
                )
            problems = []
            for question_id, raw in answers.items():
                try:
                    coerce_answer(questions[question_id], raw)
                except AnswerError as exc:
                    problems.append(str(exc))
            if problems:
                raise AnswerError("\n".join(problems))
            state.answers.update(answers)
            return self._configure_step(state)

    def questions(self, session_id: str) -> Step:
        """The current questions and defaults, without changing anything."""
        with self._step(session_id) as state:
            if state.provider is None:
                raise UsageError("select a package and a provider first")
            return self._configure_step(state)

    def generate(self, session_id: str, *, write: bool = True, force: bool = False) -> Step:
        """Generate, validate and (unless ``write`` is false) write inside the session's root."""
        with self._step(session_id) as state:
            if state.provider is None or state.package is None:
                raise UsageError("select a package and a provider before generating")
            provider = self.providers.get(state.provider)
            root = Path(state.root)
            try:
                config = workflow.configure(root, state.package, provider, state.answers)
            except workflow.MissingAnswersError as exc:
                # The session's own wording: its callers answer, they do not pass --set.
                raise workflow.MissingAnswersError(exc.missing, "answer them first") from None
            output = workflow.generate(config, provider)
            target = (root / str(config.shared["outputPath"])).resolve()
            status: Status | None = None
            if write:
                if not workflow.inside(root, target):
                    raise UsageError(
                        f"outputPath {config.shared['outputPath']!r} is outside {root}; "
                        "this session writes only inside the project"
                    )
                try:
                    status = write_file(target, output.manifests, force=force).status
                except OverwriteRefusedError as exc:
                    raise OverwriteRefusedError(
                        f"{target} exists with different content; generate again with force "
                        "to replace it",
                        exc.diff,
                    ) from None
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
