"""The interactive face of the session workflow: ``gitops generate`` on a terminal.

The journey: the package (confirm the one found, pick among several, or name a folder), the
provider, then every question not answered by ``--set``/``--answers``, each with its default
shown (the derived object name included) and suggestions where the repository has some; a
refused answer is explained and asked again. Then a review: the manifest and every answer, with
a way back to change any of them, before anything is written. At the end: what was written and
what to do next (commit, push, apply once) and the command that does the same without questions.

How a question is asked is :mod:`gitops_core.cli.prompts`' business (arrow keys on a real
terminal, numbered prompts on a dumb one). The session stays in memory (:class:`MemoryStore`),
so Ctrl-C or Ctrl-D leaves nothing behind: the one write is :func:`write_generated`, last.
``generate --all`` on a terminal is :func:`run_wizard_all`: it asks what the whole set still
needs, shows the files, and writes them together.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from gitops_core.cli.common import installed_providers
from gitops_core.cli.options import GenerateOptions
from gitops_core.cli.prompts import Choice, Prompter, open_prompter
from gitops_core.errors import (
    AnswerError,
    GitOpsError,
    MissingAnswersError,
    OverwriteRefusedError,
    UsageError,
)
from gitops_core.models import DetectedPackage, Option, Question, SessionState, Value
from gitops_core.output import WriteResult, write_outputs
from gitops_core.questions import check_question_ids
from gitops_core.sessions import MemoryStore, Pending, Sessions, Step, describe

if TYPE_CHECKING:
    from gitops_core.bundle import BundleResult
    from gitops_core.plugins import Provider, Providers

_FORCE = "use --force to replace it"

#: The question whose empty answer makes the provider name the objects after the package
#: (the convention of the bundled providers and the declarative kit's ``object_name``).
NAME_QUESTION = "resourceName"

_TYPE_NAMES = {
    "helm": "Helm chart",
    "kustomize": "Kustomize overlay",
    "raw-manifests": "Kubernetes manifests",
}


def as_text(value: Value) -> str:
    """An answer as it is typed: yes/no, comma-separated items, or the text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _same(a: Value, b: Value) -> bool:
    def normal(value: Value) -> Value:
        if isinstance(value, list | tuple):
            return tuple(value) or None
        return None if value == "" else value

    return bool(normal(a) == normal(b))


def derived_name(question: Question, state: SessionState) -> str | None:
    """What the provider names the objects when the name question is left empty: the name the
    configure stage gives the package (from its path when another package shares its name)."""
    if question.id != NAME_QUESTION or state.package is None:
        return None
    from gitops_core.checks import to_dns1123_label
    from gitops_core.configuration import repository_names

    names = repository_names(Path(state.root), state.packages or None)
    return names.get(state.package.path) or to_dns1123_label(state.package.name) or None


def checker(question: Question) -> Callable[[str], str | None]:
    """The live check of a typed answer: the one :func:`coerce_answer` makes when the answer
    is recorded, said before Enter is accepted."""
    from gitops_core.questions import coerce_answer

    def check(text: str) -> str | None:
        if not text:
            return f"{question.id}: an answer is required" if question.required else None
        try:
            coerce_answer(question, text)
        except AnswerError as exc:  # shown under the question: its id need not be repeated
            return str(exc).removeprefix(f"{question.id}: ")
        return None

    return check


def ask_value(
    ui: Prompter,
    question: Question,
    current: Value,
    choices: Sequence[Option] = (),
    shown_default: str | None = None,
) -> Value:
    """Ask one question; returns the answer as the session takes it (text, bool, list).

    ``current``: the default or the answer so far; ``choices``: what the repository suggests
    (select lists for text and list questions; something else can still be typed).
    """
    help = question.description
    if question.type == "select":
        values = [option.value for option in question.options]
        index = ui.select(
            question.question,
            [Choice(option.label, option.description) for option in question.options],
            values.index(current) if current in values else 0,
            help,
        )
        return values[index]
    if question.type == "confirm":
        return ui.confirm(question.question, current is not False, help)
    if question.type == "list":
        return _ask_list(ui, question, current, choices)
    default = as_text(current) or shown_default or ""
    if choices:
        offered = [option.value for option in choices]
        entries = [Choice(option.label, option.description) for option in choices]
        if default and default not in offered:
            offered.insert(0, default)
            entries.insert(0, Choice(default, "the default"))
        entries.append(Choice("Something else…", "type it"))
        index = ui.select(
            question.question, entries, offered.index(default) if default else 0, help
        )
        if index < len(offered):
            return offered[index]
        help = None
    return ui.text(
        question.question,
        default=default,
        check=checker(question),
        suggestions=[option.value for option in choices],
        help=help,
        example=question.placeholder,
    )


