"""Detection on the layouts of real GitOps repositories, as a Flux / Argo CD expert reads them.

Each case rebuilds, in a temporary Git repository, the part of a public repository where an
expert trial found detection wrong (flux2-multi-tenancy, argocd-example-apps, podinfo, home-ops),
and checks what ``gitops detect`` and ``generate --all`` / ``--package`` say through the real
command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import CliRunner, git, gotk_sync
from test_gitops_aware import (
    DEPLOYMENT,
    deployed,
    detected,
    flux_kustomization,
    generate_all,
    repository,
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
