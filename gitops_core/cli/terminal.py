"""The wizard's prompts on a real terminal: questionary (on prompt_toolkit), as copier uses.

Select lists move with the arrow keys (or filter as you type, for long ones) and show the
highlighted option's description; text answers have line editing (arrows, Home/End, Ctrl-A/E,
Ctrl-W...), history (Up/Down: earlier answers and the suggestions for the question) and Tab
completion of suggestions; a refused answer is explained under the line and stays there to be
corrected. Ctrl-C raises ``KeyboardInterrupt``; Ctrl-D (anywhere in a list, at the end of a text
answer) raises ``EOFError``.

Imported only by :func:`gitops_core.cli.prompts.open_prompter`, when the wizard runs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import questionary
from prompt_toolkit import print_formatted_text
from prompt_toolkit.application import Application, get_app
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition, to_filter
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.layout import FormattedTextControl, Window
from prompt_toolkit.styles import Style
from prompt_toolkit.validation import ValidationError, Validator

from gitops_core.cli.prompts import Check, Choice, Tone, accept, indented

STYLE = Style(
    [
        ("qmark", "fg:ansicyan bold"),
        ("question", "bold"),
        ("answer", "fg:ansicyan bold"),
        ("pointer", "fg:ansicyan bold"),
        ("highlighted", "fg:ansicyan bold"),
        ("selected", "fg:ansicyan"),
        ("instruction", "fg:ansibrightblack"),
        ("text", ""),
        ("disabled", "fg:ansibrightblack italic"),
        ("validation-toolbar", "fg:ansired bg:default"),
        # say()'s tones
        ("muted", "fg:ansibrightblack"),
        ("ok", "fg:ansigreen bold"),
        ("warn", "fg:ansiyellow"),
        ("heading", "bold"),
        ("code", "fg:ansicyan"),
    ]
)

#: Lists longer than this filter as you type (j/k then type letters, not move).
FILTER_FROM = 8


class _Check(Validator):
    """Runs the wizard's check when Enter is pressed; a refusal shows under the line."""

    def __init__(self, check: Check) -> None:
        self.check = check

    def validate(self, document: Document) -> None:
        problem = self.check(document.text.strip())
        if problem is not None:
            raise ValidationError(message=problem, cursor_position=len(document.text))


def _while_asking(text: str) -> Callable[[], FormattedText]:
    """A placeholder that shows while the question is asked, not once it is answered."""

    def shown() -> FormattedText:
        return FormattedText([] if get_app().is_done else [("class:muted", text)])

    return shown


def _wrap_refusals(app: Application[object]) -> None:
    """Let the line under the answer that says why it is refused wrap, instead of being cut at
    the terminal's width (prompt_toolkit's ValidationToolbar is one row high)."""
    for container in app.layout.walk():
        if not isinstance(container, Window) or not isinstance(
            container.content, FormattedTextControl
        ):
            continue
        source = getattr(container.content.text, "__qualname__", "")
        if source.startswith("ValidationToolbar."):
            container.height = None
            container.wrap_lines = to_filter(True)


class TerminalPrompter:
    """Arrow keys, descriptions, line editing, history and completion."""

    def __init__(self) -> None:
        # One history for the whole wizard: Up recalls earlier answers, even those of other
        # questions (a namespace typed once is often wanted again). In memory only.
        self.history = InMemoryHistory()

    def say(self, text: str = "", tone: Tone = "plain") -> None:
        if tone == "code":
            text = "\n".join(f"  {line}" for line in text.splitlines())
        style = "" if tone == "plain" else f"class:{tone}"
        print_formatted_text(FormattedText([(style, text)]), style=STYLE)

    def _help(self, help: str | None) -> None:
        if help:
            self.say(indented(help), "muted")

    def _ask(self, question: questionary.Question) -> object:
        """Run one prompt; Ctrl-D leaves like Ctrl-C does, but as ``EOFError``."""
        app: Application[object] = question.application
        leave = KeyBindings()
        at_end = Condition(lambda: app.current_buffer.document.is_cursor_at_the_end)

        @leave.add("c-d", filter=at_end, eager=True)
        def _end_of_input(event: KeyPressEvent) -> None:
            event.app.exit(exception=EOFError, style="class:aborting")

        app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), leave])
        answer: object = question.unsafe_ask()
        return answer

    def select(
        self, title: str, choices: Sequence[Choice], default: int = 0, help: str | None = None
    ) -> int:
        self._help(help)
        long = len(choices) >= FILTER_FROM
        entries = [
            questionary.Choice(title=c.label, value=i, description=c.description)
            for i, c in enumerate(choices)
        ]
        question = questionary.select(
            title,
            choices=entries,
            default=entries[default],
            style=STYLE,
            use_jk_keys=False,
            use_search_filter=long,
            instruction="(↑↓ to move, type to filter, Enter to choose)"
            if long
            else "(↑↓ to move, Enter to choose)",
        )
        answer = self._ask(question)
        assert isinstance(answer, int)
        return answer

    def select_many(
        self,
        title: str,
        choices: Sequence[Choice],
        checked: Collection[int] = (),
        help: str | None = None,
    ) -> list[int]:
        self._help(help)
        question = questionary.checkbox(
            title,
            choices=[
                questionary.Choice(
                    title=c.label, value=i, description=c.description, checked=i in checked
                )
                for i, c in enumerate(choices)
            ],
            style=STYLE,
            use_jk_keys=False,
            instruction="(↑↓ to move, Space to tick, Enter when done)",
        )
        answer = self._ask(question)
        assert isinstance(answer, list)
        return sorted(int(i) for i in answer)

    def confirm(self, title: str, default: bool = True, help: str | None = None) -> bool:
        self._help(help)
        answer = self._ask(questionary.confirm(title, default=default, style=STYLE))
        return bool(answer)

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
        for suggestion in suggestions:
            self.history.append_string(suggestion)
        completer = WordCompleter(list(suggestions), sentence=True) if suggestions else None
        question = questionary.text(
            title,
            default=default,
            validate=_Check(check),
            style=STYLE,
            instruction="(Tab: suggestions)" if suggestions else None,
            history=self.history,
            completer=completer,
            complete_while_typing=bool(suggestions),
            validate_while_typing=False,
            placeholder=_while_asking(f"e.g. {example}") if example else None,
        )
        _wrap_refusals(question.application)
        answer = self._ask(question)
        assert isinstance(answer, str)
        text = answer.strip()
        if text:
            self.history.append_string(text)
        return text