def _ask_list(ui: Prompter, question: Question, current: Value, choices: Sequence[Option]) -> Value:
    items = [str(item) for item in current] if isinstance(current, list | tuple) else []
    if not choices:
        from gitops_core.questions import coerce_answer

        example = question.placeholder or "one,two"
        text = ui.text(
            question.question,
            default=", ".join(items),
            check=checker(question),
            help=question.description,
            example=f"{example} (several: comma-separated)",
        )
        coerced = coerce_answer(question, text) if text else None
        return list(coerced or [])
    offered = [option.value for option in choices]
    entries = [Choice(option.label, option.description) for option in choices]
    for item in items:
        if item not in offered:
            offered.append(item)
            entries.append(Choice(item))
    entries.append(Choice("Others…", "type more, comma-separated"))
    picked = ui.select_many(
        question.question,
        entries,
        [offered.index(item) for item in items],
        question.description,
    )
    chosen = [offered[i] for i in picked if i < len(offered)]
    if len(offered) in picked:
        more = ui.text(f"{question.question} (more, comma-separated)", check=checker(question))
        chosen += [item.strip() for item in more.split(",") if item.strip()]
    return chosen


class Wizard:
    """One package's journey through a :class:`Sessions` kept in memory."""

    def __init__(self, sessions: Sessions, ui: Prompter, options: GenerateOptions) -> None:
        self.sessions = sessions
        self.ui = ui
        self.options = options
        self.session = ""

    # --- package and provider ------------------------------------------------------------

    def pick_package(self, step: Step) -> Step:
        if self.options.package is not None:
            return self.sessions.select_package(self.session, path=self.options.package)
        packages = step.packages
        if len(packages) == 1:
            if self.ui.confirm(f"I found {describe(packages[0])}. Deploy it?", True):
                return self.sessions.select_package(self.session, index=0)
        elif packages:
            entries = [Choice(p.path, _about(p)) for p in packages]
            choice = self.ui.select(
                f"I found {len(packages)} packages. Which one would you like to deploy?",
                [*entries, Choice("Another folder…", "type its path")],
            )
            if choice < len(packages):
                return self.sessions.select_package(self.session, index=choice)
        else:
            self.ui.say(step.message.removesuffix(" Where is your package located?"))

        def check(text: str) -> str | None:
            return None if text else "give a folder, relative to " + self.options.path

        while True:
            path = self.ui.text("Where is your package? (a folder)", check=check)
            try:
                return self.sessions.select_package(self.session, path=path)
            except UsageError as exc:
                self.ui.say(str(exc), "warn")

    def pick_provider(self, step: Step) -> Step:
        provider = self.options.provider
        if provider is None:
            if len(step.providers) == 1:
                provider, name = step.providers[0]
                self.ui.say(f"Using {name}, the one provider installed.", "muted")
            else:
                index = self.ui.select(
                    "Which GitOps tool would you like to use?",
                    [Choice(name, f"--provider {pid}") for pid, name in step.providers],
                )
                provider = step.providers[index][0]
        return self.sessions.select_provider(self.session, provider)

    # --- questions -----------------------------------------------------------------------

    def ask(self, pending: Pending, *, required: bool = False) -> Step:
        """Ask ``pending`` until an answer is accepted; keeps the default when it is chosen."""
        question = pending.question
        if required:
            question = attrs.evolve(question, required=True)
        state = self.sessions.load(self.session)
        derived = derived_name(question, state) if pending.default is None else None
        choices = () if question.type == "select" else pending.choices
        while True:
            value = ask_value(self.ui, question, pending.default, choices, derived)
            if _same(value, pending.default) or (derived and value == derived):
                return self.sessions.questions(self.session)
            try:
                return self.sessions.answer(self.session, {question.id: value})
            except GitOpsError as exc:
                self.ui.say(str(exc), "warn")

    def ask_open(self, step: Step, asked: set[str]) -> Step:
        """Every question that applies and was not answered yet, in order (answers can make
        others apply, such as self-heal after an automatic sync policy)."""
        while True:
            open_questions = [p for p in step.questions if p.question.id not in asked]
            if not open_questions:
                return step
            pending = open_questions[0]
            asked.add(pending.question.id)
            step = self.ask(pending)

    # --- review and write ----------------------------------------------------------------

    def review(self) -> tuple[Step, Step]:
        """Generate (without writing) until the user chooses to write: the questions and
        the generated result."""
        while True:
            step = self.sessions.questions(self.session)
            try:
                result = self.sessions.generate(self.session, write=False)
            except MissingAnswersError as exc:
                self.ui.say(str(exc), "warn")
                for pending in step.questions:
                    if pending.question.id in exc.missing:
                        self.ask(pending, required=True)
                continue
            except GitOpsError as exc:
                self.ui.say(str(exc), "warn")
                self.change_answer(step)
                continue
            assert result.output is not None
            self.ui.say()
            self.ui.say(result.output.manifests.rstrip())
            for note in result.output.notes:
                self.ui.say(f"note: {note}", "warn")
            self.ui.say()
            self.ui.say("Review", "heading")
            self.show_answers(step)
            target = self.target(step)
            choice = self.ui.select(
                "Write the manifest?",
                [
                    Choice(f"Write {target}", result.output.description),
                    Choice("Change an answer", "then review again"),
                ],
            )
            if choice == 0:
                return step, result
            self.change_answer(step)

    def show_answers(self, step: Step) -> None:
        state = self.sessions.load(self.session)
        rows: list[tuple[str, str, str]] = [
            ("package", f"{state.package.path if state.package else '?'}", ""),
            ("provider", str(state.provider), ""),
        ]
        for pending in step.questions:
            shown = as_text(pending.default)
            derived = None if shown else derived_name(pending.question, state)
            if derived:
                shown = f"{derived} (from the package name)"
            rows.append((pending.question.id, shown or "—", "" if pending.answered else "default"))
        width = max(len(row[0]) for row in rows)
        for key, value, note in rows:
            self.ui.say(f"  {key:<{width}}  {value}" + (f"  ({note})" if note else ""))

    def change_answer(self, step: Step) -> None:
        entries = [Choice(p.question.question, as_text(p.default) or "—") for p in step.questions]
        index = self.ui.select("Which answer would you like to change?", entries)
        self.ask(step.questions[index])
        # An answer can make other questions apply (self-heal after auto sync): ask those.
        self.ask_open(
            self.sessions.questions(self.session), {p.question.id for p in step.questions}
        )

    def target(self, step: Step) -> Path:
        (output,) = [p for p in step.questions if p.question.id == "outputPath"]
        return Path(as_text(output.default))

    def write(self, step: Step, result: Step) -> WriteResult | None:
        """Write; a different existing file is shown (the diff) and replaced only when the
        user says so, else None: back to the review (to choose another outputPath)."""
        assert result.output is not None
        state = self.sessions.load(self.session)
        options = self.options
        while True:
            try:
                return write_generated(
                    options, self.target(step), result.output.manifests, state.answers
                )
            except OverwriteRefusedError as exc:
                self.ui.say(exc.diff.rstrip(), "muted")
                self.ui.say(str(exc).removesuffix(f"; {_FORCE}"), "warn")
                if not self.ui.confirm("Replace it with the new manifest?", False):
                    return None
                options = options._replace(force=True)

    def run(self, provided: Mapping[str, object]) -> int:
        if self.options.provider is not None:  # a typing mistake is said before any work
            self.sessions.providers.get(self.options.provider)
        step = self.sessions.start(self.options.path)
        self.session = step.session_id
        step = self.pick_package(step)
        step = self.pick_provider(step)
        state = self.sessions.load(self.session)
        if provided:
            step = self.sessions.answer(self.session, provided)
        self.ask_open(step, set(provided))
        while True:
            step, result = self.review()
            written = self.write(step, result)
            if written is not None:
                break
        assert result.output is not None
        state = self.sessions.load(self.session)
        assert state.provider is not None
        provider_name = self.sessions.providers.get(state.provider).name
        self.finish(written, result.output.description, state, provider_name)
        return 0

    def finish(
        self, written: WriteResult, description: str, state: SessionState, provider: str
    ) -> None:
        target = self.target(self.sessions.questions(self.session))
        verb = {"created": "Created", "replaced": "Replaced", "unchanged": "Unchanged:"}
        self.ui.say()
        self.ui.say(f"✔ {verb[written.status]} {target} ({description})", "ok")
        if self.options.save_answers:
            self.ui.say(f"  answers saved to {self.options.save_answers} (replay with --answers)")
        name = state.package.name if state.package else "the package"
        if written.status != "unchanged":
            self.ui.say()
            self.ui.say("Next steps:", "heading")
            message = f"Deploy {name} with {provider}"
            self.ui.say(next_steps([str(target)], message, [str(target)]), "code")
            self.ui.say(
                "  (apply it once; not needed when the file is in a folder that your cluster "
                "already syncs from Git)",
                "muted",
            )
        self.ui.say()
        self.ui.say("To do the same without questions:", "heading")
        self.ui.say(replay_command(self.options, state), "code")


