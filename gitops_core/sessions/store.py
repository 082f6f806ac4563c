"""Where sessions are kept between steps: in memory (one process, the wizard) or in files
(resumed by id from other processes, hours later: the MCP tool, programs).

A store hands out a session for one step (:meth:`SessionStore.step`) and keeps the changes
only when the step succeeds, so a refused answer leaves the session as it was.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from gitops_core.errors import SessionError
from gitops_core.models import SessionState
from gitops_core.output import write_file
from gitops_core.serialization import structure, unstructure

__all__ = ["DEFAULT_TTL", "FileStore", "MemoryStore", "SessionStore", "state_dir"]

FORMAT = "gitops-session/1"
#: Sessions untouched for this long are removed (a day: an agent conversation, a lunch break).
DEFAULT_TTL = 24 * 3600
_ID = re.compile(r"[A-Za-z0-9_-]{22}\Z")


def state_dir() -> Path:
    """``$GITOPS_STATE_DIR``, else ``$XDG_STATE_HOME/gitops/sessions`` (``~/.local/state/…``)."""
    explicit = os.environ.get("GITOPS_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "gitops" / "sessions"


class SessionStore(Protocol):
    def create(self, state: SessionState) -> None:
        """Keep a new session."""

    def load(self, session_id: str) -> SessionState:
        """A copy of the session, or :class:`SessionError`."""

    def step(self, session_id: str) -> contextlib.AbstractContextManager[SessionState]:
        """The session for one step; kept, changed, when the ``with`` block ends normally."""


class MemoryStore:
    """Sessions of this process only: nothing is written, nothing expires."""

    def __init__(self) -> None:
        self._states: dict[str, SessionState] = {}

    def create(self, state: SessionState) -> None:
        self._states[state.id] = copy.deepcopy(state)

    def load(self, session_id: str) -> SessionState:
        try:
            return copy.deepcopy(self._states[session_id])
        except KeyError:
            raise SessionError(f"no session {session_id}") from None

    @contextlib.contextmanager
    def step(self, session_id: str) -> Iterator[SessionState]:
        state = self.load(session_id)
        yield state
        state.updated = time.time()
        self._states[session_id] = state


class FileStore:
    """Sessions as JSON files in ``directory``, one step at a time across processes (a lock
    file per session), saved atomically, removed ``ttl`` seconds after their last step."""

    def __init__(self, directory: Path | None = None, ttl: float = DEFAULT_TTL) -> None:
        self.directory = directory or state_dir()
        self.ttl = ttl

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

    def create(self, state: SessionState) -> None:
        self.expire()
        with self._locked(state.id):
            self._save(state)

    def load(self, session_id: str) -> SessionState:
        path = self._path(session_id)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SessionError(f"no session {session_id} (it may have expired)") from None
        corrupted = f"session file {path} is corrupted or not a gitops session; start a new session"
        try:
            data = json.loads(raw)
        except ValueError:
            raise SessionError(corrupted) from None
        if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
            raise SessionError(corrupted)
        state = structure(data, SessionState, str(path), lambda _: SessionError(corrupted))
        if time.time() - state.updated > self.ttl:
            path.unlink(missing_ok=True)
            raise SessionError(f"session {session_id} expired; start a new session")
        return state

    def _save(self, state: SessionState) -> None:
        state.updated = time.time()
        text = json.dumps({"format": FORMAT, **unstructure(state)}, indent=2, sort_keys=True)
        write_file(self._path(state.id), text + "\n", force=True)

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
    def step(self, session_id: str) -> Iterator[SessionState]:
        with self._locked(session_id):
            state = self.load(session_id)
            yield state
            self._save(state)
