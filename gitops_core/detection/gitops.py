"""The repository's own GitOps objects: what already deploys each package, and what a package is.

Detection reads, beside the packages, the Flux and Argo CD objects committed in the scanned tree
(outside charts, whose templates are not objects yet, but for an app-of-apps chart: see below)
and works out which packages they deploy:

* a Flux ``Kustomization`` deploys ``spec.path`` of its source. With a ``GitRepository`` of this
  repository (or one that is not committed here at all, such as the one the Flux Operator or
  ``flux bootstrap`` installs, when that path exists) the path is a folder of the repository: one
  without a kustomization file is applied whole, every package below it included (Flux
  generates a kustomization over the tree, which builds a sub-folder that has a kustomization
  as such and does not look below it), one with a kustomization is that package. With an
  ``ExternalArtifact`` the path is mapped back through the ``ArtifactGenerator`` that produces
  the artifact (``copy`` operations from ``@alias/dir/**`` of this repository into
  ``@artifact/dest/``; ``{capture}`` placeholders of ``pathPattern`` generators match any name);
* a ``HelmRelease`` deploys the chart at ``chart.spec.chart`` of a ``GitRepository``, or the
  root of an ``ExternalArtifact`` (``chartRef``);
* an Argo CD ``Application`` deploys the ``path`` of each of its sources whose ``repoURL`` is this
  repository (a folder of plain manifests whole only with ``directory.recurse``); an
  ``ApplicationSet``'s Git directories generators deploy the folders their patterns match, through
  the template's ``path`` (``{{path}}``, ``{{.path.path}}``, ``basename`` and segments);
* a ``FluxInstance`` (Flux Operator) deploys ``spec.sync.path``.

A package a deployed kustomization builds (its local ``resources``, ``bases`` and
``components``, followed) is deployed with it; a folder of plain manifests whose files it
picks, only when it keeps their names (no ``namePrefix``/``nameSuffix``). "This repository" is
recognised in every URL form (``https://``, ``ssh://``, ``git@host:org/repo``): the checkout's
``origin``, the URL of the ``GitRepository`` that ``flux bootstrap`` committed
(``gotk-sync.yaml``) and a ``FluxInstance``'s sync URL. Without any of them (no Git, no origin)
a source counts when its path exists here.
A ``GitRepository`` of this repository that tracks a branch other than the one checked out and
those the bootstrap source tracks (``main``/``master`` when there is none) is another tree, as a
tenant's ``dev-team`` branch is in flux2-multi-tenancy: it claims nothing here.

A Helm chart whose templates hold only Flux and Argo CD objects (beside Namespaces and
AppProjects), such as argocd-example-apps' ``apps/``, is an app-of-apps: GitOps configuration.
Its templates are read as rendered with the chart's ``values.yaml`` for plain
``{{ .Values.x }}`` expressions (a ``repoURL``), except ``path:``, which counts only when
literal; the packages they deploy are managed by the template files.

Objects below test fixtures, docs and examples (by their path, as below) are not read as
deploying anything. What a package is (its ``role``) also comes from here: Flux's own
installation (a folder with ``gotk-components.yaml`` or ``gotk-sync.yaml``, or holding a
``FluxInstance`` or a ``HelmRelease`` of the ``flux-operator``, ``flux-instance`` or ``flux2``
chart, as the Flux Operator installs it); a folder of plain manifests whose every object is a
Flux or Argo CD object deploying this repository (or a ``Namespace``, an ``AppProject``) is
GitOps configuration, such as an entry point, this tool's own output included, and so is an
app-of-apps chart; and, by a folder in its path, test fixtures (``testdata``, ``fixtures``,
``test``, ``e2e``...), docs and examples.

Cost: a YAML file is opened only where detection reads anyway (outside charts and skipped
folders), and read past the bytes detection reads only when they name a Flux or Argo CD API
group; only documents of the kinds above are parsed. Objects in JSON files, in files whose first
16 KiB name no such group, or past the first MiB of a file, are not seen.
"""

from __future__ import annotations

import bisect
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from gitops_core.models import DetectedPackage, PackageRole

from ._files import _DOC_MARKER, _TOP_KEY, MARKER_LIMIT, decode, load_yaml_or_none, read_prefix
from .kustomize import (
    KUSTOMIZATION_FILES,
    kustomization_text,
    local_references,
    parse_references,
    renames,
    resolve,
)

if TYPE_CHECKING:
    from gitops_core.git import GitFacts

__all__ = [
    "FLUX_INSTALLATION_FILES",
    "Found",
    "GitOpsScan",
    "finish",
    "has_marker",
    "only_alongside",
    "path_role",
]

