"""What the repository owns already is not taken over: a committed GitRepository is reused only
when it follows the ref being deployed from the Flux namespace, no Namespace document is written
for Flux's namespace or one the repository commits, the SSH advice points at the bootstrap
Secret, and a package already deployed (or Flux's own installation) is said to be, or refused
(docs/manifests.md). Real Git repositories made in temporary folders, one package and --all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner, git, gotk_sync
from gitops_flux import tracked_ref
from test_expert_manifests import deployment, kinds, make_repo, run, write

from gitops_core.bundle import generate_all
from gitops_core.errors import UsageError
from gitops_core.plugins import Providers

ORIGIN = "git@github.com:acme/shop.git"
TENANT_SOURCE = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: dev-team
  namespace: apps
spec:
  interval: 1m
  url: https://github.com/acme/shop
  ref:
    branch: {branch}
"""
APPS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/web
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


@pytest.fixture
def bootstrapped(tmp_path: Path) -> Path:
    """flux bootstrap's files (ssh, branch main, Secret flux-system) and two packages."""
    return make_repo(
        tmp_path,
        {
            "clusters/prod/flux-system/gotk-sync.yaml": gotk_sync("ssh://git@github.com/acme/shop"),
            "clusters/prod/flux-system/gotk-components.yaml": (
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"
            ),
            "clusters/prod/flux-system/kustomization.yaml": (
                "resources: [gotk-components.yaml, gotk-sync.yaml]\n"
            ),
            "apps/web/deploy.yaml": deployment("web", "web"),
            "apps/api/deploy.yaml": deployment("api", "api"),
        },
        origin=ORIGIN,
    )


def source_refs(documents: list[dict[str, Any]]) -> set[str]:
    return {d["spec"]["sourceRef"]["name"] for d in documents if d["kind"] == "Kustomization"}


def set_documents(root: Path, providers: Providers, **answers: object) -> dict[str, Any]:
    result = generate_all(root, providers.get("flux"), answers, root / "deploy")
    files = {item.path.name: list(item.output.documents) for item in result.files}
    return {
        "files": files,
        "notes": result.notes + tuple(n for f in result.files for n in f.output.notes),
    }


# --- 1. a committed source is reused only on the same ref, from the Flux namespace ------------


def test_the_ref_a_committed_source_follows_is_read_as_flux_reads_it() -> None:
    assert tracked_ref({}) == {"branch": "master"}  # Flux's default
    assert tracked_ref({"branch": "main"}) == {"branch": "main"}
    assert tracked_ref({"branch": "main", "tag": "v1.0.0"}) == {"tag": "v1.0.0"}
    assert tracked_ref({"branch": "main", "commit": "A" * 40}) == {"commit": "a" * 40}
    assert tracked_ref({"tag": "v1", "semver": ">=1.0.0"}) == {"semver": ">=1.0.0"}
    assert tracked_ref({"name": "refs/heads/main"}) == {"branch": "main"}
    assert tracked_ref({"name": "refs/tags/v1.0.0"}) == {"tag": "v1.0.0"}
    assert tracked_ref({"name": "refs/pull/1/head"}) == {"name": "refs/pull/1/head"}


def test_on_another_branch_the_package_gets_a_source_of_its_own(
    providers: Providers, bootstrapped: Path
) -> None:
    git(bootstrapped, "checkout", "-q", "-b", "feature/redis")
    write(bootstrapped, {"infrastructure/redis/deploy.yaml": deployment("redis", "redis")})
    git(bootstrapped, "add", "-A")
    git(bootstrapped, "commit", "-q", "-m", "redis")
    flux, output = run(providers, "flux", bootstrapped, "infrastructure/redis")
    source = kinds(flux)["GitRepository"]
    assert source["spec"]["ref"] == {"branch": "feature/redis"}
    assert source_refs(flux) == {source["metadata"]["name"]}
    assert any(
        "flux-system/flux-system (clusters/prod/flux-system/gotk-sync.yaml) tracks branch main, "
        "not branch feature/redis (targetRevision); a GitRepository of its own is written" in n
        for n in output.notes
    )
    # The whole set: one _source.yaml on the branch, every Kustomization on it.
    result = set_documents(bootstrapped, providers)
    (shared,) = result["files"]["_source.yaml"]
    assert shared["spec"]["ref"] == {"branch": "feature/redis"}
    for name, documents in result["files"].items():
        if name != "_source.yaml":
            assert source_refs(documents) <= {shared["metadata"]["name"]}


def test_the_same_ref_given_on_purpose_reuses_the_committed_source(
    providers: Providers, bootstrapped: Path
) -> None:
    flux, output = run(providers, "flux", bootstrapped, "apps/web", targetRevision="main")
    assert "GitRepository" not in kinds(flux)
    assert source_refs(flux) == {"flux-system"}
    assert any("uses the GitRepository flux-system/flux-system" in n for n in output.notes)
    tagged, _ = run(providers, "flux", bootstrapped, "apps/web", targetRevision="v1.0.0")
    assert kinds(tagged)["GitRepository"]["spec"]["ref"] == {"tag": "v1.0.0"}


