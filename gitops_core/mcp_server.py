"""The ``gitops`` tools for AI agents: a Model Context Protocol server over the same stages as the
command line.

Three tools:

- ``gitops`` drives one package's journey one stage at a time through
  :class:`~gitops_core.sessions.Sessions` (detect → selectPackage → selectProvider → configure →
  generate), the same workflow as the interactive wizard. Every result names the next stage and
  what it needs, so an agent can hold the conversation without knowing any provider. It writes
  one file, at stage ``generate``, inside the project; a different existing file only with
  ``force``.
- ``gitops_generate_all`` is ``gitops generate --all``: every package that nothing deploys yet,
  one file each plus the entry point to apply once (``dryRun`` shows the files without writing;
  ``exclude``, ``only`` and ``include`` choose the packages as ``--exclude``, ``--only`` and
  ``--include`` do). When every package is deployed already it says so, with what was left out
  and why, as a successful result that writes nothing (the command exits 0 there too).
- ``gitops_validate`` checks manifest files against the schemas (read-only).

Results are compact: the structured content carries the data (empty fields left out), the text
content is a short summary for the model. Every error is one line per problem, in terms of the
tools' parameters: a :class:`~gitops_core.errors.GitOpsError` becomes a tool error, and so does
an argument of the wrong shape (never a raw validation dump).

Needs the optional extra ``gitops-core[mcp]``; ``gitops mcp`` serves it over stdio.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, WithJsonSchema
from pydantic.alias_generators import to_camel

from gitops_core import __version__
from gitops_core.checks import did_you_mean
from gitops_core.errors import (
    GitOpsError,
    MissingAnswersError,
    OverwriteRefusedError,
    UsageError,
)
from gitops_core.models import Confidence, PackageType, QuestionType
from gitops_core.output.write import Status
from gitops_core.plugins import Providers
from gitops_core.questions import check_question_ids
from gitops_core.sessions import Sessions, Step

if TYPE_CHECKING:
    from gitops_core.bundle import Skipped

__all__ = [
    "GenerateAllResult",
    "GitOpsResult",
    "SkippedResult",
    "ValidateResult",
    "create_server",
    "error_message",
    "serve",
]

#: What ``include`` may name: the keys of :data:`gitops_core.bundle.INCLUDE` (not imported here,
#: so that starting the server does not load the set machinery). Listed in the argument's
#: schema, checked by :func:`check_include`, which names the word meant.
INCLUDE_WORDS = ("managed", "bases", "fixtures", "docs", "examples", "gitops-config", "flux", "all")
IncludeWord = Annotated[str, WithJsonSchema({"type": "string", "enum": list(INCLUDE_WORDS)})]

ToolStage = Literal["detect", "selectPackage", "selectProvider", "configure", "generate"]
NextStage = Literal["selectPackage", "selectProvider", "configure", "generate", "done"]

INSTRUCTIONS = """\
Writes GitOps manifests (Flux, Argo CD or any installed provider) that deploy a Helm chart, a \
Kustomize overlay or a folder of Kubernetes manifests from the user's repository. Drive the \
`gitops` tool stage by stage (detect -> selectPackage -> selectProvider -> configure -> \
generate), asking the user at each step; every result names the next stage and what it needs. \
`gitops_generate_all` writes manifests for every package at once; `gitops_validate` checks \
manifest files."""

DESCRIPTION = """\
Generate validated GitOps manifests for a package in a repository, one stage at a time.

1. stage='detect' (projectPath defaults to the server's working directory) scans the project and \
starts a session. Confirm the package with the user when one was found, let them pick when \
several were, ask where it is when none was.
2. stage='selectPackage' with sessionId and selectedPackage (the package's index) or packagePath \
(a folder relative to projectPath).
3. stage='selectProvider' with provider: one id from the result's providers.
4. stage='configure' with answers, an object of question id -> value. Ask the user the open \
questions (text, options, suggestions, default); a question left unanswered takes its default. \
Repeat until nextStage is 'generate' (nothing missing). Earlier answers can be changed the same \
way.
5. stage='generate' validates the manifests and writes them to the outputPath answer, inside \
projectPath. An existing different file is kept unless force is true (ask the user first).

Each result names nextStage, says in message what to tell or ask the user, and lists what that \
stage needs (empty lists are left out). A call applies every input it carries in the order \
above. On an error (one line per problem) fix the input and call again with the same sessionId."""