#: ``flux bootstrap`` writes these into the flux-system folder.
FLUX_INSTALLATION_FILES = ("gotk-components.yaml", "gotk-sync.yaml")
#: ``fluxcd.`` covers fluxcd.io and the Flux Operator's fluxcd.controlplane.io.
_MARKERS = (b"fluxcd.", b"argoproj.io/")
#: (API group, kind) of the objects read in full.
_READ = frozenset(
    {
        ("kustomize.toolkit.fluxcd.io", "Kustomization"),
        ("helm.toolkit.fluxcd.io", "HelmRelease"),
        ("source.toolkit.fluxcd.io", "GitRepository"),
        ("source.toolkit.fluxcd.io", "OCIRepository"),
        ("source.extensions.fluxcd.io", "ArtifactGenerator"),
        ("argoproj.io", "Application"),
        ("argoproj.io", "ApplicationSet"),
        ("fluxcd.controlplane.io", "FluxInstance"),
    }
)
#: Objects a folder of GitOps configuration may hold beside those that deploy this repository.
_ALONGSIDE = frozenset({("", "Namespace"), ("argoproj.io", "AppProject")})

#: Folder names that say what lies below them, whichever folder of the path they are.
_PATH_ROLES: Mapping[str, PackageRole] = {
    **dict.fromkeys(
        (
            "testdata", "test-data", "test_data", "fixtures", "fixture", "__fixtures__",
            "__snapshots__", "golden", "goldens", "test", "tests", "__tests__", "e2e",
        ),
        "test-fixture",
    ),
    **dict.fromkeys(("docs", "doc", "documentation"), "docs"),
    **dict.fromkeys(("examples", "example", "samples", "sample"), "example"),
}  # fmt: skip


_PATH_ROLE = re.compile(
    r"(?:^|/)(" + "|".join(re.escape(name) for name in _PATH_ROLES) + r")(?=/|$)", re.IGNORECASE
)


def path_role(path: str) -> PackageRole | None:
    """``test-fixture``, ``docs`` or ``example`` when a folder of ``path`` says so (the first
    one that does), else ``None``."""
    match = _PATH_ROLE.search(path)
    return None if match is None else _PATH_ROLES[match[1].lower()]


def has_marker(data: bytes) -> bool:
    """Whether the bytes name a Flux or Argo CD API group (the file may hold their objects)."""
    return any(marker in data for marker in _MARKERS)


@attrs.define
class Found:
    """One Flux or Argo CD object of the tree."""

    file: str
    folder: str
    group: str
    kind: str
    document: dict[str, Any]
    #: It deploys (or is the source of) something of this repository.
    ours: bool = False

    @property
    def spec(self) -> dict[str, Any]:
        return _mapping(self.document.get("spec"))

    @property
    def namespace(self) -> str:
        return _text(_mapping(self.document.get("metadata")).get("namespace"))

    @property
    def name(self) -> str:
        return _text(_mapping(self.document.get("metadata")).get("name"))


def _whole_documents(path: str, data: bytes, complete: bool) -> list[str] | None:
    """The whole YAML documents of a file whose first bytes are ``data`` (read up to
    :data:`MARKER_LIMIT` if they are not all of it); None when it cannot be read as text."""
    if not complete:
        try:
            data, complete = read_prefix(path, MARKER_LIMIT)
        except OSError:
            return None
    try:
        text = decode(data, complete)
    except ValueError:
        return None
    chunks = list(_documents(text))
    if not complete and chunks:
        chunks.pop()  # cut by the read bound: not a whole document
    return chunks


@attrs.define
class GitOpsScan:
    """What the walk collects for :func:`finish`."""

    documents: list[Found] = attrs.Factory(list)
    #: Every folder walked, and those holding a kustomization file (relative paths).
    folders: set[str] = attrs.Factory(set)
    kustomize_folders: set[str] = attrs.Factory(set)
    #: Folders of ``flux bootstrap`` (holding gotk-components.yaml or gotk-sync.yaml).
    flux_folders: set[str] = attrs.Factory(set)
    #: Folders of plain manifests whose Kubernetes files hold only Flux and Argo CD objects.
    gitops_only: set[str] = attrs.Factory(set)
    #: The text of each kustomization read (by folder), for what it builds; empty for those
    #: in ``unread``, which could not be read whole (or decoded).
    kustomizations: dict[str, str] = attrs.Factory(dict)
    unread: set[str] = attrs.Factory(set)

    def examine(
        self, path: str, folder: str, file: str, data: bytes, complete: bool
    ) -> tuple[int, bool]:
        """Read the Flux and Argo CD objects of a YAML file whose first bytes are ``data``: how
        many it holds, and whether it holds other objects too (beside Namespaces and
        AppProjects, which GitOps configuration may carry).

        Call it only when :func:`has_marker` says the file may hold some.
        """
        chunks = _whole_documents(path, data, complete)
        if chunks is None:
            return 0, True
        rel_file = file if folder == "." else f"{folder}/{file}"
        found = 0
        other = False
        for chunk in chunks:
            kind = _kind_of(chunk)
            if kind is None:
                continue  # not an object (a template, a comment, not YAML)
            group, kind_name, parsed = kind
            if (group, kind_name) in _READ:
                document = parsed if parsed is not None else load_yaml_or_none(chunk)[0]
                if isinstance(document, dict):
                    self.documents.append(Found(rel_file, folder, group, kind_name, document))
                    found += 1
                    continue
            if (group, kind_name) not in _ALONGSIDE:
                other = True
        return found, other

    def examine_template(
        self,
        path: str,
        chart: str,
        file: str,
        data: bytes,
        complete: bool,
        values: Callable[[], Mapping[str, Any]],
        into: list[Found],
    ) -> tuple[int, bool]:
        """:meth:`examine` for a template of the Helm chart at ``chart`` (``file`` relative to
        it): its Flux and Argo CD objects are read as rendered with ``values`` (the chart's
        ``values.yaml``; asked only when a template names ``.Values``) into ``into`` (the caller
        keeps them only if every template holds such objects), found in the chart's folder.
        Whether it holds other objects too is judged by the literal
        ``apiVersion``/``kind`` lines of each document: a templated one counts as other."""
        chunks = _whole_documents(path, data, complete)
        if chunks is None:
            return 0, True
        rel_file = file if chart == "." else f"{chart}/{file}"
        found = 0
        other = False
        for chunk in chunks:
            keys: dict[str, list[str]] = {}
            for match in _TOP_KEY.finditer(chunk):
                keys.setdefault(match.group(2), []).append(match.group(3) or "")
            if not keys:
                if _template_content(chunk):
                    other = True  # an object built by template logic: cannot tell
                continue
            api_version = _plain(keys.get("apiVersion", [""])[0]) or ""
            kind = _plain(keys.get("kind", [""])[0]) or ""
            if len(keys.get("apiVersion", ())) != 1 or len(keys.get("kind", ())) != 1:
                other = True
                continue
            if "{{" in api_version or "{{" in kind:
                other = True
                continue
            group = api_version.rpartition("/")[0]
            if (group, kind) in _ALONGSIDE:
                continue
            if (group, kind) not in _READ and not group.endswith(".fluxcd.io"):
                other = True
                continue
            found += 1
            if (group, kind) not in _READ:
                continue
            document = _rendered(chunk, values)
            if isinstance(document, dict):
                into.append(Found(rel_file, chart, group, kind, document))
            else:  # not YAML once rendered: its literal ``path:`` lines still tell
                paths = [m[1] for m in _PATH_LINE.finditer(chunk) if "{{" not in m[1]]
                source: dict[str, Any] = {"repoURL": "{{}}"}
                document = {"spec": {"sources": [{**source, "path": p} for p in paths]}}
                if kind == "Application":
                    into.append(Found(rel_file, chart, group, kind, document))
        return found, other


