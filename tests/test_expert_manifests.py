"""What we write behaves right in a cluster, not only validates: namespaces, refs, credentials,
names, Helm releases, reused sources and checks against the checkout (docs/manifests.md), on real
Git repositories made in temporary folders, for both providers."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CliRunner, git, gotk_sync, only_line

from gitops_core import configuration, generation
from gitops_core.bundle import generate_all
from gitops_core.detection import find_package
from gitops_core.errors import MissingAnswersError, UsageError
from gitops_core.models import GeneratedOutput
from gitops_core.plugins import Providers

ORIGIN = "https://github.com/acme/shop.git"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
{namespace}spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: app, image: nginx}}]}}
"""


def deployment(name: str, namespace: str | None = None) -> str:
    line = f"  namespace: {namespace}\n" if namespace else ""
    return DEPLOYMENT.format(name=name, namespace=line)


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def make_repo(tmp_path: Path, files: Mapping[str, str], origin: str = ORIGIN) -> Path:
    repo = tmp_path / "repo"
    while repo.exists():  # two repositories in one test
        repo = repo.with_name(repo.name + "-2")
    repo.mkdir()
    write(repo, files)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", origin)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def run(
    providers: Providers, provider: str, root: Path, package: str, **answers: object
) -> tuple[list[dict[str, Any]], GeneratedOutput]:
    chosen = providers.get(provider)
    found = find_package(root, package)
    config = configuration.configure(root, found, chosen, answers)
    output = generation.generate(config, chosen)  # validated
    return [dict(d) for d in output.documents], output


def kinds(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in documents}


# --- namespaces ---------------------------------------------------------------------------------


@pytest.fixture
def namespaced(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path,
        {
            "apps/web/base/kustomization.yaml": "resources: [deploy.yaml]\n",
            "apps/web/base/deploy.yaml": deployment("web"),
            "apps/web/dev/kustomization.yaml": "namespace: dev\nresources: [../base]\n",
            "apps/api/deploy.yaml": deployment("api", "shop"),
            "apps/api/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
            "apps/mixed/a.yaml": deployment("a", "shop"),
            "apps/mixed/b.yaml": deployment("b"),
        },
    )


def test_an_overlay_keeps_the_namespace_it_declares(providers: Providers, namespaced: Path) -> None:
    # No destinationNamespace given: it is not needed, and defaults to what the overlay says.
    flux, _ = run(providers, "flux", namespaced, "apps/web/dev")
    assert "targetNamespace" not in kinds(flux)["Kustomization"]["spec"]
    assert [d["kind"] for d in flux] == ["GitRepository", "Namespace", "Kustomization"]
    assert kinds(flux)["Namespace"]["metadata"]["name"] == "dev"
    argo, _ = run(providers, "argocd", namespaced, "apps/web/dev")
    assert argo[0]["spec"]["destination"]["namespace"] == "dev"


def test_objects_that_name_their_namespace_are_never_moved_silently(
    providers: Providers, namespaced: Path
) -> None:
    flux, output = run(providers, "flux", namespaced, "apps/api")
    assert "targetNamespace" not in kinds(flux)["Kustomization"]["spec"]
    # The package has its own Namespace shop: none is added next to it.
    assert "Namespace" not in kinds(flux)
    assert output.notes == ()
    # Answered on purpose: written, with a note saying what it moves and renames.
    moved, output = run(providers, "flux", namespaced, "apps/api", destinationNamespace="web")
    assert kinds(moved)["Kustomization"]["spec"]["targetNamespace"] == "web"
    assert any("moves objects that declare the namespace shop" in n for n in output.notes)
    assert any("renames the package's Namespace shop to web" in n for n in output.notes)


def test_a_namespace_is_required_where_objects_have_none(
    providers: Providers, namespaced: Path
) -> None:
    for provider in ("flux", "argocd"):
        with pytest.raises(MissingAnswersError, match="destinationNamespace"):
            run(providers, provider, namespaced, "apps/mixed")
        with pytest.raises(MissingAnswersError, match="destinationNamespace"):
            run(providers, provider, namespaced, "apps/web/base")
    flux, _ = run(providers, "flux", namespaced, "apps/mixed", destinationNamespace="shop")
    assert kinds(flux)["Kustomization"]["spec"]["targetNamespace"] == "shop"


@pytest.mark.parametrize("namespace", ["default", "kube-system", "kube-node-lease", "flux-system"])
def test_no_namespace_document_for_one_the_cluster_or_flux_owns(
    providers: Providers, namespaced: Path, namespace: str
) -> None:
    flux, _ = run(providers, "flux", namespaced, "apps/web/base", destinationNamespace=namespace)
    assert "Namespace" not in kinds(flux)
    assert kinds(flux)["Kustomization"]["spec"]["targetNamespace"] == namespace


