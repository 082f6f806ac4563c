"""The ``gitops`` command (SPEC §4): human output by default, ``--json`` for programs.

Errors are one line each on stderr with the documented exit code: 1 invalid manifest, 2 bad
usage or input, 3 refused to overwrite, 4 a provider failed, 130 interrupted (Ctrl-C). With
``--json`` an error is also a JSON object on stdout: ``{"error": ..., "exitCode": ...}``.
A mistyped command, option, provider id or question id is answered with the one meant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from gitops_core.checks import did_you_mean
from gitops_core.cli.common import (
    chosen_provider,
    error_message,
    given_answers,
    installed_providers,
    print_error,
    print_json,
)
from gitops_core.cli.options import (
    Command,
    CompletionOptions,
    DetectOptions,
    GenerateOptions,
    McpOptions,
    ProvidersOptions,
    QuestionsOptions,
    ValidateOptions,
)
from gitops_core.cli.provider import register as register_provider_command
from gitops_core.errors import GitOpsError, OverwriteRefusedError, ProviderError, UsageError

if TYPE_CHECKING:
    from gitops_core.models import GeneratedOutput, GitOpsConfig
    from gitops_core.output.write import Status


def cmd_providers(options: ProvidersOptions) -> int:
    loaded, errors = installed_providers().load_all()
    rows = []
    for provider in loaded:
        try:
            name = provider.name
        except ProviderError as exc:  # one broken provider never hides the others
            errors.append(exc)
            continue
        rows.append(
            {
                "id": provider.id,
                "name": name,
                "distribution": provider.distribution,
                "version": provider.version,
            }
        )
    if options.json:
        print_json(rows)
    elif rows:
        width = max(len(r["id"]) for r in rows)
        for row in rows:
            print(f"{row['id']:<{width}}  {row['name']}  ({row['distribution']} {row['version']})")
    else:
        print("no providers installed; providers are distributions such as gitops-<id>")
    for error in errors:
        print(f"gitops: error: {error}", file=sys.stderr)
    return 4 if errors else 0


def cmd_detect(options: DetectOptions) -> int:
    import fnmatch

    from gitops_core.cli.progress import Progress
    from gitops_core.detection import detect
    from gitops_core.serialization import unstructure

    with Progress() as progress:
        detected = detect(
            Path(options.path),
            progress=lambda count: progress(f"scanning {options.path}: {count:,} folders"),
        )
    packages = [
        p
        for p in detected
        if (not options.type or p.type in options.type)
        and not any(fnmatch.fnmatchcase(p.path, glob) for glob in options.exclude)
    ]
    if options.json:
        # managedBy is in every package's JSON, empty when nothing deploys it (SPEC §4).
        print_json([{**unstructure(p), "managedBy": list(p.managed_by)} for p in packages])
    else:
        # ROLE only when a package is something else than a workload (test fixtures, docs...).
        role = ("ROLE",) if any(p.role != "workload" for p in packages) else ()
        rows = [
            (
                p.path,
                p.type,
                p.name,
                *((p.role,) if role else ()),
                ", ".join(p.managed_by) or "-",
                p.confidence,
                "; ".join(p.notes),
            )
            for p in packages
        ]
        print_table(("PATH", "TYPE", "NAME", *role, "MANAGED BY", "CONFIDENCE", "NOTES"), rows)
    if not packages:
        # Finding nothing is an answer, not a failure: exit 0, stdout empty (or [] with --json).
        found = "no packages found (no Helm chart, Kustomize overlay or Kubernetes manifests)"
        print(f"gitops: {found} under {options.path}", file=sys.stderr)
    return 0


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Aligned columns under a header; nothing at all without rows; a last column that is
    empty everywhere is left out."""
    if not rows:
        return
    columns = len(header)
    if all(not row[-1] for row in rows):
        columns -= 1
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(columns)]
    for row in [header, *rows]:
        cells = [str(row[i]).ljust(widths[i]) for i in range(columns)]
        print("  ".join(cells).rstrip())


def cmd_questions(options: QuestionsOptions) -> int:
    from gitops_core.configuration import question_list
    from gitops_core.questions import questions_as_data

    questions = question_list(installed_providers().get(options.provider))
    if options.json:
        print_json(questions_as_data(questions))
        return 0
    for question in questions:
        default = f" [default: {question.default}]" if question.default is not None else ""
        required = " (required)" if question.required else ""
        print(f"{question.id}: {question.question}{default}{required}")
        for option in question.options:
            print(f"    {option.value}: {option.label}")
    return 0


