"""The interactive wizard, driven through a real pseudo-terminal like a person at a keyboard.

The child runs ``gitops generate`` on a pty whose other end is a terminal emulator (pyte): it
answers the cursor-position queries prompt_toolkit makes, and the tests read the screen as it
looks to a person, then press keys (arrows, Home, Delete, Ctrl-C, Ctrl-D) as one would.
Questions are answered by what they ask, not by their order, so a provider that adds a question
does not break these tests: one they do not know keeps its default.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pyte
import pytest
import yaml
from conftest import EXAMPLES, SOURCE_PATH, interruptible

from gitops_core.cli.options import GenerateOptions
from gitops_core.cli.prompts import Choice, PlainPrompter, Tone
from gitops_core.cli.wizard import ask_value, replay_command, run_wizard
from gitops_core.models import Option, Question, SessionState, Validator

KEYS = {
    "up": "\x1b[A",
    "down": "\x1b[B",
    "right": "\x1b[C",
    "left": "\x1b[D",
    "home": "\x1b[H",
    "end": "\x1b[F",
    "delete": "\x1b[3~",
    "enter": "\r",
    "ctrl-u": "\x15",
    "ctrl-c": "\x03",
    "ctrl-d": "\x04",
}
URL = "https://github.com/acme/shop.git"


class Terminal:
    """A child process on a pseudo-terminal, seen through a terminal emulator."""

    def __init__(
        self, args: list[str], cwd: Path, env: dict[str, str], columns: int = 300, lines: int = 400
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
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
        self.screen = pyte.Screen(columns, lines)
        # The emulator answers what the program asks of the terminal (the cursor position).
        self.screen.write_process_input = self._answer  # type: ignore[method-assign]
        self.stream = pyte.ByteStream(self.screen)
        self.closed = False

    def _answer(self, data: str) -> None:
        os.write(self.master, data.encode())

    @property
    def text(self) -> str:
        """What the screen shows now, trailing blanks trimmed."""
        return "\n".join(line.rstrip() for line in self.screen.display).rstrip()

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            data = b""
        if not data:
            self.closed = True
        self.stream.feed(data)

    def expect(self, text: str, timeout: float = 30, count: int = 1) -> str:
        """Wait until ``text`` shows (``count`` times) on the screen."""
        deadline = time.monotonic() + timeout
        while self.text.count(text) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {text!r}; screen:\n{self.text}"
            assert not self.closed, f"the child ended before {text!r}; screen:\n{self.text}"
            self._read(remaining)
        return self.text

    def settle(self, quiet: float = 0.3) -> None:
        """Read until the child has printed nothing for ``quiet`` seconds."""
        before = None
        while before != self.text and not self.closed:
            before = self.text
            self._read(quiet)

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS.get(key, key).encode())
            time.sleep(0.02)

    def type(self, line: str) -> None:
        """Type a line and Enter, as on a plain (cooked) terminal."""
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)  # drain, so the child never blocks on a full pty
        self.settle(0.1)
        try:
            return self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(
                f"the wizard did not end within {timeout} s:\n{self.text}"
            ) from None


def gitops_terminal(tmp_path: Path, *args: str, term: str = "xterm-256color") -> Terminal:
    env = {
        **os.environ,
        "GITOPS_STATE_DIR": str(tmp_path / "state"),
        "TERM": term,
        "PYTHONPATH": SOURCE_PATH,
    }
    return Terminal([sys.executable, "-m", "gitops_core", "generate", *args], tmp_path, env)


def active_question(term: Terminal) -> tuple[int, str]:
    """The line number and text of the question being asked (the last ``? `` line)."""
    lines = term.text.splitlines()
    for number in range(len(lines) - 1, -1, -1):
        if lines[number].startswith("? "):
            return number, lines[number]
    return -1, ""


Reply = Callable[[Terminal], None]


def keys(*pressed: str) -> Reply:
    return lambda term: term.press(*pressed)


def answer_until(
    term: Terminal, replies: Mapping[str, Reply], until: str, after: int = -1
) -> list[str]:
    """Answer each question as it comes (by what it asks; Enter keeps an unknown one's
    default) until the question ``until`` is asked; returns the questions asked."""
    asked: list[str] = []
    while True:
        deadline = time.monotonic() + 30
        while active_question(term)[0] <= after:
            assert time.monotonic() < deadline, f"no next question; screen:\n{term.text}"
            assert not term.closed, f"the child ended; screen:\n{term.text}"
            term._read(0.2)
        term.settle()
        after, line = active_question(term)
        if line.startswith(f"? {until}"):
            return asked
        asked.append(line)
        reply = next((r for text, r in replies.items() if text in line), keys("enter"))
        reply(term)


def fix_the_url(term: Terminal) -> None:
    """Type a wrong URL, read why it is refused, and mend it with the arrow keys."""
    wrong = "ftp://github.com/acme/shop.git"
    term.press(*wrong, "enter")
    term.expect("is not a Git URL")
    term.press(*["left"] * len(wrong), "delete", "delete", "delete", *"https", "enter")


def test_arrow_keys_line_editing_and_a_change_at_the_review(tmp_path: Path) -> None:
    term = gitops_terminal(tmp_path, str(EXAMPLES), "--save-answers", "answers.yaml")
    term.expect("Which one would you like to deploy? (↑↓ to move")
    term.expect("Description: Helm chart podinfo, high confidence")
    term.press("down", "down", "down", "up", "down")  # the highlight moves; no ^[[B echoed
    term.expect("Description: Kubernetes manifests guestbook")
    term.press("enter")
    term.expect("? I found 4 packages. Which one would you like to deploy? manifests/guestbook")
    term.expect("Which GitOps tool would you like to use?")
    term.press("down", "enter")
    term.expect("? Which GitOps tool would you like to use? Flux")
    replies = {
        "Git repository URL": fix_the_url,
        # Line editing in the middle of an answer: type "shp", go left, insert the "o".
        "Target namespace": keys("ctrl-u", *"shp", "left", "o", "enter"),
        "Reconciliation interval": keys("ctrl-u", *"10m", "enter"),
        "Enable pruning": keys("n"),
    }
    line = term.text.splitlines().index("? Which GitOps tool would you like to use? Flux")
    asked = answer_until(term, replies, "Write the manifest?", line)
    assert any("Name for the Flux objects? guestbook" in q for q in asked), asked
    screen = term.text
    assert "? Git repository URL where the package is stored? " + URL in screen
    assert "? Target namespace for deployment? shop" in screen
    assert "^[" not in screen  # no key ever shows as its escape sequence
    review = screen.rsplit("Review", 1)[1]
    assert "reconcileInterval     10m" in review and "prune                 no" in review
    assert "kind: Kustomization" in screen  # the manifest is shown before anything is written
    assert not (tmp_path / "flux-gitops.yaml").exists()

    # Back from the review: change one answer, then review again and write.
    term.press("down", "enter")
    term.expect("Which answer would you like to change?")
    term.press(*"Reconc")  # a long list filters as you type
    term.settle()
    term.press("enter")
    term.expect("? Reconciliation interval?", count=2)
    term.settle()
    term.press("ctrl-u", *"15m", "enter")
    term.expect("? Write the manifest?", count=2)
    term.settle()
    assert "reconcileInterval     15m" in term.text.rsplit("Review", 1)[1]
    term.press("enter")
    screen = term.expect("To do the same without questions:")
    assert term.finish() == 0, term.text
    screen = term.text
    assert "✔ Created flux-gitops.yaml (Flux GitRepository + " in screen
    assert "git add flux-gitops.yaml" in screen and "git push" in screen
    assert "kubectl apply -f flux-gitops.yaml" in screen

    written = (tmp_path / "flux-gitops.yaml").read_text()
    documents = list(yaml.safe_load_all(written))
    assert documents[0]["spec"]["url"] == URL
    assert documents[-1]["spec"]["interval"] == "15m" and documents[-1]["spec"]["prune"] is False
    assert yaml.safe_load((tmp_path / "answers.yaml").read_text())["reconcileInterval"] == "15m"
    command = screen.split("To do the same without questions:\n", 1)[1].splitlines()[0].strip()
    assert command.startswith(
        f"gitops generate {EXAMPLES} --provider flux --package manifests/guestbook"
    )
    assert "--set reconcileInterval=15m" in command and "--set prune=no" in command

    # The answers file replays the same result, byte for byte, without a terminal.
    replay = subprocess.run(
        [
            sys.executable, "-m", "gitops_core", "generate", str(EXAMPLES), "--provider", "flux",
            "--package", "manifests/guestbook", "--answers", "answers.yaml", "-o", "-",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SOURCE_PATH},
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout == written


def nothing_written(tmp_path: Path) -> bool:
    """Not a manifest, not an answers file, not even a session: the wizard's is in memory."""
    return list(tmp_path.iterdir()) == []