# --- refs ---------------------------------------------------------------------------------------


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """A repository with a tag and two commits, and a shallow clone of it without tags."""
    origin = make_repo(tmp_path, {"app/deploy.yaml": deployment("app", "shop")})
    git(origin, "tag", "v6.5.0")
    (origin / "app" / "more.yaml").write_text(deployment("more", "shop"))
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "second")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", f"file://{origin}", str(clone))
    git(clone, "remote", "set-url", "origin", ORIGIN)
    assert git(clone, "tag") == ""
    return clone


def flux_ref(providers: Providers, root: Path, revision: str) -> dict[str, str]:
    documents, _ = run(providers, "flux", root, "app", targetRevision=revision)
    return dict(kinds(documents)["GitRepository"]["spec"]["ref"])


def test_refs_are_read_as_flux_needs_them_in_a_shallow_clone(
    providers: Providers, released: Path
) -> None:
    head = git(released, "rev-parse", "HEAD")
    assert flux_ref(providers, released, "v6.5.0") == {"tag": "v6.5.0"}  # no tags in the clone
    assert flux_ref(providers, released, head[:7]) == {"commit": head}
    assert flux_ref(providers, released, "HEAD") == {"branch": "main"}
    assert flux_ref(providers, released, "refs/tags/stable") == {"tag": "stable"}
    assert flux_ref(providers, released, "refs/heads/v6.5.0") == {"branch": "v6.5.0"}
    with pytest.raises(UsageError, match="looks like a short commit SHA, but no commit"):
        flux_ref(providers, released, "deadbee")
    # Argo CD resolves revisions itself: kept as given.
    argo, _ = run(providers, "argocd", released, "app", targetRevision="HEAD")
    assert argo[0]["spec"]["source"]["targetRevision"] == "HEAD"


def test_head_on_a_detached_checkout_is_refused_for_flux(
    providers: Providers, released: Path
) -> None:
    git(released, "checkout", "-q", "--detach")
    with pytest.raises(UsageError, match="targetRevision: HEAD, but the checkout is not on a"):
        flux_ref(providers, released, "HEAD")


# --- credentials ------------------------------------------------------------------------------


def test_a_private_repository_gets_a_secret_ref_or_says_how(
    providers: Providers, namespaced: Path
) -> None:
    url = "ssh://git@github.com/acme/private.git"
    flux, output = run(providers, "flux", namespaced, "apps/api", gitRepoUrl=url)
    assert "secretRef" not in kinds(flux)["GitRepository"]["spec"]
    assert any("flux create secret git NAME --namespace=flux-system" in n for n in output.notes)
    flux, output = run(
        providers, "flux", namespaced, "apps/api", gitRepoUrl=url, secretRef="deploy-key"
    )
    assert kinds(flux)["GitRepository"]["spec"]["secretRef"] == {"name": "deploy-key"}
    assert not any("flux create secret" in n for n in output.notes)
    _, output = run(providers, "argocd", namespaced, "apps/api", gitRepoUrl=url)
    assert any(f"argocd repo add {url}" in n for n in output.notes)


# --- names --------------------------------------------------------------------------------------


@pytest.fixture
def twins(tmp_path: Path) -> Path:
    chart = "apiVersion: v2\nname: helm-guestbook\nversion: 1.0.0\n"
    return make_repo(
        tmp_path,
        {
            "team-a/app/deploy.yaml": deployment("a", "a"),
            "team-b/app/deploy.yaml": deployment("b", "b"),
            "charts/one/Chart.yaml": chart,
            "charts/one/templates/cm.yaml": "kind: ConfigMap\n",
            "charts/two/Chart.yaml": chart,
            "charts/two/templates/cm.yaml": "kind: ConfigMap\n",
            "solo/deploy.yaml": deployment("solo", "solo"),
        },
    )


@pytest.mark.parametrize("provider", ["flux", "argocd"])
def test_packages_sharing_a_name_get_names_from_their_paths(
    providers: Providers, twins: Path, provider: str
) -> None:
    names = {}
    for path in ("team-a/app", "team-b/app", "charts/one", "charts/two", "solo"):
        documents, _ = run(providers, provider, twins, path, destinationNamespace="x")
        names[path] = {d["metadata"]["name"] for d in documents if d["kind"] != "Namespace"}
    assert names["team-a/app"] == {"team-a-app"} and names["team-b/app"] == {"team-b-app"}
    assert names["charts/one"] == {"charts-one"} and names["charts/two"] == {"charts-two"}
    assert names["solo"] == {"solo"}
    # The same names as a whole set.
    result = generate_all(
        twins, providers.get(provider), {"destinationNamespace": "x"}, twins / "gitops"
    )
    stems = {f.path.stem for f in result.files if f.role == "package"}
    assert stems == {"team-a-app", "team-b-app", "charts-one", "charts-two", "solo"}