def interactive(options: GenerateOptions) -> bool:
    """Whether ``generate`` asks: on a terminal, unless told not to (SPEC §4)."""
    if options.defaults or options.json or options.output == "-":
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_generate(options: GenerateOptions) -> int:
    if options.all:
        from gitops_core.configuration import question_list

        if interactive(options) and not options.dry_run:
            from gitops_core.bundle import NothingToDeploy
            from gitops_core.cli.generate_all import nothing_to_deploy
            from gitops_core.cli.wizard import run_wizard_all

            try:
                return run_wizard_all(options, given_answers(options))
            except NothingToDeploy as exc:  # every package is deployed already: exit 0
                return nothing_to_deploy(exc, options, options.provider or "", Path("."))
        from gitops_core.cli.generate_all import run_generate_all
        from gitops_core.questions import check_question_ids

        check_question_ids(question_list(chosen_provider(options)), given_answers(options))
        return run_generate_all(options)
    if options.exclude:
        raise UsageError("--exclude goes with --all; with one package, pick it with --package")
    for flag, given in (
        ("--only", options.only),
        ("--include", options.include),
        ("--dry-run", options.dry_run),
    ):
        if given:
            raise UsageError(f"{flag} goes with --all")
    provided = given_answers(options)
    if options.output is not None and options.output != "-":
        provided["outputPath"] = options.output

    if interactive(options):
        from gitops_core.cli.wizard import run_wizard

        return run_wizard(options, provided)
    from gitops_core.git import COMMITTED_OBJECTS, start_git_facts

    root = Path(options.path)
    # Git runs while the provider and the stages load (a few ms of a short run otherwise).
    facts = start_git_facts(root, grep=COMMITTED_OBJECTS)
    from gitops_core.configuration import configure, question_list
    from gitops_core.detection import find_package
    from gitops_core.generation import generate
    from gitops_core.questions import check_one_package_answers, check_question_ids

    provider = chosen_provider(options)
    # Before the package is looked for: a mistyped id, or an answer only a whole set takes,
    # is the first thing to say.
    questions = question_list(provider)
    check_question_ids(questions, provided)
    check_one_package_answers(questions, provided)
    package = find_package(root, options.package)
    config = configure(root.resolve(), package, provider, provided, facts=facts())
    output = generate(config, provider)
    for note in output.notes:
        print(f"gitops: note: {note}", file=sys.stderr)

    if options.output == "-":
        if options.json:
            print_json(_generated_json(provider.id, output, config))
        else:
            sys.stdout.write(output.manifests)
        return 0
    from gitops_core.cli.wizard import write_generated

    target = Path(config.shared["outputPath"])
    result = write_generated(options, target, output.manifests, config.answers())
    if options.json:
        print_json(_generated_json(provider.id, output, config, target, result.status))
    else:
        verb = {"created": "wrote", "replaced": "replaced", "unchanged": "unchanged:"}
        print(f"{verb[result.status]} {target} ({output.description})")
    return 0


def _generated_json(
    provider: str,
    output: GeneratedOutput,
    config: GitOpsConfig,
    path: Path | None = None,
    status: Status | None = None,
) -> object:
    # Imported here: only --json needs the report model (scripted runs start faster).
    from gitops_core.cli.reports import GeneratedReport
    from gitops_core.serialization import unstructure

    return unstructure(GeneratedReport.of(provider, output, config, path, status))


def cmd_validate(options: ValidateOptions) -> int:
    from gitops_core.cli.validate import run_validate

    return run_validate(options.files, options.crds, options.allow_unknown_kinds, options.json)


def cmd_mcp(options: McpOptions) -> int:
    try:
        from gitops_core.mcp_server import serve
    except ModuleNotFoundError as exc:
        if exc.name != "mcp" and not (exc.name or "").startswith("mcp."):
            raise
        raise UsageError('gitops mcp needs the MCP SDK: pip install "gitops-core[mcp]"') from None
    serve()
    return 0


def cmd_completion(options: CompletionOptions) -> int:
    """Print the script that makes the shell complete ``gitops`` (argcomplete's)."""
    try:
        from argcomplete.shell_integration import shellcode
    except ModuleNotFoundError:
        raise UsageError(
            'gitops completion needs argcomplete: pip install "gitops-core[completion]"'
        ) from None
    sys.stdout.write(shellcode(["gitops"], shell=options.shell))
    return 0


COMPLETION_HELP = """\
load it in the shell's start-up file:
  bash:  eval "$(gitops completion bash)"          (~/.bashrc)
  zsh:   eval "$(gitops completion zsh)"           (~/.zshrc)
  fish:  gitops completion fish | source           (~/.config/fish/config.fish)"""


