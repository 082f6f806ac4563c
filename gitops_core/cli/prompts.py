"""How the wizard asks: select lists, multi-selects, yes/no confirms and text answers.

Two implementations of one :class:`Prompter` interface. :class:`PlainPrompter` asks with
numbered lists and plain lines (``input()``): it works anywhere, and is what a dumb terminal
gets. :class:`gitops_core.cli.terminal.TerminalPrompter` (the ``wizard`` extra: questionary on
prompt_toolkit) gives arrow-key lists with each option's description, line editing, history and
completion. :func:`open_prompter` picks one; the prompt library is imported only then, so that
no other command pays for it.

Every prompt raises ``KeyboardInterrupt`` for Ctrl-C and ``EOFError`` for Ctrl-D; the command
line turns them into one line and exit 130 or 2, with nothing written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Sequence
from typing import Literal, Protocol, TextIO

import attrs

#: Returns why an answer is refused, or None when it is accepted.
Check = Callable[[str], "str | None"]
#: How a line is shown: ``muted`` for help and files, ``ok``/``warn`` for outcomes,
#: ``heading`` for the steps, ``code`` for commands to copy.
Tone = Literal["plain", "muted", "ok", "warn", "heading", "code"]


@attrs.frozen
class Choice:
    """One entry of a select list: what it says and, optionally, what it means."""

    label: str
    description: str | None = None


def accept(_: str) -> str | None:
    return None


def indented(text: str, indent: str = "  ") -> str:
    """Help text, indented and wrapped at word boundaries to the terminal's width."""
    import shutil
    import textwrap

    width = max(40, shutil.get_terminal_size().columns - 1)
    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent)


class Prompter(Protocol):
    """What the wizard needs from a terminal."""

    def say(self, text: str = "", tone: Tone = "plain") -> None:
        """Show a line (or several)."""

    def select(
        self, title: str, choices: Sequence[Choice], default: int = 0, help: str | None = None
    ) -> int:
        """One of ``choices``: its index."""

    def select_many(
        self,
        title: str,
        choices: Sequence[Choice],
        checked: Collection[int] = (),
        help: str | None = None,
    ) -> list[int]:
        """Any of ``choices`` (those in ``checked`` start ticked): their indexes, in order."""

    def confirm(self, title: str, default: bool = True, help: str | None = None) -> bool:
        """Yes or no."""

    def text(
        self,
        title: str,
        *,
        default: str = "",
        check: Check = accept,
        suggestions: Sequence[str] = (),
        help: str | None = None,
        example: str | None = None,
    ) -> str:
        """A line of text that ``check`` accepts (``default`` when nothing is typed);
        ``example`` shows what an answer looks like."""


class PlainPrompter:
    """Numbered lists and plain lines: any terminal, a serial console, ``TERM=dumb``."""

    def __init__(self, ask: Callable[[str], str] = input, out: TextIO | None = None) -> None:
        self._input = ask
        self.out = out

    def ask(self, prompt: str) -> str:
        try:
            return self._input(prompt)
        except (KeyboardInterrupt, EOFError):
            self.say()  # end the prompt's line: the command line's last word goes below it
            raise

    def say(self, text: str = "", tone: Tone = "plain") -> None:
        if tone == "code":
            text = "\n".join(f"  {line}" for line in text.splitlines())
        print(text, file=self.out or sys.stdout, flush=True)

    def _help(self, help: str | None) -> None:
        if help:
            self.say(indented(f"({help})"))

    def select(
        self, title: str, choices: Sequence[Choice], default: int = 0, help: str | None = None
    ) -> int:
        self._help(help)
        self.say(title)
        self._list(choices)
        while True:
            raw = self.ask(f"Choose 1-{len(choices)} [{default + 1}]: ").strip()
            if not raw:
                return default
            if raw.isdigit() and 1 <= int(raw) <= len(choices):
                return int(raw) - 1
            self.say(f"  please answer with a number from 1 to {len(choices)}")

    def select_many(
        self,
        title: str,
        choices: Sequence[Choice],
        checked: Collection[int] = (),
        help: str | None = None,
    ) -> list[int]:
        self._help(help)
        self.say(title)
        self._list(choices)
        shown = ",".join(str(i + 1) for i in sorted(checked))
        while True:
            raw = self.ask(f"Numbers, comma-separated (- for none) [{shown or '-'}]: ").strip()
            if not raw:
                return sorted(checked)
            if raw == "-":
                return []
            numbers = [part.strip() for part in raw.split(",") if part.strip()]
            if all(n.isdigit() and 1 <= int(n) <= len(choices) for n in numbers):
                return sorted({int(n) - 1 for n in numbers})
            self.say(f"  please answer with numbers from 1 to {len(choices)}, such as 1,3")

    def _list(self, choices: Sequence[Choice]) -> None:
        for number, choice in enumerate(choices, start=1):
            about = f" — {choice.description}" if choice.description else ""
            self.say(f"  {number}. {choice.label}{about}")

    def confirm(self, title: str, default: bool = True, help: str | None = None) -> bool:
        self._help(help)
        hint = "Y/n" if default else "y/N"
        while True:
            raw = self.ask(f"{title} [{hint}]: ").strip().lower()
            if not raw:
                return default
            if raw in {"y", "yes", "true", "n", "no", "false"}:
                return raw in {"y", "yes", "true"}
            self.say("  please answer yes or no")

    def text(
        self,
        title: str,
        *,
        default: str = "",
        check: Check = accept,
        suggestions: Sequence[str] = (),
        help: str | None = None,
        example: str | None = None,
    ) -> str:
        self._help(help)
        example = f" (e.g. {example})" if example else ""
        shown = f" [{default}]" if default else example
        while True:
            raw = self.ask(f"{title}{shown}: ").strip()
            answer = raw or default
            problem = check(answer)
            if problem is None:
                return answer
            self.say(f"  {problem}")


def terminal_can_do_better() -> bool:
    """A real terminal, not a dumb one, on both ends (the wizard only runs on a terminal)."""
    term = os.environ.get("TERM", "")
    return term not in {"", "dumb", "unknown"} and sys.stdin.isatty() and sys.stdout.isatty()


def open_prompter() -> Prompter:
    """Arrow keys and line editing where the terminal and the ``wizard`` extra allow; plain
    numbered prompts elsewhere (a dumb terminal, or without the extra, with a hint)."""
    if not terminal_can_do_better():
        return PlainPrompter()
    try:
        from gitops_core.cli.terminal import TerminalPrompter
    except ModuleNotFoundError as exc:
        if exc.name not in {"questionary", "prompt_toolkit"}:
            raise
        plain = PlainPrompter()
        plain.say(
            'gitops: note: for arrow-key menus and line editing: pip install "gitops-core[wizard]"'
        )
        return plain
    return TerminalPrompter()