def _about(package: DetectedPackage) -> str:
    about = f"{_TYPE_NAMES[package.type]} {package.name}, {package.confidence} confidence"
    return "; ".join([about, *package.notes])


def next_steps(paths: Sequence[str], message: str, apply_once: Sequence[str] = ()) -> str:
    """The commands that deploy what was written: commit and push, then apply once."""
    lines = [
        "git add " + " ".join(shlex.quote(p) for p in paths),
        f"git commit -m {shlex.quote(message)}",
        "git push",
    ]
    if apply_once:
        lines.append("kubectl apply " + " ".join(f"-f {shlex.quote(p)}" for p in apply_once))
    return "\n".join(lines)


def run_wizard(
    options: GenerateOptions, provided: Mapping[str, object], ui: Prompter | None = None
) -> int:
    # One process, one session: kept in memory, nothing stored between answers.
    sessions = Sessions(store=MemoryStore(), providers=installed_providers())
    return Wizard(sessions, ui or open_prompter(), options).run(provided)


def write_generated(
    options: GenerateOptions, target: Path, manifests: str, answers: Mapping[str, Value]
) -> WriteResult:
    """Write the manifest and, with ``--save-answers``, the answers file: both are checked
    before either is written, so a refused answers file leaves no manifest behind either."""
    items = [(target, manifests)]
    if options.save_answers:
        import yaml

        saved = yaml.safe_dump(
            {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()},
            sort_keys=False,
            allow_unicode=True,
        )
        items.append((Path(options.save_answers), saved))
    return write_outputs(items, force=options.force)[0]