def test_ctrl_c_at_the_review_leaves_nothing_written(tmp_path: Path) -> None:
    term = gitops_terminal(
        tmp_path, str(EXAMPLES), "--provider", "flux", "--package", "charts/podinfo",
        "--set", f"gitRepoUrl={URL}", "--set", "destinationNamespace=shop",
        "--save-answers", "answers.yaml",
    )  # fmt: skip
    answer_until(term, {}, "Write the manifest?")
    term.press("ctrl-c")
    assert term.finish() == 130
    assert term.text.splitlines()[-1] == "gitops: interrupted (Ctrl-C); nothing was written"
    assert "Traceback" not in term.text
    assert nothing_written(tmp_path)


def test_ctrl_d_at_a_text_answer_leaves_nothing_written(tmp_path: Path) -> None:
    term = gitops_terminal(
        tmp_path, str(EXAMPLES), "--provider", "flux", "--package", "charts/podinfo"
    )
    term.expect("? Git repository URL where the package is stored?")
    term.settle()
    term.press(*"https://git")
    term.press("ctrl-d")  # at the end of the answer: leave
    assert term.finish() == 2
    assert term.text.splitlines()[-1] == "gitops: input ended (Ctrl-D); nothing was written"
    assert "Traceback" not in term.text and "EOFError" not in term.text
    assert nothing_written(tmp_path)