@pytest.mark.parametrize("provider", ["flux", "argocd"])
def test_a_package_named_like_the_repository_keeps_its_name_in_a_set(
    providers: Providers, tmp_path: Path, provider: str
) -> None:
    """charts/podinfo of podinfo.git: HelmRelease, release and Application are `podinfo`
    deployed alone and in --all alike (a release renamed between the two is reinstalled)."""
    repo = make_repo(
        tmp_path,
        {
            "charts/podinfo/Chart.yaml": "apiVersion: v2\nname: podinfo\nversion: 6.5.0\n",
            "charts/podinfo/templates/cm.yaml": "kind: ConfigMap\n",
            "deploy/web/deploy.yaml": deployment("web", "web"),
        },
        origin="https://github.com/stefanprodan/podinfo.git",
    )
    alone, _ = run(providers, provider, repo, "charts/podinfo", destinationNamespace="x")
    result = generate_all(repo, providers.get(provider), {"destinationNamespace": "x"}, repo / "o")
    (package,) = [f for f in result.files if f.package and f.package.path == "charts/podinfo"]
    assert package.path.stem == "podinfo"
    for documents in (alone, [dict(d) for d in package.output.documents]):
        release = [d for d in documents if d["kind"] in ("HelmRelease", "Application")]
        assert [d["metadata"]["name"] for d in release] == ["podinfo"]
        spec = release[0]["spec"]
        if provider == "flux":
            assert spec["releaseName"] == "podinfo"
        else:  # Argo CD names the release after the Application unless told otherwise
            assert "releaseName" not in spec["source"].get("helm", {})


# --- Helm releases ------------------------------------------------------------------------------


@pytest.fixture
def chart_repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path,
        {
            "charts/podinfo/Chart.yaml": "apiVersion: v2\nname: podinfo\nversion: 6.5.0\n",
            "charts/podinfo/values.yaml": "replicas: 1\n",
            "charts/podinfo/values-prod.yaml": "replicas: 3\n",
            "charts/podinfo/templates/cm.yaml": "kind: ConfigMap\n",
        },
    )


def test_a_helm_release_is_named_after_its_chart_and_rebuilt_when_its_version_moves(
    providers: Providers, chart_repo: Path
) -> None:
    flux, _ = run(providers, "flux", chart_repo, "charts/podinfo", destinationNamespace="web")
    release = kinds(flux)["HelmRelease"]["spec"]
    assert release["releaseName"] == "podinfo"  # not web-podinfo
    assert release["chart"]["spec"]["reconcileStrategy"] == "ChartVersion"
    assert "valuesFiles" not in release["chart"]["spec"]
    flux, _ = run(
        providers,
        "flux",
        chart_repo,
        "charts/podinfo",
        destinationNamespace="web",
        reconcileStrategy="Revision",
    )
    assert kinds(flux)["HelmRelease"]["spec"]["chart"]["spec"]["reconcileStrategy"] == "Revision"


def test_value_files_are_offered_checked_and_written_as_each_tool_reads_them(
    providers: Providers, chart_repo: Path
) -> None:
    from gitops_core.git import git_facts

    found = find_package(chart_repo, "charts/podinfo")
    prepared = configuration.prepare(
        chart_repo, found, providers.get("flux"), git_facts(chart_repo)
    )
    assert [o.value for o in prepared.choices["valueFiles"]] == ["values-prod.yaml"]
    answers = {"destinationNamespace": "web", "valueFiles": "values-prod.yaml"}
    flux, _ = run(providers, "flux", chart_repo, "charts/podinfo", **answers)
    # Flux reads them from the source's root, and drops values.yaml once a list is given.
    assert kinds(flux)["HelmRelease"]["spec"]["chart"]["spec"]["valuesFiles"] == [
        "charts/podinfo/values.yaml",
        "charts/podinfo/values-prod.yaml",
    ]
    argo, _ = run(providers, "argocd", chart_repo, "charts/podinfo", **answers)
    assert argo[0]["spec"]["source"]["helm"]["valueFiles"] == ["values-prod.yaml"]
    for provider in ("flux", "argocd"):
        with pytest.raises(UsageError, match=r"'values-staging\.yaml' is not a file of the chart"):
            run(
                providers,
                provider,
                chart_repo,
                "charts/podinfo",
                destinationNamespace="web",
                valueFiles="values-staging.yaml",
            )


# --- sources ------------------------------------------------------------------------------------



