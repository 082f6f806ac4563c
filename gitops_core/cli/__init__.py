"""The ``gitops`` command (SPEC §4): human output by default, ``--json`` for programs.

Errors are one line each on stderr with the documented exit code: 1 invalid manifest, 2 bad
usage or input, 3 refused to overwrite, 4 a provider failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from gitops_core.errors import GitOpsError, OverwriteRefusedError, ProviderError, UsageError

#: Answers files are small; a bigger one is a mistake, not something to load into memory.
MAX_ANSWERS_BYTES = 1024 * 1024


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _package_json(package: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": package.path,
        "type": package.type,
        "name": package.name,
        "confidence": package.confidence,
    }
    if package.notes:
        data["notes"] = list(package.notes)
    return data


def _providers() -> Any:
    from gitops_core.plugins import Providers

    return Providers.discover()


def cmd_providers(args: argparse.Namespace) -> int:
    loaded, errors = _providers().load_all()
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
    if args.json:
        _print_json(rows)
    elif rows:
        width = max(len(r["id"]) for r in rows)
        for row in rows:
            print(f"{row['id']:<{width}}  {row['name']}  ({row['distribution']} {row['version']})")
    else:
        print("no providers installed; providers are distributions such as gitops-<id>")
    for error in errors:
        print(f"gitops: error: {error}", file=sys.stderr)
    return 4 if errors else 0


def cmd_detect(args: argparse.Namespace) -> int:
    from gitops_core.detection import detect

    packages = detect(args.path)
    if args.json:
        _print_json([_package_json(p) for p in packages])
        return 0
    if not packages:
        print(f"no Helm chart, Kustomize overlay or Kubernetes manifests found under {args.path}")
    for package in packages:
        notes = f"  ({'; '.join(package.notes)})" if package.notes else ""
        print(f"{package.path}  {package.type}  {package.name}  {package.confidence}{notes}")
    return 0


def cmd_questions(args: argparse.Namespace) -> int:
    from gitops_core.questions import questions_as_data
    from gitops_core.workflow import question_list

    questions = question_list(_providers().get(args.provider))
    if args.json:
        _print_json(questions_as_data(questions))
        return 0
    for question in questions:
        default = f" [default: {question.default}]" if question.default is not None else ""
        required = " (required)" if question.required else ""
        print(f"{question.id}: {question.question}{default}{required}")
        for option in question.options:
            print(f"    {option.value}: {option.label}")
    return 0


def _parse_set(items: Sequence[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set {item!r}: expected ID=VALUE")
        answers[key.strip()] = value
    return answers


def _load_answers_file(name: str) -> dict[str, object]:
    from gitops_core.yamlio import InvalidYAML, safe_load

    path = Path(name)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_ANSWERS_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"--answers {name}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_ANSWERS_BYTES:
        raise UsageError(f"--answers {name}: larger than {MAX_ANSWERS_BYTES} bytes")
    try:
        data = safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, InvalidYAML) as exc:
        raise UsageError(f"--answers {name}: not valid YAML or JSON: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise UsageError(f"--answers {name}: expected a mapping of question id to answer")
    return data


def cmd_generate(args: argparse.Namespace) -> int:
    if args.all:
        from gitops_core.cli.generate_all import run_generate_all

        return run_generate_all(args)
    if args.exclude:
        raise UsageError("--exclude goes with --all; with one package, pick it with --package")
    from gitops_core import workflow

    provided: dict[str, object] = {}
    if args.answers:
        provided.update(_load_answers_file(args.answers))
    provided.update(_parse_set(args.set))
    if args.output is not None and args.output != "-":
        provided["outputPath"] = args.output

    interactive = not (args.defaults or args.json or args.output == "-")
    if interactive and sys.stdin.isatty() and sys.stdout.isatty():
        from gitops_core.cli.wizard import run_wizard

        return run_wizard(args, provided)
    root = Path(args.path)
    providers = _providers()
    provider = providers.get(args.provider or _only_provider(providers))
    package = workflow.find_package(root, args.package)
    config = workflow.configure(root.resolve(), package, provider, provided)
    output = workflow.generate(config, provider)
    for note in output.notes:
        print(f"gitops: note: {note}", file=sys.stderr)

    if args.output == "-":
        if args.json:
            _print_json(_generated_json(provider.id, output, config, None, None))
        else:
            sys.stdout.write(output.manifests)
        return 0
    from gitops_core.cli.wizard import write_outputs

    target = Path(config.shared["outputPath"])
    result = write_outputs(args, target, output.manifests, {**config.shared, **config.provider})
    if args.json:
        _print_json(_generated_json(provider.id, output, config, str(target), result.status))
    else:
        verb = {"created": "wrote", "replaced": "replaced", "unchanged": "unchanged:"}
        print(f"{verb[result.status]} {target} ({output.description})")
    return 0


def _only_provider(providers: Any) -> str:
    ids: list[str] = providers.ids()
    if len(ids) == 1:
        return ids[0]
    raise UsageError(f"choose a provider with --provider: {', '.join(ids) or 'none installed'}")


def _generated_json(
    provider: str, output: Any, config: Any, path: str | None, status: str | None
) -> dict[str, Any]:
    return {
        "provider": provider,
        "package": _package_json(config.package),
        "answers": {**config.shared, **config.provider},
        "outputPath": path,
        "status": status,
        "description": output.description,
        "notes": list(output.notes),
        "documents": list(output.documents),
    }


def cmd_validate(args: argparse.Namespace) -> int:
    from gitops_core.resources import schema_dir
    from gitops_core.validation import Problem, SchemaStore, load_documents, validate_documents

    dirs, errors = _providers().schema_dirs()
    for error in errors:
        print(f"gitops: warning: {error}", file=sys.stderr)
    store = SchemaStore([schema_dir("gitops_core", "") / "kubernetes", *dirs])
    problems: list[Any] = []
    for name in args.files:
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
                documents, source=name, store=store, allow_unknown_kinds=args.allow_unknown_kinds
            )
        )
    if args.json:
        _print_json({"valid": not problems, "problems": [attrs.asdict(p) for p in problems]})
    else:
        for problem in problems:
            print(problem)
        if not problems:
            print(f"{len(args.files)} file{'s' if len(args.files) > 1 else ''} valid")
    return 1 if problems else 0


def cmd_mcp(args: argparse.Namespace) -> int:
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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--json", action="store_true", help="print one JSON document")
        return sub

    sub = command("providers", "list the installed providers")
    sub.set_defaults(run=cmd_providers)

    sub = command("detect", "list the deployable packages under PATH")
    sub.add_argument("path", nargs="?", default=".", metavar="PATH")
    sub.set_defaults(run=cmd_detect)

    sub = command("questions", "the shared and provider questions, as data")
    sub.add_argument("--provider", required=True, metavar="ID")
    sub.set_defaults(run=cmd_questions)

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
    sub.set_defaults(run=cmd_generate)

    sub = command("validate", "check manifests against the vendored schemas")
    sub.add_argument("files", nargs="+", metavar="FILE", help="- reads stdin")
    sub.add_argument(
        "--allow-unknown-kinds",
        action="store_true",
        help="let documents of kinds without a schema pass (core Kubernetes objects)",
    )
    sub.set_defaults(run=cmd_validate)

    sub = command("mcp", "serve the gitops tool to AI agents over MCP (stdio)")
    sub.set_defaults(run=cmd_mcp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except GitOpsError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"gitops: error: {line}", file=sys.stderr)
        if isinstance(exc, OverwriteRefusedError) and not getattr(args, "json", False):
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
