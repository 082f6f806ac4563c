"""Optional capabilities of a provider, declared and never crashed into: narrowing a shared
question (every face shows the narrowed one), files a tool needs beside the manifests of
``--all``, and ``--all`` itself (a provider without it says so)."""

from __future__ import annotations

import importlib
import itertools
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, only_line

from gitops_core.configuration import question_list
from gitops_core.declarative import DeclarativeProvider
from gitops_core.errors import ProviderError, UsageError
from gitops_core.models import Question, Validator
from gitops_core.plugins import Provider, narrow
from gitops_core.questions import coerce_answer, shared_questions
from gitops_core.resources import package_dir
from gitops_core.scaffold import provider_files, provider_names
from gitops_core.testing import generate, generate_all, provider_from

_COUNTER = itertools.count()

NARROWED = """
  - id: targetRevision
    question: Git branch, tag or commit to track?
    default: trunk
    validate:
      pattern: '^[^<>=~^*|, ]+$'
      message: a branch, tag or commit (no semver range)
"""

BUNDLE = """
bundle:
  entrypoint:
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {$bundle: name}
      namespace: {$answer: destinationNamespace}
    data:
      folder: {$bundle: folder}
  files:
    .toolignore:
      - "# written by gitops generate --all"
      - {$bundle: entrypointFile}
      - {$answer: nothingAnswered}
"""


def declarative(
    tmp_path: Path, *, questions: str = "", manifests: str = "", extra_question: bool = False
) -> Provider:
    """A provider from the template, with ``questions`` appended to its questions.yaml and
    ``manifests`` to its manifests.yaml, imported from ``tmp_path`` (not installed)."""
    names = provider_names(f"cap{next(_COUNTER)}")
    files = provider_files(names)
    files[f"{names.package}/questions.yaml"] += questions
    if extra_question:
        files[f"{names.package}/questions.yaml"] += (
            "  - id: nothingAnswered\n    question: Anything?\n"
        )
    files[f"{names.package}/manifests.yaml"] += manifests
    if "default:" in questions:  # the narrowed question's default, instead of defaults:
        template = files[f"{names.package}/manifests.yaml"]
        files[f"{names.package}/manifests.yaml"] = template.replace(
            "defaults:\n  targetRevision: main", "defaults: {}\n#"
        )
    for relative, text in files.items():
        (tmp_path / "src" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / relative).write_text(text)
    sys.path.insert(0, str(tmp_path / "src"))
    try:
        module = importlib.import_module(names.package)
    finally:
        sys.path.remove(str(tmp_path / "src"))
    return provider_from(module.provider, names.distribution)


def plugin_of(provider: Provider) -> DeclarativeProvider:
    plugin = provider._plugin
    assert isinstance(plugin, DeclarativeProvider)
    return plugin


# --- narrowing ----------------------------------------------------------------------------------


def test_a_narrowed_shared_question_is_the_one_every_face_asks(tmp_path: Path) -> None:
    provider = declarative(tmp_path, questions=NARROWED)
    questions = {q.id: q for q in question_list(provider)}
    revision = questions["targetRevision"]
    assert revision.question == "Git branch, tag or commit to track?"
    assert revision.default == "trunk"
    assert [q.id for q in question_list(provider)][:3] == [
        "gitRepoUrl",
        "gitRepoPath",
        "targetRevision",
    ]  # in the shared question's place, not among the provider's own
    assert "targetRevision" not in {q.id for q in provider.questions()}
    # The shared question's own check still holds (no white space at either end), and the
    # narrowing's is added.
    assert coerce_answer(revision, "v1.2.3") == "v1.2.3"
    for refused in (">=1.0", " main"):
        with pytest.raises(UsageError, match="targetRevision"):
            coerce_answer(revision, refused)
    with pytest.raises(UsageError, match=r"expected a branch, tag or commit \(no semver range\)"):
        generate(provider, tmp_path, {"targetRevision": "^1.2"})
    output = generate(provider, tmp_path / "second")
    assert output.documents[0]["data"]["revision"] == "trunk"  # the narrowed default