def only_alongside(data: bytes, complete: bool) -> bool:
    """Whether a file (its first bytes) holds nothing but objects GitOps configuration may
    carry beside its Flux and Argo CD objects (Namespaces, AppProjects)."""
    if b"Namespace" not in data and b"AppProject" not in data:
        return False
    try:
        text = decode(data, complete)
    except ValueError:
        return False
    kinds = [_kind_of(chunk) for chunk in _documents(text)]
    return complete and all(k is None or (k[0], k[1]) in _ALONGSIDE for k in kinds)


_TEMPLATE = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_VALUES_REF = re.compile(r"\s*\.Values((?:\.[A-Za-z_][\w-]*)+)\s*")
_ACTION_LINE = re.compile(r"^[ \t]*\{\{[^\n]*\}\}[ \t]*\r?$", re.M)
_PATH_LINE = re.compile(
    r"""^[ \t]+(?:-[ \t]+)?path:[ \t]*["']?([^"'\s#]+)["']?[ \t]*(?:#.*)?$""", re.M
)
_PATH_KEY = re.compile(r"[ \t]*(?:-[ \t]+)?path[ \t]*:")
#: What a template expression that cannot be resolved becomes: a string that says so
#: (``{{`` marks it unknown to the readers of paths and URLs) and keeps the YAML valid.
_UNRESOLVED = "'{{}}'"


def _template_content(chunk: str) -> bool:
    """Whether a document without literal ``apiVersion``/``kind`` holds more than comments and
    template actions (an ``include``, a ``range``): an object made by template logic."""
    rest = _ACTION_LINE.sub("", chunk)
    return any(line.strip() and not line.lstrip().startswith("#") for line in rest.split("\n"))


def _rendered(chunk: str, values: Callable[[], Mapping[str, Any]]) -> object:
    """A chart template's document as Helm would render it, as far as that is known without
    Helm: lines holding only an action (``{{- if }}``, ``{{ end }}``) dropped, a plain
    ``{{ .Values.a.b }}`` replaced by its scalar value (the chart's default, which the release
    may override: good enough for a ``repoURL``), any other expression by ``'{{}}'``. A
    ``path:`` counts only when literal: a value there is never resolved."""
    text = _ACTION_LINE.sub("", chunk)

    def value(match: re.Match[str]) -> str:
        reference = _VALUES_REF.fullmatch(match[1])
        if reference is not None:
            current: object = values()
            for key in reference[1][1:].split("."):
                current = current.get(key) if isinstance(current, dict) else None
            if isinstance(current, str) and current and "\n" not in current:
                return current
            if isinstance(current, (int, float)) and not isinstance(current, bool):
                return str(current)
        return _UNRESOLVED

    lines = [
        _TEMPLATE.sub(_UNRESOLVED, line) if _PATH_KEY.match(line) else _TEMPLATE.sub(value, line)
        for line in text.split("\n")
    ]
    document, ok = load_yaml_or_none("\n".join(lines))
    return document if ok else None


