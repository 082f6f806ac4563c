"""Detection on the layouts of real GitOps repositories, as a Flux / Argo CD expert reads them.

Each case rebuilds, in a temporary Git repository, the part of a public repository where an
expert trial found detection wrong (flux2-multi-tenancy, argocd-example-apps, podinfo, home-ops),
and checks what ``gitops detect`` and ``generate --all`` / ``--package`` say through the real
command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from conftest import CliRunner, git, gotk_sync, only_line
from test_gitops_aware import (
    DEPLOYMENT,
    deployed,
    detected,
    flux_kustomization,
    generate_all,
    repository,
    skipped,
)

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def managed(packages: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    return {path: package["managedBy"] for path, package in packages.items()}


# --- 1. A Kustomization whose source is another repository, or another branch ---------------

TENANT_SYNC = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: dev-team
  namespace: apps
spec:
  interval: 1m
  url: {url}
  ref:
    branch: {branch}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: dev-team
  namespace: apps
spec:
  serviceAccountName: flux
  interval: 5m
  sourceRef:
    kind: GitRepository
    name: dev-team
  prune: true
"""


def multi_tenancy(root: Path, url: str, branch: str, origin: str | None) -> Path:
    """flux2-multi-tenancy's layout: the tenant's sync.yaml has no ``spec.path`` (the overlays
    patch it in) and its source is the tenant's repository or branch."""
    return repository(
        root,
        {
            "clusters/staging/flux-system/gotk-sync.yaml": gotk_sync(
                "ssh://git@github.com/fluxcd/flux2-multi-tenancy"
            ).replace("./clusters/prod", "./clusters/staging"),
            "clusters/staging/tenants.yaml": flux_kustomization("tenants", "./tenants/staging"),
            "tenants/base/dev-team/kustomization.yaml": KUSTOMIZATION
            + "resources:\n  - sync.yaml\n",
            "tenants/base/dev-team/sync.yaml": TENANT_SYNC.format(url=url, branch=branch),
            "tenants/staging/kustomization.yaml": KUSTOMIZATION
            + "namespace: apps\nresources:\n  - ../base/dev-team\n",
            "infrastructure/monitoring/configmap.yaml": DEPLOYMENT.format(name="monitoring"),
        },
        origin,
    )


def test_a_tenant_source_for_another_repository_claims_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    root = multi_tenancy(
        tmp_path / "mt",
        "https://github.com/fluxcd/flux2-kustomize-helm-example",
        "dev-team",
        "https://github.com/fluxcd/flux2-multi-tenancy.git",
    )
    packages = detected(cli, root)
    assert managed(packages)["infrastructure/monitoring"] == []
    assert managed(packages)["tenants/staging"] == ["clusters/staging/tenants.yaml"]
    report = generate_all(cli, root, "flux", "--dry-run", "--set", "destinationNamespace=demo")
    assert deployed(report) == ["infrastructure/monitoring"]


def test_a_tenant_source_on_another_branch_of_this_repository_claims_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    # As upstream: the tenant's tree is the dev-team branch of this very repository.
    root = multi_tenancy(
        tmp_path / "mt",
        "https://github.com/fluxcd/flux2-multi-tenancy",
        "dev-team",
        "https://github.com/fluxcd/flux2-multi-tenancy.git",
    )
    packages = detected(cli, root)
    assert managed(packages) == {
        "clusters/staging": ["clusters/staging/flux-system/gotk-sync.yaml"],
        "clusters/staging/flux-system": ["clusters/staging/flux-system/gotk-sync.yaml"],
        "infrastructure/monitoring": [],
        "tenants/base/dev-team": ["clusters/staging/tenants.yaml"],
        "tenants/staging": ["clusters/staging/tenants.yaml"],
    }
    report = generate_all(cli, root, "flux", "--dry-run", "--set", "destinationNamespace=demo")
    assert deployed(report) == ["infrastructure/monitoring"]


def test_the_bootstrap_branch_still_counts_from_a_feature_branch(
    cli: CliRunner, tmp_path: Path
) -> None:
    # The tenant source tracks main, the branch the bootstrap follows: the checkout's trunk.
    root = multi_tenancy(
        tmp_path / "mt",
        "https://github.com/fluxcd/flux2-multi-tenancy",
        "main",
        "https://github.com/fluxcd/flux2-multi-tenancy.git",
    )
    git(root, "checkout", "-q", "-b", "feature/monitoring")
    packages = detected(cli, root)
    assert managed(packages)["infrastructure/monitoring"] == ["tenants/base/dev-team/sync.yaml"]


