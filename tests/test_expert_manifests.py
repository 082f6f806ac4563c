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


# --- what Flux cannot apply as written (trial A5, A7, A10) ---------------------------------------

BOOTSTRAP_RESOURCES = """\
apiVersion: v1
kind: Namespace
metadata:
  name: external-secrets
---
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
---
apiVersion: v1
kind: Secret
metadata:
  name: sops-age
  namespace: flux-system
stringData:
  age.agekey: x
---
apiVersion: v1
kind: Secret
metadata:
  name: onepassword
  namespace: external-secrets
stringData:
  token: x
"""
HELMFILE = """\
releases:
  - name: cilium
    namespace: kube-system
    chart: oci://ghcr.io/home-operations/charts-mirror/cilium
    version: 1.17.0
"""


@pytest.fixture
def home_ops(tmp_path: Path) -> Path:
    """home-ops' layout: bootstrap/ with namespaced objects and a helmfile."""
    return make_repo(
        tmp_path,
        {
            "bootstrap/resources.yaml": BOOTSTRAP_RESOURCES,
            "bootstrap/helmfile.d/01-apps.yaml": HELMFILE,
            "apps/web/deploy.yaml": deployment("web"),
            "apps/web/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: flux-system}\n",
        },
    )


def test_yaml_that_is_no_kubernetes_object_leaves_the_namespaces_alone(
    providers: Providers, home_ops: Path
) -> None:
    # The helmfile is no object without a namespace: nothing is asked, nothing moved.
    flux, output = run(providers, "flux", home_ops, "bootstrap")
    assert "targetNamespace" not in kinds(flux)["Kustomization"]["spec"]
    assert "Namespace" not in kinds(flux)
    (note,) = [n for n in output.notes if "no Kubernetes object" in n]
    assert note.startswith("bootstrap/helmfile.d/01-apps.yaml holds YAML")
    assert "missing Resource metadata" in note
    argo, _ = run(providers, "argocd", home_ops, "bootstrap")
    assert "namespace" not in argo[0]["spec"]["destination"]  # none declared as the one


def test_a_target_namespace_that_renames_flux_system_is_refused(
    providers: Providers, home_ops: Path
) -> None:
    with pytest.raises(UsageError) as refused:
        run(providers, "flux", home_ops, "bootstrap", destinationNamespace="bootstrap")
    message = str(refused.value)
    assert "bootstrap's Namespace flux-system" in message
    assert "leave destinationNamespace out" in message
    assert "external-secrets" not in message  # the app's own namespace may move (with a note)
    # Objects without a namespace and a flux-system Namespace: the answer cannot leave it out.
    with pytest.raises(UsageError, match=r"give its objects that have none a metadata\.namespace"):
        run(providers, "flux", home_ops, "apps/web", destinationNamespace="web")
    # The same namespace renames nothing; Argo CD renames nothing either.
    flux, _ = run(providers, "flux", home_ops, "apps/web", destinationNamespace="flux-system")
    assert kinds(flux)["Kustomization"]["spec"]["targetNamespace"] == "flux-system"
    run(providers, "argocd", home_ops, "apps/web", destinationNamespace="web")
    # --all refuses it too (the answer is given to every package).
    with pytest.raises(UsageError, match=r"apps/web's Namespace flux-system.*--exclude apps/web"):
        generate_all(
            home_ops, providers.get("flux"), {"destinationNamespace": "web"}, home_ops / "o"
        )


def test_a_target_namespace_that_renames_a_namespace_of_the_package_is_still_written(
    providers: Providers, home_ops: Path
) -> None:
    repo = make_repo(
        home_ops.parent,
        {"app/resources.yaml": BOOTSTRAP_RESOURCES.replace("flux-system", "tools")},
    )
    flux, output = run(providers, "flux", repo, "app", destinationNamespace="web")
    assert kinds(flux)["Kustomization"]["spec"]["targetNamespace"] == "web"
    renamed = "renames the package's Namespace external-secrets, tools to web"
    assert any(renamed in n for n in output.notes)


SOPS_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
    name: cloudflare
    namespace: cert-manager
stringData:
    token: ENC[AES256_GCM,data:25+7Wn==,iv:gYq=,tag:zRR==,type:str]
sops:
    age:
        - recipient: age15uzrw396e67z9wdzsxzdk7ka0g2gr3l460e0slaea563zll3hdfqwqxdta
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdl
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2022-12-10T19:24:20Z"
    mac: ENC[AES256_GCM,data:dAnG=,iv:L95=,tag:ZHh==,type:str]
    pgp: []
    encrypted_regex: ^(data|stringData)$
    version: 3.7.3