def _documents(text: str) -> Iterator[str]:
    start = 0
    for marker in _DOC_MARKER.finditer(text):
        yield text[start : marker.start()]
        line_end = text.find("\n", marker.end())
        start = len(text) if line_end < 0 else line_end + 1
    yield text[start:]


def _kind_of(chunk: str) -> tuple[str, str, dict[str, Any] | None] | None:
    """(API group, kind, the document when it had to be parsed) of a document, or ``None``."""
    if not any(line.strip() and not line.lstrip().startswith("#") for line in chunk.split("\n")):
        return None
    values: dict[str, list[str]] = {}
    for match in _TOP_KEY.finditer(chunk):
        values.setdefault(match.group(2), []).append(match.group(3) or "")
    parsed: dict[str, Any] | None = None
    if len(values.get("apiVersion", ())) == 1 and len(values.get("kind", ())) == 1:
        api_version, kind = _plain(values["apiVersion"][0]), _plain(values["kind"][0])
    else:
        document, ok = load_yaml_or_none(chunk)
        if not ok or not isinstance(document, dict):
            return None
        parsed = document
        api_version, kind = document.get("apiVersion"), document.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not kind:
        return None
    return api_version.rpartition("/")[0], kind, parsed


def _plain(raw: str) -> str | None:
    value = re.sub(r"(?:^|[ \t])#.*$", "", raw).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value or None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- what deploys what --------------------------------------------------------------------------

SourceState = Literal["ours", "other", "absent"]


def finish(
    root: str,
    packages: list[DetectedPackage],
    scan: GitOpsScan,
    repository: GitFacts | None = None,
) -> list[DetectedPackage]:
    """``packages`` (sorted by path) with their ``role`` and ``managed_by`` set."""
    managers: dict[str, set[str]] = {}
    gitops_config: set[str] = set()
    # Objects among test fixtures, docs and examples deploy nothing of the repository.
    scan.documents = [f for f in scan.documents if path_role(f.folder) is None]
    if scan.documents:
        if repository is None:
            from gitops_core.git import git_facts

            repository = git_facts(Path(root))
        resolver = _Resolver(root, packages, scan, repository)
        resolver.run()
        managers = resolver.managers
        gitops_config = resolver.gitops_config()
    installation = set(scan.flux_folders)
    installation.update(f.folder for f in scan.documents if f.kind == "FluxInstance")
    installation.update(_flux_releases(scan.documents))
    result = []
    for package in packages:
        role = path_role(package.path)
        if role is None:
            if package.path in installation:
                role = "flux-installation"
            elif package.path in gitops_config:
                role = "gitops-config"
        managed = tuple(sorted(managers.get(package.path, ())))
        if role is None and not managed:
            result.append(package)
            continue
        result.append(attrs.evolve(package, role=role or "workload", managed_by=managed))
    return result


#: Charts that install Flux itself: the Flux Operator and its FluxInstance (controlplaneio-fluxcd),
#: and the community chart of Flux's controllers (fluxcd-community).
FLUX_CHARTS = frozenset({"flux-operator", "flux-instance", "flux2"})


def _flux_releases(documents: Sequence[Found]) -> Iterator[str]:
    """The folders of HelmReleases that install Flux (one of :data:`FLUX_CHARTS`, by its name in
    ``chart.spec.chart`` or the last segment of the URL of the ``OCIRepository`` its
    ``chartRef`` names): Flux's own installation, as ``flux-system`` is."""
    oci = {(f.name, f.namespace): f for f in documents if f.kind == "OCIRepository"}
    for found in documents:
        if found.kind != "HelmRelease":
            continue
        spec = found.spec
        chart = _text(_mapping(_mapping(spec.get("chart")).get("spec")).get("chart"))
        ref = _mapping(spec.get("chartRef"))
        if not chart and ref.get("kind") == "OCIRepository":
            name, namespace = _text(ref.get("name")), _text(ref.get("namespace")) or found.namespace
            source = oci.get((name, namespace)) or next(
                (f for (n, ns), f in oci.items() if n == name and not (ns and namespace)), None
            )
            if source is not None:
                chart = _text(source.spec.get("url"))
        if chart.rstrip("/").rpartition("/")[2] in FLUX_CHARTS:
            yield found.folder


def _normal(path: object) -> str | None:
    """A path inside a source (``./apps/prod``, ``apps/prod/``, ``/apps``) as ``apps/prod`` (``.``
    for the root), or ``None`` when it is no string or leaves the source."""
    if path is None:
        return "."
    if not isinstance(path, str):
        return None
    text = path.strip().replace("\\", "/").lstrip("/") or "."
    normal = posixpath.normpath(text)
    if normal == ".." or normal.startswith("../"):
        return None
    return normal