def test_ctrl_d_in_a_list_leaves_nothing_written(tmp_path: Path) -> None:
    term = gitops_terminal(tmp_path, str(EXAMPLES))
    term.expect("Which one would you like to deploy?")
    term.settle()
    term.press("ctrl-d")
    assert term.finish() == 2
    assert term.text.splitlines()[-1] == "gitops: input ended (Ctrl-D); nothing was written"
    assert nothing_written(tmp_path)


# --- a dumb terminal: numbered prompts ------------------------------------------------------


def plain_prompt(term: Terminal, after: int) -> tuple[int, str]:
    """Wait for the next prompt line (it ends with ': ', waiting for input) below ``after``."""
    deadline = time.monotonic() + 30
    while True:
        term.settle(0.2)
        lines = term.text.splitlines()
        if len(lines) - 1 > after and lines[-1].endswith(":"):
            return len(lines) - 1, lines[-1]
        assert time.monotonic() < deadline, f"no prompt; screen:\n{term.text}"
        assert not term.closed, f"the child ended; screen:\n{term.text}"


def test_a_dumb_terminal_gets_numbered_prompts(tmp_path: Path) -> None:
    term = gitops_terminal(tmp_path, str(EXAMPLES), "--save-answers", "answers.yaml", term="dumb")
    term.expect("I found 4 packages. Which one would you like to deploy?")
    term.expect("5. Another folder… — type its path")
    term.type("1")
    term.expect("Which GitOps tool would you like to use?")
    term.expect("2. Flux — --provider flux")
    term.type("2")
    replies = {
        "Git repository URL": "ftp://nope",
        "Target namespace": "shop",
        "Reconciliation interval": "1d",
    }
    line = -1
    while True:
        line, prompt = plain_prompt(term, line)
        if "Write the manifest?" in term.text:
            break
        if prompt.startswith("Git repository URL"):
            assert prompt.endswith("(e.g. https://github.com/org/repo.git):")
        if prompt.startswith("Name for the Flux objects?"):
            assert prompt.endswith("[podinfo]:")  # the derived name is shown as the default
        reply = next((r for text, r in replies.items() if prompt.startswith(text)), "")
        term.type(reply)
        if reply == "ftp://nope":
            term.expect("'ftp://nope' is not a Git URL")
            replies["Git repository URL"] = URL
        if reply == "1d":
            term.expect("'1d' is not accepted")
            replies["Reconciliation interval"] = "10m"
    assert prompt == "Choose 1-2 [1]:"
    term.type("")  # 1. Write flux-gitops.yaml
    term.expect("To do the same without questions:")
    assert term.finish() == 0, term.text
    release = list(yaml.safe_load_all((tmp_path / "flux-gitops.yaml").read_text()))[-1]
    assert release["kind"] == "HelmRelease" and release["spec"]["interval"] == "10m"
    assert "answers saved to answers.yaml" in term.text