GENERATE_ALL_DESCRIPTION = """\
Generate validated GitOps manifests for every package of a repository that nothing deploys yet \
(`gitops generate --all`): one file per package in outputFolder (default gitops-<provider>, \
inside projectPath), a source shared by all when the provider has one, and an entry-point file \
to apply once; from then on committing the folder is enough. Answers (question id -> value) \
apply to every package; gitRepoPath, outputPath and resourceName are per package and refused. \
Packages already deployed, Kustomize bases that overlays build, Flux's own installation, test \
fixtures, docs and examples are left out (skipped says which and why); include names those to \
deploy anyway, only and exclude select packages by path glob. When nothing is left to deploy the \
result says so (nothingToDeploy) and writes nothing. Call with dryRun=true first to show the \
user the files and what was left out; an existing different file refuses the whole set unless \
force is true (ask the user first)."""

VALIDATE_DESCRIPTION = """\
Check manifest files (YAML or JSON, several documents each) against the schemas of Kubernetes \
and of every installed provider's CRDs, as the API server would with strict field validation. \
paths are files or folders (walked for .yaml, .yml, .json) relative to projectPath. Returns one \
problem per field that would be refused. Not checked, and counted in skipped with the reason: \
documents of built-in Kubernetes kinds (v1 Service, apps/v1 Deployment) with no schema here, and \
in a walked folder the files that are no manifests (a Helm chart's Chart.yaml, values and \
templates; kustomization.yaml and the patches it names; files with no apiVersion or kind)."""


class _Result(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True, frozen=True
    )


class PackageChoice(_Result):
    """A deployable package found in the project."""

    index: int = Field(description="pass as selectedPackage to choose this package")
    path: str = Field(description="folder relative to projectPath, '/'-separated")
    type: PackageType
    name: str
    confidence: Confidence
    notes: list[str] = Field(default=[], description="what looked odd while detecting it")


class ProviderChoice(_Result):
    """An installed GitOps provider."""

    id: str = Field(description="pass as provider")
    name: str


class OptionChoice(_Result):
    """One choice of a select question, or one suggestion for a text or list question."""

    value: str = Field(description="the answer to give")
    label: str
    description: str | None = None


class OpenQuestion(_Result):
    """A question not yet answered; unanswered, it takes its default."""

    id: str = Field(description="the key in answers")
    question: str = Field(description="the text to ask the user")
    type: QuestionType = Field(
        description="text: a string; select: one of options' values; confirm: true or false; "
        "list: an array of strings"
    )
    required: bool
    default: JsonValue = Field(
        default=None,
        description="the value used when the question is not answered; absent when there is none",
    )
    options: list[OptionChoice] = Field(default=[], description="select: the values to choose")
    suggestions: list[OptionChoice] = Field(
        default=[],
        description="text and list: what the repository offers (other values are accepted)",
    )
    description: str | None = Field(default=None, description="help text to show")
    placeholder: str | None = Field(default=None, description="an example answer")


class Generated(_Result):
    """The manifests that were generated, validated and written."""

    manifests: str = Field(description="the multi-document YAML that was written")
    output_path: str = Field(description="where it was written, relative to projectPath")
    status: Status
    valid: bool = Field(
        description="validated against the provider's CRD schemas before writing "
        "(an invalid manifest is an error and nothing is written)"
    )
    description: str
    notes: list[str] = []