def _under(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or below it (both normalised, ``.`` the root)."""
    return folder == "." or path == folder or path.startswith(folder + "/")


_GO_PATH = re.compile(r"\{\{-?\s*\.?path(?:\.path)?\s*-?\}\}")
_GO_BASENAME = re.compile(r"\{\{-?\s*\.?path\.basename(Normalized)?\s*-?\}\}")
_GO_SEGMENT = re.compile(r"\{\{-?\s*(?:\.?path\[(\d+)\]|index\s+\.path\.segments\s+(\d+))\s*-?\}\}")


def _expand(template: str, folder: str) -> str | None:
    """An ApplicationSet template's path for one matched folder, or ``None`` when it says more
    than the folder's path, basename and segments."""
    segments = folder.split("/")
    text = _GO_PATH.sub(lambda _: folder, template)
    text = _GO_BASENAME.sub(
        lambda m: re.sub(r"[^a-z0-9.-]+", "-", segments[-1].lower()) if m[1] else segments[-1],
        text,
    )

    def segment(match: re.Match[str]) -> str:
        index = int(match[1] or match[2])
        return segments[index] if index < len(segments) else "\0"

    text = _GO_SEGMENT.sub(segment, text)
    return None if "{{" in text or "\0" in text else text


def _literal_head(pattern: str) -> str:
    """The text of a glob before its first wildcard."""
    match = re.search(r"[*?\[]", pattern)
    return pattern if match is None else pattern[: match.start()]


def _glob(pattern: str) -> re.Pattern[str]:
    """A Git directories generator's pattern (Go's ``path.Match``: ``*`` within a folder name;
    ``**`` taken across folders)."""
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[index + 1 : end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out) + r"\Z")


