"""Detection's reading of the repository's own Flux and Argo CD objects (managedBy and roles),
and the kustomization reader it shares with ``generate --all``."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from gitops_core.detection import detect
from gitops_core.detection.gitops import path_role
from gitops_core.detection.kustomize import parse_references
from gitops_core.git import GitFacts
from gitops_core.models import DetectedPackage

ORIGIN = "https://github.com/acme/shop.git"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: shop\n"


def tree(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def facts(root: Path, origin: str | None = ORIGIN) -> GitFacts:
    return GitFacts(top_level=root, origin_url=origin)


def managed(packages: list[DetectedPackage]) -> dict[str, tuple[str, ...]]:
    return {p.path: p.managed_by for p in packages if p.managed_by}


def roles(packages: list[DetectedPackage]) -> dict[str, str]:
    return {p.path: p.role for p in packages if p.role != "workload"}


def ks(path: str, source: str = "flux-system", kind: str = "GitRepository", name: str = "x") -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        f"spec:\n  path: {path}\n  prune: true\n  interval: 1m\n"
        f"  sourceRef:\n    kind: {kind}\n    name: {source}\n"
    )


def git_repository(url: str, name: str = "flux-system") -> str:
    return (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        f"spec:\n  interval: 1m\n  url: {url}\n"
    )


def test_a_folder_without_a_kustomization_is_deployed_whole(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "flux/apps.yaml": ks("./apps") + "---\n" + ks("./infra", name="infra"),
            "apps/a/cm.yaml": CM.format(name="a"),
            "apps/b/kustomization.yaml": "resources: [cm.yaml]\n",
            "apps/b/cm.yaml": CM.format(name="b"),
            "infra/kustomization.yaml": "resources:\n  - ./net\n",
            "infra/net/kustomization.yaml": "resources:\n  - cm.yaml\n",
            "infra/net/cm.yaml": CM.format(name="net"),
            "infra/storage/kustomization.yaml": "resources:\n  - cm.yaml\n",
            "infra/storage/cm.yaml": CM.format(name="storage"),
        },
    )
    found = managed(detect(tmp_path, repository=facts(tmp_path)))
    # apps/ has no kustomization: Flux applies the tree. infra/ has one: what it builds only.
    assert found == {
        "apps/a": ("flux/apps.yaml",),
        "apps/b": ("flux/apps.yaml",),
        "infra": ("flux/apps.yaml",),
        "infra/net": ("flux/apps.yaml",),
    }


def test_only_sources_of_this_repository_count(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "flux/sources.yaml": git_repository("ssh://git@github.com/acme/shop")
            + "---\n"
            + git_repository("https://github.com/stefanprodan/podinfo", "podinfo"),
            "flux/mine.yaml": ks("./apps/mine"),
            "flux/theirs.yaml": ks("./apps/theirs", "podinfo"),
            "flux/oci.yaml": ks("./apps/oci", "oci", "OCIRepository"),
            # Not committed here (the Flux Operator's): counts when its path exists.
            "flux/operator.yaml": ks("./apps/operator", "installed-by-hand"),
            "flux/gone.yaml": ks("./apps/gone", "installed-by-hand"),
            **{f"apps/{name}/cm.yaml": CM.format(name=name)
               for name in ("mine", "theirs", "oci", "operator")},
        },
    )  # fmt: skip
    packages = detect(tmp_path, repository=facts(tmp_path))
    assert managed(packages) == {
        "apps/mine": ("flux/mine.yaml",),
        "apps/operator": ("flux/operator.yaml",),
    }
    # flux/ deploys another repository's path too: it is not this repository's configuration.
    assert roles(packages) == {}


def test_a_helm_release_of_a_chart_in_the_repository(tmp_path: Path) -> None:
    release = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: %s, namespace: flux-system}
spec:
  interval: 10m
  chart:
    spec:
      chart: %s
      sourceRef: {kind: %s, name: flux-system}
"""
    tree(
        tmp_path,
        {
            "flux/gotk-sync.yaml": git_repository(ORIGIN),
            "flux/releases.yaml": release % ("web", "./charts/web", "GitRepository")
            + "---\n"
            + release % ("redis", "redis", "HelmRepository"),
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
            # An Application in a workload chart's templates is not read (only a chart of
            # nothing but GitOps objects, an app-of-apps, is: see test_detection_trial).
            "charts/web/templates/app.yaml": "apiVersion: argoproj.io/v1alpha1\n"
            "kind: Application\nspec:\n  source:\n"
            "    repoURL: https://github.com/acme/shop.git\n    path: charts/other\n"
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
            "charts/other/Chart.yaml": "apiVersion: v2\nname: other\nversion: 1.0.0\n",
        },
    )
    # No origin: flux bootstrap's GitRepository (gotk-sync.yaml) names this repository.
    packages = detect(tmp_path, repository=facts(tmp_path, origin=None))
    assert managed(packages) == {"charts/web": ("flux/releases.yaml",)}
    # (A gotk-sync.yaml makes its folder Flux's installation.)
    assert roles(packages) == {"flux": "flux-installation"}