class GitOpsResult(_Result):
    """What a stage did and what the next one needs; empty lists are left out."""

    session_id: str = Field(description="pass to every later call")
    next_stage: NextStage = Field(
        description="the stage to call next; 'done' once the manifests are written"
    )
    message: str = Field(description="what to tell or ask the user now")
    packages: list[PackageChoice] = Field(
        default=[], description="for selectPackage: the detected packages"
    )
    providers: list[ProviderChoice] = Field(
        default=[], description="for selectProvider: the installed providers"
    )
    questions: list[OpenQuestion] = Field(
        default=[], description="for configure: the questions still open"
    )
    answers: dict[str, JsonValue] = Field(
        default={}, description="the answers given so far, by question id"
    )
    missing: list[str] = Field(
        default=[], description="ids of required questions that have no value yet"
    )
    generated: Generated | None = Field(default=None, description="when done: what was written")


class BundleFileResult(_Result):
    """One file of a set."""

    path: str = Field(description="relative to projectPath")
    role: Literal["package", "shared", "entrypoint"]
    package: str | None = Field(default=None, description="the package's path, for role package")
    description: str
    status: Status | None = Field(default=None, description="absent with dryRun")


class SkippedPackage(_Result):
    """A package left out of the set, and why."""

    path: str = Field(description="the package folder, relative to projectPath")
    type: PackageType
    name: str
    reason: str = Field(
        description="managed, flux-installation, gitops-config, test-fixture, docs, example, "
        "base, excluded (by exclude or only) or output (inside outputFolder)"
    )
    detail: str = Field(description="why, in words (the files that deploy it, the overlays...)")
    include: str | None = Field(default=None, description="the include word that deploys it anyway")


class GenerateAllResult(_Result):
    """What ``gitops_generate_all`` wrote (or, with dryRun, would write)."""

    message: str
    folder: str = Field(description="the output folder, relative to projectPath")
    written: bool = Field(description="false with dryRun, or when nothing was left to deploy")
    nothing_to_deploy: bool = Field(
        default=False,
        description="every package is deployed already or left out: nothing was written, and "
        "skipped says why (not an error)",
    )
    files: list[BundleFileResult] = []
    apply_once: list[str] = Field(
        default=[],
        description="the files to apply once (kubectl apply -f ...); committing the folder "
        "is enough after that",
    )
    skipped: list[SkippedPackage] = Field(
        default=[], description="the packages left out, each with its reason"
    )
    notes: list[str] = Field(default=[], description="packages left out and why, and warnings")


class ProblemResult(_Result):
    """One field a manifest would be refused for."""

    file: str
    index: int = Field(description="0-based position of the document in its file")
    kind: str
    name: str
    path: str = Field(description="the field, dotted")
    message: str


class SkippedResult(_Result):
    """A file or document not checked, and why."""

    file: str
    index: int | None = Field(
        default=None, description="the document's 0-based position; none for a whole file"
    )
    kind: str = ""
    name: str = ""
    reason: str = Field(
        description="builtin-kind, unknown-kind, kustomization, kustomize-patch, "
        "kustomize-input, helm-chart, template or no-objects"
    )


class ValidateResult(_Result):
    """What ``gitops_validate`` found."""

    valid: bool
    files: int = Field(description="how many files were checked")
    documents: int = Field(default=0, description="how many documents were checked")
    problems: list[ProblemResult] = []
    skipped: int = Field(default=0, description="how many files and documents were not checked")
    skipped_reasons: dict[str, int] = Field(
        default={}, description="how many were not checked, by reason"
    )
    skipped_items: list[SkippedResult] = Field(
        default=[], description="each file or document not checked, with its reason"
    )
    not_checked: str = Field(default="", description="what was not checked, in words")


# --- the gitops tool ------------------------------------------------------------------------


