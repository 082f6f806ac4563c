"""GitOps-aware detection and ``generate --all`` on real Git repositories (issue 14).

Each repository is built in a temporary folder, committed, with an ``origin``: a Flux-bootstrapped
one, an ArtifactGenerator monorepo, an Argo CD one whose Application names the repository in
scp form while origin is https, one whose only YAML at the top is a hidden config file, and one
after this tool wrote its own output into it. ``--all`` on each deploys exactly the packages
that nothing deploys yet, and says why it left out the others.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CliRunner, git, gotk_sync

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"


def repository(root: Path, files: Mapping[str, str], origin: str | None) -> Path:
    """A committed Git repository holding ``files``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(root.parent, "init", "-q", "-b", "main", str(root))
    if origin is not None:
        git(root, "remote", "add", "origin", origin)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def detected(cli: CliRunner, root: Path) -> dict[str, dict[str, Any]]:
    done = cli("detect", "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    return {package["path"]: package for package in json.loads(done.stdout)}


def generate_all(cli: CliRunner, root: Path, provider: str, *extra: str) -> dict[str, Any]:
    done = cli("generate", ".", "--all", "--provider", provider, "--json", *extra, cwd=root)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def deployed(report: Mapping[str, Any]) -> list[str]:
    return [f["package"]["path"] for f in report["files"] if f["role"] == "package"]


def skipped(report: Mapping[str, Any]) -> dict[str, str]:
    return {item["path"]: item["reason"] for item in report["skipped"]}




def flux_kustomization(name: str, path: str, source: str = "flux-system", kind: str = "") -> str:
    kind_line = f"    kind: {kind or 'GitRepository'}\n"
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        f"spec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
        f"  sourceRef:\n{kind_line}    name: {source}\n"
    )


@pytest.fixture
def bootstrapped(tmp_path: Path) -> Path:
    """``flux bootstrap``'s layout: clusters/prod deployed whole, one app deployed by it, one
    not."""
    return repository(
        tmp_path / "fleet",
        {
            "clusters/prod/flux-system/gotk-components.yaml": (
                "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"
            ),
            "clusters/prod/flux-system/gotk-sync.yaml": gotk_sync("ssh://git@github.com/acme/fleet"),
            "clusters/prod/flux-system/kustomization.yaml": (
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                "resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n"
            ),
            "clusters/prod/apps.yaml": flux_kustomization("podinfo", "./apps/podinfo"),
            "apps/podinfo/kustomization.yaml": "namespace: podinfo\nresources:\n  - deploy.yaml\n",
            "apps/podinfo/deploy.yaml": DEPLOYMENT.format(name="podinfo"),
            "apps/guestbook/guestbook.yaml": CONFIGMAP.format(name="guestbook", ns="guestbook"),
        },
        "https://github.com/acme/fleet.git",
    )


def test_a_flux_bootstrapped_repository(cli: CliRunner, bootstrapped: Path) -> None:
    packages = detected(cli, bootstrapped)
    assert {path: (p.get("role", "workload"), p["managedBy"]) for path, p in packages.items()} == {
        "apps/guestbook": ("workload", []),
        "apps/podinfo": ("workload", ["clusters/prod/apps.yaml"]),
        "clusters/prod": ("gitops-config", ["clusters/prod/flux-system/gotk-sync.yaml"]),
        "clusters/prod/flux-system": (
            "flux-installation",
            ["clusters/prod/flux-system/gotk-sync.yaml"],
        ),
    }
    report = generate_all(cli, bootstrapped, "flux")
    assert deployed(report) == ["apps/guestbook"]
    assert skipped(report) == {
        "apps/podinfo": "managed",
        "clusters/prod": "gitops-config",
        "clusters/prod/flux-system": "flux-installation",
    }
    (kustomization,) = yaml.safe_load_all((bootstrapped / "gitops-flux/guestbook.yaml").read_text())
    assert kustomization["spec"]["path"] == "./apps/guestbook"
    # The committed flux-system GitRepository is the source: no second one is written.
    assert kustomization["spec"]["sourceRef"]["name"] == "flux-system"


def test_the_human_report_says_what_was_left_out_and_why(
    cli: CliRunner, bootstrapped: Path
) -> None:
    done = cli("generate", ".", "--all", "--provider", "flux", "--dry-run", cwd=bootstrapped)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "dry run, nothing written: gitops-flux/ would get 3 files for 1 package"
    title = "left out 3 of 4 packages; --include flux|gitops-config|managed deploys them anyway:"
    table = lines[lines.index(title) + 1 :]
    assert table[0].split() == ["PATH", "TYPE", "LEFT", "OUT", "AS", "WHY", "INCLUDE"]
    assert table[1].split() == [
        "apps/podinfo", "kustomize", "managed", "deployed", "by", "clusters/prod/apps.yaml",
        "managed",
    ]  # fmt: skip
    assert not (bootstrapped / "gitops-flux").exists()


