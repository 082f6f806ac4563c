"""The ``gitops`` command (SPEC §4): human output by default, ``--json`` for programs.

Errors are one line each on stderr with the documented exit code: 1 invalid manifest, 2 bad
usage or input, 3 refused to overwrite, 4 a provider failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import AttrsInstance

from gitops_core.cli.common import (
    chosen_provider,
    error_message,
    given_answers,
    installed_providers,
    print_json,
)
from gitops_core.cli.options import (
    Command,
    DetectOptions,
    GenerateOptions,
    McpOptions,
    ProvidersOptions,
    QuestionsOptions,
    ValidateOptions,
)
from gitops_core.errors import GitOpsError, OverwriteRefusedError, ProviderError, UsageError

if TYPE_CHECKING:
    from gitops_core.validation import Problem


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
    from gitops_core.detection import detect
    from gitops_core.serialization import unstructure

    packages = detect(Path(options.path))
    if options.json:
        print_json(unstructure(packages))
        return 0
    if not packages:
        found = "no Helm chart, Kustomize overlay or Kubernetes manifests found"
        print(f"{found} under {options.path}")
    for package in packages:
        notes = f"  ({'; '.join(package.notes)})" if package.notes else ""
        print(f"{package.path}  {package.type}  {package.name}  {package.confidence}{notes}")
    return 0


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


def cmd_generate(options: GenerateOptions) -> int:
    if options.all:
        from gitops_core.cli.generate_all import run_generate_all

        return run_generate_all(options)
    if options.exclude:
        raise UsageError("--exclude goes with --all; with one package, pick it with --package")
    provided = given_answers(options)
    if options.output is not None and options.output != "-":
        provided["outputPath"] = options.output

    interactive = not (options.defaults or options.json or options.output == "-")
    if interactive and sys.stdin.isatty() and sys.stdout.isatty():
        from gitops_core.cli.wizard import run_wizard

        return run_wizard(options, provided)
    from gitops_core.cli.reports import GeneratedReport
    from gitops_core.configuration import configure
    from gitops_core.detection import find_package
    from gitops_core.generation import generate
    from gitops_core.serialization import unstructure

    root = Path(options.path)
    provider = chosen_provider(options)
    package = find_package(root, options.package)
    config = configure(root.resolve(), package, provider, provided)
    output = generate(config, provider)
    for note in output.notes:
        print(f"gitops: note: {note}", file=sys.stderr)

    if options.output == "-":
        if options.json:
            print_json(unstructure(GeneratedReport.of(provider.id, output, config)))
        else:
            sys.stdout.write(output.manifests)
        return 0
    from gitops_core.cli.wizard import write_generated

    target = Path(config.shared["outputPath"])
    result = write_generated(options, target, output.manifests, config.answers())
    if options.json:
        report = GeneratedReport.of(provider.id, output, config, target, result.status)
        print_json(unstructure(report))
    else:
        verb = {"created": "wrote", "replaced": "replaced", "unchanged": "unchanged:"}
        print(f"{verb[result.status]} {target} ({output.description})")
    return 0


def cmd_validate(options: ValidateOptions) -> int:
    from gitops_core.serialization import unstructure
    from gitops_core.validation import (
        Problem,
        SchemaStore,
        core_schema_dir,
        load_documents,
        validate_documents,
    )

    dirs, errors = installed_providers().schema_dirs()
    for error in errors:
        print(f"gitops: warning: {error}", file=sys.stderr)
    store = SchemaStore([core_schema_dir(), *dirs])
    problems: list[Problem] = []
    for name in options.files:
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{name}: cannot read: {exc}") from None
        try:
            documents = load_documents(text, source=name)
        except UsageError as exc:  # not YAML, duplicate keys, a bomb: this file is invalid
            message = str(exc).removeprefix(f"{name}: ")
            problems.append(Problem(name, 0, "", "", "(root)", message))
            continue
        problems.extend(
            validate_documents(
                documents,
                source=name,
                store=store,
                allow_unknown_kinds=options.allow_unknown_kinds,
            )
        )
    if options.json:
        print_json({"valid": not problems, "problems": unstructure(problems)})
    else:
        for problem in problems:
            print(problem)
        if not problems:
            count = len(options.files)
            print(f"{count} file{'s' if count > 1 else ''} valid")
    return 1 if problems else 0


def cmd_mcp(options: McpOptions) -> int:
    try:
        from gitops_core.mcp_server import serve
    except ModuleNotFoundError as exc:
        if exc.name != "mcp" and not (exc.name or "").startswith("mcp."):
            raise
        raise UsageError('gitops mcp needs the MCP SDK: pip install "gitops-core[mcp]"') from None
    serve()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitops", description="Write Flux or Argo CD manifests for what a repository holds."
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
    sub.set_defaults(command=Command(DetectOptions, cmd_detect))

    sub = command("questions", "the shared and provider questions, as data")
    sub.add_argument("--provider", required=True, metavar="ID")
    sub.set_defaults(command=Command(QuestionsOptions, cmd_questions))

    sub = command("generate", "generate the manifests for a package (asks on a terminal)")
    sub.add_argument("path", nargs="?", default=".", metavar="PATH")
    sub.add_argument("--provider", metavar="ID", help="asked on a terminal when not given")
    sub.add_argument("--package", metavar="DIR", help="the package folder, relative to PATH")
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
    sub.add_argument("--set", action="append", default=[], metavar="ID=VALUE")
    sub.add_argument("--answers", metavar="FILE", help="YAML or JSON mapping of id to answer")
    sub.add_argument("--defaults", action="store_true", help="take defaults without asking")
    sub.add_argument("-o", "--output", metavar="FILE", help="where to write; - for stdout")
    sub.add_argument("--force", action="store_true", help="replace a different existing file")
    sub.add_argument("--save-answers", metavar="FILE", help="write the answers for --answers")
    sub.set_defaults(command=Command(GenerateOptions, cmd_generate))

    sub = command("validate", "check manifests against the vendored schemas")
    sub.add_argument("files", nargs="+", metavar="FILE", help="- reads stdin")
    sub.add_argument(
        "--allow-unknown-kinds",
        action="store_true",
        help="let documents of kinds without a schema pass (core Kubernetes objects)",
    )
    sub.set_defaults(command=Command(ValidateOptions, cmd_validate))

    sub = command("mcp", "serve the gitops tool to AI agents over MCP (stdio)")
    sub.set_defaults(command=Command(McpOptions, cmd_mcp))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Command[AttrsInstance] = args.command
    try:
        code = command(args)
    except GitOpsError as exc:
        for line in error_message(exc).splitlines():
            print(f"gitops: error: {line}", file=sys.stderr)
        if isinstance(exc, OverwriteRefusedError) and not args.json:
            sys.stdout.write(exc.diff)  # what --force would change
        return exc.exit_code
    except KeyboardInterrupt:
        print("gitops: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return code


def run() -> None:
    sys.exit(main())
