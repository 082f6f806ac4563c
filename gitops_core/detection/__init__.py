"""Find what a repository can deploy: Helm charts, Kustomize overlays, folders of manifests.

:func:`detect` walks a tree once; :func:`analyze` classifies one folder the user points at
(PRD journey 4, "Where is your package located?") by the same rules. Every folder is judged by
the files directly in it:

* **Helm** — a folder with ``Chart.yaml``. The package is named by the chart's ``name`` (the
  folder's name when that is missing). A ``type: library`` chart is not deployable and is not
  listed. A chart owns everything below it — ``templates/``, ``crds/``, subcharts in
  ``charts/``, any other folder — so the walk does not go below a chart.
* **Kustomize** — a folder with ``kustomization.yaml``, ``kustomization.yml`` or
  ``Kustomization``, named after the folder. A ``kind: Component`` is not deployable on its own
  and is not listed. A folder with both a kustomization and ``Chart.yaml`` is Kustomize, as
  Argo CD and Flux build it (noted, low confidence; it keeps the chart's name and owns its
  subtree like a chart).
* **Raw manifests** — any other folder holding a YAML or JSON file whose first document is a
  Kubernetes object (string ``apiVersion`` and ``kind``; a ``v1 List`` counts). Files that
  configure a client tool rather than a cluster (``skaffold.yaml``, kind/k3d cluster configs,
  kubeconfigs, ``*.config.k8s.io`` component configs, Backstage catalog entries) do not count.
  Files that cannot be parsed — Go templates, binary data, other encodings — are skipped with a
  note.

Folders below a kustomization are judged on their own, like any other: a ``base`` that overlays
reference is listed, and so is a folder of plain manifests, because Argo CD and Flux can each
deploy any folder on its own. Only a chart claims its subtree. Listing every folder that
qualifies, and nothing that does not, keeps the result predictable: no kustomization is parsed
to guess which folders are "only" resources of another.

A folder named to :func:`find_package` that holds no manifests of its own, only sub-folders of
plain manifests, is deployed as one raw-manifests package (Flux and Argo CD apply it
recursively); one with kustomizations or charts below is refused, naming them.

Not scanned: hidden folders (``.git``, ``.github``, …), ``node_modules``, ``vendor``,
``__pycache__``, and virtual environments (any folder holding ``pyvenv.cfg``). Symlinked folders
are not followed, so link loops cannot trap the walk; a symlinked file counts when it leads to a
regular file. These rules apply below the folder the user gave, never to it.

Confidence is ``high`` for charts and kustomizations, ``medium`` for raw manifests and ``low``
whenever a note says what looked odd. Packages are sorted by ``path``, which is relative to the
scanned folder with ``/`` separators and ``.`` for the folder itself; that folder's own package is
named after the folder.

Speed: one pass of :func:`os.scandir`, judging file names before any ``stat``. Only marker files
and candidate manifests are opened. A marker file (read up to 1 MiB) is parsed only when a scan of
its top-level lines cannot tell the chart's ``name`` and ``type`` or the kustomization's ``kind``
for sure: detection names and classifies, it does not lint, so a kustomization broken further
down is still listed (building it reports the error). A candidate manifest is read to a 16 KiB
bound (a 50 MB manifest costs as much as a small one); a substring test rejects most other YAML
and JSON undecoded, a line scan finds top-level ``apiVersion``/``kind``, and only then is the
first document parsed. A folder stops being sniffed once one file proves it holds Kubernetes
objects, so notes speak of the files read before that one.
"""

from __future__ import annotations

from pathlib import Path

from gitops_core.checks import inside
from gitops_core.errors import PackageChoiceError, UsageError
from gitops_core.models import DetectedPackage

from ._scan import CHART_FILE, KUSTOMIZATION_FILES, analyze, detect

__all__ = ["CHART_FILE", "KUSTOMIZATION_FILES", "analyze", "detect", "find_package"]


def find_package(root: Path, package_dir: str | None = None) -> DetectedPackage:
    """The one package to deploy: ``package_dir`` (relative to ``root``) or the only one found."""
    root = root.resolve()
    if package_dir is not None:
        target = (root / package_dir).resolve()
        if not inside(root, target):
            raise UsageError(f"package path {package_dir!r} is outside {root}")
        package = analyze(target, root=root)
        if package is None:
            return _folder_of_folders(root, target, package_dir)
        return package
    packages = detect(root)
    if not packages:
        raise PackageChoiceError(
            f"no Helm chart, Kustomize overlay or Kubernetes manifests found under {root}"
        )
    # Flux's own installation and folders of GitOps objects (this tool's output among them)
    # are not what a user means to deploy when the repository holds one package.
    deployable = [p for p in packages if p.role not in ("flux-installation", "gitops-config")]
    packages = deployable or packages
    if len(packages) > 1:
        listing = ", ".join(f"{p.path} ({p.type})" for p in packages)
        raise PackageChoiceError(f"{len(packages)} packages found: {listing}")
    return packages[0]


#: How many sub-folders a message names before it says how many more there are.
_SHOWN = 6


def _folder_of_folders(root: Path, target: Path, package_dir: str) -> DetectedPackage:
    """A folder the user named that holds no manifests of its own, only sub-folders that do.

    Flux applies a folder without a kustomization whole, sub-folders included, and Argo CD does
    with ``directory.recurse``: when every package below is a folder of plain manifests
    (podinfo's ``deploy/webapp``: ``common``, ``backend``, ``frontend``), the folder is deployed
    as one raw-manifests package, as a platform engineer deploys a multi-service app with one
    Kustomization. When a kustomization or a chart lies below, it is refused, naming what is
    there: Flux would build those into it (three overlays of one base into one deployment)
    while Argo CD leaves them out, so the folder is no package of its own; each can be deployed
    on its own. Below a chart, or with nothing below, it is no package at all.
    """
    missing = f"no Helm chart, Kustomize overlay or Kubernetes manifests in {package_dir!r}"
    parent = target
    while parent != root:
        parent = parent.parent
        if (parent / CHART_FILE).is_file():
            raise UsageError(missing)  # everything below a chart is the chart's
    below = detect(target)
    if not below:
        raise UsageError(missing)
    rel = target.relative_to(root).as_posix()

    def listing(paths: list[str]) -> str:
        shown = [path if rel == "." else f"{rel}/{path}" for path in paths]
        more = len(shown) - _SHOWN
        return ", ".join(shown[:_SHOWN]) + (f" and {more} more" if more > 0 else "")

    if any(p.type != "raw-manifests" for p in below):
        packages = listing([f"{p.path} ({p.type})" for p in below])
        raise UsageError(
            f"no manifests in {package_dir!r} itself; its sub-folders hold packages of their "
            f"own: {packages}; pick one of them with --package"
        )
    note = (
        f"no manifests of its own: those of {listing([p.path for p in below])} are deployed "
        "with it (Flux applies the folder recursively, Argo CD with directory.recurse)"
    )
    name = target.name or str(target)
    return DetectedPackage(
        path=rel, type="raw-manifests", name=name, confidence="low", notes=(note,)
    )