class _Resolver:
    def __init__(
        self,
        root: str,
        packages: Sequence[DetectedPackage],
        scan: GitOpsScan,
        facts: GitFacts,
    ) -> None:
        from gitops_core.git import repository_key

        self.key = repository_key
        self.root = os.path.realpath(root)
        top = os.path.realpath(facts.top_level) if facts.top_level is not None else self.root
        inside = self.root == top or self.root.startswith(top.rstrip(os.sep) + os.sep)
        self.top = top if inside else self.root
        self.scan = scan
        self.packages = {package.path: package for package in packages}
        self.paths = sorted(self.packages)
        self.managers: dict[str, set[str]] = {}
        self.keys: set[str] = set()
        if facts.origin_url:
            self.keys.add(repository_key(facts.origin_url))
        self.sources = [f for f in scan.documents if f.kind == "GitRepository"]
        #: The branch checked out, and those the repository's bootstrap source tracks.
        self.branch = facts.branch
        self.bootstrap_branches: set[str] = set()
        self.generators = [f for f in scan.documents if f.kind == "ArtifactGenerator"]
        self._references: dict[str, list[str]] = {}
        #: The scanned folder's path in the repository (``.`` for the top).
        self.prefix = Path(os.path.relpath(self.root, self.top)).as_posix()

    # -- this repository --

    def run(self) -> None:
        documents = self.scan.documents
        for found in documents:
            if found.kind == "GitRepository" and os.path.basename(found.file) == "gotk-sync.yaml":
                self._add_key(found.spec.get("url"))
                self._add_branch(_mapping(found.spec.get("ref")).get("branch"))
            elif found.kind == "FluxInstance":
                sync = _mapping(found.spec.get("sync"))
                self._add_key(sync.get("url"))
                self._add_branch(sync.get("ref"))
        for found in self.sources:
            found.ours = self.ours(found.spec.get("url")) is True and self._this_tree(found)
        for found in documents:
            handler = {
                "Kustomization": self._kustomization,
                "HelmRelease": self._helm_release,
                "Application": self._application,
                "ApplicationSet": self._application_set,
                "FluxInstance": self._flux_instance,
            }.get(found.kind)
            if handler is not None:
                handler(found)
        for found in self.generators:
            found.ours = found.ours or any(
                self._source(_mapping(s).get("kind"), _mapping(s).get("name"),
                             _mapping(s).get("namespace") or found.namespace)[0] == "ours"
                for s in found.spec.get("sources") or ()
            )  # fmt: skip

    def _add_key(self, url: object) -> None:
        if isinstance(url, str) and url.strip():
            self.keys.add(self.key(url))

    def _add_branch(self, ref: object) -> None:
        branch = _branch(ref)
        if branch is not None:
            self.bootstrap_branches.add(branch)

    def _this_tree(self, source: Found) -> bool:
        """Whether a ``GitRepository`` of this repository tracks this checkout's tree.

        A branch is this tree when it is the one checked out or one the repository's bootstrap
        source (``gotk-sync.yaml``, a ``FluxInstance``) tracks: the branches this checkout is,
        or is merged into. Without a bootstrap source, ``main`` and ``master`` (the trunk when
        nothing says otherwise) count too, so that a feature branch still sees what its trunk
        deploys. Any other branch (a tenant's ``dev-team``, an orphan ``gh-pages``) is another
        tree: its paths are not this checkout's folders. Tags, semver ranges and commits are
        snapshots of this repository's history, and no ``ref`` means its default branch: they
        count. So does every branch when no branch is known (no Git, a detached HEAD, and no
        bootstrap source).
        """
        ref = _mapping(source.spec.get("ref"))
        branch = _text(ref.get("branch"))
        name = _text(ref.get("name"))
        if name.startswith("refs/heads/"):
            branch = name.removeprefix("refs/heads/")
        elif name or any(ref.get(key) for key in ("tag", "semver", "commit")):
            return True
        if not branch:
            return True
        known = {b for b in (self.branch, *self.bootstrap_branches) if b}
        if not known:
            return True
        if not self.bootstrap_branches:
            known.update(("main", "master"))
        return branch in known

    def ours(self, url: object) -> bool | None:
        """Whether ``url`` is this repository; ``None`` when that cannot be known."""
        if not isinstance(url, str) or not url.strip():
            return False
        if not self.keys:
            return None
        return self.key(url) in self.keys

    def _source(
        self, kind: object, name: object, namespace: str
    ) -> tuple[SourceState, Found | None]:
        """A Git source by reference: committed and of this repository, committed and of
        another, or not committed here (``absent``)."""
        if (kind or "GitRepository") != "GitRepository" or not isinstance(name, str):
            return "other", None
        candidates = [s for s in self.sources if s.name == name]
        exact = [s for s in candidates if s.namespace == namespace]
        loose = [s for s in candidates if not s.namespace or not namespace]
        if not exact and not loose:
            return "absent", None
        chosen = (exact or loose)[0]
        if not self._this_tree(chosen):
            return "other", chosen  # another branch: another tree, whatever its URL
        ours = self.ours(chosen.spec.get("url"))
        if ours is None:
            return "absent", chosen
        return ("ours" if ours else "other"), chosen

    # -- the objects --

    def _kustomization(self, found: Found) -> None:
        spec = found.spec
        ref = _mapping(spec.get("sourceRef"))
        raw_path = spec.get("path")
        path = _normal(raw_path)
        if path is None or (isinstance(raw_path, str) and "{{" in raw_path):
            return
        namespace = _text(ref.get("namespace")) or found.namespace
        if ref.get("kind") == "ExternalArtifact":
            self._artifact(found, ref.get("name"), namespace, path, chart=False)
            return
        self._git_path(found, ref.get("kind"), ref.get("name"), namespace, path, tree=None)

    def _git_path(
        self,
        found: Found,
        kind: object,
        name: object,
        namespace: str,
        path: str,
        *,
        tree: bool | None,
        files: tuple[str, ...] = (),
    ) -> bool:
        """Deploy ``path`` of a Git source; whether the source is (or may be) this repository."""
        state, source = self._source(kind, name, namespace)
        if state == "other" or (state == "absent" and not self._exists(path)):
            return False
        found.ours = True
        if source is not None:
            source.ours = True
        self._deploy(path, tree=tree, files=(found.file, *files))
        return True

    def _helm_release(self, found: Found) -> None:
        spec = found.spec
        chart_ref = _mapping(spec.get("chartRef"))
        namespace = found.namespace
        if chart_ref.get("kind") == "ExternalArtifact":
            ref_namespace = _text(chart_ref.get("namespace")) or namespace
            self._artifact(found, chart_ref.get("name"), ref_namespace, ".", chart=True)
            return
        chart = _mapping(_mapping(spec.get("chart")).get("spec"))
        ref = _mapping(chart.get("sourceRef"))
        if ref.get("kind") != "GitRepository":
            return
        path = _normal(chart.get("chart"))
        if path is not None:
            ref_namespace = _text(ref.get("namespace")) or namespace
            self._git_path(found, "GitRepository", ref.get("name"), ref_namespace, path, tree=False)

    def _flux_instance(self, found: Found) -> None:
        found.ours = True
        sync = _mapping(found.spec.get("sync"))
        path = _normal(sync.get("path"))
        git = (sync.get("kind") or "GitRepository") == "GitRepository"
        if git and path is not None and self.ours(sync.get("url")) is not False:
            self._deploy(path, tree=None, files=(found.file,))

    def _application(self, found: Found) -> None:
        spec = found.spec
        sources = spec.get("sources") if isinstance(spec.get("sources"), list) else None
        for source in sources or [spec.get("source")]:
            self._argo_source(found, _mapping(source), None)

    def _argo_source(self, found: Found, source: Mapping[str, Any], folder: str | None) -> None:
        raw_path = source.get("path")
        if source.get("chart") or not isinstance(raw_path, str):
            return
        if folder is None and "{{" in raw_path:
            # A chart template's expression: no literal path, yet this repository's source.
            found.ours = found.ours or self.ours(source.get("repoURL")) is True
            return
        if folder is not None:
            expanded = _expand(raw_path, folder)
            if expanded is None:
                return
            raw_path = expanded
        path = _normal(raw_path)
        url = source.get("repoURL")
        ours = None if isinstance(url, str) and "{{" in url else self.ours(url)
        if path is None or ours is False or (ours is None and not self._exists(path)):
            return
        found.ours = True
        directory = _mapping(source.get("directory"))
        recurse = directory.get("recurse") is True
        self._deploy(path, tree=recurse, files=(found.file,), flux=False)

    def _application_set(self, found: Found) -> None:
        spec = found.spec
        template = _mapping(_mapping(spec.get("template")).get("spec"))
        sources = template.get("sources") if isinstance(template.get("sources"), list) else None
        template_sources = [_mapping(s) for s in sources or [template.get("source")]]
        prefix = self.prefix
        folders = [
            folder if prefix == "." else (prefix if folder == "." else f"{prefix}/{folder}")
            for folder in self.scan.folders
        ]
        for generator in _git_generators(spec.get("generators")):
            if self.ours(generator.get("repoURL")) is False:
                continue
            entries = [_mapping(d) for d in generator.get("directories") or ()]
            patterns = [
                (_glob(str(d["path"])), bool(d.get("exclude"))) for d in entries if d.get("path")
            ]
            include = [pattern for pattern, excluded in patterns if not excluded]
            exclude = [pattern for pattern, excluded in patterns if excluded]
            # Most folders are ruled out by the text before a pattern's first wildcard.
            heads = tuple(_literal_head(str(d["path"])) for d in entries if d.get("path"))
            candidates = [f for f in folders if f.startswith(heads)]
            for folder in sorted(f for f in candidates if any(p.match(f) for p in include)):
                if folder == ".":
                    continue
                if any(p.match(folder) for p in exclude):
                    continue
                for source in template_sources:
                    if isinstance(source.get("repoURL"), str) and "{{" in source["repoURL"]:
                        source = {**source, "repoURL": generator.get("repoURL")}
                    self._argo_source(found, source, folder)

    def _artifact(
        self, found: Found, name: object, namespace: str, path: str, *, chart: bool
    ) -> None:
        """Deploy ``path`` of the ExternalArtifact ``name`` through its ArtifactGenerator."""
        if not isinstance(name, str):
            return
        for generator in self.generators:
            if generator.namespace and namespace and generator.namespace != namespace:
                continue
            aliases = {
                _text(_mapping(s).get("alias")): _mapping(s)
                for s in generator.spec.get("sources") or ()
            }
            for artifact in generator.spec.get("artifacts") or ():
                artifact = _mapping(artifact)
                captures = _captures(artifact.get("name"), name)
                if captures is None:
                    continue
                for copy in artifact.get("copy") or ():
                    self._copy(found, generator, aliases, _mapping(copy), captures, path, chart)

    def _copy(
        self,
        found: Found,
        generator: Found,
        aliases: Mapping[str, Mapping[str, Any]],
        copy: Mapping[str, Any],
        captures: Mapping[str, str],
        path: str,
        chart: bool,
    ) -> None:
        source, destination = copy.get("from"), copy.get("to")
        if not isinstance(source, str) or not isinstance(destination, str):
            return
        source, destination = _fill(source, captures), _fill(destination, captures)
        alias, _, pattern = source.removeprefix("@").partition("/")
        if (
            not source.startswith("@")
            or alias not in aliases
            or not destination.startswith("@artifact")
        ):
            return
        ref = aliases[alias]
        namespace = _text(ref.get("namespace")) or generator.namespace
        literal: list[str] = []
        for segment in pattern.split("/"):
            if any(char in segment for char in "*?[{"):
                break
            literal.append(segment)
        origin = _normal("/".join(literal))
        target = _normal(destination.removeprefix("@artifact"))
        if origin is None or target is None:
            return
        whole = len(literal) < len(pattern.split("/"))  # a glob: the folder's contents
        if not whole and not self._is_dir(origin):
            # One file: it lands at the destination (a folder when that ends with "/").
            origin = posixpath.dirname(origin) or "."
            target = target if destination.endswith("/") else posixpath.dirname(target) or "."
            if _under(target, path):
                self._via(found, generator, ref, namespace, origin, tree=False)
            return
        if _under(path, target):
            inner = posixpath.normpath(posixpath.join(origin, posixpath.relpath(path, target)))
            self._via(found, generator, ref, namespace, inner, tree=False if chart else None)
        elif _under(target, path):
            self._via(found, generator, ref, namespace, origin, tree=True)

    def _via(
        self,
        found: Found,
        generator: Found,
        ref: Mapping[str, Any],
        namespace: str,
        path: str,
        *,
        tree: bool | None,
    ) -> None:
        kind, name = ref.get("kind"), ref.get("name")
        files = (generator.file,)
        if self._git_path(found, kind, name, namespace, path, tree=tree, files=files):
            generator.ours = True

    # -- paths --

    def _local(self, path: str) -> str | None:
        """A path of the repository as a path under the scanned folder (``None`` outside)."""
        prefix = self.prefix
        if prefix == ".":
            return path
        if _under(path, prefix):
            return "." if path == prefix else path[len(prefix) + 1 :]
        return None

    def _exists(self, path: str) -> bool:
        return os.path.isdir(os.path.join(self.top, path))

    def _is_dir(self, path: str) -> bool:
        local = self._local(path)
        return (local is not None and local in self.scan.folders) or self._exists(path)

    def _has_kustomization(self, local: str) -> bool:
        if local in self.scan.folders:
            return local in self.scan.kustomize_folders
        folder = os.path.join(self.root, local)
        return any(os.path.isfile(os.path.join(folder, name)) for name in KUSTOMIZATION_FILES)

    def _deploy(
        self, path: str, *, tree: bool | None, files: Iterable[str], flux: bool = True
    ) -> None:
        """``path`` (in the repository) is deployed by ``files``: that package, or with
        ``tree`` every package below it (``None``: Flux's rule, a tree when the folder has no
        kustomization). Flux applies a tree as kustomize would its generated kustomization: a
        sub-folder with a kustomization is built as such and not descended into; Argo CD's
        ``directory.recurse`` (``flux=False``) reads every file below."""
        files = tuple(files)
        local = self._local(path)
        if local is None:
            # A folder above the scanned one, applied whole, deploys everything here (but what
            # a kustomization between them keeps for itself).
            whole = tree or (tree is None and not self._has_kustomization_above(path))
            if _under(self.prefix, path) and whole:
                self._manage(self._tree(".", flux, above=True), files)
            return
        if tree is None:
            tree = not self._has_kustomization(local)
        if tree:
            self._manage(self._tree(local, flux), files)
        elif local in self.packages:
            self._manage([local], files)
        elif self._has_kustomization(local):
            self._built_by(local, files)

    def _tree(self, local: str, flux: bool, *, above: bool = False) -> list[str]:
        """The packages a tree at ``local`` deploys (``above``: the tree's top is above the
        scanned folder, which is then one of the folders between it and the packages)."""
        start = bisect.bisect_left(self.paths, local)
        end = bisect.bisect_left(self.paths, local + "0") if local != "." else len(self.paths)
        below = [p for p in self.paths[start:end] if _under(p, local)]
        if not flux:
            return below
        kept = []
        for path in below:
            if path == local:
                kept.append(path)
                continue
            parts = (path if local == "." else path[len(local) + 1 :]).split("/")
            base = "" if local == "." else local + "/"
            # A folder with a kustomization between the top and the package is built as such,
            # and Flux does not look below it.
            between = [base + "/".join(parts[:i]) for i in range(1, len(parts))]
            if above:
                between.append(".")
            if not any(folder in self.scan.kustomize_folders for folder in between):
                kept.append(path)
        return kept

    def _has_kustomization_above(self, path: str) -> bool:
        folder = os.path.join(self.top, path)
        return any(os.path.isfile(os.path.join(folder, name)) for name in KUSTOMIZATION_FILES)

    def _manage(self, paths: Iterable[str], files: tuple[str, ...]) -> None:
        for path in paths:
            known = self.managers.setdefault(path, set())
            new = not known.issuperset(files)
            known.update(files)
            if new and self.packages[path].type == "kustomize":
                self._built_by(path, files)

    def _built_by(self, folder: str, files: tuple[str, ...]) -> None:
        """What the kustomization in ``folder`` builds is deployed with it."""
        for target in self._built(folder):
            if target in self.packages:
                self._manage([target], files)
            elif target in self.scan.folders:
                if target in self.scan.kustomize_folders and target not in self._references:
                    self._built_by(target, files)  # a Component, listed by no package
            elif not self._renames(folder):
                # A file: its folder's package, unless the kustomization deploys it renamed.
                parent = posixpath.dirname(target) or "."
                if parent in self.packages and self.packages[parent].type == "raw-manifests":
                    self._manage([parent], files)

    def _renames(self, folder: str) -> bool:
        text = self.scan.kustomizations.get(folder)
        if text is None:
            text = kustomization_text(os.path.join(self.root, folder)) or ""
        return renames(text)

    def _built(self, folder: str) -> list[str]:
        if folder not in self._references:
            self._references[folder] = []  # (a cycle ends here)
            text = self.scan.kustomizations.get(folder)
            if text is not None:
                entries = parse_references(text).entries
            else:
                entries = local_references(os.path.join(self.root, folder)).entries
            self._references[folder] = resolve(folder, entries)
        return self._references[folder]

    # -- roles --

    def gitops_config(self) -> set[str]:
        """Folders of plain manifests whose every Flux and Argo CD object concerns this
        repository."""
        by_folder: dict[str, list[Found]] = {}
        for found in self.scan.documents:
            by_folder.setdefault(found.folder, []).append(found)
        return {
            folder
            for folder in self.scan.gitops_only
            if by_folder.get(folder) and all(f.ours for f in by_folder[folder])
        }