def _result(step: Step) -> GitOpsResult:
    output = step.output
    generated = None
    if output is not None and step.output_path is not None and step.status is not None:
        generated = Generated(
            manifests=output.manifests,
            output_path=step.output_path,
            status=step.status,
            valid=True,
            description=output.description,
            notes=list(output.notes),
        )
    return GitOpsResult(
        session_id=step.session_id,
        next_stage=step.stage,  # type: ignore[arg-type]  # a step never comes back as "detect"
        message=step.message,
        packages=[
            PackageChoice(
                index=index,
                path=p.path,
                type=p.type,
                name=p.name,
                confidence=p.confidence,
                notes=list(p.notes),
            )
            for index, p in enumerate(step.packages)
        ],
        providers=[ProviderChoice(id=pid, name=name) for pid, name in step.providers],
        questions=[
            OpenQuestion(
                id=q.question.id,
                question=q.question.question,
                type=q.question.type,
                required=q.question.required,
                default=list(q.default) if isinstance(q.default, tuple) else q.default,
                options=[
                    OptionChoice(value=o.value, label=o.label, description=o.description)
                    for o in q.question.options
                ],
                suggestions=[
                    OptionChoice(value=o.value, label=o.label, description=o.description)
                    for o in q.choices
                    if q.question.type != "select"
                ],
                description=q.question.description,
                placeholder=q.question.placeholder,
            )
            for q in step.questions
            if not q.answered
        ],
        answers={
            q.question.id: list(q.default) if isinstance(q.default, tuple) else q.default
            for q in step.questions
            if q.answered
        },
        missing=list(step.missing),
        generated=generated,
    )


