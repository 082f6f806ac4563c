"""The gitops MCP tool: every PRD journey through the SDK's in-process client, for both
providers, errors as tool errors with the CLI's messages, and ``gitops mcp`` over stdio."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, ROOT, SOURCE_PATH, CliRunner, git, only_line, provider_plugins
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.server import MCPServer
from mcp.types import TextContent

from gitops_core.mcp_server import create_server
from gitops_core.plugins import Providers
from gitops_core.resources import schema_dir
from gitops_core.validation import SchemaStore, load_documents, validate_documents

pytestmark = pytest.mark.anyio

URL = "https://github.com/acme/shop.git"
PROVIDERS = ("argocd", "flux")
FILES = {"argocd": "argocd-application.yaml", "flux": "flux-gitops.yaml"}
KINDS = {
    ("argocd", "helm"): ["Application"],
    ("argocd", "kustomize"): ["Application"],
    ("argocd", "raw-manifests"): ["Application"],
    ("flux", "helm"): ["GitRepository", "HelmRelease"],
    ("flux", "kustomize"): ["GitRepository", "Namespace", "Kustomization"],
    ("flux", "raw-manifests"): ["GitRepository", "Namespace", "Kustomization"],
}
TOOL_ERROR = "Error executing tool gitops: "
Result = dict[str, Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("GITOPS_STATE_DIR", str(folder))
    return folder


@pytest.fixture
def server() -> MCPServer:
    return create_server(lambda: Providers.from_plugins(provider_plugins()))


def project(tmp_path: Path, **packages: str) -> Path:
    """A project folder holding example packages: ``{"deploy": "kustomize/base"}``."""
    folder = tmp_path / "project"
    folder.mkdir()
    for target, example in packages.items():
        shutil.copytree(EXAMPLES / example, folder / target)
    return folder


#: What a result leaves out when it is empty (compact results); ``call`` puts it back.
EMPTY_RESULT: Result = {
    "packages": [],
    "providers": [],
    "questions": [],
    "answers": {},
    "missing": [],
    "generated": None,
}
EMPTY_QUESTION: Result = {
    "default": None,
    "options": [],
    "suggestions": [],
    "description": None,
    "placeholder": None,
}


async def call(client: Client, **arguments: object) -> Result:
    """The tool's structured result, with the fields it leaves out when empty filled in."""
    result = await client.call_tool("gitops", arguments)
    assert not result.is_error, result.content
    structured: Result | None = result.structured_content
    assert structured is not None
    (text,) = result.content
    assert isinstance(text, TextContent) and len(text.text) < 1000  # a summary, not the data
    full = {**EMPTY_RESULT, **structured}
    full["questions"] = [{**EMPTY_QUESTION, **q} for q in full["questions"]]
    full["packages"] = [{"notes": [], **p} for p in full["packages"]]
    return full


async def refused(client: Client, **arguments: object) -> str:
    """The message of the tool error the call returns."""
    result = await client.call_tool("gitops", arguments)
    assert result.is_error and result.structured_content is None
    (content,) = result.content
    assert isinstance(content, TextContent)
    assert "Traceback" not in content.text
    assert content.text.startswith(TOOL_ERROR)  # how the SDK introduces every tool error
    return content.text.removeprefix(TOOL_ERROR)


def valid_documents(path: Path, provider: str) -> list[Any]:
    """The file's documents, after checking them against the schemas independently."""
    text = path.read_text(encoding="utf-8")
    provider_schemas = Providers.from_plugins(provider_plugins()).get(provider).schema_dirs()
    store = SchemaStore([schema_dir("gitops_core", "") / "kubernetes", *provider_schemas])
    documents = load_documents(text, source=path.name)
    assert validate_documents(documents, source=path.name, store=store) == []
    return list(yaml.safe_load_all(text))


