"""The provider registry: lazy loading, isolation of failing providers, typed results; the hook
contract as pluggy enforces it, and every hook documented and exercised."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import gitops_flux
import pytest

from gitops_core import hookimpl
from gitops_core.configuration import question_list
from gitops_core.errors import ProviderError, UsageError
from gitops_core.hookspecs import OPTIONAL_HOOKS, REQUIRED_HOOKS, GitOpsGenerator
from gitops_core.models import (
    Bundle,
    BundleOutput,
    GeneratedOutput,
    GitOpsConfig,
    Question,
    Validator,
)
from gitops_core.output import render_documents
from gitops_core.plugins import Provider, Providers, ProviderSource, hook_names, plugin_manager
from gitops_core.questions import shared_questions
from gitops_core.testing import generate, generate_all, provider_from, sample_package


class Minimal:
    """A provider written against the hooks directly, without the declarative helper."""

    def __init__(self, provider_id: str = "mini") -> None:
        self.provider_id = provider_id

    @hookimpl
    def gitops_provider_id(self) -> str:
        return self.provider_id

    @hookimpl
    def gitops_provider_name(self) -> str:
        return "Mini"

    @hookimpl
    def gitops_questions(self) -> Sequence[Question]:
        return [Question(id="colour", question="Colour?", default="blue")]

    @hookimpl
    def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:
        return GeneratedOutput(documents=(), manifests="", filename="m.yaml", description="d")


def source(provider_id: str, distribution: str, load: object) -> ProviderSource:
    return ProviderSource(id=provider_id, distribution=distribution, version="1.0", load=load)  # type: ignore[arg-type]


def test_providers_are_loaded_only_when_asked_for() -> None:
    loaded: list[str] = []

    def load() -> object:
        loaded.append("mini")
        return Minimal()

    providers = Providers([source("mini", "gitops-mini", load)])
    assert providers.ids() == ["mini"] and loaded == []
    assert providers.get("mini").name == "Mini"
    assert providers.get("mini").questions()[0].id == "colour"
    assert loaded == ["mini"]


def test_a_provider_that_fails_to_import_is_named_and_the_others_keep_working() -> None:
    def broken() -> object:
        raise ImportError("No module named 'kubernetes_magic'")

    providers = Providers(
        [
            source("bad", "gitops-bad", broken),
            source("flux", "gitops-flux", lambda: gitops_flux.provider),
        ]
    )
    loaded, errors = providers.load_all()
    assert [p.id for p in loaded] == ["flux"]
    assert [str(e) for e in errors] == [
        "provider from gitops-bad failed: could not load provider 'bad': "
        "ImportError: No module named 'kubernetes_magic'"
    ]
    assert errors[0].exit_code == 4


def test_a_duplicate_id_names_both_distributions() -> None:
    providers = Providers(
        [
            source("flux", "gitops-flux", lambda: gitops_flux.provider),
            source("flux", "acme-flux", Minimal),
        ]
    )
    with pytest.raises(ProviderError, match="provided by both acme-flux and gitops-flux"):
        providers.get("flux")


def test_an_unknown_provider_is_a_usage_error_naming_what_is_installed() -> None:
    providers = Providers.from_plugins({"flux": gitops_flux.provider})
    with pytest.raises(UsageError) as caught:
        providers.get("argocd")
    # No install advice naming a distribution after what was typed: it may not exist.
    assert str(caught.value) == "provider 'argocd' is not installed (installed: flux)"
    with pytest.raises(UsageError, match=r"^provider 'Flux' is not installed; did you mean flux"):
        providers.get("Flux")


def test_an_entry_point_whose_plugin_declares_another_id_is_refused() -> None:
    providers = Providers([source("mini", "gitops-mini", lambda: Minimal("other"))])
    with pytest.raises(ProviderError, match="entry point 'mini' declares provider id 'other'"):
        providers.get("mini")


class Raises(Minimal):
    @hookimpl
    def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:
        raise RuntimeError("boom")


class WrongType(Minimal):
    @hookimpl
    def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:
        return "apiVersion: v1"  # type: ignore[return-value]


class NotAQuestion(Minimal):
    @hookimpl
    def gitops_questions(self) -> Sequence[Question]:
        return [{"id": "x"}]  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("plugin", "call", "message"),
    [
        (Raises(), "generate", "gitops_generate raised RuntimeError: boom"),
        (WrongType(), "generate", "gitops_generate returned str, not GeneratedOutput"),
        (NotAQuestion(), "questions", "gitops_questions returned a dict, not a Question"),
    ],
)
def test_a_misbehaving_provider_is_reported_with_its_distribution(
    plugin: Minimal, call: str, message: str
) -> None:
    provider = Providers([source("mini", "gitops-mini", lambda: plugin)]).get("mini")
    with pytest.raises(ProviderError) as caught:
        if call == "generate":
            provider.generate(None)  # type: ignore[arg-type]
        else:
            provider.questions()
    assert str(caught.value) == f"provider from gitops-mini failed: {message}"


def test_a_missing_required_hook_fails_the_provider_when_it_loads() -> None:
    class NoGenerate:
        @hookimpl
        def gitops_provider_id(self) -> str:
            return "mini"

        def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:  # no @hookimpl
            raise AssertionError

    providers = Providers([source("mini", "gitops-mini", NoGenerate)])
    with pytest.raises(ProviderError) as caught:
        providers.get("mini")
    assert str(caught.value) == (
        "provider from gitops-mini failed: provider 'mini' does not implement "
        "gitops_provider_name, gitops_questions, gitops_generate (it has no @hookimpl)"
    )


def test_optional_hooks_have_their_documented_fallbacks() -> None:
    provider = Providers([source("mini", "gitops-mini", Minimal)]).get("mini")
    assert provider.schema_dirs() == ()
    assert provider.shared_defaults() == {}
    assert provider.shared_questions() == shared_questions()
    assert not provider.implements("gitops_generate_all")


def test_the_entry_point_reader_agrees_with_importlib_metadata() -> None:
    from importlib.metadata import entry_points as reference

    from gitops_core.entrypoints import entry_points

    for group in ("console_scripts", "gitops_core", "pytest11"):
        ours = sorted((e.name, e.value, e.distribution, e.version) for e in entry_points(group))
        theirs = sorted(
            (e.name, e.value, e.dist.name, e.dist.version)  # type: ignore[union-attr]
            for e in reference(group=group)
        )
        assert ours == theirs, group


def test_the_first_distribution_of_a_name_on_the_path_wins(tmp_path: Path) -> None:
    from gitops_core.entrypoints import entry_points

    for folder, version in (("a", "2.0"), ("b", "1.0")):
        info = tmp_path / folder / f"gitops_x-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: gitops-x\nVersion: {version}\n\nbody"
        )
        (info / "entry_points.txt").write_text(
            "[other]\nno = nope:x\n\n[gitops_core]\n# a comment\nx = json:dumps\n"
        )
    found = entry_points("gitops_core", [str(tmp_path / "a"), str(tmp_path / "b"), "/nonexistent"])
    assert [(e.name, e.distribution, e.version) for e in found] == [("x", "gitops-x", "2.0")]
    import json

    assert found[0].load() is json.dumps


def test_a_provider_whose_data_files_are_broken_is_a_provider_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "gitops_broken"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from gitops_core.generation import DeclarativeProvider\n"
        "provider = DeclarativeProvider('gitops_broken', functions={})\n"
    )
    (package / "questions.yaml").write_text("questions: []\n")
    (package / "manifests.yaml").write_text("provider: {id: broken, name: B}\ndocuments: []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    broken = importlib.import_module("gitops_broken").provider
    providers = Providers(
        [
            source("broken", "gitops-broken", lambda: broken),
            source("flux", "gitops-flux", lambda: gitops_flux.provider),
        ]
    )
    loaded, errors = providers.load_all()
    assert [p.id for p in loaded] == ["flux"]
    assert errors[0].exit_code == 4
    assert str(errors[0]).startswith(
        "provider from gitops-broken failed: gitops_broken/manifests.yaml: "
    )


# --- the contract, enforced when a provider loads -----------------------------------------------


class Misspelt(Minimal):
    @hookimpl
    def gitops_generat(self, config: GitOpsConfig) -> GeneratedOutput:
        raise AssertionError("never called")


class WrongArgument(Minimal):
    @hookimpl
    def gitops_generate(self, cfg: GitOpsConfig) -> GeneratedOutput:
        raise AssertionError("never called")


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (Misspelt, "provider 'mini': unknown hook gitops_generat; did you mean gitops_generate?"),
        (
            WrongArgument,
            "provider 'mini': gitops_generate(cfg): cfg is not an argument of the hook "
            "gitops_generate(config)",
        ),
    ],
)
def test_a_hook_that_is_not_in_the_specification_is_named_on_loading(
    plugin: type[Minimal], message: str
) -> None:
    providers = Providers(
        [
            source("mini", "gitops-mini", plugin),
            source("flux", "gitops-flux", lambda: gitops_flux.provider),
        ]
    )
    loaded, errors = providers.load_all()
    assert [p.id for p in loaded] == ["flux"]
    assert [str(e) for e in errors] == [f"provider from gitops-mini failed: {message}"]


def test_pluggy_itself_refuses_what_gets_past_our_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    import gitops_core.plugins as plugins

    monkeypatch.setattr(plugins, "_hook_problems", lambda pm, plugin: [])
    with pytest.raises(ProviderError) as caught:
        Providers([source("mini", "gitops-mini", Misspelt)]).get("mini")
    assert str(caught.value).startswith(
        "provider from gitops-mini failed: provider 'mini': unknown hook 'gitops_generat'"
    )
    assert "\n" not in str(caught.value)


def test_a_provider_that_fails_is_unregistered_and_fails_the_same_way_again() -> None:
    providers = Providers([source("mini", "gitops-mini", lambda: Minimal("other"))])
    for _ in range(2):  # never "Plugin name already registered"
        with pytest.raises(ProviderError, match="entry point 'mini' declares provider id 'other'"):
            providers.get("mini")


def test_hooks_are_called_through_pluggy(monkeypatch: pytest.MonkeyPatch) -> None:
    import pluggy

    called: list[str] = []
    original = pluggy.HookCaller.__call__

    def spy(self: pluggy.HookCaller, **kwargs: object) -> object:
        called.append(self.name)
        return original(self, **kwargs)

    monkeypatch.setattr(pluggy.HookCaller, "__call__", spy)

    class OptIn(Minimal):
        @hookimpl
        def gitops_generate(self) -> GeneratedOutput:  # type: ignore[override]
            # pluggy passes only the arguments an implementation asks for.
            return GeneratedOutput(documents=(), manifests="", filename="m.yaml", description="d")

    provider = Providers([source("mini", "gitops-mini", OptIn)]).get("mini")
    assert provider.generate(None).filename == "m.yaml"  # type: ignore[arg-type]
    assert called == ["gitops_provider_id", "gitops_generate"]


# --- every hook: documented and exercised (as datasette checks its own) -----------------------

ROOT = Path(__file__).resolve().parents[1]
CONFIGMAP_SCHEMAS = ROOT / "gitops_core" / "provider_template" / "package" / "schemas"


class Coded(GitOpsGenerator):
    """A provider written as code that implements every hook; mypy checks each signature
    against the GitOpsGenerator protocol."""

    @hookimpl
    def gitops_provider_id(self) -> str:
        return "coded"

    @hookimpl
    def gitops_provider_name(self) -> str:
        return "Coded"

    @hookimpl
    def gitops_questions(self) -> Sequence[Question]:
        return [Question(id="team", question="Team?", default="platform")]

    @hookimpl
    def gitops_shared_defaults(self) -> Mapping[str, object]:
        return {"targetRevision": "trunk", "outputPath": "./coded.yaml"}

    @hookimpl
    def gitops_schema_dirs(self) -> Sequence[Path]:
        return [CONFIGMAP_SCHEMAS]

    @hookimpl
    def gitops_narrowed_questions(self) -> Sequence[Question]:
        return [
            Question(
                id="targetRevision",
                question="Git branch or tag to track?",
                validate=Validator(pattern="^[^<>=~^*| ]+$", message="a branch or tag"),
            )
        ]

    def _configmap(self, config: GitOpsConfig, name: str, filename: str) -> GeneratedOutput:
        document = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": config.answer("destinationNamespace")},
            "data": {"team": config.answer("team"), "revision": config.answer("targetRevision")},
        }
        return GeneratedOutput(
            documents=(document,),
            manifests=render_documents([document]),
            filename=filename,
            description="a ConfigMap",
        )

    @hookimpl
    def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:
        return self._configmap(config, config.package.name, "coded.yaml")

    @hookimpl
    def gitops_generate_all(self, configs: Sequence[GitOpsConfig], bundle: Bundle) -> BundleOutput:
        return BundleOutput(
            packages=tuple(
                self._configmap(config, name, f"{name}.yaml")
                for config, name in zip(configs, bundle.names, strict=True)
            ),
            shared=(),
            entrypoint=self._configmap(configs[0], bundle.entrypoint, bundle.entrypoint_file),
        )


@pytest.fixture
def coded() -> Provider:
    return provider_from(Coded(), "gitops-coded")


def test_hook_gitops_provider_id(coded: Provider) -> None:
    assert coded.id == "coded"
    with pytest.raises(ProviderError, match="entry point 'other' declares provider id 'coded'"):
        Providers.from_plugins({"other": Coded()}).get("other")


def test_hook_gitops_provider_name(coded: Provider) -> None:
    assert coded.name == "Coded"


def test_hook_gitops_questions(coded: Provider) -> None:
    ids = [q.id for q in question_list(coded)]
    assert ids[-2:] == ["team", "outputPath"]  # after the shared ones, before where to save


def test_hook_gitops_generate(coded: Provider, tmp_path: Path) -> None:
    output = generate(coded, tmp_path, {"team": "payments"})
    assert output.documents[0]["data"] == {"team": "payments", "revision": "trunk"}


def test_hook_gitops_shared_defaults(coded: Provider, tmp_path: Path) -> None:
    # The provider's targetRevision stands where no checkout supplies a branch.
    assert generate(coded, tmp_path).documents[0]["data"]["revision"] == "trunk"


def test_hook_gitops_schema_dirs(coded: Provider, tmp_path: Path) -> None:
    from gitops_core.errors import InvalidManifestError

    assert coded.schema_dirs() == (CONFIGMAP_SCHEMAS,)
    # Coded names the ConfigMap after the package as it is: the schema's checks refuse it.
    sample_package(tmp_path, "helm", name="Not_A_Name")
    with pytest.raises(
        InvalidManifestError, match=re.escape("ConfigMap/Not_A_Name: metadata.name")
    ):
        generate(coded, tmp_path, package="Not_A_Name")


def test_hook_gitops_narrowed_questions(coded: Provider, tmp_path: Path) -> None:
    (revision,) = (q for q in question_list(coded) if q.id == "targetRevision")
    assert revision.question == "Git branch or tag to track?"
    with pytest.raises(
        UsageError, match=re.escape("targetRevision: '>=1.0' does not match; expected a")
    ):
        generate(coded, tmp_path, {"targetRevision": ">=1.0"})


def test_hook_gitops_generate_all(coded: Provider, tmp_path: Path) -> None:
    result = generate_all(coded, tmp_path)
    assert sorted(item.path.name for item in result.files) == [
        "_entrypoint.yaml",
        "kustomize.yaml",
        "raw-manifests.yaml",
    ]


def hook_signatures() -> list[str]:
    pm = plugin_manager()
    return [f"{name}({', '.join(getattr(pm.hook, name).spec.argnames)})" for name in hook_names()]


def test_every_hook_is_documented_with_its_signature() -> None:
    guide = (ROOT / "docs" / "providers.md").read_text()
    headings = [line.strip("# `") for line in guide.splitlines() if line.startswith("### `gitops_")]
    assert headings == hook_signatures()


def test_every_hook_is_exercised_by_a_test_of_its_name() -> None:
    tests = {name for name in globals() if name.startswith("test_hook_")}
    assert tests == {f"test_hook_{name}" for name in hook_names()}


def test_required_and_optional_hooks_are_every_hook() -> None:
    assert sorted(REQUIRED_HOOKS + OPTIONAL_HOOKS) == sorted(hook_names())


@pytest.mark.slow
def test_mypy_checks_a_provider_written_against_the_protocol(tmp_path: Path) -> None:
    import subprocess
    import sys

    module = tmp_path / "gitops_typo.py"
    module.write_text(
        "from gitops_core import hookimpl\n"
        "from gitops_core.hookspecs import GitOpsGenerator\n"
        "from gitops_core.models import GeneratedOutput, GitOpsConfig\n\n\n"
        "class Typo(GitOpsGenerator):\n"
        "    @hookimpl\n"
        "    def gitops_provider_id(self) -> int:\n"
        "        return 1\n\n"
        "    @hookimpl\n"
        "    def gitops_generate(self, config: str) -> GeneratedOutput:\n"
        "        raise NotImplementedError\n\n\n"
        "provider = Typo()\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(module)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    errors = done.stdout
    assert 'Return type "int" of "gitops_provider_id" incompatible' in errors
    assert 'Argument 1 of "gitops_generate" is incompatible' in errors
    assert 'Cannot instantiate abstract class "Typo"' in errors
    assert "gitops_provider_name" in errors and "gitops_questions" in errors
