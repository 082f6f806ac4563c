"""The provider registry: lazy loading, isolation of failing providers, typed results."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import gitops_flux
import pytest

from gitops_core import hookimpl
from gitops_core.errors import ProviderError, UsageError
from gitops_core.models import GeneratedOutput, GitOpsConfig, Question
from gitops_core.plugins import Providers, ProviderSource


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
    assert str(caught.value) == (
        "provider 'argocd' is not installed (installed: flux); providers ship as distributions, "
        "by convention gitops-argocd: pip install gitops-argocd"
    )


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


def test_a_missing_hook_is_reported() -> None:
    class NoSchemas(Minimal):
        pass

    provider = Providers([source("mini", "gitops-mini", NoSchemas)]).get("mini")
    with pytest.raises(ProviderError, match="does not implement gitops_schema_dirs"):
        provider.schema_dirs()


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
