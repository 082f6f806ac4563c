"""What the local checkout tells us: the defaults for the shared questions come from here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import attrs


@attrs.frozen
class GitFacts:
    """Facts about the Git checkout holding a folder; empty when it is not in one."""

    top_level: Path | None = None
    origin_url: str | None = None
    branch: str | None = None
    tags: tuple[str, ...] = ()


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None  # no git, or a hung repository: detection still works without its facts
    return done.stdout.strip() if done.returncode == 0 else None


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


def git_facts(folder: Path) -> GitFacts:
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None:
        return GitFacts()
    origin = _git(folder, "remote", "get-url", "origin")
    branch = _git(folder, "symbolic-ref", "--quiet", "--short", "HEAD")
    tags = _git(folder, "for-each-ref", "--format=%(refname:short)", "refs/tags")
    return GitFacts(
        top_level=Path(top),
        origin_url=without_credentials(origin) if origin else None,
        branch=branch or None,
        tags=tuple(tags.splitlines()) if tags else (),
    )