def application(sources: str, name: str = "app") -> str:
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n"
        f"{sources}  destination:\n    server: https://kubernetes.default.svc\n"
    )


def test_argo_cd_applications_with_one_or_several_sources(tmp_path: Path) -> None:
    several = """\
  sources:
    - repoURL: https://charts.example.com
      chart: redis
      targetRevision: 1.0.0
    - repoURL: git@github.com:acme/shop.git
      path: manifests/flat
    - repoURL: ssh://git@github.com/acme/shop
      path: manifests/deep
      directory:
        recurse: true
    - repoURL: https://github.com/other/repo.git
      path: manifests/other
"""
    tree(
        tmp_path,
        {
            "argocd/apps.yaml": application(several),
            "manifests/flat/cm.yaml": CM.format(name="flat"),
            "manifests/flat/sub/cm.yaml": CM.format(name="flat-sub"),
            "manifests/deep/cm.yaml": CM.format(name="deep"),
            "manifests/deep/sub/cm.yaml": CM.format(name="deep-sub"),
            "manifests/other/cm.yaml": CM.format(name="other"),
        },
    )
    packages = detect(tmp_path, repository=facts(tmp_path))
    assert managed(packages) == {
        "manifests/deep": ("argocd/apps.yaml",),
        "manifests/deep/sub": ("argocd/apps.yaml",),  # directory.recurse: the whole tree
        "manifests/flat": ("argocd/apps.yaml",),
    }


def test_an_application_set_of_git_directories(tmp_path: Path) -> None:
    appset = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: envs, namespace: argocd}