def test_without_an_origin_a_source_url_cannot_be_judged(cli: CliRunner, tmp_path: Path) -> None:
    # No origin and no bootstrap: whether the URL is this repository cannot be known, and the
    # no-path Kustomization deploys the root, as before.
    root = repository(
        tmp_path / "mt",
        {
            "tenants/sync.yaml": TENANT_SYNC.format(url="https://example.com/x", branch="main"),
            "apps/web/deploy.yaml": DEPLOYMENT.format(name="web"),
        },
        None,
    )
    assert managed(detected(cli, root))["apps/web"] == ["tenants/sync.yaml"]


# --- 2. An Argo CD app-of-apps Helm chart ---------------------------------------------------

APP_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
  finalizers:
  - resources-finalizer.argocd.argoproj.io
spec:
  destination:
    namespace: {name}
    server: {{{{ .Values.spec.destination.server }}}}
  project: default
  source:
    path: {path}
    repoURL: {{{{ .Values.spec.source.repoURL }}}}
    targetRevision: {{{{ .Values.spec.source.targetRevision }}}}
"""
SERVICE = (
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  ports:\n  - port: 80\n"
)
CHART = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"


def example_apps(root: Path, repo_url: str) -> Path:
    """argocd-example-apps: ``apps/`` is a chart of Applications (Go-templated) for its
    siblings; one of them names its path through a value, which cannot be resolved."""
    return repository(
        root,
        {
            "apps/Chart.yaml": CHART.format(name="applications"),
            "apps/values.yaml": (
                "spec:\n  destination:\n    server: https://kubernetes.default.svc\n"
                f"  source:\n    repoURL: {repo_url}\n    targetRevision: HEAD\n"
                "sync:\n  path: sync-waves\n"
            ),
            "apps/templates/helm-guestbook.yaml": APP_TEMPLATE.format(
                name="helm-guestbook", path="helm-guestbook"
            ),
            "apps/templates/kustomize-guestbook.yaml": "{{- if .Values.kustomize }}\n"
            + APP_TEMPLATE.format(name="kustomize-guestbook", path="kustomize-guestbook")
            + "{{- end }}\n",
            "apps/templates/namespaces.yaml": (
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: helm-guestbook\n"
                "  annotations:\n    argocd.argoproj.io/sync-wave: '-1'\n"
            ),
            "apps/templates/sync-waves.yaml": APP_TEMPLATE.format(
                name="sync-waves", path="{{ .Values.sync.path }}"
            ),
            "guestbook/guestbook-ui-svc.yaml": SERVICE.format(name="guestbook-ui"),
            "helm-guestbook/Chart.yaml": CHART.format(name="helm-guestbook"),
            "helm-guestbook/templates/service.yaml": SERVICE.format(name="{{ .Release.Name }}"),
            "kustomize-guestbook/kustomization.yaml": KUSTOMIZATION + "resources:\n  - svc.yaml\n",
            "kustomize-guestbook/svc.yaml": SERVICE.format(name="kustomize-guestbook-ui"),
            "sync-waves/manifests.yaml": SERVICE.format(name="backend"),
        },
        "https://github.com/argoproj/argocd-example-apps.git",
    )


def test_an_app_of_apps_chart_is_gitops_configuration(cli: CliRunner, tmp_path: Path) -> None:
    root = example_apps(tmp_path / "apps", "https://github.com/argoproj/argocd-example-apps")
    packages = detected(cli, root)
    roles = {path: package.get("role", "workload") for path, package in packages.items()}
    assert roles["apps"] == "gitops-config"
    assert roles["helm-guestbook"] == "workload"  # a chart of a Service: a workload
    assert managed(packages) == {
        "apps": [],
        "guestbook": [],
        "helm-guestbook": ["apps/templates/helm-guestbook.yaml"],
        "kustomize-guestbook": ["apps/templates/kustomize-guestbook.yaml"],
        # Its path is a value of the chart: only literal paths count.
        "sync-waves": [],
    }
    report = generate_all(cli, root, "argocd", "--dry-run", "--set", "destinationNamespace=demo")
    assert deployed(report) == ["guestbook", "sync-waves"]
    assert skipped(report) == {
        "apps": "gitops-config",
        "helm-guestbook": "managed",
        "kustomize-guestbook": "managed",
    }


def test_an_app_of_apps_chart_for_another_repository_claims_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    root = example_apps(tmp_path / "apps", "https://github.com/acme/elsewhere.git")
    packages = detected(cli, root)
    assert not any(managed(packages).values())
    # It deploys another repository's folders: applying it is a deployment like any other.
    assert packages["apps"].get("role", "workload") == "workload"


def test_a_workload_chart_that_templates_an_application_too_stays_a_workload(
    cli: CliRunner, tmp_path: Path
) -> None:
    root = example_apps(tmp_path / "apps", "https://github.com/argoproj/argocd-example-apps")
    (root / "apps/templates/service.yaml").write_text(SERVICE.format(name="{{ .Release.Name }}"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a Service")
    packages = detected(cli, root)
    assert packages["apps"].get("role", "workload") == "workload"
    # Installing it deploys a Service: its Applications are not read, whatever their order.
    assert not any(managed(packages).values())


# --- 3. A folder an overlay renames is no base ----------------------------------------------


def test_a_folder_an_overlay_renames_is_deployed_on_its_own(cli: CliRunner, tmp_path: Path) -> None:
    root = repository(
        tmp_path / "apps",
        {
            "guestbook/guestbook-ui-deployment.yaml": DEPLOYMENT.format(name="guestbook-ui"),
            "guestbook/guestbook-ui-svc.yaml": SERVICE.format(name="guestbook-ui"),
            # argocd-example-apps' pre-post-sync: guestbook's files, renamed.
            "pre-post-sync/kustomization.yaml": KUSTOMIZATION
            + "namePrefix: pre-post-sync-\nresources:\n"
            "- ../guestbook/guestbook-ui-deployment.yaml\n- ../guestbook/guestbook-ui-svc.yaml\n",
            # The same files under their own names, in an environment's namespace: a base.
            "shop/base/deploy.yaml": DEPLOYMENT.format(name="shop"),
            "shop/prod/kustomization.yaml": KUSTOMIZATION
            + "namespace: shop-prod\nresources:\n- ../base/deploy.yaml\n",
            # kustomize's own example: overlays rename a kustomization base; it stays a base.
            "hello/base/kustomization.yaml": KUSTOMIZATION + "resources:\n- deploy.yaml\n",
            "hello/base/deploy.yaml": DEPLOYMENT.format(name="the-deployment"),
            "hello/staging/kustomization.yaml": KUSTOMIZATION
            + "namePrefix: staging-\nresources:\n- ../base\n",
        },
        "https://github.com/argoproj/argocd-example-apps.git",
    )
    report = generate_all(cli, root, "argocd", "--dry-run", "--set", "destinationNamespace=demo")
    assert deployed(report) == ["guestbook", "hello/staging", "pre-post-sync", "shop/prod"]
    assert skipped(report) == {"hello/base": "base", "shop/base": "base"}


def test_a_deployed_overlay_that_renames_files_does_not_deploy_their_folder(
    cli: CliRunner, tmp_path: Path
) -> None:
    application = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata:\n  name: pre-post-sync\n  namespace: argocd\nspec:\n  project: default\n"
        "  source:\n    repoURL: https://github.com/argoproj/argocd-example-apps\n"
        "    path: {path}\n  destination:\n    server: https://kubernetes.default.svc\n"
    )
    root = repository(
        tmp_path / "apps",
        {
            "argocd/app.yaml": application.format(path="pre-post-sync"),
            "argocd/shop.yaml": application.format(path="shop/prod"),
            "guestbook/guestbook-ui-svc.yaml": SERVICE.format(name="guestbook-ui"),
            "pre-post-sync/kustomization.yaml": KUSTOMIZATION
            + "namePrefix: pre-post-sync-\nresources:\n- ../guestbook/guestbook-ui-svc.yaml\n",
            "shop/base/deploy.yaml": DEPLOYMENT.format(name="shop"),
            "shop/prod/kustomization.yaml": KUSTOMIZATION + "resources:\n- ../base/deploy.yaml\n",
        },
        "https://github.com/argoproj/argocd-example-apps.git",
    )
    assert managed(detected(cli, root)) == {
        "argocd": [],
        "guestbook": [],
        "pre-post-sync": ["argocd/app.yaml"],
        "shop/base": ["argocd/shop.yaml"],
        "shop/prod": ["argocd/shop.yaml"],
    }


# --- 4. A folder whose manifests are all in sub-folders -------------------------------------


def podinfo(root: Path) -> Path:
    namespaced = "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: webapp\n"
    return repository(
        root,
        {
            "deploy/webapp/common/namespace.yaml": (
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: webapp\n"
            ),
            "deploy/webapp/common/service-account.yaml": namespaced.format(
                kind="ServiceAccount", name="webapp"
            ),
            "deploy/webapp/backend/service.yaml": namespaced.format(kind="Service", name="backend"),
            "deploy/webapp/frontend/service.yaml": namespaced.format(
                kind="Service", name="frontend"
            ),
            "deploy/bases/backend/kustomization.yaml": KUSTOMIZATION + "resources:\n- svc.yaml\n",
            "deploy/bases/backend/svc.yaml": SERVICE.format(name="backend"),
            "deploy/overlays/dev/kustomization.yaml": KUSTOMIZATION
            + "namespace: dev\nresources:\n- ../../bases/backend\n",
            "deploy/overlays/prod/kustomization.yaml": KUSTOMIZATION
            + "namespace: prod\nresources:\n- ../../bases/backend\n",
        },
        "https://github.com/stefanprodan/podinfo.git",
    )


def test_a_folder_of_manifest_folders_is_one_package_when_named(
    cli: CliRunner, tmp_path: Path
) -> None:
    root = podinfo(tmp_path / "podinfo")
    done = cli("generate", ".", "--provider", "flux", "--package", "deploy/webapp", "-o", "-",
               cwd=root)  # fmt: skip
    assert done.returncode == 0, done.stderr
    kustomization = [d for d in yaml.safe_load_all(done.stdout) if d["kind"] == "Kustomization"]
    assert kustomization[0]["spec"]["path"] == "./deploy/webapp"
    # Every object declares webapp: nothing is moved.
    assert "targetNamespace" not in kustomization[0]["spec"]
    done = cli("generate", ".", "--provider", "argocd", "--package", "deploy/webapp", "-o", "-",
               cwd=root)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (application,) = [d for d in yaml.safe_load_all(done.stdout) if d["kind"] == "Application"]
    assert application["spec"]["source"]["path"] == "deploy/webapp"
    assert application["spec"]["source"]["directory"] == {"recurse": True}
    # detect still lists the three folders, not their parent.
    assert "deploy/webapp" not in detected(cli, root)


def test_a_folder_of_overlays_is_refused_naming_them(cli: CliRunner, tmp_path: Path) -> None:
    root = podinfo(tmp_path / "podinfo")
    done = cli("generate", ".", "--provider", "flux", "--package", "deploy/overlays", "-o", "-",
               cwd=root)  # fmt: skip
    assert done.returncode == 2
    assert only_line(done.stderr) == (
        "gitops: error: no manifests in 'deploy/overlays' itself; its sub-folders hold packages "
        "of their own: deploy/overlays/dev (kustomize), deploy/overlays/prod (kustomize); pick "
        "one of them with --package"
    )
    (root / "empty/sub").mkdir(parents=True)
    done = cli("generate", ".", "--provider", "flux", "--package", "empty", "-o", "-", cwd=root)
    assert done.returncode == 2
    assert only_line(done.stderr) == (
        "gitops: error: no Helm chart, Kustomize overlay or Kubernetes manifests in 'empty'"
    )


# --- 5. A binary or non-UTF-8 file under a manifest's name ----------------------------------


def test_a_binary_or_latin1_manifest_is_skipped_not_a_traceback(
    cli: CliRunner, tmp_path: Path
) -> None:
    root = repository(
        tmp_path / "shop",
        {
            "app/a.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: shop\n"
            ),
            "overlay/kustomization.yaml": KUSTOMIZATION + "resources:\n- b.yaml\n",
        },
        "https://github.com/acme/shop.git",
    )
    (root / "app/z.yaml").write_bytes(b"kind: Secret\n\xff\xfe\x00\x01binary\n")
    (root / "overlay/b.yaml").write_bytes(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: café\n".encode("latin-1")
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "odd files")
    for package in ("app", "overlay"):
        done = cli("generate", ".", "--provider", "flux", "--package", package, "-o", "-",
                   cwd=root)  # fmt: skip
        # What the file holds cannot be told: the namespace is asked, not guessed.
        assert done.returncode == 2, done.stderr
        assert only_line(done.stderr) == (
            "gitops: error: missing answer for destinationNamespace: give it with "
            "--set destinationNamespace=VALUE or --answers FILE"
        )
        done = cli("generate", ".", "--provider", "argocd", "--package", package, "-o", "-",
                   "--set", "destinationNamespace=shop", cwd=root)  # fmt: skip
        assert done.returncode == 0, done.stderr
    report = generate_all(cli, root, "flux", "--dry-run", "--set", "destinationNamespace=shop")
    assert deployed(report) == ["app", "overlay"]


# --- 6. The Flux Operator's charts are Flux's own installation ------------------------------

FLUX_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: {name}
"""
FLUX_OCI = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {name}
spec:
  interval: 1h
  ref:
    tag: 0.45.1
  url: oci://ghcr.io/controlplaneio-fluxcd/charts/{chart}