async def configure_and_generate(
    client: Client, step: Result, root: Path, provider: str, package_type: str, **answers: object
) -> list[Any]:
    """Choose the provider, answer what is missing (as an agent would: from the result alone),
    generate, and return the written, independently validated documents."""
    assert step["nextStage"] == "selectProvider"
    assert step["message"].endswith("Which GitOps tool would you like to use?")
    assert {"id": provider, "name": {"argocd": "Argo CD", "flux": "Flux"}[provider]} in step[
        "providers"
    ]
    session = step["sessionId"]
    step = await call(client, stage="selectProvider", sessionId=session, provider=provider)
    assert step["nextStage"] == "configure"
    assert step["missing"] == ["gitRepoUrl", "destinationNamespace"]
    questions = {q["id"]: q for q in step["questions"]}
    assert questions["gitRepoUrl"]["question"] == "Git repository URL where the package is stored?"
    assert questions["gitRepoUrl"]["required"] and questions["gitRepoUrl"]["default"] is None
    assert questions["outputPath"]["default"] == f"./{FILES[provider]}"
    user = {"gitRepoUrl": URL, "destinationNamespace": "shop", **answers}
    step = await call(client, stage="configure", sessionId=session, answers=user)
    assert step["nextStage"] == "generate" and step["missing"] == []
    assert step["message"] == "Every question has an answer or a default; generate when ready."
    assert set(user) <= set(step["answers"]) and not set(user) & {
        q["id"] for q in step["questions"]
    }
    done = await call(client, stage="generate", sessionId=session)
    assert done["nextStage"] == "done"
    generated = done["generated"]
    assert generated["status"] == "created" and generated["valid"] is True
    written = root / generated["outputPath"]
    assert written.read_text(encoding="utf-8") == generated["manifests"]
    assert done["message"].endswith(f"created {generated['outputPath']}")
    documents = valid_documents(written, provider)
    assert [d["kind"] for d in documents] == KINDS[provider, package_type]
    return documents