def versions() -> str:
    """``gitops --version``: gitops-core and every distribution that provides a provider."""
    from gitops_core import __version__
    from gitops_core.entrypoints import entry_points
    from gitops_core.plugins import ENTRY_POINT_GROUP

    provided: dict[tuple[str, str], list[str]] = {}
    for entry in entry_points(ENTRY_POINT_GROUP):
        provided.setdefault((entry.distribution, entry.version), []).append(entry.name)
    lines = [f"gitops-core {__version__}"]
    for (distribution, version), ids in sorted(provided.items()):
        kind = "providers" if len(ids) > 1 else "provider"
        lines.append(f"{distribution} {version} ({kind} {', '.join(sorted(ids))})")
    return "\n".join(lines) + "\n"


class _Versions(argparse.Action):
    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        sys.stdout.write(versions())
        parser.exit()


class ParseError(UsageError):
    """What argparse refused, said in one line with where to read more."""


class Parser(argparse.ArgumentParser):
    """argparse, but a refused command line is one error line (and, with ``--json``, a JSON
    object) like every other error, not the usage text and a second line."""

    def error(self, message: str) -> NoReturn:
        raise ParseError(f"{message} (see {self.prog} --help)")


def _complete_providers(**_: object) -> list[str]:
    from gitops_core.entrypoints import entry_points
    from gitops_core.plugins import ENTRY_POINT_GROUP

    return sorted({entry.name for entry in entry_points(ENTRY_POINT_GROUP)})


def _complete_question_ids(prefix: str, parsed_args: argparse.Namespace, **_: object) -> list[str]:
    """``--set`` completes to ``ID=`` for the questions of ``--provider`` (or every provider)."""
    from gitops_core.configuration import question_list

    providers = installed_providers()
    chosen = getattr(parsed_args, "provider", None)
    ids: set[str] = set()
    for provider_id in [chosen] if isinstance(chosen, str) else providers.ids():
        try:
            ids.update(q.id for q in question_list(providers.get(provider_id)))
        except GitOpsError:
            continue
    return [f"{question_id}=" for question_id in sorted(ids) if question_id.startswith(prefix)]


def _complete_packages(parsed_args: argparse.Namespace, **_: object) -> list[str]:
    from gitops_core.detection import detect

    try:
        return [p.path for p in detect(Path(str(getattr(parsed_args, "path", "."))))]
    except (GitOpsError, OSError):
        return []


def _completer(action: argparse.Action, function: Callable[..., list[str]]) -> None:
    """Tell argcomplete how to complete an argument's value (an attribute it reads)."""
    action.completer = function  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="gitops",
        description="Write Flux or Argo CD manifests for what a repository holds.",
        epilog="Exit codes: 0 ok, 1 invalid manifest, 2 bad usage or input, 3 refused to "
        "overwrite, 4 a provider failed, 130 interrupted.",
    )
    parser.add_argument(
        "--version",
        action=_Versions,
        nargs=0,
        help="print gitops-core's version and those of the installed providers",
    )
    commands = parser.add_subparsers(dest="name", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--json", action="store_true", help="print one JSON document")
        return sub

    sub = command("providers", "list the installed providers")
    sub.set_defaults(command=Command(ProvidersOptions, cmd_providers))

    sub = command("detect", "list the deployable packages under PATH")
    sub.add_argument("path", nargs="?", default=".", metavar="PATH")
    sub.add_argument(
        "--type",
        action="append",
        default=[],
        choices=("helm", "kustomize", "raw-manifests"),
        help="only packages of this type (repeatable)",
    )
    sub.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out packages whose path matches (e.g. 'test/*'; repeatable)",
    )
    sub.set_defaults(command=Command(DetectOptions, cmd_detect))

    sub = command("questions", "the shared and provider questions, as data")
    _completer(sub.add_argument("--provider", required=True, metavar="ID"), _complete_providers)
    sub.set_defaults(command=Command(QuestionsOptions, cmd_questions))

    sub = command("generate", "generate the manifests for a package (asks on a terminal)")
    sub.add_argument("path", nargs="?", default=".", metavar="PATH")
    _completer(
        sub.add_argument("--provider", metavar="ID", help="asked on a terminal when not given"),
        _complete_providers,
    )
    _completer(
        sub.add_argument("--package", metavar="DIR", help="the package folder, relative to PATH"),
        _complete_packages,
    )
    sub.add_argument(
        "--all", action="store_true", help="every package: one file each in -o DIR, + entry point"
    )
    sub.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="with --all: leave out packages whose path matches (e.g. '*/base')",
    )
    sub.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="with --all: only packages whose path matches (e.g. 'apps/*')",
    )
    sub.add_argument(
        "--include",
        action="append",
        default=[],
        choices=[
            "managed",
            "bases",
            "fixtures",
            "docs",
            "examples",
            "gitops-config",
            "flux",
            "all",
        ],
        metavar="WHAT",
        help="with --all: deploy packages left out as WHAT anyway: managed (deployed already), "
        "bases, fixtures, docs, examples, gitops-config, flux, all",
    )
    sub.add_argument(
        "--dry-run",
        action="store_true",
        help="with --all: list what would be written and left out; write nothing",
    )
    _completer(
        sub.add_argument("--set", action="append", default=[], metavar="ID=VALUE"),
        _complete_question_ids,
    )
    sub.add_argument("--answers", metavar="FILE", help="YAML or JSON mapping of id to answer")
    sub.add_argument("--defaults", action="store_true", help="take defaults without asking")
    sub.add_argument("-o", "--output", metavar="FILE", help="where to write; - for stdout")
    sub.add_argument("--force", action="store_true", help="replace a different existing file")
    sub.add_argument("--save-answers", metavar="FILE", help="write the answers for --answers")
    sub.set_defaults(command=Command(GenerateOptions, cmd_generate))

    sub = command("validate", "check manifests against the vendored schemas and given CRDs")
    sub.add_argument(
        "files",
        nargs="+",
        metavar="PATH",
        help="a manifest file, a folder (walked for .yaml, .yml, .json), or - for stdin",
    )
    sub.add_argument(
        "--crd",
        dest="crds",
        action="append",
        default=[],
        metavar="FILE|DIR",
        help="also validate against these CustomResourceDefinitions (files or folders)",
    )
    sub.add_argument(
        "--allow-unknown-kinds",
        action="store_true",
        help="let documents of kinds without a schema pass (core Kubernetes objects)",
    )
    sub.set_defaults(command=Command(ValidateOptions, cmd_validate))

    sub = command("mcp", "serve the gitops tool to AI agents over MCP (stdio)")
    sub.set_defaults(command=Command(McpOptions, cmd_mcp))

    register_provider_command(commands)  # gitops provider new ID

    sub = commands.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or fish",
        description="Print the script that makes SHELL complete gitops commands, options, "
        "provider ids, packages and question ids.",
        epilog=COMPLETION_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.add_argument("shell", choices=("bash", "zsh", "fish"), metavar="SHELL")
    sub.set_defaults(command=Command(CompletionOptions, cmd_completion), json=False)
    return parser


