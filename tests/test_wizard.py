"""The interactive wizard, driven through a real pseudo-terminal like a person at a keyboard."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from conftest import EXAMPLES, SOURCE_PATH, interruptible


class Terminal:
    """A child process on a pseudo-terminal: wait for text, type answers."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            args,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=env,
            close_fds=True,
            preexec_fn=interruptible,
        )
        os.close(slave)
        self.screen = ""

    def expect(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {text!r}; screen:\n{self.screen}"
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:  # the child closed the terminal
                    chunk = ""
                if not chunk:
                    assert text in self.screen, f"child ended before {text!r}:\n{self.screen}"
                self.screen += chunk.replace("\r\n", "\n")
        return self.screen

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:  # drain, so the child never blocks on a full pty
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if not ready and self.process.poll() is not None:
                    break
                if ready:
                    self.screen += os.read(self.master, 4096).decode("utf-8", "replace")
        except OSError:
            pass  # the child closed its terminal: it is ending, perhaps not reaped yet
        try:
            return self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(
                f"the wizard did not end within {timeout} s:\n{self.screen}"
            ) from None


def gitops_terminal(tmp_path: Path, *args: str) -> Terminal:
    env = {
        **os.environ,
        "GITOPS_STATE_DIR": str(tmp_path / "state"),
        "TERM": "dumb",
        "PYTHONPATH": SOURCE_PATH,
    }
    return Terminal([sys.executable, "-m", "gitops_core", "generate", *args], tmp_path, env)


def test_the_wizard_walks_the_journey_and_prints_the_replay_command(tmp_path: Path) -> None:
    term = gitops_terminal(tmp_path, str(EXAMPLES), "--save-answers", "answers.yaml")
    term.expect("I found 4 packages. Which one would you like to deploy?")
    term.expect("5. Specify a different path")
    term.type("1")
    term.expect("Which GitOps tool would you like to use?")
    term.expect("2. Flux")
    term.type("2")
    term.expect(
        "Git repository URL where the package is stored? (e.g. https://github.com/org/repo.git)"
    )
    term.type("ftp://nope")
    term.expect("gitRepoUrl: 'ftp://nope' is not a Git URL")
    term.type("https://github.com/acme/shop.git")
    term.expect("Path within the repository? [examples/charts/podinfo]")
    term.type("")
    term.expect("Git branch, tag, commit or semver range to track? [")
    term.type("v1.0.0")
    term.expect("Target namespace for deployment?")
    term.type("shop")
    term.expect("Namespace for Flux resources? [flux-system]")
    term.type("")
    term.expect("Reconciliation interval? [5m]")
    term.type("1d")
    term.expect("reconcileInterval: '1d' is not accepted")
    term.type("10m")
    term.expect("Name for the Flux objects?")
    term.type("")
    term.expect("Where to save the GitOps manifest? [./flux-gitops.yaml]")
    term.type("")
    screen = term.expect("answers saved to answers.yaml")
    assert term.finish() == 0, screen
    written = (tmp_path / "flux-gitops.yaml").read_text()
    assert "kind: HelmRelease" in screen and "created flux-gitops.yaml" in screen
    release = list(yaml.safe_load_all(written))[1]
    assert release["spec"]["interval"] == "10m"
    command = screen.split("To do the same without questions:\n", 1)[1].splitlines()[0].strip()
    assert command.startswith(
        f"gitops generate {EXAMPLES} --provider flux --package charts/podinfo"
    )
    assert "--set reconcileInterval=10m" in command

    # The answers file replays the same result, byte for byte, without a terminal.
    replay = subprocess.run(
        [
            sys.executable,
            "-m",
            "gitops_core",
            "generate",
            str(EXAMPLES),
            "--provider",
            "flux",
            "--package",
            "charts/podinfo",
            "--answers",
            "answers.yaml",
            "-o",
            "-",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SOURCE_PATH},
    )
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout == written


def test_ctrl_c_leaves_nothing_written(tmp_path: Path) -> None:
    term = gitops_terminal(
        tmp_path, str(EXAMPLES), "--provider", "flux", "--package", "charts/podinfo"
    )
    term.expect("Git repository URL")
    term.process.send_signal(signal.SIGINT)
    assert term.finish() == 130
    assert "interrupted; nothing was written" in term.screen
    # Not even a session: the wizard keeps its session in memory.
    assert list(tmp_path.iterdir()) == []
