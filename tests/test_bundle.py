"""``gitops generate --all``: a file per package, a shared source, an entry point, or nothing."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, CliRunner, git, only_line

from gitops_core import hookimpl
from gitops_core.checks import is_dns1123_label
from gitops_core.cli import main
from gitops_core.detection.contents import ContentsCache
from gitops_core.models import (
    Bundle,
    BundleOutput,
    GeneratedOutput,
    GitOpsConfig,
    PackageType,
    Question,
)
from gitops_core.plugins import Providers, ProviderSource
from gitops_core.resources import schema_dir

PROVIDERS = ("flux", "argocd")
# Named after the packages (their names are unique in the example: SPEC §5), sorted. The
# example's kustomize/base is left out: its overlay kustomize/overlays/production builds it.
EXAMPLE_FILES = ["guestbook.yaml", "podinfo.yaml", "production.yaml"]
NAMESPACE = ("--set", "destinationNamespace=shop")


def generate_all(
    cli: CliRunner, cwd: Path, provider: str, *extra: str, path: str = "deploy"
) -> Any:
    return cli("generate", path, "--provider", provider, "--all", *NAMESPACE, *extra, cwd=cwd)


def documents(folder: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        path.name: [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        for path in sorted(folder.iterdir())
    }


def assert_sound(cli: CliRunner, folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every document valid (as `gitops validate` judges), every object and file unique."""
    files = documents(folder)
    done = cli("validate", *(str(folder / name) for name in files), "--allow-unknown-kinds")
    assert done.returncode == 0, done.stdout + done.stderr
    keys = Counter(
        (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
        for docs in files.values()
        for d in docs
    )
    assert [key for key, count in keys.items() if count > 1] == []
    return files


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_example_gives_a_file_per_package_and_an_entry_point(
    cli: CliRunner, example_repo: Path, provider: str
) -> None:
    folder = example_repo / "deploy" / f"gitops-{provider}"
    done = generate_all(cli, example_repo, provider, "-o", str(folder))
    assert done.returncode == 0, done.stderr
    files = assert_sound(cli, folder)
    shared = ["_namespace.yaml", "_source.yaml"] if provider == "flux" else []
    assert sorted(files) == ["_entrypoint.yaml", *shared, *EXAMPLE_FILES]
    (entry,) = files["_entrypoint.yaml"]
    assert entry["metadata"]["name"] == "deploy-gitops-" + provider
    names = [d["metadata"]["name"] for name in EXAMPLE_FILES for d in files[name]]
    assert set(names) == {name.removesuffix(".yaml") for name in EXAMPLE_FILES}
    if provider == "flux":
        assert entry["kind"] == "Kustomization"
        assert entry["spec"]["path"] == "./deploy/gitops-flux"
        assert entry["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "shop"}
        sources = [d for docs in files.values() for d in docs if d["kind"] == "GitRepository"]
        assert [s["metadata"]["name"] for s in sources] == ["shop"]
        assert [d["kind"] for d in files["_source.yaml"]] == ["GitRepository"]
        assert files["_namespace.yaml"] == [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
        ]
        refs = {d["spec"].get("sourceRef", {}).get("name") for n in EXAMPLE_FILES for d in files[n]}
        refs |= {d["spec"]["chart"]["spec"]["sourceRef"]["name"] for d in files["podinfo.yaml"]}
        assert refs - {None} == {"shop"}
    else:
        assert entry["kind"] == "Application"
        source = entry["spec"]["source"]
        assert source["path"] == "deploy/gitops-argocd"
        assert source["directory"] == {"exclude": "_entrypoint.yaml"}
        assert entry["spec"]["destination"]["server"] == "https://kubernetes.default.svc"
    assert f"entry point: {folder}/_entrypoint.yaml" in done.stdout


def test_json_lists_every_file_with_its_package_and_status(
    cli: CliRunner, example_repo: Path
) -> None:
    done = generate_all(cli, example_repo, "argocd", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["folder"] == "gitops-argocd"
    assert data["repoPath"] == "gitops-argocd"
    assert data["entrypoint"] == "gitops-argocd/_entrypoint.yaml"
    assert [f["role"] for f in data["files"]] == ["package"] * 3 + ["entrypoint"]
    assert {f["status"] for f in data["files"]} == {"created"}
    assert data["written"] is True and data["dryRun"] is False
    assert [f["package"]["path"] for f in data["files"][:3]] == [
        "charts/podinfo",
        "kustomize/overlays/production",
        "manifests/guestbook",
    ]
    assert data["skipped"] == [
        {
            "path": "kustomize/base",
            "type": "kustomize",
            "name": "base",
            "reason": "base",
            "detail": "built into kustomize/overlays/production",
            "include": "bases",
            "managedBy": [],
        }
    ]
    assert data["environments"] == []


def overlay(folder: Path, name: str = "web") -> None:
    folder.mkdir(parents=True)
    (folder / "kustomization.yaml").write_text("resources: []\n")
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
    (folder / "configmap.yaml").write_text(yaml.safe_dump(manifest))


@pytest.fixture
def same_names(tmp_path: Path) -> Path:
    """Packages called base and prod in many folders, spellings that meet, a very long path."""
    repo = tmp_path / "mono"
    for service in ("svc-a", "svc-b", "svc_b"):
        overlay(repo / service / "base")
        overlay(repo / service / "overlays" / "prod")
    overlay(repo / ("very-long-folder-name-" * 4) / "overlays" / "prod")
    overlay(repo / ("very-long-folder-name-" * 4) / "overlays" / "prod-eu")
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "remote", "add", "origin", "https://github.com/acme/mono.git")
    return repo


@pytest.mark.parametrize("provider", PROVIDERS)
def test_packages_sharing_a_name_get_unique_names_from_their_paths(
    cli: CliRunner, same_names: Path, provider: str
) -> None:
    done = generate_all(cli, same_names, provider, path=".")
    assert done.returncode == 0, done.stderr
    files = assert_sound(cli, same_names / f"gitops-{provider}")
    stems = [name.removesuffix(".yaml") for name in files if not name.startswith("_")]
    assert len(stems) == 8
    assert all(is_dns1123_label(stem) for stem in stems)
    assert {"svc-a-base", "svc-a-overlays-prod"} <= set(stems)
    # svc-b and svc_b both read svc-b: neither keeps the plain name, each gets its own hash.
    assert not {"svc-b-base", "svc-b-overlays-prod"} & set(stems)
    assert len([s for s in stems if s.startswith("svc-b-base-")]) == 2
    for stem in stems:
        names = {d["metadata"]["name"] for d in files[f"{stem}.yaml"] if d["kind"] != "Namespace"}
        assert names == {stem}


def test_a_second_run_is_byte_identical_and_replaces_nothing(
    cli: CliRunner, example_repo: Path
) -> None:
    assert generate_all(cli, example_repo, "flux").returncode == 0
    folder = example_repo / "gitops-flux"
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    done = generate_all(cli, example_repo, "flux")
    assert done.returncode == 0, done.stderr
    assert "(6 unchanged)" in done.stdout
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first


def test_an_earlier_output_folder_is_not_a_package(cli: CliRunner, example_repo: Path) -> None:
    assert generate_all(cli, example_repo, "flux", path=".").returncode == 0
    # Flux's set deploys every package now: a second tool would deploy them twice.
    done = generate_all(cli, example_repo, "argocd", path=".")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("nothing to deploy under .:")
    assert not (example_repo / "gitops-argocd").exists()
    rows = {line.split()[0]: line.split()[2] for line in done.stdout.splitlines()[4:]}
    assert rows == {
        "deploy/charts/podinfo": "managed",
        "deploy/kustomize/base": "managed",
        "deploy/kustomize/overlays/production": "managed",
        "deploy/manifests/guestbook": "managed",
        "gitops-flux": "gitops-config",
    }
    assert "deployed by gitops-flux/podinfo.yaml" in done.stdout
    again = generate_all(cli, example_repo, "argocd", "--include", "managed", path=".")
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (example_repo / "gitops-argocd").iterdir()) == [
        "_entrypoint.yaml",
        *EXAMPLE_FILES,
    ]


@pytest.mark.parametrize(
    "answer",
    ["gitRepoPath=charts/podinfo", "outputPath=x.yaml", "resourceName=web"],
)
def test_answers_that_name_one_package_are_refused(
    cli: CliRunner, example_repo: Path, answer: str
) -> None:
    done = generate_all(cli, example_repo, "flux", "--set", answer)
    assert done.returncode == 2
    line = only_line(done.stderr)
    assert line.startswith(f"gitops: error: {answer.partition('=')[0]} is different for every")
    assert not (example_repo / "gitops-flux").exists()


def test_an_existing_different_file_is_refused_before_anything_is_written(
    cli: CliRunner, example_repo: Path
) -> None:
    folder = example_repo / "gitops-argocd"
    folder.mkdir()
    (folder / "guestbook.yaml").write_text("mine\n")
    done = generate_all(cli, example_repo, "argocd")
    assert done.returncode == 3
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("gitops: error:")]
    assert "nothing was written" in error
    assert [p.name for p in folder.iterdir()] == ["guestbook.yaml"]
    forced = generate_all(cli, example_repo, "argocd", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "mine" not in (folder / "guestbook.yaml").read_text()


def test_an_output_folder_outside_the_repository_is_refused(
    cli: CliRunner, example_repo: Path, tmp_path: Path
) -> None:
    done = generate_all(cli, example_repo, "flux", "-o", str(tmp_path / "elsewhere"))
    assert done.returncode == 2
    assert "outside the Git repository" in only_line(done.stderr)


class HooksOnly:
    """A provider written against the hooks directly, without gitops_generate_all."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @hookimpl
    def gitops_provider_id(self) -> str:
        return "mini"

    @hookimpl
    def gitops_provider_name(self) -> str:
        return "Mini"

    @hookimpl
    def gitops_questions(self) -> Sequence[Question]:
        return []

    @hookimpl
    def gitops_shared_defaults(self) -> dict[str, object]:
        return {"targetRevision": "main"}

    @hookimpl
    def gitops_schema_dirs(self) -> Sequence[Path]:
        return [schema_dir("gitops_argocd", "argocd")]

    @hookimpl
    def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:
        raise AssertionError("not used by --all")

    def _out(self, name: str) -> GeneratedOutput:
        document = {**self.document, "metadata": {"name": name, "namespace": "ns"}}
        manifests = yaml.safe_dump(document)
        return GeneratedOutput(
            documents=(document,), manifests=manifests, filename=f"{name}.yaml", description="d"
        )


class Bundling(HooksOnly):
    """The same, generating ``document`` for every package."""

    @hookimpl
    def gitops_generate_all(self, configs: Sequence[GitOpsConfig], bundle: Bundle) -> BundleOutput:
        return BundleOutput(
            packages=tuple(self._out(name) for name in bundle.names),
            shared=(),
            entrypoint=self._out("_entrypoint"),
        )


def run_in_process(
    monkeypatch: pytest.MonkeyPatch, plugin: object, repo: Path, *extra: str, pid: str = "mini"
) -> int:
    """``gitops generate --all`` in this process, with ``plugin`` as the only provider."""
    import gitops_core.cli.common as command

    providers = Providers([ProviderSource(pid, "gitops-mini", "1.0", lambda: plugin)])
    monkeypatch.setattr(command, "installed_providers", lambda: providers)
    monkeypatch.chdir(repo)
    return main(["generate", "deploy", "--provider", pid, "--all", *NAMESPACE, *extra])


def test_an_invalid_document_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], example_repo: Path
) -> None:
    invalid = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "spec": {}}
    assert run_in_process(monkeypatch, Bundling(invalid), example_repo) == 1
    assert "podinfo.yaml#0 Application/podinfo: spec" in capsys.readouterr().err
    assert not (example_repo / "gitops-mini").exists()


def test_a_provider_without_the_hook_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], example_repo: Path
) -> None:
    plugin = HooksOnly({"apiVersion": "v1", "kind": "ConfigMap"})
    # The hook is optional: without it the provider does not support sets (bad usage, exit 2).
    assert run_in_process(monkeypatch, plugin, example_repo) == 2
    assert only_line(capsys.readouterr().err) == (
        "gitops: error: provider 'mini' does not generate a whole set of packages at once"
    )


def test_a_declarative_provider_without_a_bundle_section_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], example_repo: Path
) -> None:
    import sys

    sys.path.insert(0, str(EXAMPLES.parent / "tests" / "example_provider"))
    try:
        import gitops_example
    finally:
        sys.path.pop(0)
    plugin = gitops_example.provider
    assert run_in_process(monkeypatch, plugin, example_repo, "--set", "team=a", pid="example") == 2
    assert only_line(capsys.readouterr().err) == (
        "gitops: error: provider 'example' does not generate a whole set of packages at once "
        "(gitops_example/manifests.yaml has no bundle: section)"
    )


def test_the_output_folder_is_left_out_of_the_packages(cli: CliRunner, tmp_path: Path) -> None:
    repo = tmp_path / "r"
    shutil.copytree(EXAMPLES, repo)
    url = "gitRepoUrl=https://h/o/r.git"
    assert generate_all(cli, repo, "flux", "--set", url, "-o", "out", path=".").returncode == 0
    (repo / "out" / "_entrypoint.yaml").rename(repo / "out" / "renamed.yaml")
    # Not a package, although it no longer looks like an earlier output.
    done = generate_all(cli, repo, "flux", "--set", url, "-o", "out", path=".")
    assert done.returncode == 0, done.stderr
    assert "6 files for 3 packages" in done.stdout


def test_a_base_an_overlay_builds_is_left_out_and_can_be_included(
    cli: CliRunner, example_repo: Path
) -> None:
    done = cli("generate", "deploy", "--provider", "flux", "--all", *NAMESPACE, cwd=example_repo)
    assert done.returncode == 0, done.stderr
    assert "left out 1 of 4 packages; --include bases deploys them anyway:" in done.stdout
    (row,) = [line for line in done.stdout.splitlines() if line.startswith("kustomize/base ")]
    assert row.split() == [
        "kustomize/base", "kustomize", "base", "built", "into", "kustomize/overlays/production",
        "bases",
    ]  # fmt: skip
    folder = example_repo / "gitops-flux"
    assert "base.yaml" not in {p.name for p in folder.iterdir()}
    shutil.rmtree(folder)
    both = cli("generate", "deploy", "--provider", "flux", "--all", "--include", "bases",
               *NAMESPACE, cwd=example_repo)  # fmt: skip
    assert both.returncode == 0 and "left out" not in both.stdout
    assert {"base.yaml", "production.yaml"} <= {p.name for p in folder.iterdir()}


def test_an_exclude_that_matches_nothing_or_comes_without_all_is_refused(
    cli: CliRunner, example_repo: Path
) -> None:
    done = cli("generate", "deploy", "--provider", "flux", "--all", "--exclude", "nope/*",
               *NAMESPACE, cwd=example_repo)  # fmt: skip
    assert done.returncode == 2
    assert only_line(done.stderr) == "gitops: error: --exclude nope/*: matches no detected package"
    alone = cli("generate", "deploy", "--provider", "flux", "--package", "charts/podinfo",
                "--exclude", "x", *NAMESPACE, cwd=example_repo)  # fmt: skip
    assert alone.returncode == 2 and "--exclude goes with --all" in only_line(alone.stderr)


def test_a_file_the_set_no_longer_produces_is_named_not_deleted(
    cli: CliRunner, example_repo: Path
) -> None:
    assert generate_all(cli, example_repo, "argocd").returncode == 0
    again = cli("generate", "deploy", "--provider", "argocd", "--all", "--exclude", "manifests/*",
                *NAMESPACE, cwd=example_repo)  # fmt: skip
    assert again.returncode == 0, again.stderr
    stray = example_repo / "gitops-argocd" / "guestbook.yaml"
    assert stray.is_file()
    assert (
        f"gitops: note: {stray} is not part of this set but stays in the folder, so the entry "
        "point still deploys it; delete it if it is no longer wanted"
    ) in again.stderr.splitlines()


def test_bases_are_found_in_block_flow_and_quoted_lists(tmp_path: Path) -> None:
    from gitops_core.bundle import _built
    from gitops_core.models import DetectedPackage

    kustomizations = {
        "base": "resources:\n  - deployment.yaml\n",
        "overlays/a": "resources:\n- ../../base   # the shared base\n- https://x/y?ref=v1\n",
        "overlays/b": "resources: [ '../../base', ../a ]\n",
        "overlays/c": 'bases:\n  - "../../base"\ncomponents:\n  - ../../components/x\n',
        "overlays/d": "resources:\n  - service.yaml\n",
        # Paths under other keys are no bases: a namePrefix overlay with patches and generators.
        "overlays/e": (
            "namePrefix: e-\nresources:\n  - service.yaml\npatches:\n  - path: ../d/patch.yaml\n"
            "configMapGenerator:\n  - name: x\n    files:\n      - ../../base/config.txt\n"
        ),
        # An anchor makes the line scan unsure: the file is parsed.
        "overlays/f": "resources: &r\n  - ../d\nx: *r\n",
    }
    for path, text in kustomizations.items():
        (tmp_path / path).mkdir(parents=True)
        (tmp_path / path / "kustomization.yaml").write_text(text)
    packages = [
        DetectedPackage(path=path, type="kustomize", name=path, confidence="high")
        for path in kustomizations
    ]
    assert _built(tmp_path, packages, ContentsCache()) == {
        "base": ("overlays/a", "overlays/b", "overlays/c"),
        "overlays/a": ("overlays/b",),
        "overlays/d": ("overlays/f",),
    }


def _generated_applications(appset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The Applications the ApplicationSet controller would make, by source path: each
    generator's template filled from the ApplicationSet's (what it lacks), its parameters
    substituted as the Go templates say."""
    from gitops_argocd import BASENAME_NAME, PATH_NAME, PATH_PARAMETER, _sprig_name

    def fill(template: Any, base: Any) -> Any:
        if isinstance(template, dict) and isinstance(base, dict):
            return {**base, **{k: fill(v, base.get(k)) for k, v in template.items()}}
        return template

    def expand(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            return {k: expand(v, path) for k, v in node.items()}
        if isinstance(node, list):
            return [expand(v, path) for v in node]
        values = {
            PATH_PARAMETER: path,
            PATH_NAME: _sprig_name(path),
            BASENAME_NAME: _sprig_name(path.rpartition("/")[2]),
        }
        return values.get(node, node) if isinstance(node, str) else node

    spec = appset["spec"]
    assert spec["goTemplate"] is True and spec["goTemplateOptions"] == ["missingkey=error"]
    found = {}
    for generator in spec["generators"]:
        ((kind, body),) = generator.items()
        template = fill(body.get("template", spec["template"]), spec["template"])
        if kind == "git":
            paths = [entry["path"] for entry in body["directories"]]
        else:
            paths = [body["elements"][0]["package"]]
        for path in paths:
            application = expand(template, path)
            assert "{{" not in json.dumps(application)
            found[application["spec"]["source"]["path"]] = {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                **application,
            }
    return found


@pytest.mark.parametrize("repo", ["example", "same_names"])
def test_argo_cd_can_deploy_the_set_as_one_application_set(
    cli: CliRunner, request: pytest.FixtureRequest, repo: str
) -> None:
    root: Path = request.getfixturevalue("example_repo" if repo == "example" else repo)
    path = "deploy" if repo == "example" else "."
    # (The second set deploys what the first one does: --include managed.)
    every = ("--include", "bases", "--include", "managed", "--set", "syncPolicy=auto")
    one = generate_all(cli, root, "argocd", *every, "-o", "apps", path=path)
    assert one.returncode == 0, one.stderr
    each = generate_all(cli, root, "argocd", *every, "--set", "applicationSet=true",
                        "-o", "appset", path=path)  # fmt: skip
    assert each.returncode == 0, each.stderr
    files = assert_sound(cli, root / "appset")
    assert sorted(files) == ["_applicationset.yaml", "_entrypoint.yaml"]
    (appset,) = files["_applicationset.yaml"]
    assert appset["kind"] == "ApplicationSet"
    assert appset["spec"]["syncPolicy"] == {"preserveResourcesOnDeletion": True}
    # The entry point deploys the folder, and so the ApplicationSet, as app-of-apps does.
    (entry,) = files["_entrypoint.yaml"]
    assert entry["spec"]["source"]["path"] == "appset"
    # Every Application it generates is the one the app-of-apps set writes for that package.
    separate = {
        d["spec"]["source"]["path"]: d
        for name, docs in documents(root / "apps").items()
        if not name.startswith("_")
        for d in docs
    }
    assert _generated_applications(appset) == separate
    if repo == "example":
        # Names the folders give: one generator per kind of Application (a tool block apart).
        assert [len(g["git"]["directories"]) for g in appset["spec"]["generators"]] == [3, 1]


@pytest.mark.parametrize("count", [1, 2])
def test_a_set_file_says_how_many_packages_it_is_for(tmp_path: Path, count: int) -> None:
    import gitops_flux

    from gitops_core.testing import generate_all

    types: tuple[PackageType, ...] = ("raw-manifests", "kustomize")
    types = types[:count]
    result = generate_all(gitops_flux.provider, tmp_path, package_types=types)
    (entrypoint,) = [f for f in result.files if f.role == "entrypoint"]
    assert entrypoint.output.description.endswith(
        "for the one package" if count == 1 else "for all 2 packages"
    )