def test_the_command_line_shows_the_narrowed_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    import gitops_core.cli as cli
    import gitops_core.cli.common as common
    from gitops_core.cli import main
    from gitops_core.plugins import Providers, ProviderSource

    provider = declarative(tmp_path, questions=NARROWED)
    plugin = plugin_of(provider)
    providers = Providers([ProviderSource(provider.id, "gitops-x", "1", lambda: plugin)])
    monkeypatch.setattr(common, "installed_providers", lambda: providers)
    monkeypatch.setattr(cli, "installed_providers", lambda: providers)
    assert main(["questions", "--provider", provider.id, "--json"]) == 0
    shown = {q["id"]: q for q in json.loads(capsys.readouterr().out)["questions"]}
    assert shown["targetRevision"]["question"] == "Git branch, tag or commit to track?"


@pytest.mark.anyio
async def test_the_mcp_tool_shows_the_narrowed_question_and_refuses_what_it_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mcp")
    import shutil

    from mcp import Client

    from gitops_core.mcp_server import create_server
    from gitops_core.plugins import Providers

    monkeypatch.setenv("GITOPS_STATE_DIR", str(tmp_path / "state"))
    provider = declarative(tmp_path, questions=NARROWED)
    plugin = plugin_of(provider)
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES / "kustomize" / "base", root / "app")
    server = create_server(lambda: Providers.from_plugins({provider.id: plugin}))
    async with Client(server) as client:
        result = await client.call_tool(
            "gitops", {"projectPath": str(root), "selectedPackage": 0, "provider": provider.id}
        )
        assert not result.is_error, result.content
        assert result.structured_content is not None
        questions = {q["id"]: q for q in result.structured_content["questions"]}
        assert questions["targetRevision"]["question"] == "Git branch, tag or commit to track?"
        session = result.structured_content["sessionId"]
        refused = await client.call_tool(
            "gitops", {"sessionId": session, "answers": {"targetRevision": ">=1.0"}}
        )
        assert refused.is_error
        assert "no semver range" in str(refused.content)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


SHARED = {q.id: q for q in shared_questions()}


