"""What the local checkout tells us: the defaults for the shared questions come from here."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs

#: The committed files configure reads (the repository's own GitRepository, FluxInstance and
#: Namespace objects): ``git_facts(root, grep=COMMITTED_OBJECTS)`` finds them in the same round
#: of git processes as the other facts.
COMMITTED_OBJECTS = "^kind:[[:space:]]*(GitRepository|Namespace|FluxInstance)"


@attrs.frozen
class GitFacts:
    """Facts about the Git checkout holding a folder; empty when it is not in one."""

    top_level: Path | None = None
    origin_url: str | None = None
    branch: str | None = None
    tags: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    #: With ``git_facts(grep=PATTERN)``: the committed YAML files with a matching line (paths
    #: from the top level), found in the same round of git processes; None when not asked.
    grepped: tuple[str, ...] | None = None
    #: What callers derived from these facts, kept with them (one ``--all`` run reads the
    #: repository's committed sources once, a later run reads them afresh).
    memo: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)


def _git(folder: Path, *commands: tuple[str, ...]) -> list[str | None]:
    """Run git commands in ``folder`` side by side; each one's output, or None if it failed.

    They run at once rather than in turn: start-up time is most of a short ``gitops`` run.
    """
    return _collect(_start(folder, commands), len(commands))


def _start(folder: Path, commands: Sequence[tuple[str, ...]]) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        return [
            subprocess.Popen(
                ["git", "-C", str(folder), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
                env=env,
            )
            for args in commands
        ]
    except OSError:
        return []  # no git: detection still works without its facts


def _collect(running: list[subprocess.Popen[str]], count: int) -> list[str | None]:
    if not running:
        return [None] * count
    results: list[str | None] = []
    for process in running:
        try:
            out, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a hung repository
            process.kill()
            process.communicate()
            results.append(None)
            continue
        results.append(out.strip() if process.returncode == 0 else None)
    return results


def without_credentials(url: str) -> str:
    """CI checkouts often carry a token in origin's URL; it must never become a default.

    http(s) URLs lose their whole user part; ssh URLs keep the user (``git@``) but no password.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc or parts.scheme not in {"http", "https", "ssh"}:
        return url
    user = f"{parts.username}@" if parts.scheme == "ssh" and parts.username else ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=user + host))


def git_facts(folder: Path, grep: str | None = None) -> GitFacts:
    """The checkout's facts; with ``grep`` (an extended regular expression) also the committed
    YAML files holding a matching line (:func:`committed_files`), searched at the same time."""
    return start_git_facts(folder, grep)()


def start_git_facts(folder: Path, grep: str | None = None) -> Callable[[], GitFacts]:
    """:func:`git_facts`, its git processes started now and read when the result is called:
    a command starts them first, so that they run while it loads its provider."""
    queries = [
        ("rev-parse", "--show-toplevel"),
        ("remote", "get-url", "origin"),
        # Full names, not :short, which says "tags/v1" when a branch v1 exists too; "*" marks
        # the branch HEAD is on (none when detached).
        ("for-each-ref", "--format=%(HEAD)%(refname)", "refs/tags", "refs/heads"),
    ]
    if grep is not None:
        queries.append(_grep(grep, ":(top)*.yaml", ":(top)*.yml"))  # (the whole checkout)
    running = _start(folder, queries)
    done: list[GitFacts] = []

    def result() -> GitFacts:
        if not done:
            done.append(_facts(folder, *_collect(running, len(queries))))
        return done[0]

    return result


def _facts(
    folder: Path, top: str | None, origin: str | None, refs: str | None, *found: str | None
) -> GitFacts:
    if top is None:
        return GitFacts()
    marked = refs.splitlines() if refs else []
    names = [line[1:] for line in marked]
    current = [line[1:] for line in marked if line.startswith("*")]
    branch = current[0].removeprefix("refs/heads/") if current else None
    if not marked:  # no commit yet: HEAD names a branch that has no ref to list
        (branch,) = _git(folder, ("symbolic-ref", "--quiet", "--short", "HEAD"))
    return GitFacts(
        top_level=Path(top),
        origin_url=without_credentials(origin) if origin else None,
        branch=branch or None,
        tags=tuple(n.removeprefix("refs/tags/") for n in names if n.startswith("refs/tags/")),
        branches=tuple(n.removeprefix("refs/heads/") for n in names if n.startswith("refs/heads/")),
        grepped=_grepped(found[0]) if found else None,
    )


def committed_files(top_level: Path, pattern: str) -> tuple[str, ...]:
    """Committed YAML files (paths from the top level) with a line matching ``pattern`` (an
    extended regular expression), as ``git grep`` finds them in ``HEAD``."""
    (found,) = _git(top_level, _grep(pattern, "*.yaml", "*.yml"))
    return _grepped(found)


def _grep(pattern: str, *paths: str) -> tuple[str, ...]:
    return ("grep", "-l", "-I", "--full-name", "-E", pattern, "HEAD", "--", *paths)


def _grepped(found: str | None) -> tuple[str, ...]:
    """``git grep -l … HEAD``'s ``HEAD:path`` lines as paths (none when nothing matched)."""
    return tuple(line.partition(":")[2] for line in found.splitlines()) if found else ()


def resolve_commit(folder: Path, prefix: str) -> str | None:
    """The full SHA of the one commit of the checkout whose SHA starts with ``prefix``."""
    (full,) = _git(folder, ("rev-parse", "--verify", "--quiet", f"{prefix}^{{commit}}"))
    return full if full and full.lower().startswith(prefix.lower()) else None


_SCP = re.compile(r"(?:[^@/:\s]+@)?(?P<host>[^@/:\s]+):(?P<path>[^\s]+)\Z")


def repository_key(url: str) -> str:
    """What identifies a repository in every URL form: ``https://github.com/org/repo.git``,
    ``ssh://git@github.com/org/repo``, ``git@github.com:org/repo.git`` → ``github.com/org/repo``
    (host lower-cased, no user, port, ``.git`` or trailing ``/``)."""
    text = url.strip()
    scp = _SCP.match(text)
    if scp and "://" not in text:
        host, path = scp["host"], scp["path"]
    else:
        try:
            parts = urlsplit(text)
        except ValueError:
            return text
        host, path = parts.hostname or "", parts.path
    path = path.strip("/").removesuffix(".git").rstrip("/")
    return f"{host}/{path}".lower()