"""


def test_a_helm_release_of_the_flux_operator_charts_is_flux_installation(
    cli: CliRunner, tmp_path: Path
) -> None:
    app = "kubernetes/apps/flux-system/{}/app/"
    files = {
        app.format(name) + "kustomization.yaml": KUSTOMIZATION
        + "resources:\n  - ./ocirepository.yaml\n  - ./helmrelease.yaml\n"
        for name in ("flux-instance", "flux-operator", "atuin")
    }
    for name, chart in (
        ("flux-instance", "flux-instance"),
        ("flux-operator", "flux-operator"),
        ("atuin", "app-template"),
    ):
        files[app.format(name) + "helmrelease.yaml"] = FLUX_RELEASE.format(name=name)
        files[app.format(name) + "ocirepository.yaml"] = FLUX_OCI.format(name=name, chart=chart)
    root = repository(tmp_path / "home-ops", files, "https://github.com/onedr0p/home-ops.git")
    packages = detected(cli, root)
    roles = {path: package.get("role", "workload") for path, package in packages.items()}
    assert roles == {
        "kubernetes/apps/flux-system/atuin/app": "workload",
        "kubernetes/apps/flux-system/flux-instance/app": "flux-installation",
        "kubernetes/apps/flux-system/flux-operator/app": "flux-installation",
    }
    report = generate_all(cli, root, "flux", "--dry-run", "--set", "destinationNamespace=apps")
    assert deployed(report) == ["kubernetes/apps/flux-system/atuin/app"]


FLUX_INSTANCE = """\
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: "2.x"
    registry: ghcr.io/fluxcd
  sync:
    kind: GitRepository
    url: https://github.com/acme/fleet
    ref: refs/heads/main
    path: clusters/main
"""


def test_a_flux_instance_sync_is_the_source_reused(cli: CliRunner, tmp_path: Path) -> None:
    root = repository(
        tmp_path / "fleet",
        {
            "clusters/main/flux-instance.yaml": FLUX_INSTANCE,
            "apps/web/cm.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: web\n"
            ),
        },
        "git@github.com:acme/fleet.git",
    )
    done = cli("generate", ".", "--provider", "flux", "--package", "apps/web", "-o", "-",
               "--set", "gitRepoUrl=https://github.com/acme/fleet.git", cwd=root)  # fmt: skip
    assert done.returncode == 0, done.stderr
    documents = list(yaml.safe_load_all(done.stdout))
    assert [d["kind"] for d in documents if d["kind"] == "GitRepository"] == []
    (kustomization,) = [d for d in documents if d["kind"] == "Kustomization"]
    assert kustomization["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "flux-system"}
    assert "clusters/main/flux-instance.yaml" in done.stderr
    # Another branch than the instance's: not the same source.
    done = cli("generate", ".", "--provider", "flux", "--package", "apps/web", "-o", "-",
               "--set", "targetRevision=develop", cwd=root)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "GitRepository" in [d["kind"] for d in yaml.safe_load_all(done.stdout)]
