"""The Flux provider: a GitRepository plus a HelmRelease (charts) or a Kustomization.

Mostly data (``questions.yaml``, ``manifests.yaml``); the functions below say what templates
cannot: Flux's URL and ref rules, the objects' names, which source to use, and where objects
go (``docs/manifests.md`` says why each default is what it is).
"""

from __future__ import annotations

import re

from gitops_core.declarative import Context, DeclarativeProvider, object_name, to_dns1123_label
from gitops_core.errors import UsageError
from gitops_core.models import Value

_SCP_LIKE = re.compile(r"(?P<user>[^@/:\s]+@)?(?P<host>[^@/:\s]+):(?P<path>[^\s]+)\Z")
_SHA = re.compile(r"[0-9a-fA-F]{40}\Z")
_SHORT_SHA = re.compile(r"[0-9a-fA-F]{7,39}\Z")
#: A version that names one release (v1.2.3, 1.2.3-rc.1): a tag, never a branch.
_EXACT_VERSION = re.compile(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?\Z")
#: Namespaces the cluster owns: a Namespace document for one would hand it to Flux's pruning.
CLUSTER_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
HELM_RELEASE_NAME_MAX = 53
_VERSION = r"v?(?:\d+|[xX*])(?:\.(?:\d+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
_OPERATOR = r"(?:\^|~>|~|>=|<=|>|<|!=|=)"
_TERM = rf"{_OPERATOR}?\s*{_VERSION}"
_CONSTRAINT = re.compile(rf"\s*{_TERM}(?:(?:\s*,\s*|\s*\|\|\s*|\s+-\s+|\s+){_TERM})*\s*\Z")


def git_url(context: Context) -> str:
    """Flux clones only http(s):// and ssh:// URLs: scp-like ``git@host:org/repo`` becomes ssh://.

    An ssh:// URL needs a Secret with the key; without the ``secretRef`` answer, say how to
    make one (as ``flux create source git --export`` leaves it to ``flux create secret git``).
    """
    url = str(context.answer("gitRepoUrl"))
    match = _SCP_LIKE.match(url)
    if "://" not in url and match is not None:
        converted = f"ssh://{match['user'] or ''}{match['host']}/{match['path'].lstrip('/')}"
        context.note(f"Flux needs ssh:// URLs; {url} is written as {converted}")
        url = converted
    if url.startswith("ssh://") and not context.config.provider.get("secretRef"):
        namespace = context.answer("fluxNamespace")
        context.note(
            f"Flux clones {url} with an SSH key from a Secret: create one with `flux create "
            f"secret git NAME --namespace={namespace} --url={url} --private-key-file=KEY` "
            "and answer secretRef with its NAME"
        )
    return url


def is_semver_range(revision: str) -> bool:
    """A Masterminds semver constraint with an operator, wildcard, or range (not a bare version)."""
    if not _CONSTRAINT.match(revision):
        return False
    if re.search(_OPERATOR, revision) or "||" in revision or " - " in revision:
        return True
    return any(part in {"x", "X", "*"} for part in re.split(r"[.\s,v-]", revision))


def git_ref(context: Context) -> dict[str, Value]:
    """``spec.ref`` from targetRevision, first match wins: a full SHA is a commit; ``refs/heads/``
    and ``refs/tags/`` force a branch or tag, other ``refs/`` are names; a tag of the checkout
    is a tag; a short SHA of a commit of the checkout is that commit (in full); ``HEAD`` is the
    checkout's branch; an exact version is a tag (CI clones often have no tags); a semver
    constraint is semver; anything else is a branch."""
    facts = context.config.facts
    revision = str(context.answer("targetRevision"))
    if _SHA.match(revision):
        return {"commit": revision.lower()}
    for prefix, key in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
        if revision.startswith(prefix) and len(revision) > len(prefix):
            return {key: revision[len(prefix) :]}
    if revision.startswith("refs/"):
        return {"name": revision}
    if revision in facts.get("tags", ()):
        return {"tag": revision}
    if revision in facts.get("branches", ()):
        return {"branch": revision}
    if _SHORT_SHA.match(revision):
        commit = facts.get("commit")
        if not commit:
            raise UsageError(
                f"targetRevision: {revision!r} looks like a short commit SHA, but no commit of "
                "the checkout starts with it, and Flux needs the full SHA; give all 40 digits"
            )
        return {"commit": str(commit)}
    if revision == "HEAD":
        branch = facts.get("branch")
        if not branch:
            raise UsageError(
                "targetRevision: HEAD, but the checkout is not on a branch (a detached HEAD), and "
                "Flux tracks a branch, tag or commit; name one"
            )
        return {"branch": str(branch)}
    if _EXACT_VERSION.match(revision):
        return {"tag": revision}
    if is_semver_range(revision):
        return {"semver": revision}
    return {"branch": revision}


def committed_source(context: Context) -> dict[str, Value] | None:
    """A GitRepository committed in the repository for the same repository (``flux bootstrap``'s
    flux-system), to be used instead of a second one: unless targetRevision was given and
    that source tracks another ref."""
    sources = sorted(
        context.config.facts.get("gitRepositories", ()),
        key=lambda s: (s["namespace"] != context.answer("fluxNamespace"), s["name"], s["file"]),
    )
    if not sources:
        return None
    source = sources[0]
    where = f"{source['namespace']}/{source['name']} ({source['file']})"
    if "targetRevision" in context.config.given:
        context.note(
            f"the repository already has the GitRepository {where}; a GitRepository of its own "
            "is written because targetRevision was given"
        )
        return None
    context.note(f"uses the GitRepository {where} committed in the repository, not a second one")
    return dict(source)


def own_source(context: Context) -> bool:
    return committed_source(context) is None


def source_name(context: Context) -> str:
    """The GitRepository's name: a committed one's, the package's own, or with --all the set's."""
    source = committed_source(context)
    if source is not None:
        return str(source["name"])
    if context.bundle is not None:
        return context.bundle.source
    return object_name(context, "resourceName")


def source_namespace(context: Context) -> str | None:
    """``sourceRef.namespace``, when a committed source lives outside the Flux namespace."""
    source = committed_source(context)
    if source is None or source["namespace"] in ("", context.answer("fluxNamespace")):
        return None
    return str(source["namespace"])


def target_namespace(context: Context) -> str | None:
    """A Kustomization's ``targetNamespace``: only where the package leaves namespaced objects
    without a namespace, or the user asks; it moves every object of the package, and renames
    its Namespace objects, so a note says so when that is what an answer does."""
    facts = context.config.facts
    namespace = context.config.shared.get("destinationNamespace")
    if namespace is None:
        return None
    if facts.get("unnamespaced", True):
        return str(namespace)
    if "destinationNamespace" not in context.config.given:
        return None  # the package's own namespace: leave its objects where they say
    moved = [ns for ns in facts.get("namespaces", ()) if ns != namespace]
    renamed = [ns for ns in facts.get("namespaceObjects", ()) if ns != namespace]
    if moved:
        context.note(
            f"targetNamespace {namespace} moves objects that declare the namespace "
            f"{', '.join(moved)} into {namespace}"
        )
    if renamed:
        context.note(
            f"targetNamespace {namespace} renames the package's Namespace "
            f"{', '.join(renamed)} to {namespace}"
        )
    return str(namespace)


def namespace_document(context: Context) -> bool:
    """Whether to write a Namespace for the target namespace: asked for, and not one the cluster
    or Flux owns (Flux's garbage collection could delete it) nor one the package declares."""
    namespace = context.config.shared.get("destinationNamespace")
    if not namespace or not context.config.provider.get("createNamespace"):
        return False
    owned = {*CLUSTER_NAMESPACES, context.answer("fluxNamespace")}
    return namespace not in owned and namespace not in context.config.facts.get(
        "namespaceObjects", ()
    )


def release_name(context: Context) -> str:
    """``spec.releaseName``: the HelmRelease's name (the chart's, unless it had to differ), so
    that Flux does not prefix it with the target namespace; Helm allows 53 characters."""
    name = object_name(context, "resourceName")
    release = to_dns1123_label(name, HELM_RELEASE_NAME_MAX)
    if release != name:
        context.note(f"Helm release name {release!r}: Helm allows at most 53 characters")
    return release


def values_files(context: Context) -> list[str] | None:
    """``chart.spec.valuesFiles``: Flux reads them from the source's root and, given a list,
    no longer reads the chart's ``values.yaml`` by itself, so that comes first."""
    chosen = list(context.config.shared.get("valueFiles") or ())
    if not chosen:
        return None
    package = context.config.package
    if "values.yaml" in package.files and "values.yaml" not in chosen:
        chosen.insert(0, "values.yaml")
    folder = context.config.shared["gitRepoPath"]
    return [file if folder == "." else f"{folder}/{file}" for file in chosen]


def source_path(context: Context) -> str:
    """The package path as Flux and kustomize write it: ``./charts/app``, ``./`` for the root."""
    return _flux_style(context.config.shared["gitRepoPath"])


def bundle_path(context: Context) -> str | None:
    """The ``--all`` output folder as Flux and kustomize write paths; None outside ``--all``."""
    return None if context.bundle is None else _flux_style(context.bundle.folder)


def _flux_style(path: str) -> str:
    return "./" if path == "." else f"./{path}"


provider = DeclarativeProvider(
    "gitops_flux",
    functions={
        "name": lambda context: object_name(context, "resourceName"),
        "sourceName": source_name,
        "sourceNamespace": source_namespace,
        "ownSource": own_source,
        "targetNamespace": target_namespace,
        "namespaceDocument": namespace_document,
        "releaseName": release_name,
        "valuesFiles": values_files,
        "bundlePath": bundle_path,
        "gitUrl": git_url,
        "gitRef": git_ref,
        "sourcePath": source_path,
    },
    schemas="flux",
)