def _check_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Refuse an unknown command with the one meant (argparse lists every choice instead)."""
    names = [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]
    for arg in argv:
        if arg == "--":
            return
        if arg.startswith("-"):
            continue
        if arg not in names:
            guess = did_you_mean(arg, names)
            hint = f"did you mean {guess}? " if guess else ""
            raise ParseError(f"unknown command {arg!r}; {hint}(commands: {', '.join(names)})")
        return


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    _check_command(parser, argv)
    args, extras = parser.parse_known_args(argv)
    if extras:
        sub = next(
            action.choices[args.name]
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
        )
        options = [o for action in sub._actions for o in action.option_strings]
        first = extras[0]
        if first.startswith("-"):
            name = first.partition("=")[0]
            guess = did_you_mean(name, options)
            hint = f"; did you mean {guess}?" if guess else ""
            raise ParseError(f"unknown option {name}{hint} (see {sub.prog} --help)")
        raise ParseError(f"unexpected argument {first!r} (see {sub.prog} --help)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in words
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (gitops completion)
        try:
            import argcomplete
        except ModuleNotFoundError:
            return 1
        argcomplete.autocomplete(parser)
    try:
        args = _parse(parser, words)
        as_json = bool(getattr(args, "json", False))
        command: Command[tuple[object, ...]] = args.command
        return command(args)
    except GitOpsError as exc:
        print_error(error_message(exc), exc.exit_code, as_json=as_json)
        if isinstance(exc, OverwriteRefusedError) and not as_json:
            sys.stdout.write(exc.diff)  # what --force would change
        return exc.exit_code
    except KeyboardInterrupt:
        print("gitops: interrupted (Ctrl-C); nothing was written", file=sys.stderr)
        if as_json:
            print_json({"error": "interrupted; nothing was written", "exitCode": 130})
        return 130
    except EOFError:  # Ctrl-D at a question of the wizard: the answers end here
        print("gitops: input ended (Ctrl-D); nothing was written", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def run() -> None:
    """The ``gitops`` command (and ``python -m gitops_core``)."""
    code = main()
    # The command is done. Tearing the interpreter down would walk every object it made in
    # the final garbage collections, ~10 ms of a ~170 ms `generate`, to free memory the OS
    # frees anyway; frozen, they are skipped. (Exit handlers and flushing still run.)
    import gc

    gc.freeze()
    sys.exit(code)