@pytest.fixture
def bootstrapped(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path,
        {
            "clusters/prod/flux-system/gotk-sync.yaml": gotk_sync("ssh://git@github.com/acme/shop"),
            "apps/web/deploy.yaml": deployment("web", "web"),
            "apps/api/deploy.yaml": deployment("api", "api"),
        },
        origin="git@github.com:acme/shop.git",
    )


def test_a_bootstrapped_repository_source_is_reused(
    providers: Providers, bootstrapped: Path
) -> None:
    flux, output = run(providers, "flux", bootstrapped, "apps/web", gitRepoUrl=ORIGIN)
    assert [d["kind"] for d in flux] == ["Namespace", "Kustomization"]
    assert kinds(flux)["Kustomization"]["spec"]["sourceRef"] == {
        "kind": "GitRepository",
        "name": "flux-system",
    }
    assert any("flux-system/flux-system (clusters/prod/flux-system/gotk-sync.yaml)" in n
               for n in output.notes)  # fmt: skip
    # Another repository, or another ref asked for: a GitRepository of its own.
    other, _ = run(
        providers, "flux", bootstrapped, "apps/web", gitRepoUrl="https://github.com/acme/x.git"
    )
    assert "GitRepository" in kinds(other)
    pinned, _ = run(providers, "flux", bootstrapped, "apps/web", targetRevision="v1.0.0")
    assert kinds(pinned)["GitRepository"]["spec"]["ref"] == {"tag": "v1.0.0"}
    # The whole set too: no _source.yaml, every Kustomization on flux-system.
    result = generate_all(bootstrapped, providers.get("flux"), {}, bootstrapped / "deploy")
    assert "_source.yaml" not in {f.path.name for f in result.files}
    for item in result.files:
        for document in item.output.documents:
            if document["kind"] == "Kustomization":
                assert document["spec"]["sourceRef"]["name"] == "flux-system"


# --- checks against the checkout --------------------------------------------------------------


def test_paths_the_checkout_does_not_have_are_refused_in_one_line(
    cli: CliRunner, namespaced: Path, tmp_path: Path
) -> None:
    base = ["generate", str(namespaced), "--provider", "flux", "-o", "-"]
    done = cli(*base, "--package", "apps/api", "--set", "gitRepoPath=apps/gone")
    assert done.returncode == 2
    assert only_line(done.stderr) == (
        f"gitops: error: gitRepoPath: 'apps/gone' is no folder of the checkout of {ORIGIN} "
        f"at {namespaced}"
    )
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"gitRepoPath": "apps/api"}))
    done = cli(*base, "--package", "apps/web/dev", "--answers", str(answers))
    assert done.returncode == 2
    assert "gitRepoPath: 'apps/api' is not where the package is" in only_line(done.stderr)
    # Another repository's layout is not this checkout's to judge.
    done = cli(
        *base,
        "--package",
        "apps/api",
        "--set",
        "gitRepoPath=elsewhere/api",
        "--set",
        "gitRepoUrl=https://github.com/acme/other.git",
    )
    assert done.returncode == 0, done.stderr


def test_argo_cd_never_reads_a_nested_package_as_plain_manifests(
    providers: Providers, tmp_path: Path
) -> None:
    repo = make_repo(
        tmp_path,
        {
            "stack/deploy.yaml": deployment("top", "shop"),
            "stack/sub/plain.yaml": deployment("plain", "shop"),
            "stack/addon/kustomization.yaml": "resources: [cm.yaml]\n",
            "stack/addon/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        },
    )
    argo, output = run(providers, "argocd", repo, "stack")
    assert argo[0]["spec"]["source"]["directory"] == {"recurse": True, "exclude": "addon/*"}
    assert any("addon: a package of its own" in n for n in output.notes)


def test_sessions_offer_what_the_package_declares(
    providers: Providers, namespaced: Path, chart_repo: Path
) -> None:
    from gitops_core.sessions import MemoryStore, Sessions

    sessions = Sessions(store=MemoryStore(), providers=providers)
    step = sessions.start(namespaced)
    step = sessions.select_package(step.session_id, path="apps/web/dev")
    step = sessions.select_provider(step.session_id, "flux")
    pending = {p.question.id: p for p in step.questions}
    assert pending["destinationNamespace"].default == "dev"
    assert not pending["destinationNamespace"].question.required
    assert [c.value for c in pending["destinationNamespace"].choices] == []  # nothing else
    assert step.missing == ()  # the URL from origin, the namespace from the overlay
    step = sessions.start(chart_repo)
    step = sessions.select_package(step.session_id, index=0)
    step = sessions.select_provider(step.session_id, "argocd")
    pending = {p.question.id: p for p in step.questions}
    assert pending["destinationNamespace"].question.required
    assert [c.value for c in pending["valueFiles"].choices] == ["values-prod.yaml"]