def test_detect_prints_what_manages_each_package_and_filters(
    cli: CliRunner, bootstrapped: Path
) -> None:
    done = cli("detect", "--exclude", "clusters/*", cwd=bootstrapped)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["PATH", "TYPE", "NAME", "MANAGED", "BY", "CONFIDENCE"]
    assert [row.split()[:4] for row in rows] == [
        ["apps/guestbook", "raw-manifests", "guestbook", "-"],
        ["apps/podinfo", "kustomize", "podinfo", "clusters/prod/apps.yaml"],
    ]
    done = cli("detect", "--type", "kustomize", cwd=bootstrapped)
    header, *rows = done.stdout.splitlines()
    assert header.split()[:4] == ["PATH", "TYPE", "NAME", "ROLE"]
    assert [row.split()[0] for row in rows] == ["apps/podinfo", "clusters/prod/flux-system"]
    assert rows[1].split()[3] == "flux-installation"


def test_an_artifact_generator_monorepo(cli: CliRunner, tmp_path: Path) -> None:
    # The Flux Operator installed the GitRepository: it is not committed, its paths exist.
    generator = """\
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: monorepo
  namespace: flux-system
spec:
  sources:
    - alias: repo
      kind: GitRepository
      name: flux-system
  artifacts:
    - name: frontend
      copy:
        - from: "@repo/deploy/frontend/**"
          to: "@artifact/"
    - name: apps
      copy:
        - from: "@repo/deploy/base/**"
          to: "@artifact/base/"
        - from: "@repo/deploy/backend/**"
          to: "@artifact/backend/"
    - name: api-chart
      copy:
        - from: "@repo/charts/api/**"
          to: "@artifact/"
"""
    release = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: api
  namespace: flux-system
spec:
  interval: 10m
  chartRef:
    kind: ExternalArtifact
    name: api-chart
"""
    root = repository(
        tmp_path / "mono",
        {
            "clusters/main/artifacts.yaml": generator,
            "clusters/main/apps.yaml": "---\n".join(
                [
                    flux_kustomization("frontend", "./", "frontend", "ExternalArtifact"),
                    flux_kustomization("backend", "./backend", "apps", "ExternalArtifact"),
                    release,
                ]
            ),
            "deploy/frontend/web.yaml": CONFIGMAP.format(name="web", ns="web"),
            "deploy/base/kustomization.yaml": "resources:\n  - cm.yaml\n",
            "deploy/base/cm.yaml": CONFIGMAP.format(name="base", ns="apps"),
            "deploy/backend/kustomization.yaml": "namespace: apps\nresources:\n  - ../base\n",
            "deploy/admin/admin.yaml": CONFIGMAP.format(name="admin", ns="admin"),
            "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 1.0.0\n",
            "charts/api/values.yaml": "replicas: 1\n",
        },
        "git@github.com:acme/mono.git",
    )
    packages = detected(cli, root)
    managed = {path: p["managedBy"] for path, p in packages.items() if p["managedBy"]}
    through = ["clusters/main/apps.yaml", "clusters/main/artifacts.yaml"]
    assert managed == {
        "charts/api": through,
        "deploy/backend": through,
        "deploy/base": through,  # built by the backend overlay, in the same artifact
        "deploy/frontend": through,
    }
    assert packages["clusters/main"]["role"] == "gitops-config"
    report = generate_all(cli, root, "flux", "--set", "destinationNamespace=admin")
    assert deployed(report) == ["deploy/admin"]
    assert set(skipped(report)) == {*managed, "clusters/main"}


def argo_application(name: str, repo_url: str, path: str) -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repo_url}
    path: {path}
    targetRevision: main
  destination:
    server: https://kubernetes.default.svc
    namespace: {name}
"""


@pytest.fixture
def argo_repo(tmp_path: Path) -> Path:
    """Two overlays of one base; an Application (scp URL) deploys one, origin is https."""
    return repository(
        tmp_path / "shop",
        {
            "argocd/guestbook-prod.yaml": argo_application(
                "guestbook-prod", "git@github.com:Acme/shop.git", "guestbook/overlays/prod"
            ),
            "guestbook/base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
            "guestbook/base/deploy.yaml": DEPLOYMENT.format(name="guestbook"),
            "guestbook/overlays/dev/kustomization.yaml": (
                "namespace: guestbook-dev\nnamePrefix: dev-\nresources:\n  - ../../base\n"
            ),
            "guestbook/overlays/prod/kustomization.yaml": (
                "namespace: guestbook-prod\nresources:\n  - ../../base\n"
            ),
        },
        "https://github.com/acme/shop.git",
    )


def test_an_argo_cd_application_of_one_of_two_overlays(cli: CliRunner, argo_repo: Path) -> None:
    packages = detected(cli, argo_repo)
    assert {path: p["managedBy"] for path, p in packages.items()} == {
        "argocd": [],
        "guestbook/base": ["argocd/guestbook-prod.yaml"],
        "guestbook/overlays/dev": [],
        "guestbook/overlays/prod": ["argocd/guestbook-prod.yaml"],
    }
    assert packages["argocd"]["role"] == "gitops-config"
    report = generate_all(cli, argo_repo, "argocd")
    assert deployed(report) == ["guestbook/overlays/dev"]
    assert skipped(report) == {
        "argocd": "gitops-config",
        "guestbook/base": "managed",
        "guestbook/overlays/prod": "managed",
    }
    (application,) = yaml.safe_load_all((argo_repo / "gitops-argocd/dev.yaml").read_text())
    assert application["spec"]["destination"]["namespace"] == "guestbook-dev"