def test_ctrl_d_on_a_dumb_terminal_leaves_nothing_written(tmp_path: Path) -> None:
    term = gitops_terminal(
        tmp_path, str(EXAMPLES), "--provider", "flux", "--package", "charts/podinfo", term="dumb"
    )
    term.expect("Git repository URL")
    term.settle()
    term.press("ctrl-d")
    assert term.finish() == 2
    assert term.text.splitlines()[-1] == "gitops: input ended (Ctrl-D); nothing was written"
    assert nothing_written(tmp_path)


def test_sigint_on_a_dumb_terminal_leaves_nothing_written(tmp_path: Path) -> None:
    term = gitops_terminal(
        tmp_path, str(EXAMPLES), "--provider", "flux", "--package", "charts/podinfo", term="dumb"
    )
    term.expect("Git repository URL")
    term.process.send_signal(signal.SIGINT)
    assert term.finish() == 130
    assert "interrupted (Ctrl-C); nothing was written" in term.text
    assert nothing_written(tmp_path)


# --- the journey with scripted answers (no terminal) ----------------------------------------


class Scripted(PlainPrompter):
    """Plain prompts answered from a list (a reply may look at what was shown), recording
    what was asked; with ``start``, Enter (every default) until that text was shown."""

    def __init__(
        self, replies: list[str | Callable[[list[str]], str]], start: str | None = None
    ) -> None:
        self.replies = replies
        self.start = start
        self.asked: list[str] = []
        self.shown: list[str] = []
        super().__init__(ask=self.reply)

    def reply(self, prompt: str) -> str:
        if self.start is not None and not any(self.start in line for line in self.shown):
            return ""
        self.asked.append(prompt)
        if not self.replies:
            raise EOFError
        reply = self.replies.pop(0)
        return reply if isinstance(reply, str) else reply(self.shown)

    def say(self, text: str = "", tone: Tone = "plain") -> None:
        self.shown.append(text)


def options(**given: object) -> GenerateOptions:
    values: dict[str, object] = {
        "path": str(EXAMPLES), "provider": None, "package": None, "all": False, "exclude": (),
        "set": (), "answers": None, "defaults": False, "output": None, "force": False,
        "save_answers": None, "json": False,
    }  # fmt: skip
    values.update(given)
    return GenerateOptions(**values)  # type: ignore[arg-type]


def test_list_and_text_questions_offer_what_the_repository_suggests() -> None:
    files = Question(id="valueFiles", question="Value files?", type="list")
    suggested = (Option(value="values-prod.yaml", label="values-prod.yaml"),)
    ui = Scripted(["1,2", "extra.yaml"])
    assert ask_value(ui, files, None, suggested) == ["values-prod.yaml", "extra.yaml"]
    assert ui.asked[0].startswith("Numbers, comma-separated")
    assert "  2. Others… — type more, comma-separated" in ui.shown

    namespace = Question(
        id="destinationNamespace",
        question="Namespace?",
        validate=Validator(check="dns1123-label"),
    )
    declared = (Option(value="shop", label="shop", description="declared by the package"),)
    ui = Scripted(["1"])
    assert ask_value(ui, namespace, "shop", declared) == "shop"
    ui = Scripted(["2", "Bad_NS", "other"])  # something else, refused once, then accepted
    assert ask_value(ui, namespace, "shop", declared) == "other"
    assert any("'Bad_NS' is not accepted" in line for line in ui.shown)


