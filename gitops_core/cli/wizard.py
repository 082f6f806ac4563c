"""The interactive face of the session workflow: ``gitops generate`` on a terminal.

Plain numbered prompts (stdin/stdout) so it works in any terminal, over SSH and in a
pseudo-terminal test; answers are checked as they are typed and asked again when refused.
Ctrl-C leaves nothing behind: nothing is written until the last step, and then atomically.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from gitops_core.cli.common import error_message, installed_providers
from gitops_core.cli.options import GenerateOptions
from gitops_core.errors import AnswerError, UsageError
from gitops_core.models import Question, SessionState, Value
from gitops_core.output import WriteResult, write_outputs
from gitops_core.sessions import MemoryStore, Pending, Sessions, Step, describe

Ask = Callable[[str], str]


class Wizard:
    def __init__(self, sessions: Sessions, ask: Ask = input, out: TextIO = sys.stdout) -> None:
        self.sessions = sessions
        self.ask = ask
        self.out = out

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def choose(
        self, title: str, options: Sequence[tuple[str, str | None]], default: int = 0
    ) -> int:
        """A numbered select list with descriptions; returns the chosen index."""
        self.say(title)
        for number, (label, description) in enumerate(options, start=1):
            self.say(f"  {number}. {label}" + (f" — {description}" if description else ""))
        while True:
            raw = self.ask(f"Choose 1-{len(options)} [{default + 1}]: ").strip()
            if not raw:
                return default
            if raw.isdigit() and 1 <= int(raw) <= len(options):
                return int(raw) - 1
            self.say(f"  please answer with a number from 1 to {len(options)}")

    def confirm(self, text: str, default: bool = True) -> bool:
        hint = "Y/n" if default else "y/N"
        while True:
            raw = self.ask(f"{text} [{hint}]: ").strip().lower()
            if not raw:
                return default
            if raw in {"y", "yes", "true"} or raw in {"n", "no", "false"}:
                return raw in {"y", "yes", "true"}
            self.say("  please answer yes or no")

    def pick_package(self, step: Step, package: str | None) -> Step:
        session = step.session_id
        if package is not None:
            return self.sessions.select_package(session, path=package)
        packages = step.packages
        if len(packages) == 1:
            self.say(f"I found {describe(packages[0])}.")
            if self.confirm("Is this the package you want to deploy?"):
                return self.sessions.select_package(session, index=0)
        elif packages:
            options = [(f"./{p.path} ({p.type})", None) for p in packages]
            choice = self.choose(
                f"I found {len(packages)} packages. Which one would you like to deploy?",
                [*options, ("Specify a different path", None)],
            )
            if choice < len(packages):
                return self.sessions.select_package(session, index=choice)
        else:
            self.say(step.message)
        while True:
            path = self.ask("Where is your package located? (a folder): ").strip()
            try:
                return self.sessions.select_package(session, path=path or ".")
            except UsageError as exc:
                self.say(f"  {error_message(exc)}")

    def pick_provider(self, step: Step, provider: str | None) -> Step:
        if provider is None:
            options = [(name, None) for _, name in step.providers]
            index = self.choose("Which GitOps tool would you like to use?", options)
            provider = step.providers[index][0]
        return self.sessions.select_provider(step.session_id, provider)

    def ask_question(self, session: str, pending: Pending) -> Step:
        question = pending.question
        while True:
            value = self.prompt(question, pending.default)
            if value is None:  # keep the default
                return self.sessions.questions(session)
            try:
                return self.sessions.answer(session, {question.id: value})
            except AnswerError as exc:
                self.say(f"  {error_message(exc)}")

    def prompt(self, question: Question, default: Value) -> str | None:
        if question.description:
            self.say(f"  ({question.description})")
        if question.type == "select":
            values = [o.value for o in question.options]
            start = values.index(default) if default in values else 0
            index = self.choose(
                question.question, [(o.label, o.description) for o in question.options], start
            )
            return values[index]
        if question.type == "confirm":
            return "yes" if self.confirm(question.question, default is not False) else "no"
        if default is not None:
            shown = f" [{default}]"
        else:
            shown = f" (e.g. {question.placeholder})" if question.placeholder else ""
        while True:
            raw = self.ask(f"{question.question}{shown}: ").strip()
            if raw or default is not None or not question.required:
                return raw or None
            self.say("  an answer is required")


def run_wizard(
    options: GenerateOptions,
    provided: Mapping[str, object],
    ask: Ask = input,
    out: TextIO = sys.stdout,
) -> int:
    # One process, one session: kept in memory, nothing stored between answers.
    sessions = Sessions(store=MemoryStore(), providers=installed_providers())
    wizard = Wizard(sessions, ask, out)
    step = wizard.sessions.start(options.path)
    step = wizard.pick_package(step, options.package)
    step = wizard.pick_provider(step, options.provider)
    session = step.session_id
    if provided:
        step = wizard.sessions.answer(session, provided)
    asked: set[str] = set(provided)
    while True:
        open_questions = [p for p in step.questions if p.question.id not in asked]
        if not open_questions:
            break
        pending = open_questions[0]
        asked.add(pending.question.id)
        step = wizard.ask_question(session, pending)
    state = wizard.sessions.load(session)
    result = wizard.sessions.generate(session, write=False)
    assert result.output is not None
    wizard.say("\n" + result.output.manifests.rstrip())
    for note in result.output.notes:
        wizard.say(f"note: {note}")
    target = Path(str(state.answers.get("outputPath") or _default_output(step)))
    written = write_generated(options, target, result.output.manifests, state.answers)
    wizard.say(f"\n{written.status} {target} ({result.output.description})")
    wizard.say("To do the same without questions:\n  " + replay_command(options, state))
    if options.save_answers:
        wizard.say(f"answers saved to {options.save_answers} (replay with --answers)")
    return 0


def write_generated(
    options: GenerateOptions, target: Path, manifests: str, answers: Mapping[str, Value]
) -> WriteResult:
    """Write the manifest and, with ``--save-answers``, the answers file: both are checked
    before either is written, so a refused answers file leaves no manifest behind either."""
    items = [(target, manifests)]
    if options.save_answers:
        import yaml

        saved = yaml.safe_dump(dict(answers), sort_keys=False, allow_unicode=True)
        items.append((Path(options.save_answers), saved))
    return write_outputs(items, force=options.force)[0]


def _default_output(step: Step) -> Value:
    return next(p.default for p in step.questions if p.question.id == "outputPath")


def replay_command(options: GenerateOptions, state: SessionState) -> str:
    words = ["gitops", "generate", options.path, "--provider", str(state.provider)]
    if state.package is not None:
        words += ["--package", state.package.path]
    for key, value in state.answers.items():
        text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        words += ["--set", f"{key}={text}"]
    return " ".join(shlex.quote(word) for word in words)


__all__ = ["Wizard", "replay_command", "run_wizard", "write_generated"]