def replay_command(options: GenerateOptions, state: SessionState) -> str:
    words = ["gitops", "generate", options.path, "--provider", str(state.provider)]
    if state.package is not None:
        words += ["--package", state.package.path]
    for key, value in state.answers.items():
        words += ["--set", f"{key}={as_text(value)}"]
    return " ".join(shlex.quote(word) for word in words)


# --- generate --all on a terminal -----------------------------------------------------------


def _pick_provider(ui: Prompter, providers: Providers, chosen: str | None) -> Provider:
    if chosen is not None:
        return providers.get(chosen)
    loaded, _ = providers.load_all()
    if not loaded:
        raise UsageError("no GitOps provider is installed")
    if len(loaded) == 1:
        ui.say(f"Using {loaded[0].name}, the one provider installed.", "muted")
        return loaded[0]
    index = ui.select(
        "Which GitOps tool would you like to use?",
        [Choice(p.name, f"--provider {p.id}") for p in loaded],
    )
    return loaded[index]


def run_wizard_all(
    options: GenerateOptions, provided: Mapping[str, object], ui: Prompter | None = None
) -> int:
    """``generate --all`` on a terminal: ask what the set still needs, show every file, then
    write them together and say which to apply once."""
    from gitops_core.bundle import PER_PACKAGE_ANSWERS, generate_all
    from gitops_core.configuration import question_list

    for flag, given in (("--package", options.package), ("--save-answers", options.save_answers)):
        if given:
            raise UsageError(f"{flag} cannot be used with --all, which takes every package")
    ui = ui or open_prompter()
    provider = _pick_provider(ui, installed_providers(), options.provider)
    questions = {q.id: q for q in question_list(provider)}
    check_question_ids(tuple(questions.values()), provided)
    answers: dict[str, object] = dict(provided)
    folder = Path(options.output or f"gitops-{provider.id}")
    written: list[WriteResult] = []
    while not written:
        try:
            result = generate_all(Path(options.path), provider, answers, folder, options.exclude)
        except MissingAnswersError as exc:
            for question_id in exc.missing:
                question = attrs.evolve(questions[question_id], required=True)
                answers[question_id] = ask_value(ui, question, answers.get(question_id))
            continue
        _show_set(ui, result, folder)
        changeable = [
            q for q in questions.values() if q.id not in (*PER_PACKAGE_ANSWERS, NAME_QUESTION)
        ]
        choice = ui.select(
            "Write the set?",
            [
                Choice(
                    f"Write {len(result.files)} files into {folder}/", "nothing is written before"
                ),
                Choice("Change an answer", "for every package; then review again"),
            ],
        )
        if choice == 1:
            index = ui.select(
                "Which answer would you like to change?",
                [
                    Choice(q.question, as_text(answers.get(q.id, q.default)) or "default")
                    for q in changeable
                ],
            )
            question = changeable[index]
            answers[question.id] = ask_value(
                ui, question, answers.get(question.id, question.default)
            )
            continue
        written = _write_set(ui, result, options.force)
    changed = sum(1 for w in written if w.status != "unchanged")
    ui.say()
    ui.say(f"✔ {folder}/: {len(written)} files, {changed} written or replaced", "ok")
    once = [str(folder / item.path.name) for item in result.files if item.role != "package"]
    if changed:
        ui.say()
        ui.say("Next steps:", "heading")
        message = f"Deploy {len(result.configs)} packages with {provider.name}"
        ui.say(next_steps([str(folder)], message, once), "code")
        ui.say("  (apply once; from then on, committing the folder is enough)", "muted")
    ui.say()
    words = ["gitops", "generate", options.path, "--all", "--provider", provider.id]
    if options.output:
        words += ["-o", options.output]
    for pattern in options.exclude:
        words += ["--exclude", pattern]
    for key, value in answers.items():
        words += ["--set", f"{key}={as_text(value)}"]
    ui.say("To do the same without questions:", "heading")
    ui.say(" ".join(shlex.quote(word) for word in words), "code")
    return 0


def _write_set(ui: Prompter, result: BundleResult, force: bool) -> list[WriteResult]:
    """Write the set; different existing files are shown and replaced only when the user says
    so, else nothing is written (an empty list: back to the set's review)."""
    from gitops_core.bundle import write_bundle

    try:
        return write_bundle(result, force=force)
    except OverwriteRefusedError as exc:
        ui.say(exc.diff.rstrip(), "muted")
        ui.say(str(exc).removesuffix(f"; {_FORCE}"), "warn")
        if not ui.confirm("Replace them with the new files?", False):
            return []
        return write_bundle(result, force=True)


def _show_set(ui: Prompter, result: BundleResult, folder: Path) -> None:
    ui.say()
    for note in result.notes:
        ui.say(f"note: {note}", "warn")
    ui.say()
    ui.say(f"{len(result.files)} files for {len(result.configs)} packages:", "heading")
    width = max(len(item.path.name) for item in result.files)
    for item in result.files:
        what = item.package.path if item.package is not None else item.role
        ui.say(f"  {folder / item.path.name!s:<{width + len(str(folder)) + 1}}  {what}")


__all__ = ["Wizard", "replay_command", "run_wizard", "run_wizard_all", "write_generated"]