def _branch(ref: object) -> str | None:
    """The branch a ref names (``main``, ``refs/heads/main``), or ``None`` for a tag, a commit or
    no ref."""
    text = _text(ref)
    if not text or text.startswith(("refs/tags/", "refs/pull/", "refs/merge-requests/")):
        return None
    return text.removeprefix("refs/heads/")


def _git_generators(generators: object) -> Iterator[Mapping[str, Any]]:
    """The Git directories generators of an ApplicationSet, also inside matrix and merge."""
    for generator in generators if isinstance(generators, list) else ():
        generator = _mapping(generator)
        git = _mapping(generator.get("git"))
        if git:
            yield git
        for nested in ("matrix", "merge"):
            yield from _git_generators(_mapping(generator.get(nested)).get("generators"))


_CAPTURE = re.compile(r"\{(\w+)\}")


def _captures(pattern: object, name: str) -> dict[str, str] | None:
    """The ``{capture}`` values that make an artifact name ``pattern`` equal ``name``."""
    if not isinstance(pattern, str):
        return None
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
        for index, part in enumerate(_CAPTURE.split(pattern))
    )
    try:
        match = re.fullmatch(regex, name)
    except re.error:  # a capture used twice
        return None
    return None if match is None else match.groupdict()


def _fill(text: str, captures: Mapping[str, str]) -> str:
    return _CAPTURE.sub(lambda m: captures.get(m[1], m[0]), text)