def source_path(documents: list[Any]) -> str:
    """Where the deployed package lives in the repository, whichever the provider."""
    for document in documents:
        if document["kind"] == "Application":
            return str(document["spec"]["source"]["path"])
        if document["kind"] == "Kustomization":
            return str(document["spec"]["path"])
        if document["kind"] == "HelmRelease":
            return str(document["spec"]["chart"]["spec"]["chart"])
    raise AssertionError("no deploying document")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_journey_1_auto_detected_helm_chart(
    server: MCPServer, tmp_path: Path, provider: str
) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    async with Client(server) as client:
        step = await call(client, stage="detect", projectPath=str(root))
        assert step["nextStage"] == "selectPackage"
        assert step["message"] == (
            "I found a Helm chart at ./charts/podinfo. Is this the package you want to deploy?"
        )
        assert step["packages"] == [
            {
                "index": 0,
                "path": "charts/podinfo",
                "type": "helm",
                "name": "podinfo",
                "confidence": "high",
                "notes": [],
            }
        ]
        step = await call(
            client, stage="selectPackage", sessionId=step["sessionId"], selectedPackage=0
        )
        assert step["message"].startswith("Using a Helm chart at ./charts/podinfo.")
        extra = {"syncPolicy": "auto-prune"} if provider == "argocd" else {}
        documents = await configure_and_generate(client, step, root, provider, "helm", **extra)
    assert source_path(documents) in ("charts/podinfo", "./charts/podinfo")
    if provider == "argocd":
        assert documents[0]["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert (root / FILES[provider]).is_file()


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_journey_2_auto_detected_kustomize(
    server: MCPServer, tmp_path: Path, provider: str
) -> None:
    root = project(tmp_path, deploy="kustomize/base")
    async with Client(server) as client:
        step = await call(client, projectPath=str(root))  # no stage and no session: detect
        assert step["message"] == (
            "I found a Kustomize overlay at ./deploy. Is this the package you want to deploy?"
        )
        step = await call(
            client, stage="selectPackage", sessionId=step["sessionId"], selectedPackage=0
        )
        documents = await configure_and_generate(client, step, root, provider, "kustomize")
    assert source_path(documents) in ("deploy", "./deploy")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_journey_3_multiple_packages_then_a_different_path(
    server: MCPServer, tmp_path: Path, provider: str
) -> None:
    root = project(
        tmp_path,
        **{
            "charts/frontend": "charts/podinfo",
            "charts/backend": "charts/podinfo",
            "deploy": "kustomize/overlays/production",
            "base": "kustomize/base",
        },
    )
    async with Client(server) as client:
        step = await call(client, stage="detect", projectPath=str(root))
        assert step["message"] == (
            "I found 4 packages. Which one would you like to deploy? (or specify a different path)"
        )
        listed = [(p["index"], p["path"], p["type"]) for p in step["packages"]]
        assert listed == [
            (0, "base", "kustomize"),
            (1, "charts/backend", "helm"),
            (2, "charts/frontend", "helm"),
            (3, "deploy", "kustomize"),
        ]
        session = step["sessionId"]
        step = await call(client, stage="selectPackage", sessionId=session, selectedPackage=2)
        assert step["message"].startswith("Using a Helm chart at ./charts/frontend.")
        # "Specify a different path": the user changes their mind before answering.
        step = await call(client, stage="selectPackage", sessionId=session, packagePath="deploy")
        assert step["message"].startswith("Using a Kustomize overlay at ./deploy.")
        documents = await configure_and_generate(client, step, root, provider, "kustomize")
    assert source_path(documents) in ("deploy", "./deploy")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_journey_4_nothing_detected_the_user_names_the_folder(
    server: MCPServer, tmp_path: Path, provider: str
) -> None:
    root = project(tmp_path)
    (root / "kubernetes").mkdir()
    (root / "kubernetes" / "notes.txt").write_text("not a manifest\n")
    async with Client(server) as client:
        step = await call(client, stage="detect", projectPath=str(root))
        assert step["packages"] == [] and step["nextStage"] == "selectPackage"
        assert step["message"] == (
            "I couldn't detect a Helm chart, Kustomize overlay or manifest directory. "
            "Where is your package located?"
        )
        session = step["sessionId"]
        assert (
            await refused(
                client, stage="selectPackage", sessionId=session, packagePath="kubernetes"
            )
            == "no Helm chart, Kustomize overlay or Kubernetes manifests in 'kubernetes'"
        )
        shutil.copy(EXAMPLES / "manifests/guestbook/service.yaml", root / "kubernetes")
        step = await call(
            client, stage="selectPackage", sessionId=session, packagePath="kubernetes"
        )
        assert step["message"].startswith("Using a folder of Kubernetes manifests at ./kubernetes.")
        documents = await configure_and_generate(client, step, root, provider, "raw-manifests")
    assert source_path(documents) in ("kubernetes", "./kubernetes")
    if provider == "argocd":
        assert documents[0]["spec"]["source"]["directory"] == {"recurse": True}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_journey_5_raw_manifests(server: MCPServer, tmp_path: Path, provider: str) -> None:
    root = project(tmp_path, manifests="manifests/guestbook")
    async with Client(server) as client:
        step = await call(client, stage="detect", projectPath=str(root))
        assert step["message"] == (
            "I found a folder of Kubernetes manifests at ./manifests. "
            "Is this the package you want to deploy?"
        )
        assert step["packages"][0]["confidence"] == "medium"
        step = await call(
            client, stage="selectPackage", sessionId=step["sessionId"], selectedPackage=0
        )
        documents = await configure_and_generate(client, step, root, provider, "raw-manifests")
    assert source_path(documents) in ("manifests", "./manifests")


async def test_flux_journey_with_flux_questions_and_a_chosen_output_path(
    server: MCPServer, tmp_path: Path
) -> None:
    root = project(tmp_path, **{"deploy/overlays/production": "kustomize/overlays/production"})
    async with Client(server) as client:
        step = await call(client, stage="detect", projectPath=str(root))
        session = step["sessionId"]
        step = await call(client, stage="selectPackage", sessionId=session, selectedPackage=0)
        step = await call(client, stage="selectProvider", sessionId=session, provider="flux")
        open_questions = {q["id"]: q for q in step["questions"]}
        assert open_questions["fluxNamespace"]["default"] == "flux-system"
        assert open_questions["reconcileInterval"]["default"] == "5m"
        assert open_questions["prune"] == {
            "id": "prune",
            "question": "Enable pruning of removed resources?",
            "type": "confirm",
            "required": False,
            "default": True,
            "options": [],
            "suggestions": [],
            "description": "Remove resources from the cluster when they are deleted from Git.",
            "placeholder": None,
        }
        # Answers arrive as JSON values (a boolean for a confirm question), over several calls.
        await call(client, sessionId=session, answers={"fluxNamespace": "flux-apps"})
        step = await call(
            client,
            stage="configure",
            sessionId=session,
            answers={
                "gitRepoUrl": URL,
                "destinationNamespace": "shop",
                "reconcileInterval": "10m",
                "prune": False,
                "outputPath": "clusters/dev/shop.yaml",
            },
        )
        assert step["answers"]["fluxNamespace"] == "flux-apps" and step["answers"]["prune"] is False
        done = await call(client, stage="generate", sessionId=session)
    assert done["generated"]["outputPath"] == "clusters/dev/shop.yaml"
    documents = valid_documents(root / "clusters/dev/shop.yaml", "flux")
    repository, _namespace, kustomization = documents
    assert repository["metadata"]["namespace"] == "flux-apps"
    assert repository["spec"]["url"] == URL and repository["spec"]["interval"] == "1m"
    assert kustomization["spec"]["interval"] == "10m" and kustomization["spec"]["prune"] is False
    assert kustomization["spec"]["path"] == "./deploy/overlays/production"


async def test_argocd_select_question_lists_its_options(server: MCPServer, tmp_path: Path) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    async with Client(server) as client:
        # Inputs for several stages in one call are applied in workflow order.
        step = await call(client, projectPath=str(root), selectedPackage=0, provider="argocd")
    (policy,) = [q for q in step["questions"] if q["id"] == "syncPolicy"]
    assert policy["type"] == "select" and policy["default"] == "manual"
    assert [(o["value"], o["label"]) for o in policy["options"]] == [
        ("manual", "Manual"),
        ("auto", "Automatic"),
        ("auto-prune", "Automatic with Pruning"),
    ]


async def test_a_bad_answer_is_a_tool_error_with_the_cli_message(
    server: MCPServer, tmp_path: Path, cli: CliRunner
) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    done = cli(
        "generate", str(root), "--provider", "flux", "--package", "charts/podinfo",
        "--set", f"gitRepoUrl={URL}", "--set", "destinationNamespace=shop",
        "--set", "reconcileInterval=1d", "-o", "-",
    )  # fmt: skip
    assert done.returncode == 2
    cli_message = only_line(done.stderr).removeprefix("gitops: error: ")
    async with Client(server) as client:
        step = await call(client, projectPath=str(root), selectedPackage=0, provider="flux")
        message = await refused(
            client, sessionId=step["sessionId"], answers={"reconcileInterval": "1d"}
        )
        assert message == cli_message
        assert message.startswith("reconcileInterval: '1d' is not accepted; expected a duration")
        # Nothing was recorded: the session still offers the default.
        step = await call(client, stage="configure", sessionId=step["sessionId"])
        (interval,) = [q for q in step["questions"] if q["id"] == "reconcileInterval"]
        assert interval["default"] == "5m"


async def test_errors_are_one_line_each_and_nothing_escapes_the_project(
    server: MCPServer, tmp_path: Path
) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    async with Client(server) as client:
        assert await refused(client, stage="configure", sessionId="nope") == (
            "session id 'nope' is not one this tool gave out"
        )
        assert await refused(client, projectPath=str(root / "missing")) == (
            f"{root / 'missing'} is not a folder"
        )
        step = await call(client, projectPath=str(root))
        session = step["sessionId"]
        assert await refused(client, stage="selectProvider", sessionId=session) == (
            "selectProvider needs provider: one of the ids in providers"
        )
        assert await refused(client, sessionId=session, packagePath="../..") == (
            f"package path '../..' is outside {root}"
        )
        assert (
            await refused(client, sessionId=session, projectPath=str(tmp_path), selectedPackage=0)
            == f"session {session} works in {root}, not in {tmp_path}"
        )
        message = await refused(client, sessionId=session, selectedPackage=0, provider="nonesuch")
        assert message.startswith("provider 'nonesuch' is not installed (installed: argocd, flux)")
        step = await call(
            client,
            sessionId=session,
            selectedPackage=0,
            provider="flux",
            answers={"gitRepoUrl": URL, "destinationNamespace": "a", "outputPath": "../out.yaml"},
        )
        message = await refused(client, stage="generate", sessionId=session)
        outside = tmp_path / "out.yaml"
        assert message == f"{outside} is outside {root}; files are written only inside it"
        assert not (tmp_path / "out.yaml").exists()


async def test_an_existing_different_file_is_kept_unless_force(
    server: MCPServer, tmp_path: Path
) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    target = root / "flux-gitops.yaml"
    target.write_text("# mine\n")
    async with Client(server) as client:
        step = await call(
            client,
            projectPath=str(root),
            selectedPackage=0,
            provider="flux",
            answers={"gitRepoUrl": URL, "destinationNamespace": "shop"},
        )
        session = step["sessionId"]
        message = await refused(client, stage="generate", sessionId=session)
        first, *diff = message.splitlines()
        assert first == (
            f"{target} exists with different content; generate again with force to replace it"
        )
        assert "-# mine" in diff
        assert target.read_text() == "# mine\n"
        done = await call(client, stage="generate", sessionId=session, force=True)
        assert done["generated"]["status"] == "replaced"
        again = await call(client, stage="generate", sessionId=session)
        assert again["generated"]["status"] == "unchanged"
    valid_documents(target, "flux")


async def test_the_tool_schema_is_the_prd_interface(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert list(tools) == ["gitops", "gitops_generate_all", "gitops_validate"]
    tool = tools["gitops"]
    properties = tool.input_schema["properties"]
    assert list(properties) == [
        "stage",
        "sessionId",
        "packagePath",
        "selectedPackage",
        "provider",
        "answers",
        "projectPath",
        "force",
    ]
    assert properties["stage"]["anyOf"][0]["enum"] == [
        "detect",
        "selectPackage",
        "selectProvider",
        "configure",
        "generate",
    ]
    assert "required" not in tool.input_schema
    assert tool.output_schema is not None
    assert {"sessionId", "nextStage", "message", "questions", "generated"} <= set(
        tool.output_schema["properties"]
    )


def example_distribution(folder: Path) -> Path:
    """What ``pip install gitops-example`` leaves on sys.path: a dist-info with the entry point."""
    info = folder / "gitops_example-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gitops-example\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text("[gitops_core]\nexample = gitops_example:provider\n")
    return folder


async def test_a_provider_installed_while_the_server_runs_is_offered_and_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    async with Client(create_server()) as client:  # real entry-point discovery
        step = await call(client, projectPath=str(root), selectedPackage=0)
        assert "example" not in [p["id"] for p in step["providers"]]
        monkeypatch.syspath_prepend(str(ROOT / "tests" / "example_provider"))
        monkeypatch.syspath_prepend(str(example_distribution(tmp_path / "site")))
        step = await call(client, sessionId=step["sessionId"], selectedPackage=0)
        assert {"id": "example", "name": "Example"} in step["providers"]
        step = await call(client, sessionId=step["sessionId"], provider="example")
        # An agent that knows nothing of this provider answers from the questions alone.
        answers = await answer_like_an_agent(client, step, user={"resourceName": "podinfo"})
        assert answers["team"] == "platform"
        done = await call(client, stage="generate", sessionId=step["sessionId"])
    assert "kind: ConfigMap" in done["generated"]["manifests"]
    assert (root / done["generated"]["outputPath"]).is_file()


async def answer_like_an_agent(client: Client, step: Result, user: dict[str, str]) -> Result:
    """Ask the user each required question without a default (the user's reply comes from
    ``user``, or "shop"), keep every default, and return the answers the session recorded."""
    while step["nextStage"] == "configure":
        replies = {
            q["id"]: user.get(q["id"], URL if "URL" in q["question"] else "shop")
            for q in step["questions"]
            if q["id"] in step["missing"]
        }
        step = await call(client, sessionId=step["sessionId"], answers=replies)
    assert step["nextStage"] == "generate"
    answers: Result = step["answers"]
    answers.update({q["id"]: q["default"] for q in step["questions"]})
    return answers


async def test_gitops_mcp_over_stdio_lists_the_tool_and_completes_a_journey(
    tmp_path: Path, state: Path
) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "gitops_core", "mcp"],
        cwd=root,  # projectPath defaults to the server's working directory
        env={
            "PYTHONPATH": SOURCE_PATH,
            "GITOPS_STATE_DIR": str(state),
        },
    )
    async with Client(parameters, read_timeout_seconds=60) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert "sessionId" in tools["gitops"].input_schema["properties"]
        step = await call(client, stage="detect")
        assert step["packages"][0]["path"] == "charts/podinfo"
        session = step["sessionId"]
        step = await call(client, stage="selectPackage", sessionId=session, selectedPackage=0)
        assert {"argocd", "flux"} <= {p["id"] for p in step["providers"]}
        await call(client, stage="selectProvider", sessionId=session, provider="argocd")
        answers = {"gitRepoUrl": URL, "destinationNamespace": "shop"}
        await call(client, stage="configure", sessionId=session, answers=answers)
        assert await refused(client, stage="generate", sessionId="x" * 22) == (
            f"no session {'x' * 22} (it may have expired)"
        )
        done = await call(client, stage="generate", sessionId=session)
    assert done["generated"]["outputPath"] == "argocd-application.yaml"
    (app,) = valid_documents(root / "argocd-application.yaml", "argocd")
    assert app["spec"]["source"]["repoURL"] == URL