def _listed(items: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def summary(result: GitOpsResult) -> str:
    """The text content: what the model needs to read to go on; the data is structured."""
    lines = [result.message]
    if result.packages:
        lines.append(f"Packages (selectedPackage): {_listed([p.path for p in result.packages])}.")
    if result.providers:
        lines.append(f"Providers: {', '.join(p.id for p in result.providers)}.")
    if result.missing:
        lines.append(f"Required, no default: {', '.join(result.missing)}.")
    elif result.questions:
        lines.append(
            f"Open questions (defaults apply): {_listed([q.id for q in result.questions])}."
        )
    if result.generated is not None:
        lines += result.generated.notes
    lines.append(f"Next stage: {result.next_stage}; sessionId {result.session_id}.")
    return " ".join(lines)


def _package_inputs(selected: int | str | None, path: str | None) -> tuple[int | None, str | None]:
    """selectedPackage is an index; a folder given there is taken as packagePath."""
    if isinstance(selected, str):
        text = selected.strip()
        if text.lstrip("-").isdigit():
            return int(text), path
        if path is not None:
            raise UsageError(
                f"selectedPackage {selected!r} is not an index of packages; give the folder as "
                "packagePath only"
            )
        return None, text
    return selected, path


def run_stage(
    sessions: Sessions,
    *,
    stage: ToolStage | None,
    session_id: str | None,
    project_path: str | None,
    package_path: str | None,
    selected_package: int | str | None,
    provider: str | None,
    answers: Mapping[str, object] | None,
    force: bool,
) -> Step:
    """Apply the inputs of one tool call in workflow order, then run ``stage``."""

    root = _project(project_path)
    index, package_path = _package_inputs(selected_package, package_path)
    step: Step | None = None
    if session_id is None or stage == "detect":
        step = sessions.start(root)
        session_id = step.session_id
    elif project_path is not None and (started := sessions.load(session_id).root) != str(root):
        raise UsageError(f"session {session_id} works in {started}, not in {root}")
    if stage == "selectPackage" or index is not None or package_path is not None:
        step = sessions.select_package(session_id, index=index, path=package_path)
    if provider is not None:
        step = sessions.select_provider(session_id, provider)
    elif stage == "selectProvider":
        raise UsageError("selectProvider needs provider: one of the ids in providers")
    if answers:
        step = sessions.answer(session_id, answers)
    if stage == "generate":
        step = sessions.generate(session_id, force=force)
    return step or sessions.questions(session_id)


def _project(project_path: str | None) -> Path:
    root = Path(project_path or ".").resolve()
    if not root.is_dir():
        raise UsageError(f"{project_path} is not a folder")
    return root


def error_message(exc: GitOpsError) -> str:
    """The error's message with what to do about it, in terms of this tool's parameters."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, MissingAnswersError):
        return f"{message}: answer {'them' if len(exc.missing) > 1 else 'it'} first (configure)"
    if isinstance(exc, OverwriteRefusedError):
        message = f"{message}; generate again with force to replace it"
        return f"{message}\n{exc.diff}" if exc.diff else message
    if exc.remedy == "choose-package":
        return f"{message}; give selectedPackage or packagePath"
    if exc.remedy == "one-package":
        return f"{message}; generate that package alone with the gitops tool"
    if exc.remedy == "whole-set":
        them = "them" if len(getattr(exc, "ids", ())) > 1 else "it"
        return (
            f"{message}; leave {them} out of answers, or use gitops_generate_all for every package"
        )
    return message


# --- generate --all and validate ------------------------------------------------------------


# The command's flags in the library's words, as this tool's parameters.
_FLAGS = re.compile(r"--(exclude|only|include)\b")


def as_parameters(text: str) -> str:
    """A message of :mod:`gitops_core.bundle` with ``--exclude`` / ``--only`` / ``--include``
    named as this tool's parameters."""
    return _FLAGS.sub(r"\1", text)


def check_include(include: Sequence[str]) -> tuple[str, ...]:
    """The ``include`` words, each one of :data:`gitops_core.bundle.INCLUDE`; an unknown one is
    refused with the word meant."""
    from gitops_core.bundle import INCLUDE

    for word in include:
        if word not in INCLUDE:
            guess = did_you_mean(word, INCLUDE)
            hint = f"; did you mean {guess}?" if guess else ""
            raise UsageError(
                f"include {word!r} is not a reason to include{hint} (one of: {', '.join(INCLUDE)})"
            )
    return tuple(include)


def _skipped(skipped: Sequence[Skipped]) -> list[SkippedPackage]:
    return [
        SkippedPackage(
            path=item.package.path,
            type=item.package.type,
            name=item.package.name,
            reason=item.reason,
            detail=as_parameters(item.detail),
            include=item.include,
        )
        for item in skipped
    ]


def generate_all_stage(
    providers: Providers,
    *,
    provider: str,
    project_path: str | None,
    answers: Mapping[str, object] | None,
    output_folder: str | None,
    exclude: Sequence[str],
    dry_run: bool,
    force: bool,
    only: Sequence[str] = (),
    include: Sequence[str] = (),
) -> GenerateAllResult:
    """``gitops generate --all`` inside ``project_path``. Every package deployed already (or
    left out) is a result, not an error: ``nothing_to_deploy``, with what was left out."""
    from gitops_core.bundle import NothingToDeploy, generate_all, skip_notes, write_bundle
    from gitops_core.checks import inside
    from gitops_core.configuration import question_list

    root = _project(project_path)
    chosen = providers.get(provider)
    given = dict(answers or {})
    check_question_ids(question_list(chosen), given)
    include = check_include(include)
    folder = (root / (output_folder or f"gitops-{provider}")).resolve()
    if not inside(root, folder):
        raise UsageError(f"{folder} is outside {root}; files are written only inside it")

    def shown(path: Path) -> str:
        return path.resolve().relative_to(root).as_posix()

    try:
        result = generate_all(root, chosen, given, folder, exclude, only=only, include=include)
    except NothingToDeploy as exc:
        skipped = exc.plan.skipped
        return GenerateAllResult(
            message=as_parameters(str(exc)),
            folder=shown(folder),
            written=False,
            nothing_to_deploy=True,
            skipped=_skipped(skipped),
            notes=[as_parameters(line) for line in skip_notes(skipped)],
        )
    statuses: list[Status | None] = [None] * len(result.files)
    if not dry_run:
        statuses = [w.status for w in write_bundle(result, force=force)]
    files = [
        BundleFileResult(
            path=shown(item.path),
            role=item.role,
            package=item.package.path if item.package is not None else None,
            description=item.output.description,
            status=status,
        )
        for item, status in zip(result.files, statuses, strict=True)
    ]
    once = [f.path for f in files if f.role != "package"]
    verb = "would write" if dry_run else "wrote"
    return GenerateAllResult(
        message=f"{verb} {len(files)} files for {len(result.configs)} packages into "
        f"{shown(folder)}/; apply once: kubectl apply -f {' -f '.join(once)}",
        folder=shown(folder),
        written=not dry_run,
        files=files,
        apply_once=once,
        skipped=_skipped(result.skipped),
        notes=[as_parameters(note) for note in result.notes],
    )


def validate_files(
    providers: Providers, *, paths: Sequence[str], project_path: str | None, allow_unknown: bool
) -> ValidateResult:
    """``gitops validate`` inside ``project_path``: the same selection and checks
    (:func:`gitops_core.validation.files.validate_files`), paths shown relative to the project."""
    from gitops_core.checks import inside
    from gitops_core.validation import SchemaStore, core_schema_dir
    from gitops_core.validation.files import find_manifest_files
    from gitops_core.validation.files import validate_files as check_files

    root = _project(project_path)
    if not paths:
        raise UsageError("paths is empty: give the manifest files or folders to check")
    files = []
    for name in paths:
        target = (root / name).resolve()
        if not inside(root, target):
            raise UsageError(f"{name} is outside {root}; files are read only inside it")
        if not target.exists():
            raise UsageError(f"{name}: no such file or folder in {root}")
        files += find_manifest_files(target, target.relative_to(root).as_posix())
    dirs, _ = providers.schema_dirs()
    report = check_files(
        files, store=SchemaStore([core_schema_dir(), *dirs]), allow_unknown_kinds=allow_unknown
    )
    return ValidateResult(
        valid=report.valid,
        files=report.files,
        documents=report.documents,
        problems=[
            ProblemResult(
                file=p.source,
                index=p.index,
                kind=p.kind,
                name=p.name,
                path=p.path,
                message=p.message,
            )
            for p in report.problems
        ],
        skipped=len(report.skipped),
        skipped_reasons=report.skipped_by_reason(),
        skipped_items=[
            SkippedResult(file=k.source, index=k.index, kind=k.kind, name=k.name, reason=k.reason)
            for k in report.skipped
        ],
        not_checked=report.not_checked(),
    )


# --- the server -----------------------------------------------------------------------------


def _compact(result: _Result, text: str) -> CallToolResult:
    """Structured content without empty fields, and a short text for the model."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=result.model_dump(mode="json", by_alias=True, exclude_defaults=True),
    )


def _argument_errors(exc: ValidationError, schema: Mapping[str, Any]) -> str:
    """Refused arguments, one line each: the parameter, what it takes, what was given."""
    by_parameter: dict[str, list[Mapping[str, Any]]] = {}
    for error in exc.errors():
        parameter = str(error["loc"][0]) if error["loc"] else "arguments"
        by_parameter.setdefault(parameter, []).append(dict(error))
    lines = []
    for parameter, errors in by_parameter.items():
        given = repr(errors[0].get("input"))
        given = given if len(given) <= 60 else given[:57] + "..."
        if len(errors) == 1:
            message = str(errors[0]["msg"])
            message = message[:1].lower() + message[1:]
        else:  # one per type the parameter accepts: say the types instead
            message = f"expected {_takes(schema.get(parameter, {}))}"
        lines.append(f"{parameter}: {message} (got {given})")
    return "\n".join(lines)


def _takes(schema: Mapping[str, Any]) -> str:
    """What a parameter's JSON schema accepts, in words."""
    kinds = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    names = []
    for kind in kinds:
        if "enum" in kind:
            names.append("one of " + ", ".join(repr(v) for v in kind["enum"]))
        else:
            names.append(
                {
                    "integer": "an integer",
                    "string": "a string",
                    "object": "an object",
                    "array": "an array",
                    "boolean": "true or false",
                }.get(str(kind.get("type")), str(kind.get("type")))
            )
    return " or ".join(names) or "something else"


class _Server(MCPServer):
    """An MCP server whose tools refuse bad arguments in one line per argument, naming the
    parameter meant when a name is mistyped."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        tool = self._tool_manager.get_tool(name)
        if tool is not None:
            known = list(tool.parameters.get("properties", {}))
            strays = [key for key in arguments if key not in known]
            if strays:
                named = []
                for key in strays:
                    guess = did_you_mean(key, known)
                    named.append(f"{key} (did you mean {guess}?)" if guess else key)
                raise ToolError(
                    f"Error executing tool {name}: unknown parameter {', '.join(named)}; "
                    f"known: {', '.join(known)}"
                )
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                schema = tool.parameters.get("properties", {}) if tool else {}
                message = _argument_errors(exc.__cause__, schema)
                raise ToolError(f"Error executing tool {name}: {message}") from None
            raise


def create_server(providers: Callable[[], Providers] = Providers.discover) -> MCPServer:
    """The MCP server with its tools; ``providers`` is asked afresh on every call, so a
    provider installed with pip while the server runs is offered on the next call."""
    server = _Server("gitops", instructions=INSTRUCTIONS, version=__version__)

    @server.tool(
        name="gitops",
        description=DESCRIPTION,
        annotations=ToolAnnotations(
            title="GitOps manifests for one package, step by step",
            read_only_hint=False,  # stage generate writes a file
            destructive_hint=True,  # with force, it replaces a different existing file
            idempotent_hint=False,  # detect starts a new session on every call
            open_world_hint=False,  # only the project's files
        ),
    )
    def gitops(  # the parameters are named as in the PRD's tool interface (camelCase)
        stage: Annotated[
            ToolStage | None,
            Field(description="what this call does; without sessionId the default is 'detect'"),
        ] = None,
        sessionId: Annotated[
            str | None, Field(description="the sessionId an earlier result returned")
        ] = None,
        packagePath: Annotated[
            str | None,
            Field(description="selectPackage: the package folder, relative to projectPath"),
        ] = None,
        selectedPackage: Annotated[
            int | str | None,
            Field(
                description="selectPackage: the index of a detected package (packages[].index); "
                "a folder given here is taken as packagePath"
            ),
        ] = None,
        provider: Annotated[
            str | None, Field(description="selectProvider: a provider id from providers")
        ] = None,
        answers: Annotated[
            dict[str, JsonValue] | None,
            Field(
                description='configure: answers by question id, e.g. {"destinationNamespace": '
                '"shop"}; a list question takes an array of strings'
            ),
        ] = None,
        projectPath: Annotated[
            str | None,
            Field(
                description="the repository folder to work in (default: the server's working "
                "directory); packages are read and manifests written only inside it"
            ),
        ] = None,
        force: Annotated[
            bool,
            Field(description="generate: replace an existing different file at outputPath"),
        ] = False,
    ) -> Annotated[CallToolResult, GitOpsResult]:
        try:
            step = run_stage(
                Sessions(providers=providers()),
                stage=stage,
                session_id=sessionId,
                project_path=projectPath,
                package_path=packagePath,
                selected_package=selectedPackage,
                provider=provider,
                answers=answers,
                force=force,
            )
        except GitOpsError as exc:
            raise ToolError(error_message(exc)) from None
        result = _result(step)
        return _compact(result, summary(result))

    @server.tool(
        name="gitops_generate_all",
        description=GENERATE_ALL_DESCRIPTION,
        annotations=ToolAnnotations(
            title="GitOps manifests for every package",
            read_only_hint=False,  # writes the folder's files (not with dryRun)
            destructive_hint=True,  # with force, replaces different existing files
            idempotent_hint=True,  # the same call again writes the same files (unchanged)
            open_world_hint=False,
        ),
    )
    def gitops_generate_all(
        provider: Annotated[str, Field(description="a provider id (see the gitops tool)")],
        answers: Annotated[
            dict[str, JsonValue] | None,
            Field(description="answers for every package, by question id"),
        ] = None,
        projectPath: Annotated[
            str | None,
            Field(description="the repository folder (default: the server's working directory)"),
        ] = None,
        outputFolder: Annotated[
            str | None,
            Field(description="where the files go, relative to projectPath (default gitops-ID)"),
        ] = None,
        exclude: Annotated[
            list[str] | None,
            Field(description="leave out packages whose path matches one of these globs"),
        ] = None,
        only: Annotated[
            list[str] | None,
            Field(
                description="deploy only packages whose path (relative to projectPath) matches "
                "one of these globs, e.g. 'apps/*'"
            ),
        ] = None,
        include: Annotated[
            list[IncludeWord] | None,
            Field(
                description="deploy packages left out for these reasons anyway: managed "
                "(deployed already by Flux or Argo CD objects of the repository), bases "
                "(Kustomize bases that overlays build), fixtures, docs, examples, gitops-config, "
                "flux (Flux's own installation), all"
            ),
        ] = None,
        dryRun: Annotated[
            bool, Field(description="list the files and notes without writing anything")
        ] = False,
        force: Annotated[
            bool, Field(description="replace existing files that differ (ask the user first)")
        ] = False,
    ) -> Annotated[CallToolResult, GenerateAllResult]:
        try:
            result = generate_all_stage(
                providers(),
                provider=provider,
                project_path=projectPath,
                answers=answers,
                output_folder=outputFolder,
                exclude=exclude or (),
                only=only or (),
                include=include or (),
                dry_run=dryRun,
                force=force,
            )
        except GitOpsError as exc:
            raise ToolError(as_parameters(error_message(exc))) from None
        if result.nothing_to_deploy:  # the notes are the whole answer: say them
            return _compact(result, " ".join([result.message, *result.notes]))
        notes = f" {len(result.notes)} notes (packages left out and why)." if result.notes else ""
        return _compact(result, result.message + "." + notes)

    @server.tool(
        name="gitops_validate",
        description=VALIDATE_DESCRIPTION,
        annotations=ToolAnnotations(
            title="Validate GitOps manifests",
            read_only_hint=True,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    )
    def gitops_validate(
        paths: Annotated[list[str], Field(description="files or folders, relative to projectPath")],
        projectPath: Annotated[
            str | None,
            Field(description="the repository folder (default: the server's working directory)"),
        ] = None,
        allowUnknownKinds: Annotated[
            bool,
            Field(description="let documents of kinds without a schema pass unchecked"),
        ] = False,
    ) -> Annotated[CallToolResult, ValidateResult]:
        try:
            result = validate_files(
                providers(),
                paths=paths,
                project_path=projectPath,
                allow_unknown=allowUnknownKinds,
            )
        except GitOpsError as exc:
            raise ToolError(error_message(exc)) from None
        if result.valid:
            text = f"{result.documents} document(s) in {result.files} file(s) valid."
        else:
            shown = [
                f"{p.file}#{p.index} {p.kind or '?'}/{p.name or '?'}: {p.path}: {p.message}"
                for p in result.problems[:10]
            ]
            more = f" (and {len(result.problems) - 10} more)" if len(result.problems) > 10 else ""
            text = f"{len(result.problems)} problem(s){more}: " + " | ".join(shown)
        if result.not_checked:
            text += f" {result.not_checked[0].upper()}{result.not_checked[1:]}."
        return _compact(result, text)

    return server


def serve() -> None:
    """Serve the tools over stdio (``gitops mcp``)."""
    create_server().run("stdio")
