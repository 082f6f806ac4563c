"""Shared fixtures: providers registered directly (hermetic), real Git repositories, the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from gitops_core.plugins import Providers

ROOT = Path(__file__).resolve().parents[1]
#: PYTHONPATH for a child process that runs this checkout's core and both providers.
SOURCE_PATH = os.pathsep.join(
    str(p) for p in (ROOT, ROOT / "plugins" / "gitops_flux", ROOT / "plugins" / "gitops_argocd")
)
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"
EXAMPLE_PACKAGES = {
    "helm": "charts/podinfo",
    "kustomize": "kustomize/overlays/production",
    "raw-manifests": "manifests/guestbook",
}


def provider_plugins() -> dict[str, object]:
    """The bundled providers, imported directly so tests never depend on what is installed."""
    import gitops_flux

    plugins: dict[str, object] = {"flux": gitops_flux.provider}
    try:
        import gitops_argocd
    except ImportError:
        return plugins
    plugins["argocd"] = gitops_argocd.provider
    return plugins


@pytest.fixture
def providers() -> Providers:
    return Providers.from_plugins(provider_plugins())


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(cwd), *args],
        check=True,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
        },
    )
    return done.stdout.strip()


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A real Git repository holding the bundled example under deploy/, with an origin remote."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo / "deploy")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "remote", "add", "origin", "git@github.com:acme/shop.git")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "example")
    return repo


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli() -> CliRunner:
    """Run the real ``gitops`` command in a subprocess (``python -m gitops_core``)."""

    def run(
        *args: str,
        cwd: Path | None = None,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, **(env or {}), "PYTHONPATH": SOURCE_PATH}
        return subprocess.run(
            [sys.executable, "-m", "gitops_core", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )

    return run


def only_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def args_for(package: str, *extra: str) -> Sequence[str]:
    return (
        "--package",
        package,
        "--set",
        "gitRepoUrl=https://github.com/acme/shop.git",
        "--set",
        "destinationNamespace=shop",
        *extra,
    )


def interruptible() -> None:
    """``preexec_fn`` for a child that a test interrupts with SIGINT, as Ctrl-C would.

    A shell starts background jobs with SIGINT ignored, and children inherit that (and any
    blocked-signal mask the test process was left with): under such a CI runner, Python would
    never raise KeyboardInterrupt and the child would run on.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