@pytest.mark.parametrize(
    ("narrowing", "problem"),
    [
        (
            Question(id="targetRevision", question="?", type="list"),
            "'targetRevision' is a text question; a narrowing cannot make it a list question",
        ),
        (
            Question(id="gitRepoUrl", question="?", validate=Validator(check="relative-path")),
            "'gitRepoUrl' is checked as git-url; a narrowing cannot check it as relative-path",
        ),
        (
            Question(
                id="targetRevision",
                question="?",
                default=">=1",
                validate=Validator(pattern="^[a-z]+$", message="letters"),
            ),
            "the narrowed default is refused: targetRevision: '>=1' does not match; "
            "expected letters",
        ),
    ],
)
def test_a_narrowing_cannot_widen_or_change_a_question(narrowing: Question, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        narrow(SHARED[narrowing.id], narrowing)
    assert str(caught.value) == problem


def test_a_narrowing_keeps_the_shared_check_and_the_shorter_length() -> None:
    narrowed = narrow(
        SHARED["gitRepoUrl"],
        Question(
            id="gitRepoUrl",
            question="HTTPS URL?",
            validate=Validator(pattern="^https://", message="an https:// URL", max_length=100),
        ),
    )
    assert narrowed.validate == Validator(
        pattern="^https://", check="git-url", message="an https:// URL", max_length=100
    )
    with pytest.raises(UsageError, match="embeds credentials"):
        coerce_answer(narrowed, "https://user:token@github.com/a/b.git")
    with pytest.raises(UsageError, match="expected an https:// URL"):
        coerce_answer(narrowed, "git@github.com:a/b.git")


def test_a_provider_narrowing_an_unknown_question_fails_with_its_distribution() -> None:
    from gitops_core import hookimpl
    from gitops_core.models import GeneratedOutput, GitOpsConfig

    class Narrows:
        @hookimpl
        def gitops_provider_id(self) -> str:
            return "narrows"

        @hookimpl
        def gitops_provider_name(self) -> str:
            return "Narrows"

        @hookimpl
        def gitops_questions(self) -> list[Question]:
            return []

        @hookimpl
        def gitops_narrowed_questions(self) -> list[Question]:
            return [Question(id="nope", question="?")]

        @hookimpl
        def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:
            raise AssertionError

    provider = provider_from(Narrows(), "gitops-narrows")
    with pytest.raises(ProviderError) as caught:
        question_list(provider)
    assert str(caught.value).startswith(
        "provider from gitops-narrows failed: gitops_narrowed_questions: 'nope' is not a "
        "shared question (shared: gitRepoUrl, "
    )


# --- --all: unsupported, and extra files ---------------------------------------------------------


def test_a_provider_without_a_bundle_section_says_it_does_not_support_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gitops_core.cli.common as common
    from gitops_core.cli import main
    from gitops_core.plugins import Providers, ProviderSource

    provider = declarative(tmp_path)
    plugin = plugin_of(provider)
    providers = Providers([ProviderSource(provider.id, "gitops-x", "1", lambda: plugin)])
    monkeypatch.setattr(common, "installed_providers", lambda: providers)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy" / "app").mkdir(parents=True)
    (tmp_path / "deploy" / "app" / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    )
    code = main(
        [
            "generate",
            "deploy",
            "--provider",
            provider.id,
            "--all",
            "-o",
            "deploy/out",
            "--set",
            "gitRepoUrl=https://h/o/r.git",
            "--set",
            "destinationNamespace=app",
        ]
    )
    assert code == 2
    assert only_line(capsys.readouterr().err) == (
        f"gitops: error: provider {provider.id!r} does not generate a whole set of packages at "
        f"once ({plugin_of(provider).package}/manifests.yaml has no bundle: section)"
    )


def test_bundle_files_are_filled_and_written_beside_the_manifests(tmp_path: Path) -> None:
    provider = declarative(tmp_path, manifests=BUNDLE, extra_question=True)
    result = generate_all(provider, tmp_path)
    (extra,) = result.extra_files
    assert extra.path == tmp_path / f"gitops-{provider.id}" / ".toolignore"
    # The line whose answer is missing is left out; the file is text, not a manifest.
    assert extra.output.manifests == "# written by gitops generate --all\n_entrypoint.yaml\n"
    assert extra.output.documents == ()
    assert all(item.path.name != ".toolignore" for item in result.files)  # never applied
    from gitops_core.bundle import write_bundle

    written = write_bundle(result)
    assert len(written) == len(result.files)
    assert (tmp_path / f"gitops-{provider.id}" / ".toolignore").read_text() == (
        extra.output.manifests
    )


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("sub/.ignore", "is not a plain file name of its own for the folder"),
        ("kustomization.yaml", "is not a plain file name of its own for the folder"),
        ("extra.yaml", "would be read as a manifest"),
    ],
)
def test_a_bundle_file_cannot_be_a_manifest_or_leave_the_folder(
    tmp_path: Path, name: str, problem: str
) -> None:
    manifests = BUNDLE.replace(".toolignore", name)
    provider = declarative(tmp_path, manifests=manifests, extra_question=True)
    with pytest.raises(ProviderError, match=problem):
        generate_all(provider, tmp_path)


def test_a_bundle_file_line_must_be_text_or_an_expression(tmp_path: Path) -> None:
    manifests = BUNDLE.replace("- {$bundle: entrypointFile}", "- [a, b]")
    # (found when the provider loads, before anyone is asked anything)
    with pytest.raises(ProviderError, match=r"\$\.bundle\.files\['.toolignore'\]: a line is text"):
        declarative(tmp_path, manifests=manifests, extra_question=True)


def test_defaults_name_shared_questions_only(tmp_path: Path) -> None:
    provider = declarative(tmp_path, manifests="")
    plugin = plugin_of(provider)
    manifests_file = package_dir(plugin.package) / "manifests.yaml"
    text = manifests_file.read_text()
    manifests_file.write_text(
        text.replace("  targetRevision: main", "  targetRevision: main\n  team: ops")
    )
    del plugin.__dict__["definition"]
    with pytest.raises(ProviderError, match=r"\$\.defaults: team is no shared question"):
        generate(provider, tmp_path)