spec:
  goTemplate: true
  generators:
    - matrix:
        generators:
          - git:
              repoURL: https://github.com/acme/shop.git
              revision: main
              directories:
                - path: apps/*
                - path: apps/legacy
                  exclude: true
          - list:
              elements: [{cluster: a}]
  template:
    metadata:
      name: '{{.path.basename}}-{{.cluster}}'
    spec:
      project: default
      source:
        repoURL: '{{.repoURL}}'
        targetRevision: main
        path: '{{.path.path}}/overlays/prod'
      destination: {server: https://kubernetes.default.svc, namespace: '{{.path.basename}}'}
"""
    files = {"argocd/appset.yaml": appset}
    for app in ("web", "api", "legacy"):
        files[f"apps/{app}/base/kustomization.yaml"] = "resources: [cm.yaml]\n"
        files[f"apps/{app}/base/cm.yaml"] = CM.format(name=app)
        for env in ("dev", "prod"):
            files[f"apps/{app}/overlays/{env}/kustomization.yaml"] = "resources: [../../base]\n"
    tree(tmp_path, files)
    packages = detect(tmp_path, repository=facts(tmp_path))
    assert managed(packages) == {
        f"apps/{app}/{part}": ("argocd/appset.yaml",)
        for app in ("api", "web")
        for part in ("base", "overlays/prod")
    }
    assert roles(packages) == {"argocd": "gitops-config"}


def test_paths_are_read_from_the_repository_top_when_a_subfolder_is_scanned(
    tmp_path: Path,
) -> None:
    tree(
        tmp_path,
        {
            "deploy/flux/apps.yaml": ks("./deploy/apps/web") + "---\n" + ks("./", name="all"),
            "deploy/apps/web/cm.yaml": CM.format(name="web"),
            "deploy/apps/web/kustomization.yaml": "resources: [cm.yaml]\n",
        },
    )
    packages = detect(tmp_path / "deploy", repository=facts(tmp_path))
    # ./ (the repository's top) has no kustomization: everything under it, this folder too.
    assert managed(packages) == {
        "apps/web": ("flux/apps.yaml",),
        "flux": ("flux/apps.yaml",),
    }


def test_flux_installations_are_recognised(tmp_path: Path) -> None:
    instance = """\
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata: {name: flux, namespace: flux-system}
spec:
  distribution: {version: "2.x", registry: ghcr.io/fluxcd}
  sync:
    kind: GitRepository
    url: https://github.com/acme/shop.git
    ref: refs/heads/main
    path: clusters/prod
"""
    tree(
        tmp_path,
        {
            "bootstrap/flux-system/gotk-components.yaml": CM.format(name="c"),
            "operator/instance.yaml": instance,
            "clusters/prod/cm.yaml": CM.format(name="prod"),
        },
    )
    packages = detect(tmp_path, repository=facts(tmp_path, origin=None))
    assert roles(packages) == {
        "bootstrap/flux-system": "flux-installation",
        "operator": "flux-installation",
    }
    assert managed(packages) == {"clusters/prod": ("operator/instance.yaml",)}


def test_without_git_a_source_counts_when_its_path_exists(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "argocd/app.yaml": application(
                "  source:\n    repoURL: https://git.example.com/x.git\n    path: apps/web\n"
            ),
            "argocd/missing.yaml": application(
                "  source:\n    repoURL: https://git.example.com/x.git\n    path: apps/gone\n",
                "missing",
            ),
            "apps/web/cm.yaml": CM.format(name="web"),
        },
    )
    packages = detect(tmp_path, repository=GitFacts())
    assert managed(packages) == {"apps/web": ("argocd/app.yaml",)}


def test_objects_a_kustomization_does_not_name_deploy_nothing(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "argocd/kustomization.yaml": "resources:\n  - web.yaml\n",
            "argocd/web.yaml": application(
                "  source:\n    repoURL: " + ORIGIN + "\n    path: apps/web\n"
            ),
            "argocd/old.yaml": application(
                "  source:\n    repoURL: " + ORIGIN + "\n    path: apps/old\n", "old"
            ),
            "apps/web/cm.yaml": CM.format(name="web"),
            "apps/old/cm.yaml": CM.format(name="old"),
        },
    )
    assert managed(detect(tmp_path, repository=facts(tmp_path))) == {
        "apps/web": ("argocd/web.yaml",)
    }


def test_what_is_no_workload(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            ".hidden.yaml": CM.format(name="hidden"),
            ".config/cm.yaml": CM.format(name="config"),
            "app/cm.yaml": CM.format(name="app")
            # A Flux or Argo CD group in an annotation is no GitOps object.
            + "  annotations:\n    argocd.argoproj.io/sync-wave: '1'\n",
            "pkg/testdata/cm.yaml": CM.format(name="fixture"),
            "test/e2e/app/cm.yaml": CM.format(name="e2e"),
            "docs/examples/cm.yaml": CM.format(name="doc"),
            "examples/web/cm.yaml": CM.format(name="example"),
        },
    )
    packages = detect(tmp_path, repository=facts(tmp_path))
    assert [p.path for p in packages] == [
        "app", "docs/examples", "examples/web", "pkg/testdata", "test/e2e/app",
    ]  # fmt: skip
    assert roles(packages) == {
        "docs/examples": "docs",
        "examples/web": "example",
        "pkg/testdata": "test-fixture",
        "test/e2e/app": "test-fixture",
    }


@pytest.mark.parametrize(
    ("path", "role"),
    [
        (".", None),
        ("apps/web", None),
        ("testdata", "test-fixture"),
        ("a/Fixtures/b", "test-fixture"),
        ("tests/docs", "test-fixture"),
        ("docs/tests", "docs"),
        ("latest/web", None),
        ("sample", "example"),
    ],
)
def test_path_roles(path: str, role: str | None) -> None:
    assert path_role(path) == role


def test_broken_and_hostile_gitops_files_never_crash(tmp_path: Path) -> None:
    bomb = "a: &a [x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    tree(
        tmp_path,
        {
            "flux/bomb.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            + "metadata: {name: bomb}\nspec: {path: [1, 2]}\n"
            + bomb,
            "flux/template.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: {{ .Kind }}\n",
            "flux/escape.yaml": ks("../../etc"),
            "flux/absolute.yaml": ks("/apps/web", name="abs"),
            "flux/list.yaml": "- apiVersion: argoproj.io/v1alpha1\n  kind: Application\n",
            "apps/web/cm.yaml": CM.format(name="web"),
        },
    )
    packages = detect(tmp_path, repository=facts(tmp_path))
    # A path Flux joins securely: "/apps/web" is apps/web of the source; "../../etc" is nothing.
    assert managed(packages) == {"apps/web": ("flux/absolute.yaml",)}


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("resources:\n- ../base   # the base\n- cm.yaml\n", ("../base", "cm.yaml")),
        ("resources: [ '../a', \"../b\" ]\n", ("../a", "../b")),
        ("bases:\n  - ../old\ncomponents:\n  - ../c\n", ("../old", "../c")),
        ("resources:\n- https://github.com/x/y//base?ref=v1\n- git@github.com:x/y.git\n", ()),
        ("namePrefix: dev-\npatches:\n  - path: ../p.yaml\nresources:\n  - ../base\n",
         ("../base",)),
        ("resources: &r\n  - ../a\ncomponents: *r\n", ("../a", "../a")),
        ("resources:\n  - name: not-a-path\n", ()),
        ("kind: Component\n", ()),
        ("", ()),
    ],
)  # fmt: skip
def test_what_a_kustomization_builds(text: str, entries: tuple[str, ...]) -> None:
    assert parse_references(text).entries == entries


def test_a_kustomization_that_is_not_yaml_is_unreadable() -> None:
    result = parse_references("resources: [a\n  b: {\n")
    assert result.unreadable and result.entries == ()


def test_the_progress_line_shows_only_on_a_terminal() -> None:
    from gitops_core.cli.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    pipe = io.StringIO()
    with Progress(pipe, delay=0) as progress:
        progress("scanning: 256 folders")
    assert pipe.getvalue() == ""
    terminal = Terminal()
    with Progress(terminal, delay=0) as progress:
        progress("scanning: 256 folders")
        progress("scanning: 512 folders")  # too soon after the last one: not drawn
    assert terminal.getvalue() == "\rgitops: scanning: 256 folders…\x1b[K\r\x1b[K"
    late = Terminal()
    with Progress(late, delay=60) as progress:
        progress("a moment")
    assert late.getvalue() == ""


def test_a_home_lab_with_a_ks_yaml_per_app(tmp_path: Path) -> None:
    """The usual home-lab layout: one Kustomization applies kubernetes/apps (no kustomization
    there), each namespace's kustomization names its apps' ks.yaml, each ks.yaml deploys app/."""
    files = {
        "kubernetes/flux/cluster/ks.yaml": (
            "---\n# yaml-language-server: $schema=https://example.com/ks.json\n"
            + ks("./kubernetes/apps", name="cluster-apps").replace(
                "metadata:\n  name: cluster-apps\n  namespace: flux-system\n",
                "metadata:\n  name: cluster-apps\n  namespace: &namespace flux-system\n",
            )
        ),
        "kubernetes/apps/media/kustomization.yaml": (
            "resources:\n  - ./namespace.yaml\n  - ./plex/ks.yaml\n"
        ),
        "kubernetes/apps/media/namespace.yaml": (
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: media\n"
        ),
        "kubernetes/apps/media/plex/ks.yaml": ks("./kubernetes/apps/media/plex/app", name="plex"),
        "kubernetes/apps/media/plex/app/kustomization.yaml": "resources:\n  - ./cm.yaml\n",
        "kubernetes/apps/media/plex/app/cm.yaml": CM.format(name="plex"),
        # Below a folder with a kustomization, Flux's tree stops: nothing deploys this one.
        "kubernetes/apps/media/plex/extra/cm.yaml": CM.format(name="extra"),
    }
    tree(tmp_path, files)
    packages = detect(tmp_path, repository=facts(tmp_path))
    cluster = ("kubernetes/flux/cluster/ks.yaml",)
    assert managed(packages) == {
        "kubernetes/apps/media": cluster,
        "kubernetes/apps/media/plex": cluster,  # its ks.yaml, named by the kustomization above
        "kubernetes/apps/media/plex/app": ("kubernetes/apps/media/plex/ks.yaml",),
    }
    assert roles(packages) == {
        "kubernetes/apps/media/plex": "gitops-config",
        "kubernetes/flux/cluster": "gitops-config",
    }


def test_objects_among_test_fixtures_deploy_nothing(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            # A fixture's Kustomization without a path would apply the whole repository.
            "tests/fixtures/ks.yaml": ks("").replace("  path: \n", ""),
            "docs/app.yaml": application(
                "  source:\n    repoURL: " + ORIGIN + "\n    path: apps/web\n"
            ),
            "apps/web/cm.yaml": CM.format(name="web"),
        },
    )
    assert managed(detect(tmp_path, repository=facts(tmp_path))) == {}