def test_importing_gitops_core_does_not_import_mcp() -> None:
    code = "import sys, gitops_core, gitops_core.sessions; print('mcp' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert done.stdout.strip() == "False"


def test_gitops_mcp_without_the_extra_says_how_to_install_it() -> None:
    code = "import sys; sys.modules['mcp'] = None; from gitops_core.cli import run; run()"
    done = subprocess.run(
        [sys.executable, "-c", code, "mcp"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2
    assert only_line(done.stderr) == (
        'gitops: error: gitops mcp needs the MCP SDK: pip install "gitops-core[mcp]"'
    )


async def raw_call(client: Client, tool: str, **arguments: object) -> tuple[Result, str]:
    """A tool's structured content as sent (compact) and its text."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    (text,) = result.content
    assert isinstance(text, TextContent) and result.structured_content is not None
    return result.structured_content, text.text


async def refused_by(client: Client, tool: str, **arguments: object) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error and result.structured_content is None
    (content,) = result.content
    assert isinstance(content, TextContent)
    prefix = f"Error executing tool {tool}: "
    assert content.text.startswith(prefix), content.text
    return content.text.removeprefix(prefix)


async def test_results_are_compact_data_with_a_short_summary(
    server: MCPServer, tmp_path: Path
) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo", "deploy": "kustomize/base"})
    async with Client(server) as client:
        data, text = await raw_call(client, "gitops", projectPath=str(root))
        # Empty fields are left out; the text summarises instead of repeating the data as JSON.
        assert set(data) == {"sessionId", "nextStage", "message", "packages"}
        assert "notes" not in data["packages"][0]
        assert not text.lstrip().startswith("{")
        assert "charts/podinfo, deploy" in text and "Next stage: selectPackage" in text
        data, text = await raw_call(
            client, "gitops", sessionId=data["sessionId"], selectedPackage=0, provider="flux"
        )
        assert data["missing"] == ["gitRepoUrl", "destinationNamespace"]
        assert "Required, no default: gitRepoUrl, destinationNamespace." in text
        interval = next(q for q in data["questions"] if q["id"] == "reconcileInterval")
        assert "options" not in interval and interval["default"] == "5m"


async def test_tool_annotations_say_which_tools_write(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in ("gitops", "gitops_generate_all"):
        hints = tools[name].annotations
        assert hints is not None
        assert hints.read_only_hint is False and hints.destructive_hint is True
        assert hints.open_world_hint is False
    hints = tools["gitops_validate"].annotations
    assert hints is not None and hints.read_only_hint is True and hints.idempotent_hint is True


async def test_every_bad_argument_is_one_clear_line(server: MCPServer, tmp_path: Path) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo", "deploy": "kustomize/base"})
    async with Client(server) as client:
        step = await call(client, projectPath=str(root))
        session = step["sessionId"]
        # A folder given as selectedPackage is taken as the package's path.
        chosen = await call(client, sessionId=session, selectedPackage="deploy")
        assert chosen["message"].startswith("Using a Kustomize overlay at ./deploy.")
        chosen = await call(client, sessionId=session, selectedPackage="1")
        assert chosen["message"].startswith("Using a Kustomize overlay at ./deploy.")
        messages = [
            await refused(client, sessionId=session, selectedPackage=[0]),
            await refused(client, sessionId=session, stage="generat"),
            await refused(client, sessionId=session, answers="gitRepoUrl=x"),
            await refused(client, sessionID=session),
            await refused(client, sessionId=session, provider="fluxcd"),
            await refused(
                client, sessionId=session, provider="flux", answers={"reconcileIntervall": "1m"}
            ),
        ]
        for message in messages:
            assert len(message.splitlines()) == 1, message
            assert "pydantic" not in message and "validation error" not in message, message
        assert messages[0].startswith("selectedPackage: ")
        assert messages[1].startswith("stage: input should be 'detect', ")
        assert messages[3] == (
            "unknown parameter sessionID (did you mean sessionId?); known: stage, sessionId, "
            "packagePath, selectedPackage, provider, answers, projectPath, force"
        )
        assert messages[4] == (
            "provider 'fluxcd' is not installed; did you mean flux? (installed: argocd, flux)"
        )
        assert messages[5].startswith(
            "unknown question id reconcileIntervall (did you mean reconcileInterval?); known: "
        )
        assert all("pip install" not in message for message in messages)


async def test_generate_all_previews_then_writes_every_package(
    server: MCPServer, tmp_path: Path
) -> None:
    root = project(
        tmp_path, **{"charts/podinfo": "charts/podinfo", "apps/guestbook": "manifests/guestbook"}
    )
    git(root, "init", "-q", "-b", "main")
    answers = {"gitRepoUrl": URL, "destinationNamespace": "shop"}
    async with Client(server) as client:
        preview, text = await raw_call(
            client,
            "gitops_generate_all",
            provider="flux",
            projectPath=str(root),
            answers=answers,
            dryRun=True,
        )
        assert preview["written"] is False and not (root / "gitops-flux").exists()
        assert preview["folder"] == "gitops-flux"
        assert text.startswith("would write ")
        packages = [f["package"] for f in preview["files"] if f["role"] == "package"]
        assert packages == ["apps/guestbook", "charts/podinfo"]
        assert preview["applyOnce"][-1] == "gitops-flux/_entrypoint.yaml"
        done, _ = await raw_call(
            client, "gitops_generate_all", provider="flux", projectPath=str(root), answers=answers
        )
        assert done["written"] is True
        assert {f["status"] for f in done["files"]} == {"created"}
        for file in done["files"]:
            assert (root / file["path"]).is_file()
        outside = await refused_by(
            client, "gitops_generate_all", provider="flux", projectPath=str(root),
            answers=answers, outputFolder="../elsewhere",
        )  # fmt: skip
        assert (
            outside
            == f"{tmp_path / 'elsewhere'} is outside {root}; files are written only inside it"
        )
        again, _ = await raw_call(
            client, "gitops_generate_all", provider="flux", projectPath=str(root), answers=answers
        )
        assert {f["status"] for f in again["files"]} == {"unchanged"}


async def test_validate_reports_each_problem(server: MCPServer, tmp_path: Path) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    async with Client(server) as client:
        step = await call(
            client,
            projectPath=str(root),
            selectedPackage=0,
            provider="flux",
            answers={"gitRepoUrl": URL, "destinationNamespace": "shop"},
        )
        await call(client, sessionId=step["sessionId"], stage="generate")
        data, text = await raw_call(
            client, "gitops_validate", paths=["flux-gitops.yaml"], projectPath=str(root)
        )
        assert data == {"valid": True, "files": 1, "documents": 2}
        assert text == "2 document(s) in 1 file(s) valid."
        (root / "clusters").mkdir()
        (root / "clusters" / "broken.yaml").write_text(
            (root / "flux-gitops.yaml").read_text().replace("interval: 5m", "interval: often")
        )
        data, text = await raw_call(
            client, "gitops_validate", paths=["clusters", "flux-gitops.yaml"], projectPath=str(root)
        )
        assert data["valid"] is False and data["files"] == 2
        (problem,) = data["problems"]
        assert problem["file"] == "clusters/broken.yaml" and problem["kind"] == "HelmRelease"
        assert problem["path"] == "spec.interval"
        assert text.startswith("1 problem(s): clusters/broken.yaml#1 HelmRelease/podinfo: spec.")
        assert (
            await refused_by(client, "gitops_validate", paths=["../x.yaml"], projectPath=str(root))
            == f"../x.yaml is outside {root}; files are read only inside it"
        )


async def test_generate_all_with_nothing_to_deploy_is_a_result_saying_why(
    server: MCPServer, tmp_path: Path
) -> None:
    root = project(
        tmp_path, **{"charts/podinfo": "charts/podinfo", "apps/guestbook": "manifests/guestbook"}
    )
    git(root, "init", "-q", "-b", "main")
    answers = {"gitRepoUrl": URL, "destinationNamespace": "shop"}
    async with Client(server) as client:
        await raw_call(
            client, "gitops_generate_all", provider="flux", projectPath=str(root), answers=answers
        )
        # Flux's set deploys every package now: Argo CD has nothing left, and that is no error.
        for dry_run in (True, False):
            data, text = await raw_call(
                client, "gitops_generate_all", provider="argocd", projectPath=str(root),
                answers=answers, dryRun=dry_run,
            )  # fmt: skip
            assert data["nothingToDeploy"] is True and data["written"] is False
            assert data["folder"] == "gitops-argocd" and "files" not in data
            assert data["message"].startswith(f"nothing to deploy under {root}: every package")
            assert not (root / "gitops-argocd").exists()
            assert {s["path"]: (s["reason"], s.get("include")) for s in data["skipped"]} == {
                "apps/guestbook": ("managed", "managed"),
                "charts/podinfo": ("managed", "managed"),
                "gitops-flux": ("gitops-config", "gitops-config"),
            }
            guestbook = next(s for s in data["skipped"] if s["path"] == "apps/guestbook")
            assert guestbook["detail"] == "deployed by gitops-flux/guestbook.yaml"
            # The text says why, in the tool's words: include, not --include.
            assert "include managed deploys them anyway" in text
            assert "--include" not in text and "--include" not in " ".join(data["notes"])
        # include deploys them anyway, as --include does.
        data, _ = await raw_call(
            client, "gitops_generate_all", provider="argocd", projectPath=str(root),
            answers=answers, include=["managed"], dryRun=True,
        )  # fmt: skip
        assert "nothingToDeploy" not in data
        packages = [f["package"] for f in data["files"] if f["role"] == "package"]
        assert packages == ["apps/guestbook", "charts/podinfo"]
        assert [s["path"] for s in data["skipped"]] == ["gitops-flux"]


async def test_generate_all_takes_only_and_include_as_the_command_does(
    server: MCPServer, tmp_path: Path
) -> None:
    root = project(
        tmp_path,
        **{
            "charts/podinfo": "charts/podinfo",
            "apps/guestbook": "manifests/guestbook",
            "docs/demo": "manifests/guestbook",
        },
    )
    git(root, "init", "-q", "-b", "main")
    answers = {"gitRepoUrl": URL, "destinationNamespace": "shop"}
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        schema = tools["gitops_generate_all"].input_schema["properties"]
        assert schema["only"]["anyOf"][0] == {"type": "array", "items": {"type": "string"}}
        words = schema["include"]["anyOf"][0]["items"]["enum"]
        from gitops_core.bundle import INCLUDE

        assert words == list(INCLUDE)
        data, _ = await raw_call(
            client, "gitops_generate_all", provider="flux", projectPath=str(root),
            answers=answers, only=["apps/*", "docs/*"], dryRun=True,
        )  # fmt: skip
        assert [f["package"] for f in data["files"] if f["role"] == "package"] == ["apps/guestbook"]
        reasons = {s["path"]: (s["reason"], s["detail"]) for s in data["skipped"]}
        assert reasons == {
            "charts/podinfo": ("excluded", "not in only"),
            "docs/demo": ("docs", "documentation, by its path"),
        }
        data, _ = await raw_call(
            client, "gitops_generate_all", provider="flux", projectPath=str(root),
            answers=answers, only=["apps/*", "docs/*"], include=["docs"], dryRun=True,
        )  # fmt: skip
        assert [f["package"] for f in data["files"] if f["role"] == "package"] == [
            "apps/guestbook",
            "docs/demo",
        ]
        mistyped = await refused_by(
            client, "gitops_generate_all", provider="flux", projectPath=str(root),
            answers=answers, include=["doc"],
        )  # fmt: skip
        assert mistyped == (
            "include 'doc' is not a reason to include; did you mean docs? (one of: managed, "
            "bases, fixtures, docs, examples, gitops-config, flux, all)"
        )
        unmatched = await refused_by(
            client, "gitops_generate_all", provider="flux", projectPath=str(root),
            answers=answers, only=["services/*"],
        )  # fmt: skip
        assert unmatched == "only services/*: matches no detected package"
        assert not (root / "gitops-flux").exists()


async def test_the_gitops_tool_leaves_a_question_for_a_whole_set_to_generate_all(
    server: MCPServer, tmp_path: Path
) -> None:
    root = project(tmp_path, **{"charts/podinfo": "charts/podinfo"})
    async with Client(server) as client:
        step = await call(client, projectPath=str(root), selectedPackage=0, provider="argocd")
        ids = [q["id"] for q in step["questions"]]
        assert "syncPolicy" in ids and "applicationSet" not in ids
        message = await refused(
            client, sessionId=step["sessionId"], answers={"applicationSet": True}
        )
        assert message == (
            "applicationSet is answered only for a whole set of packages, not for one package; "
            "leave it out of answers, or use gitops_generate_all for every package"
        )
        step = await call(client, sessionId=step["sessionId"], answers={"applicationSet": False})
        assert "applicationSet" not in [q["id"] for q in step["questions"]]