def test_sibling_overlays_are_environments_each_in_its_own_namespace(
    cli: CliRunner, argo_repo: Path
) -> None:
    done = cli("generate", ".", "--all", "--provider", "argocd", "--include", "managed",
               "--set", "destinationNamespace=shop", cwd=argo_repo)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (
        "environments of guestbook/base: guestbook/overlays/dev (guestbook-dev), "
        "guestbook/overlays/prod (guestbook-prod)"
    ) in done.stdout.splitlines()
    for overlay, namespace in (("dev", "guestbook-dev"), ("prod", "guestbook-prod")):
        path = argo_repo / "gitops-argocd" / f"{overlay}.yaml"
        (application,) = yaml.safe_load_all(path.read_text())
        assert application["spec"]["destination"]["namespace"] == namespace
    # The base is still left out: both overlays build it.
    assert not (argo_repo / "gitops-argocd" / "base.yaml").exists()
    assert "guestbook/overlays/dev keeps the namespace it declares (guestbook-dev)" in done.stderr


def test_a_hidden_config_file_at_the_top_makes_no_package(cli: CliRunner, tmp_path: Path) -> None:
    root = repository(
        tmp_path / "example",
        {
            # flux2-kustomize-helm-example's schema config: apiVersion and kind, yet no manifest.
            ".fluxschema.yml": "apiVersion: v1\nkind: Config\nschemas: []\n",
            ".github/workflows/ci.yaml": "name: ci\non: [push]\n",
            "apps/web/web.yaml": CONFIGMAP.format(name="web", ns="web"),
        },
        "https://github.com/acme/example.git",
    )
    assert list(detected(cli, root)) == ["apps/web"]
    report = generate_all(cli, root, "flux")  # into ./gitops-flux, which no package holds
    assert deployed(report) == ["apps/web"]
    assert report["skipped"] == []


def test_a_repository_after_the_tool_wrote_its_own_output(cli: CliRunner, tmp_path: Path) -> None:
    root = repository(
        tmp_path / "shop",
        {
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
            "charts/web/values.yaml": "replicas: 1\n",
            "manifests/jobs/job.yaml": CONFIGMAP.format(name="jobs", ns="jobs"),
        },
        "https://github.com/acme/shop.git",
    )
    single = cli("generate", ".", "--provider", "flux", "--package", "charts/web", "--defaults",
                 "--set", "destinationNamespace=web", cwd=root)  # fmt: skip
    assert single.returncode == 0, single.stderr
    assert (root / "flux-gitops.yaml").is_file()
    packages = detected(cli, root)
    assert packages["."]["role"] == "gitops-config"  # ./flux-gitops.yaml: an entry point
    assert packages["charts/web"]["managedBy"] == ["flux-gitops.yaml"]
    report = generate_all(cli, root, "argocd")
    assert deployed(report) == ["manifests/jobs"]
    assert skipped(report) == {".": "gitops-config", "charts/web": "managed"}
    # Again, into the same folder: what that folder deploys is what the run replaces.
    again = generate_all(cli, root, "argocd")
    assert deployed(again) == ["manifests/jobs"]
    assert {f["status"] for f in again["files"]} == {"unchanged"}
    # Into another folder, nothing is left: said, nothing written, exit 0.
    done = cli("generate", ".", "--all", "--provider", "argocd", "-o", "other", cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("nothing to deploy under .: every package is deployed")
    assert not (root / "other").exists()
    data = generate_all(cli, root, "argocd", "-o", "other")
    assert data["files"] == [] and data["written"] is False
    assert skipped(data)["manifests/jobs"] == "managed"
    assert data["skipped"][-1]["managedBy"] == ["gitops-argocd/jobs.yaml"]


def test_only_selects_and_unknown_words_are_refused(cli: CliRunner, argo_repo: Path) -> None:
    every = ("--include", "all", "--only", "guestbook/*", "--set", "destinationNamespace=shop")
    report = generate_all(cli, argo_repo, "argocd", *every)
    assert deployed(report) == [
        "guestbook/base",
        "guestbook/overlays/dev",
        "guestbook/overlays/prod",
    ]
    assert skipped(report) == {"argocd": "excluded"}
    done = cli("generate", ".", "--all", "--provider", "argocd", "--only", "nope/*", cwd=argo_repo)
    assert done.returncode == 2
    assert "--only nope/*: matches no detected package" in done.stderr
    done = cli("generate", ".", "--all", "--provider", "argocd", "--include", "nope",
               cwd=argo_repo)  # fmt: skip
    assert done.returncode == 2 and "--include" in done.stderr
    done = cli("generate", ".", "--provider", "argocd", "--dry-run", cwd=argo_repo)
    assert done.returncode == 2 and "--dry-run goes with --all" in done.stderr