def test_a_source_in_another_namespace_or_a_tenants_branch_is_not_reused(
    providers: Providers, bootstrapped: Path
) -> None:
    write(bootstrapped, {"tenants/dev-team/sync.yaml": TENANT_SOURCE.format(branch="dev-team")})
    git(bootstrapped, "add", "-A")
    git(bootstrapped, "commit", "-q", "-m", "tenant")
    # Objects in apps: the tenant's source follows another branch, flux-system's another
    # namespace (refused by Flux with --no-cross-namespace-refs).
    flux, output = run(providers, "flux", bootstrapped, "apps/web", fluxNamespace="apps")
    source = kinds(flux)["GitRepository"]
    assert source["metadata"]["namespace"] == "apps"
    assert source["spec"]["ref"] == {"branch": "main"}
    assert source_refs(flux) == {source["metadata"]["name"]}
    assert "namespace" not in kinds(flux)["Kustomization"]["spec"]["sourceRef"]
    assert any(
        "flux-system/flux-system (clusters/prod/flux-system/gotk-sync.yaml) is in the namespace "
        "flux-system, not apps (fluxNamespace)" in n
        for n in output.notes
    )
    result = set_documents(bootstrapped, providers, fluxNamespace="apps")
    (shared,) = result["files"]["_source.yaml"]
    assert shared["metadata"]["namespace"] == "apps"
    # Objects in flux-system still use flux bootstrap's source, never the tenant's.
    flux, _ = run(providers, "flux", bootstrapped, "apps/web")
    assert source_refs(flux) == {"flux-system"}


def test_a_tenant_source_on_the_same_ref_in_the_objects_namespace_is_reused(
    providers: Providers, bootstrapped: Path
) -> None:
    write(bootstrapped, {"tenants/dev-team/sync.yaml": TENANT_SOURCE.format(branch="main")})
    git(bootstrapped, "add", "-A")
    git(bootstrapped, "commit", "-q", "-m", "tenant")
    flux, _ = run(providers, "flux", bootstrapped, "apps/web", fluxNamespace="apps")
    assert "GitRepository" not in kinds(flux)
    assert source_refs(flux) == {"dev-team"}


# --- 2. no Namespace document for Flux's namespace or one the repository commits -------------


def test_no_namespace_document_for_flux_system_whatever_flux_namespace_says(
    providers: Providers, bootstrapped: Path
) -> None:
    write(bootstrapped, {"policies/staging/policy.yaml": deployment("policy", "flux-system")})
    git(bootstrapped, "add", "-A")
    git(bootstrapped, "commit", "-q", "-m", "policies")
    for namespace in ("apps", "flux-system"):
        flux, _ = run(providers, "flux", bootstrapped, "policies/staging", fluxNamespace=namespace)
        assert "Namespace" not in kinds(flux)
    # Nor for the answered fluxNamespace.
    flux, _ = run(
        providers, "flux", bootstrapped, "apps/web", fluxNamespace="web", targetRevision="x"
    )
    assert "Namespace" not in kinds(flux)


def test_no_namespace_document_for_one_the_repository_commits(
    providers: Providers, bootstrapped: Path
) -> None:
    write(
        bootstrapped,
        {"namespaces/web.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n"},
    )
    git(bootstrapped, "add", "-A")
    git(bootstrapped, "commit", "-q", "-m", "namespaces")
    flux, output = run(providers, "flux", bootstrapped, "apps/web")
    assert "Namespace" not in kinds(flux)
    note = (
        "no Namespace document for web: the repository commits one (namespaces/web.yaml); "
        "deploy that one, as a second owner would delete it, and everything in it, when it prunes"
    )
    assert note in output.notes
    # apps/api's namespace is committed nowhere: written as before.
    flux, _ = run(providers, "flux", bootstrapped, "apps/api")
    assert kinds(flux)["Namespace"]["metadata"]["name"] == "api"
    # The whole set: no Namespace for web, and the note is there; apps/api keeps the namespace
    # it declares (the set's answer is for packages that declare none) and gets its Namespace,
    # as deployed alone.
    result = set_documents(bootstrapped, providers, destinationNamespace="web")
    namespaces = [d["metadata"]["name"] for d in result["files"]["_namespace.yaml"]]
    assert namespaces == ["api"]
    assert any(note in n for n in result["notes"])


# --- 3. SSH advice -------------------------------------------------------------------------------


