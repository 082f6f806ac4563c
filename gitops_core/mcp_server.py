"""The ``gitops`` tool for AI agents: a Model Context Protocol server over the session workflow.

One tool, ``gitops``, takes the parameters of PRD 264's "Tool Interface" (``stage``,
``sessionId``, ``packagePath``, ``selectedPackage``, ``provider``, ``answers``) plus
``projectPath`` and ``force``, and drives :class:`~gitops_core.sessions.Sessions`, the same
workflow as the CLI. Every result says which stage comes next and what it needs (packages to
confirm, providers to choose from, the open questions with their options and defaults, or the
written manifest), so an agent can hold the conversation without knowing any provider. A
:class:`~gitops_core.errors.GitOpsError` becomes a tool error carrying the CLI's message.

Needs the optional extra ``gitops-core[mcp]``; ``gitops mcp`` serves it over stdio.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.alias_generators import to_camel

from gitops_core import __version__
from gitops_core.errors import (
    GitOpsError,
    MissingAnswersError,
    OverwriteRefusedError,
    UsageError,
)
from gitops_core.models import Confidence, PackageType, QuestionType
from gitops_core.output.write import Status
from gitops_core.plugins import Providers
from gitops_core.sessions import Sessions, Step

__all__ = ["GitOpsResult", "create_server", "serve"]

ToolStage = Literal["detect", "selectPackage", "selectProvider", "configure", "generate"]
NextStage = Literal["selectPackage", "selectProvider", "configure", "generate", "done"]

INSTRUCTIONS = """\
Writes GitOps manifests (Flux, Argo CD or any installed provider) that deploy a Helm chart, a \
Kustomize overlay or a folder of Kubernetes manifests from the user's repository. Drive the \
`gitops` tool stage by stage (detect -> selectPackage -> selectProvider -> configure -> \
generate), asking the user at each step; every result names the next stage and what it needs."""

DESCRIPTION = """\
Generate validated GitOps manifests for a package in a repository, one stage at a time.

1. stage='detect' (projectPath defaults to the server's working directory) scans the project and \
starts a session. Confirm the package with the user when one was found, let them pick when \
several were, ask where it is when none was.
2. stage='selectPackage' with sessionId and selectedPackage (the package's index) or packagePath \
(a folder relative to projectPath).
3. stage='selectProvider' with provider: one id from the result's providers.
4. stage='configure' with answers, an object of question id -> value. Ask the user the open \
questions (text, options, default); a question left unanswered takes its default. Repeat until \
nextStage is 'generate' (nothing missing). Earlier answers can be changed the same way.
5. stage='generate' validates the manifests and writes them to the outputPath answer, inside \
projectPath. An existing different file is kept unless force is true (ask the user first).

Each result names nextStage, says in message what to tell or ask the user, and lists what that \
stage needs. A call applies every input it carries in the order above. On an error (one line per \
problem) fix the input and call again with the same sessionId."""


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
    notes: list[str] = Field(description="what looked odd while detecting it")


class ProviderChoice(_Result):
    """An installed GitOps provider."""

    id: str = Field(description="pass as provider")
    name: str


class OptionChoice(_Result):
    """One choice of a select question."""

    value: str = Field(description="the answer to give")
    label: str
    description: str | None = None


class OpenQuestion(_Result):
    """A question not yet answered; unanswered, it takes its default."""

    id: str = Field(description="the key in answers")
    question: str = Field(description="the text to ask the user")
    type: QuestionType = Field(
        description="text: a string; select: one of options' values; confirm: true or false"
    )
    required: bool
    default: JsonValue = Field(
        description="the value used when the question is not answered; null when there is none"
    )
    options: list[OptionChoice]
    description: str | None = Field(description="help text to show with the question")
    placeholder: str | None = Field(description="an example answer")


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
    notes: list[str]


class GitOpsResult(_Result):
    """What a stage did and what the next one needs."""

    session_id: str = Field(description="pass to every later call")
    next_stage: NextStage = Field(
        description="the stage to call next; 'done' once the manifests are written"
    )
    message: str = Field(description="what to tell or ask the user now")
    packages: list[PackageChoice] = Field(description="for selectPackage: the detected packages")
    providers: list[ProviderChoice] = Field(
        description="for selectProvider: the installed providers"
    )
    questions: list[OpenQuestion] = Field(description="for configure: the questions still open")
    answers: dict[str, JsonValue] = Field(description="the answers given so far, by question id")
    missing: list[str] = Field(description="ids of required questions that have no value yet")
    generated: Generated | None = Field(description="when done: the written manifests")


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
                default=q.default,
                options=[
                    OptionChoice(value=o.value, label=o.label, description=o.description)
                    for o in q.question.options
                ],
                description=q.question.description,
                placeholder=q.question.placeholder,
            )
            for q in step.questions
            if not q.answered
        ],
        answers={q.question.id: q.default for q in step.questions if q.answered},
        missing=list(step.missing),
        generated=generated,
    )


def run_stage(
    sessions: Sessions,
    *,
    stage: ToolStage | None,
    session_id: str | None,
    project_path: str | None,
    package_path: str | None,
    selected_package: int | None,
    provider: str | None,
    answers: Mapping[str, object] | None,
    force: bool,
) -> Step:
    """Apply the inputs of one tool call in workflow order, then run ``stage``."""
    root = Path(project_path or ".").resolve()
    if not root.is_dir():
        raise UsageError(f"{project_path} is not a folder")
    step: Step | None = None
    if session_id is None or stage == "detect":
        step = sessions.start(root)
        session_id = step.session_id
    elif project_path is not None and (started := sessions.load(session_id).root) != str(root):
        raise UsageError(f"session {session_id} works in {started}, not in {root}")
    if stage == "selectPackage" or selected_package is not None or package_path is not None:
        step = sessions.select_package(session_id, index=selected_package, path=package_path)
    if provider is not None:
        step = sessions.select_provider(session_id, provider)
    elif stage == "selectProvider":
        raise UsageError("selectProvider needs provider: one of the ids in providers")
    if answers:
        step = sessions.answer(session_id, answers)
    if stage == "generate":
        step = sessions.generate(session_id, force=force)
    return step or sessions.questions(session_id)


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
    return message


def create_server(providers: Callable[[], Providers] = Providers.discover) -> MCPServer:
    """The MCP server with its one tool; ``providers`` is asked afresh on every call, so a
    provider installed with pip while the server runs is offered on the next call."""
    server = MCPServer("gitops", instructions=INSTRUCTIONS, version=__version__)

    @server.tool(
        name="gitops",
        description=DESCRIPTION,
        annotations=ToolAnnotations(title="GitOps manifests", open_world_hint=False),
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
            int | None, Field(ge=0, description="selectPackage: the index of a detected package")
        ] = None,
        provider: Annotated[
            str | None, Field(description="selectProvider: a provider id from providers")
        ] = None,
        answers: Annotated[
            dict[str, Any] | None,
            Field(
                description='configure: answers by question id, e.g. {"destinationNamespace": '
                '"shop"}'
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
    ) -> GitOpsResult:
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
        return _result(step)

    return server


def serve() -> None:
    """Serve the tool over stdio (``gitops mcp``)."""
    create_server().run("stdio")