def test_the_replay_command_gives_a_list_answer_comma_separated() -> None:
    state = SessionState(id="x", root="/r", created=0, updated=0, provider="argocd")
    state.answers = {"valueFiles": ("values.yaml", "values-prod.yaml"), "prune": False}
    command = replay_command(options(), state)
    assert command.endswith("--set valueFiles=values.yaml,values-prod.yaml --set prune=no")


def test_an_unknown_provider_is_refused_before_any_question() -> None:
    from gitops_core.errors import UsageError

    with pytest.raises(UsageError, match=r"provider 'Flux' is not installed; did you mean flux\?"):
        run_wizard(options(provider="Flux"), {}, ui=Scripted([]))


def test_choices_are_numbered_with_their_descriptions() -> None:
    ui = Scripted(["", "x", "2"])
    entries = [Choice("Manual", "sync when asked"), Choice("Automatic")]
    assert ui.select("Sync?", entries, default=1) == 1
    assert ui.select("Sync?", entries) == 1
    assert "  1. Manual — sync when asked" in ui.shown and "  2. Automatic" in ui.shown
    assert "  please answer with a number from 1 to 2" in ui.shown


def numbered(text: str) -> Callable[[list[str]], str]:
    """The reply that picks the last numbered entry shown that says ``text``."""

    def pick(shown: list[str]) -> str:
        entry = next(line for line in reversed(shown) if text in line and ". " in line)
        return entry.strip().split(".", 1)[0]

    return pick


def test_an_existing_different_file_is_shown_and_kept_unless_the_user_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flux-gitops.yaml").write_text("# mine\n")
    given = {"gitRepoUrl": URL, "destinationNamespace": "shop"}
    ui = Scripted(
        [
            "",  # review: 1. Write flux-gitops.yaml
            "",  # replace it? no
            "2",  # review: 2. Change an answer
            numbered("Where to save the GitOps manifest?"),
            "clusters/podinfo.yaml",
            "",  # review: write
        ],
        start="Write the manifest?",
    )
    wizard_options = options(provider="flux", package="charts/podinfo")
    assert run_wizard(wizard_options, given, ui=ui) == 0
    assert (tmp_path / "flux-gitops.yaml").read_text() == "# mine\n"
    assert any(line.startswith("-# mine") for line in "\n".join(ui.shown).splitlines())
    assert "Replace it with the new manifest? [y/N]: " in ui.asked
    assert "kind: HelmRelease" in (tmp_path / "clusters" / "podinfo.yaml").read_text()
    assert any("Created clusters/podinfo.yaml" in line for line in ui.shown)


def test_the_wizard_for_one_package_does_not_ask_about_a_whole_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_core.errors import SetOnlyAnswersError

    monkeypatch.chdir(tmp_path)
    prompts: list[str] = []

    class Recording(Scripted):
        def reply(self, prompt: str) -> str:
            prompts.append(prompt)
            return super().reply(prompt)

    given = {"gitRepoUrl": URL, "destinationNamespace": "shop"}
    ui = Recording([""], start="Write the manifest?")  # every default, then write
    assert run_wizard(options(provider="argocd", package="charts/podinfo"), given, ui=ui) == 0
    seen = "\n".join([*prompts, *ui.shown])
    assert "Sync policy?" in seen and "Argo CD project?" in seen
    assert "ApplicationSet" not in seen and "applicationSet" not in seen
    assert (tmp_path / "argocd-application.yaml").is_file()
    with pytest.raises(SetOnlyAnswersError):
        run_wizard(
            options(provider="argocd", package="charts/podinfo"),
            {**given, "applicationSet": "yes"},
            ui=Recording([]),
        )
