"""A synthetic monorepo for benchmarks: thousands of deployable packages among source code.

``from benchmarks.monorepo import build_monorepo`` (from the repository root), then
``build_monorepo(root, packages=5000, seed=0)`` writes a tree shaped like a large company
repository and returns :class:`Stats`, including the packages detection should find. The same
seed gives the same tree, byte for byte.

Per service (``services/<domain>/<service>/``) there is source code, tests with fixture files,
docs, JSON configs, CI YAML, sometimes ``node_modules``, a ``skaffold.yaml`` or a Backstage
``catalog-info.yaml`` (YAML with ``apiVersion``/``kind`` that no cluster accepts), and one way of
deploying it:

* a Helm chart (values files, templates, sometimes subcharts in ``charts/`` and ``crds/``);
* Kustomize: a base and dev/staging/prod overlays, sometimes a ``kind: Component``;
* a folder of raw manifests (multi-document YAML, JSON), sometimes with a ``crds/`` folder.

Beside the services: library charts under ``libs/charts`` (not deployable), docs, hidden
``.github`` workflows, and the platform's GitOps objects, which deploy some services already:
``platform/flux-system`` (``flux bootstrap``'s folder: its GitRepository names this repository,
its Kustomization applies ``platform/clusters/prod-eu``) and per-cluster folders of Flux and
Argo CD objects under ``platform/clusters``: Argo CD Applications of overlays (dev, prod-us), an
ApplicationSet whose Git directories generator matches every staging overlay, and Flux
Kustomizations and HelmReleases of manifest folders and charts (prod-eu). :attr:`Stats.managed`
lists the packages those objects deploy.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Stats", "build_monorepo"]


@dataclass(frozen=True)
class Stats:
    """What :func:`build_monorepo` wrote."""

    root: Path
    files: int
    folders: int
    bytes: int
    #: Deployable packages detection should find: path (``/``-separated) -> package type.
    packages: Mapping[str, str] = field(repr=False)
    #: Library charts and kustomize components: marked like packages, yet not deployable.
    not_deployable: int = 0
    #: Packages the platform's Flux and Argo CD objects deploy (detection's ``managed_by``).
    managed: frozenset[str] = frozenset()

    @property
    def by_type(self) -> dict[str, int]:
        return dict(Counter(self.packages.values()))


CLUSTERS = ("dev", "staging", "prod-eu", "prod-us")
REPOSITORY = "https://git.example.com/monorepo.git"
DOMAINS = ("payments", "search", "identity", "catalog", "orders", "media", "growth", "infra")
LANGUAGES = ("py", "go", "ts")


def build_monorepo(
    root: Path, packages: int = 5000, seed: int = 0, *, huge_manifest_mb: int = 0
) -> Stats:
    """Write the monorepo under ``root`` (created if missing, expected empty).

    ``huge_manifest_mb`` adds one ConfigMap of that size to a raw-manifest folder.
    """
    writer = _Writer(root, random.Random(seed))
    writer.top_level()
    remaining = packages - writer.platform()
    index = 0
    while remaining > 0:
        remaining -= writer.service(index, remaining)
        index += 1
    writer.platform_objects()
    if huge_manifest_mb:
        writer.huge_manifest(huge_manifest_mb)
    return Stats(
        root=root,
        files=writer.files,
        folders=len(writer.folders),
        bytes=writer.bytes,
        packages=dict(sorted(writer.packages.items())),
        not_deployable=writer.not_deployable,
        managed=frozenset(writer.managed),
    )


class _Writer:
    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.files = 0
        self.bytes = 0
        self.folders: set[Path] = set()
        self.packages: dict[str, str] = {}
        self.not_deployable = 0
        self.managed: set[str] = set()
        #: Deployment folders by kind: charts, kustomize deploy/ folders, manifest folders.
        self.deployments: dict[str, list[str]] = {"helm": [], "kustomize": [], "raw": []}

    def write(self, rel: str, content: str) -> None:
        path = self.root / rel
        if path.parent not in self.folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.update(path.parents)
        data = content.encode()
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)

    def package(self, rel: str, kind: str) -> None:
        self.packages[rel] = kind

    # --- the repository around the services ----------------------------------------------------

    def top_level(self) -> None:
        self.write("README.md", "# Monorepo\n\nEverything we ship.\n")
        self.write("Makefile", "all:\n\t@echo build\n")
        self.write(".gitignore", "node_modules/\n.venv/\n")
        for name in ("ci", "release", "lint"):
            self.write(f".github/workflows/{name}.yaml", _workflow(name))
        for page in range(40):
            self.write(f"docs/guide/page-{page:02}.md", _markdown(self.rng, f"Guide {page}"))
        for lib in range(12):
            base = f"libs/charts/common-{lib}"
            self.write(f"{base}/Chart.yaml", _chart_yaml(f"common-{lib}", library=True))
            self.write(f"{base}/values.yaml", "{}\n")
            for helper in ("_labels.tpl", "_names.tpl", "_pod.tpl"):
                self.write(f"{base}/templates/{helper}", _helper_tpl(f"common-{lib}"))
            self.not_deployable += 1

    def platform(self) -> int:
        """The platform's folders (Flux's installation, one per cluster): their count now, their
        objects once the services exist (:meth:`platform_objects`)."""
        self.package("platform/flux-system", "kustomize")
        for cluster in CLUSTERS:
            self.package(f"platform/clusters/{cluster}", "raw-manifests")
        return 1 + len(CLUSTERS)

    def platform_objects(self) -> None:
        """Flux and Argo CD objects that deploy some of the services (see the module doc)."""
        flux = "platform/flux-system"
        self.write(f"{flux}/kustomization.yaml", _kustomization(["gotk-components.yaml",
                                                                  "gotk-sync.yaml"]))  # fmt: skip
        self.write(f"{flux}/gotk-components.yaml", _namespace("flux-system"))
        self.write(f"{flux}/gotk-sync.yaml", _gotk_sync("./platform/clusters/prod-eu"))
        self.managed.add("platform/clusters/prod-eu")
        kustomize, helm, raw = (self.deployments[k][:8] for k in ("kustomize", "helm", "raw"))
        for cluster, env in (("dev", "dev"), ("prod-us", "prod")):
            base = f"platform/clusters/{cluster}"
            for index, deploy in enumerate(kustomize):
                overlay = f"{deploy}/overlays/{env}"
                self.write(f"{base}/app-{index}.yaml", _argo_application(f"app-{index}", overlay))
                self.managed.update((overlay, f"{deploy}/base"))
            self.write(f"{base}/README.md", f"# {cluster}\n")
        self.write("platform/clusters/staging/apps.yaml", _application_set())
        for deploy in self.deployments["kustomize"]:
            self.managed.update((f"{deploy}/overlays/staging", f"{deploy}/base"))
        documents = [_flux_kustomization(f"raw-{i}", folder) for i, folder in enumerate(raw)]
        documents += [_helm_release(f"chart-{i}", chart) for i, chart in enumerate(helm)]
        self.write("platform/clusters/prod-eu/apps.yaml", "---\n".join(documents))
        for folder in raw:  # without a kustomization: the whole tree, crds/ included
            self.managed.update(
                p for p in self.packages if p == folder or p.startswith(folder + "/")
            )
        self.managed.update(helm)

    def huge_manifest(self, megabytes: int) -> None:
        path = self.root / "platform/clusters/prod-eu/huge-configmap.yaml"
        line = "    " + "0123456789abcdef" * 4 + "\n"
        with path.open("w", encoding="utf-8") as stream:
            stream.write(_configmap("huge") + "  blob: |\n")
            stream.writelines([line] * (megabytes * (1 << 20) // len(line)))
        self.files += 1
        self.bytes += path.stat().st_size

    # --- services ------------------------------------------------------------------------------

    def service(self, index: int, remaining: int) -> int:
        """One service with its source and its deployment; returns how many packages it adds."""
        rng = self.rng
        name = f"svc-{index:05}"
        base = f"services/{DOMAINS[index % len(DOMAINS)]}/{name}"
        language = rng.choice(LANGUAGES)
        self.source(base, name, language)
        # A kustomize service adds four packages, raw manifests one or two: never overshoot.
        kinds, weights = ["helm", "raw"], [0.4, 0.25]
        if remaining >= 4:
            kinds.append("kustomize")
            weights.append(0.35)
        kind = rng.choices(kinds, weights)[0]
        if kind == "helm":
            return self.helm(base, name)
        if kind == "kustomize":
            return self.kustomize(base, name)
        return self.raw(base, name, crds_allowed=remaining >= 2)

    def source(self, base: str, name: str, language: str) -> None:
        rng = self.rng
        self.write(f"{base}/README.md", _markdown(rng, name))
        self.write(f"{base}/Dockerfile", f"FROM base:{language}\nCOPY . /app\n")
        self.write(f"{base}/Makefile", "test:\n\t@echo test\n")
        self.write(f"{base}/ci.yaml", _ci_yaml(name))
        self.write(f"{base}/config/app.json", _json_config(rng, name))
        self.write(f"{base}/config/schema.json", _json_schema())
        for module in range(rng.randint(8, 16)):
            self.write(f"{base}/src/{name.replace('-', '_')}/mod_{module}.{language}", _code(rng))
        for test in range(rng.randint(3, 6)):
            self.write(f"{base}/tests/test_{test}.{language}", _code(rng))
        for fixture in range(rng.randint(1, 3)):
            self.write(f"{base}/tests/fixtures/case-{fixture}.yaml", _fixture_yaml(rng))
        for page in range(rng.randint(1, 3)):
            self.write(f"{base}/docs/page-{page}.md", _markdown(rng, f"{name} {page}"))
        if language == "ts":
            self.write(f"{base}/package.json", _json_config(rng, name))
            if rng.random() < 0.5:
                for dep in range(rng.randint(10, 30)):
                    self.write(f"{base}/node_modules/dep-{dep}/package.json", '{"main": "i.js"}\n')
                    self.write(f"{base}/node_modules/dep-{dep}/index.js", "module.exports = {}\n")
        if rng.random() < 0.1:
            self.write(f"{base}/skaffold.yaml", "apiVersion: skaffold/v4beta6\nkind: Config\n")
        if rng.random() < 0.2:
            self.write(f"{base}/catalog-info.yaml", _catalog_info(name))

    def helm(self, base: str, name: str) -> int:
        rng = self.rng
        chart = f"{base}/chart"
        self.write(f"{chart}/Chart.yaml", _chart_yaml(name))
        self.write(f"{chart}/.helmignore", ".git/\n*.swp\n")
        self.write(f"{chart}/values.yaml", _values(rng, name))
        for env in rng.sample(("dev", "staging", "prod"), rng.randint(1, 3)):
            self.write(f"{chart}/values-{env}.yaml", _values(rng, name))
        for kind in ("deployment", "service", "ingress", "hpa", "serviceaccount", "configmap"):
            self.write(f"{chart}/templates/{kind}.yaml", _template(kind))
        self.write(f"{chart}/templates/_helpers.tpl", _helper_tpl(name))
        self.write(f"{chart}/templates/NOTES.txt", "Thanks for installing {{ .Chart.Name }}.\n")
        self.write(f"{chart}/templates/tests/test-connection.yaml", _template("pod"))
        if rng.random() < 0.4:
            sub = f"{chart}/charts/{name}-cache"
            self.write(f"{sub}/Chart.yaml", _chart_yaml(f"{name}-cache"))
            self.write(f"{sub}/values.yaml", _values(rng, name))
            for kind in ("deployment", "service"):
                self.write(f"{sub}/templates/{kind}.yaml", _template(kind))
        if rng.random() < 0.15:
            self.write(f"{chart}/crds/{name}.yaml", _crd(name))
        self.package(chart, "helm")
        self.deployments["helm"].append(chart)
        return 1

    def kustomize(self, base: str, name: str) -> int:
        rng = self.rng
        deploy = f"{base}/deploy"
        self.deployments["kustomize"].append(deploy)
        self.write(f"{deploy}/base/kustomization.yaml", _kustomization(["deployment.yaml"]))
        self.write(f"{deploy}/base/deployment.yaml", _deployment(name))
        self.write(f"{deploy}/base/service.yaml", _service(name))
        self.write(f"{deploy}/base/configmap.yaml", _configmap(name))
        self.package(f"{deploy}/base", "kustomize")
        component = rng.random() < 0.3
        if component:
            self.write(f"{deploy}/components/monitoring/kustomization.yaml", _component())
            self.write(f"{deploy}/components/monitoring/servicemonitor.yaml", _configmap(name))
            self.not_deployable += 1
        for env in ("dev", "staging", "prod"):
            overlay = f"{deploy}/overlays/{env}"
            self.write(f"{overlay}/kustomization.yaml", _kustomization(["../../base"]))
            self.write(f"{overlay}/patch-replicas.yaml", _deployment(name))
            self.package(overlay, "kustomize")
        return 4

    def raw(self, base: str, name: str, *, crds_allowed: bool) -> int:
        rng = self.rng
        folder = f"{base}/manifests"
        self.deployments["raw"].append(folder)
        self.write(f"{folder}/deployment.yaml", _deployment(name) + "---\n" + _service(name))
        self.write(f"{folder}/configmap.json", _configmap_json(name))
        for extra in range(rng.randint(1, 4)):
            self.write(f"{folder}/extra-{extra}.yaml", "---\n# generated\n" + _configmap(name))
        self.package(folder, "raw-manifests")
        if crds_allowed and rng.random() < 0.2:
            self.write(f"{folder}/crds/{name}.yaml", _crd(name))
            self.package(f"{folder}/crds", "raw-manifests")
            return 2
        return 1


# --- file contents -----------------------------------------------------------------------------

WORDS = (
    "deploy",
    "cluster",
    "service",
    "latency",
    "request",
    "cache",
    "queue",
    "index",
    "shard",
    "replica",
    "token",
    "session",
    "invoice",
    "ledger",
    "search",
    "ranking",
    "image",
    "upload",
    "thumbnail",
    "retry",
    "backoff",
    "metric",
    "alert",
)


def _markdown(rng: random.Random, title: str) -> str:
    paragraphs = (" ".join(rng.choices(WORDS, k=rng.randint(20, 60))) for _ in range(3))
    return f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n"


def _code(rng: random.Random) -> str:
    lines = [f"// {' '.join(rng.choices(WORDS, k=6))}" for _ in range(rng.randint(5, 30))]
    return "\n".join(lines) + "\n"


def _json_config(rng: random.Random, name: str) -> str:
    keys = ", ".join(f'"{word}": {rng.randint(0, 99)}' for word in rng.sample(WORDS, 6))
    return f'{{"name": "{name}", "version": "1.0.0", {keys}}}\n'


def _json_schema() -> str:
    # Nested apiVersion/kind keys: a naive substring test would take this for a manifest.
    return (
        '{"type": "object", "properties": {"apiVersion": {"type": "string"}, '
        '"kind": {"type": "string"}, "spec": {"type": "object"}}}\n'
    )


def _workflow(name: str) -> str:
    return f"name: {name}\non: [push]\njobs:\n  {name}:\n    runs-on: ubuntu-latest\n"


def _ci_yaml(name: str) -> str:
    return f"stages: [build, test]\nbuild:\n  image: {name}\n  script: [make]\n"


def _fixture_yaml(rng: random.Random) -> str:
    items = "\n".join(f"  - {word}: {rng.randint(0, 9)}" for word in rng.sample(WORDS, 5))
    return f"# test data\ncases:\n{items}\n"


def _catalog_info(name: str) -> str:
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        f"metadata:\n  name: {name}\nspec:\n  type: service\n  owner: team\n"
    )


def _chart_yaml(name: str, *, library: bool = False) -> str:
    kind = "library" if library else "application"
    return (
        f"apiVersion: v2\nname: {name}\ndescription: The {name} chart\ntype: {kind}\n"
        'version: 1.2.3\nappVersion: "1.2.3"\nmaintainers:\n  - name: platform\n'
    )


def _values(rng: random.Random, name: str) -> str:
    return (
        f"replicaCount: {rng.randint(1, 5)}\nimage:\n  repository: registry/{name}\n"
        '  tag: ""\nservice:\n  type: ClusterIP\n  port: 80\nresources: {}\n'
    )


def _template(kind: str) -> str:
    return (
        "apiVersion: v1\n"
        f"kind: {kind.capitalize()}\n"
        "metadata:\n"
        '  name: {{ include "chart.fullname" . }}\n'
        "  labels:\n"
        '    {{- include "chart.labels" . | nindent 4 }}\n'
        "spec:\n"
        "  {{- toYaml .Values.spec | nindent 2 }}\n"
    )


def _helper_tpl(name: str) -> str:
    return f'{{{{- define "{name}.fullname" -}}}}\n{{{{ .Release.Name }}}}\n{{{{- end }}}}\n'


def _crd(name: str) -> str:
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
        f"  name: {name}s.example.com\nspec:\n  group: example.com\n"
        f"  names:\n    kind: {name.title()}\n    plural: {name}s\n  scope: Namespaced\n"
    )


def _kustomization(resources: list[str]) -> str:
    listed = "".join(f"  - {resource}\n" for resource in resources)
    return (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n{listed}labels:\n  - pairs:\n      team: platform\n"
    )


def _component() -> str:
    return (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "resources:\n  - servicemonitor.yaml\n"
    )


def _deployment(name: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
        f"  replicas: 2\n  selector:\n    matchLabels:\n      app: {name}\n"
        f"  template:\n    metadata:\n      labels:\n        app: {name}\n"
        f"    spec:\n      containers:\n        - name: {name}\n"
        f"          image: registry/{name}:1.2.3\n"
    )


def _service(name: str) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n"
        f"  selector:\n    app: {name}\n  ports:\n    - port: 80\n"
    )


def _configmap(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  mode: fast\n"


def _configmap_json(name: str) -> str:
    return (
        '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n'
        f'  "metadata": {{"name": "{name}-json"}},\n  "data": {{"mode": "fast"}}\n}}\n'
    )


def _argo_application(name: str, path: str) -> str:
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n"
        f"  source:\n    repoURL: {REPOSITORY}\n"
        f"    path: {path}\n    targetRevision: main\n"
        f"  destination:\n    server: https://kubernetes.default.svc\n    namespace: {name}\n"
    )


def _application_set() -> str:
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
        "metadata:\n  name: staging\n  namespace: argocd\nspec:\n  goTemplate: true\n"
        f"  generators:\n    - git:\n        repoURL: {REPOSITORY}\n        revision: main\n"
        "        directories:\n          - path: services/*/*/deploy/overlays/staging\n"
        "  template:\n    metadata:\n      name: '{{index .path.segments 2}}-staging'\n"
        "    spec:\n      project: default\n      source:\n"
        f"        repoURL: {REPOSITORY}\n        targetRevision: main\n"
        "        path: '{{.path.path}}'\n      destination:\n"
        "        server: https://kubernetes.default.svc\n        namespace: staging\n"
    )


def _namespace(name: str) -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


def _gotk_sync(path: str) -> str:
    return (
        "# This manifest was generated by flux. DO NOT EDIT.\n---\n"
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        "metadata:\n  name: flux-system\n  namespace: flux-system\n"
        f"spec:\n  interval: 1m0s\n  ref:\n    branch: main\n  url: {REPOSITORY}\n---\n"
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: flux-system\n  namespace: flux-system\n"
        f"spec:\n  interval: 10m0s\n  path: {path}\n  prune: true\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )


def _flux_kustomization(name: str, path: str) -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        f"spec:\n  interval: 10m\n  path: ./{path}\n  prune: true\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )


def _helm_release(name: str, chart: str) -> str:
    return (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        f"metadata:\n  name: {name}\n  namespace: flux-system\n"
        f"spec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ./{chart}\n"
        "      sourceRef:\n        kind: GitRepository\n        name: flux-system\n"
    )