def test_ssh_advice_only_for_a_source_of_its_own_and_with_the_bootstrap_secret(
    providers: Providers, bootstrapped: Path
) -> None:
    # The bootstrap source is reused: nothing to authenticate.
    flux, output = run(providers, "flux", bootstrapped, "apps/web")
    assert "GitRepository" not in kinds(flux)
    assert not any("Secret" in n for n in output.notes)
    # A source of its own for the same repository: the bootstrap's Secret holds its key.
    flux, output = run(providers, "flux", bootstrapped, "apps/web", targetRevision="v1.0.0")
    assert kinds(flux)["GitRepository"]["spec"]["url"] == "ssh://git@github.com/acme/shop.git"
    assert (
        "the GitRepository flux-system/flux-system (clusters/prod/flux-system/gotk-sync.yaml) "
        "clones this repository with the Secret flux-system: answer secretRef=flux-system to "
        "use it here too"
    ) in output.notes
    assert not any("flux create secret" in n for n in output.notes)
    # Answered: no advice.
    flux, output = run(
        providers,
        "flux",
        bootstrapped,
        "apps/web",
        targetRevision="v1.0.0",
        secretRef="flux-system",
    )
    assert kinds(flux)["GitRepository"]["spec"]["secretRef"] == {"name": "flux-system"}
    assert not any("Secret" in n for n in output.notes)
    # In another namespace the bootstrap Secret cannot be read: make one.
    _, output = run(
        providers, "flux", bootstrapped, "apps/web", targetRevision="v1.0.0", fluxNamespace="web"
    )
    assert any("flux create secret git NAME --namespace=web" in n for n in output.notes)


# --- 4. a package already deployed, and Flux's own installation --------------------------------


@pytest.fixture
def deployed(bootstrapped: Path) -> Path:
    write(bootstrapped, {"clusters/prod/apps.yaml": APPS})
    git(bootstrapped, "add", "-A")
    git(bootstrapped, "commit", "-q", "-m", "apps")
    return bootstrapped


@pytest.mark.parametrize("provider", ["flux", "argocd"])
def test_a_package_deployed_already_is_said_to_be(
    providers: Providers, deployed: Path, provider: str
) -> None:
    _, output = run(providers, provider, deployed, "apps/web")
    assert output.notes[0] == (
        "apps/web is deployed already by clusters/prod/apps.yaml; a second owner makes both "
        "reconcile (and prune) the same objects; generate --all leaves it out"
    )
    _, output = run(providers, provider, deployed, "apps/api")
    assert not any("deployed already" in n for n in output.notes)


def test_flux_installation_is_refused_with_prune_unless_answered(
    providers: Providers, deployed: Path
) -> None:
    with pytest.raises(UsageError, match=r"prune: clusters/prod/flux-system is Flux's own"):
        run(providers, "flux", deployed, "clusters/prod/flux-system")
    for prune in (False, True):
        flux, output = run(providers, "flux", deployed, "clusters/prod/flux-system", prune=prune)
        assert kinds(flux)["Kustomization"]["spec"]["prune"] is prune
        assert output.notes[0].startswith(
            "clusters/prod/flux-system is Flux's own installation, deployed already by "
            "clusters/prod/flux-system/gotk-sync.yaml: deleting the generated object, with "
            "pruning on, would uninstall Flux"
        )
    # Argo CD: said, not refused.
    _, output = run(providers, "argocd", deployed, "clusters/prod/flux-system")
    assert output.notes[0].startswith("clusters/prod/flux-system is Flux's own installation")
    # --include flux deploys it in a set, as asked.
    result = generate_all(
        deployed, providers.get("flux"), {}, deployed / "deploy", include=["flux", "managed"]
    )
    deployed_paths = {f.package.path for f in result.files if f.package is not None}
    assert "clusters/prod/flux-system" in deployed_paths


def test_the_command_line_refuses_flux_installation_and_says_how(
    cli: CliRunner, deployed: Path
) -> None:
    base = ["generate", str(deployed), "--provider", "flux", "-o", "-"]
    done = cli(*base, "--package", "clusters/prod/flux-system")
    assert done.returncode == 2, done.stderr
    assert "Answer prune=false for one that never deletes" in done.stderr
    assert done.stdout == ""
    done = cli(*base, "--package", "clusters/prod/flux-system", "--set", "prune=false")
    assert done.returncode == 0, done.stderr
    assert "would uninstall Flux" in done.stderr
    done = cli(*base, "--package", "apps/web")
    assert done.returncode == 0, done.stderr
    assert "apps/web is deployed already by clusters/prod/apps.yaml" in done.stderr


def test_sessions_say_it_too(providers: Providers, deployed: Path) -> None:
    from gitops_core.sessions import MemoryStore, Sessions

    sessions = Sessions(store=MemoryStore(), providers=providers)
    step = sessions.start(deployed)
    step = sessions.select_package(step.session_id, path="apps/web")
    step = sessions.select_provider(step.session_id, "argocd")
    step = sessions.generate(step.session_id, write=False)
    assert step.output is not None
    assert any("deployed already by clusters/prod/apps.yaml" in n for n in step.output.notes)