"""
ISSUER = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    # ${COMMENTED} is no variable Flux sees
    email: "${SECRET_EMAIL}"
    server: ${ACME_SERVER:=https://acme-v02.api.letsencrypt.org/directory}
    note: "$${ESCAPED}"
"""
CLUSTER_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  patches:
    - patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: not-used
        spec:
          decryption:
            provider: sops
            secretRef:
              name: cluster-age
      target: {group: kustomize.toolkit.fluxcd.io, kind: Kustomization}
"""


def test_sops_files_are_decrypted_and_variables_named(providers: Providers, tmp_path: Path) -> None:
    files = {
        "issuers/kustomization.yaml": "resources: [secret.sops.yaml, issuers.yaml]\n",
        "issuers/secret.sops.yaml": SOPS_SECRET,
        "issuers/issuers.yaml": ISSUER,
    }
    repo = make_repo(tmp_path, files)
    flux, output = run(providers, "flux", repo, "issuers")
    spec = kinds(flux)["Kustomization"]["spec"]
    assert spec["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}
    assert "postBuild" not in spec  # the values are the user's
    (sops,) = [n for n in output.notes if "SOPS" in n]
    assert "issuers/secret.sops.yaml is SOPS-encrypted" in sops
    assert "must exist in the namespace flux-system" in sops
    (variables,) = [n for n in output.notes if "variables" in n]
    assert "ACME_SERVER, SECRET_EMAIL:" in variables  # not COMMENTED, not ESCAPED
    assert "postBuild.substitute or substituteFrom" in variables
    # The answer names the Secret.
    flux, _ = run(providers, "flux", repo, "issuers", decryptionSecret="my-key")
    assert kinds(flux)["Kustomization"]["spec"]["decryption"]["secretRef"] == {"name": "my-key"}
    # Argo CD cannot decrypt: a note says so.
    _, output = run(providers, "argocd", repo, "issuers")
    assert any("Argo CD decrypts nothing by itself" in n for n in output.notes)
    assert any("SECRET_EMAIL" in n for n in output.notes)
    # A repository whose Flux Kustomizations decrypt with their own Secret: that one.
    committed = make_repo(tmp_path, {**files, "clusters/prod/apps.yaml": CLUSTER_KS})
    flux, output = run(providers, "flux", committed, "issuers")
    assert kinds(flux)["Kustomization"]["spec"]["decryption"]["secretRef"] == {
        "name": "cluster-age"
    }
    assert any("cluster-age (as clusters/prod/apps.yaml does" in n for n in output.notes)
    # A package without SOPS files gets none, and no note.
    plain = make_repo(tmp_path, {"app/deploy.yaml": deployment("app", "shop")})
    flux, output = run(providers, "flux", plain, "app")
    assert "decryption" not in kinds(flux)["Kustomization"]["spec"]
    assert output.notes == ()


GENERATE_NAME_JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  generateName: upgrade-sql-schema
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    spec:
      containers: [{name: migrate, image: alpine}]
      restartPolicy: Never
"""


def test_objects_named_only_by_generate_name_are_noted_for_flux(
    providers: Providers, tmp_path: Path
) -> None:
    repo = make_repo(
        tmp_path,
        {"sync-waves/manifests.yaml": deployment("web") + "---\n" + GENERATE_NAME_JOB},
    )
    flux, output = run(providers, "flux", repo, "sync-waves", destinationNamespace="web")
    assert kinds(flux)["Kustomization"]["spec"]["path"] == "./sync-waves"
    (note,) = [n for n in output.notes if "generateName" in n]
    assert note.startswith("sync-waves/manifests.yaml holds objects named only by")
    assert "missing metadata.name" in note
    _, output = run(providers, "argocd", repo, "sync-waves", destinationNamespace="web")
    assert not any("generateName" in n for n in output.notes)  # Argo CD creates hooks


def test_a_set_answer_is_for_packages_that_declare_no_namespace(
    providers: Providers, tmp_path: Path
) -> None:
    """--all --set destinationNamespace=x: apps/b, whose objects all say namespace b, keeps b
    (no targetNamespace moving it, SPEC §5); apps/a, which leaves its objects without one, goes
    into x; each namespace gets its Namespace, as each package would alone."""
    repo = make_repo(
        tmp_path,
        {"apps/a/deploy.yaml": deployment("a"), "apps/b/deploy.yaml": deployment("b", "b")},
    )
    result = generate_all(repo, providers.get("flux"), {"destinationNamespace": "x"}, repo / "o")
    files = {f.path.name: [dict(d) for d in f.output.documents] for f in result.files}
    spec = {name: kinds(docs)["Kustomization"]["spec"] for name, docs in files.items()
            if name in ("a.yaml", "b.yaml")}  # fmt: skip
    assert spec["a.yaml"]["targetNamespace"] == "x"
    assert "targetNamespace" not in spec["b.yaml"]
    assert [d["metadata"]["name"] for d in files["_namespace.yaml"]] == ["x", "b"]
    assert any(n.startswith("apps/b keeps the namespace it declares (b)") for n in result.notes)
