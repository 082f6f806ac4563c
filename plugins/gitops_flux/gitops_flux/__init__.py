"""The Flux provider: a GitRepository plus a HelmRelease (charts) or a Kustomization.

Mostly data (``questions.yaml``, ``manifests.yaml``); the functions below say what templates
cannot: Flux's URL and ref rules, the objects' names, which source to use, and where objects
go (``docs/manifests.md`` says why each default is what it is).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

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
#: Where `flux install` and `flux bootstrap` put Flux, whatever the fluxNamespace answer says.
FLUX_NAMESPACE = "flux-system"
#: A GitRepository's ref fields, the one that takes precedence first (source-controller API).
_REF_PRECEDENCE = ("commit", "name", "semver", "tag", "branch")
HELM_RELEASE_NAME_MAX = 53
#: The Secret name Flux's SOPS guide uses for the age key (and home-ops, flux2 examples...).
SOPS_SECRET = "sops-age"
#: Files listed in a note before "and N more".
_SHOWN = 5
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
    if context.config.provider.get("secretRef") or not own_source(context):
        return url  # credentials given, or no GitRepository of its own to authenticate
    namespace = context.answer("fluxNamespace")
    ssh = url.startswith("ssh://")
    known = next(
        (
            source
            for source in _sources(context)
            if source.get("secretRef")
            and source["namespace"] == namespace
            and str(source["url"]).startswith("ssh://") == ssh
        ),
        None,
    )
    if known is not None:
        context.note(
            f"the GitRepository {_where(known)} clones this repository with the Secret "
            f"{known['secretRef']}: answer secretRef={known['secretRef']} to use it here too"
        )
    elif ssh:
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


def tracked_ref(ref: Mapping[str, Value]) -> dict[str, str]:
    """The ref a committed GitRepository follows, in the form :func:`git_ref` writes: its field
    that takes precedence (commit, name, semver, tag, branch), ``refs/heads/X`` and
    ``refs/tags/X`` names as the branch or tag; ``branch: master`` when it gives none (Flux's
    default)."""
    for key in _REF_PRECEDENCE:
        value = str(ref.get(key) or "")
        if not value:
            continue
        for prefix, kind in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
            if key == "name" and value.startswith(prefix) and len(value) > len(prefix):
                return {kind: value[len(prefix) :]}
        return {key: value.lower() if key == "commit" else value}
    return {"branch": "master"}


def _shown_ref(ref: Mapping[str, Value]) -> str:
    return ", ".join(f"{key} {value}" for key, value in ref.items())


def _sources(context: Context) -> list[dict[str, Value]]:
    """Committed GitRepositories of this repository: in the Flux namespace first, then named
    after their namespace (``flux bootstrap``'s flux-system), then by name and file."""
    namespace = context.answer("fluxNamespace")
    return sorted(
        (dict(source) for source in context.config.facts.get("gitRepositories", ())),
        key=lambda s: (
            s["namespace"] != namespace,
            s["name"] != s["namespace"],
            s["name"],
            s["file"],
        ),
    )


def _where(source: Mapping[str, Value]) -> str:
    return f"{source['namespace'] or '(no namespace)'}/{source['name']} ({source['file']})"


def committed_source(context: Context) -> dict[str, Value] | None:
    """A GitRepository committed in the repository for the same repository (``flux
    bootstrap``'s flux-system), used instead of a second one when it follows the very ref
    targetRevision resolves to and lives in the Flux namespace, beside the objects that
    reference it. A source in another namespace is not used: on a multi-tenant cluster
    (``--no-cross-namespace-refs``) Flux refuses the reference, and such a source is a tenant's,
    whose ref and credentials are its owner's to change."""
    sources = _sources(context)
    if not sources:
        return None
    wanted = git_ref(context)
    namespace = context.answer("fluxNamespace")
    for source in sources:
        if source["namespace"] == namespace and tracked_ref(source.get("ref") or {}) == wanted:
            context.note(
                f"uses the GitRepository {_where(source)} committed in the repository, not a "
                "second one"
            )
            return source
    # Say why the closest one is not used: one on this ref elsewhere, else the first.
    source = next((s for s in sources if tracked_ref(s.get("ref") or {}) == wanted), sources[0])
    tracked = tracked_ref(source.get("ref") or {})
    if tracked != wanted:
        why = f"tracks {_shown_ref(tracked)}, not {_shown_ref(wanted)} (targetRevision)"
    else:
        why = (
            f"is in the namespace {source['namespace'] or '(none given)'}, not {namespace} "
            "(fluxNamespace): a reference across namespaces is refused on multi-tenant clusters"
        )
    context.note(
        f"the repository's GitRepository {_where(source)} {why}; a GitRepository of its own "
        "is written"
    )
    return None


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


def _owned_namespaces(context: Context) -> set[str]:
    """Namespaces the cluster or Flux owns (``flux-system`` whatever fluxNamespace says)."""
    return {*CLUSTER_NAMESPACES, FLUX_NAMESPACE, str(context.answer("fluxNamespace"))}


def _refuse_owned_rename(context: Context, namespace: str) -> None:
    """Refuse a ``targetNamespace`` that renames a Namespace object of the package that the
    cluster or Flux owns: kustomize's namespace transformer renames Namespace objects too, and
    renaming ``flux-system`` has terminated Flux (fluxcd/flux2#4570)."""
    facts = context.config.facts
    owned = _owned_namespaces(context)
    renamed = [
        ns
        for ns in facts.get("namespaceObjects", ())
        if ns != namespace and (ns in owned or str(ns).startswith("kube-"))
    ]
    if not renamed:
        return
    path = context.config.package.path
    if facts.get("unnamespaced", True):
        instead = (
            "give its objects that have none a metadata.namespace of their own (a "
            "kustomization's namespace: renames Namespace objects too)"
        )
    else:
        instead = "leave destinationNamespace out so that its objects keep their own namespaces"
    if context.bundle is not None:
        instead += f", or leave the package out of the set (--exclude {path})"
    raise UsageError(
        f"destinationNamespace: targetNamespace {namespace} would rename {path}'s Namespace "
        f"{', '.join(map(str, renamed))}, which the cluster or Flux owns, to {namespace} "
        f"(renaming flux-system has terminated Flux: fluxcd/flux2#4570); {instead}"
    )


def target_namespace(context: Context) -> str | None:
    """A Kustomization's ``targetNamespace``: only where the package leaves namespaced objects
    without a namespace, or the user asks; it moves every object of the package, and renames
    its Namespace objects, so a note says so when that is what an answer does, and it is
    refused when it would rename a namespace the cluster or Flux owns."""
    facts = context.config.facts
    namespace = context.config.shared.get("destinationNamespace")
    if namespace is None:
        return None
    if facts.get("unnamespaced", True):
        _refuse_owned_rename(context, str(namespace))
        return str(namespace)
    if "destinationNamespace" not in context.config.given:
        return None  # the package's own namespace: leave its objects where they say
    _refuse_owned_rename(context, str(namespace))
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


def _files(files: object) -> str:
    shown = [str(file) for file in files] if isinstance(files, (list, tuple)) else []
    more = len(shown) - _SHOWN
    return ", ".join(shown[:_SHOWN]) + (f" and {more} more" if more > 0 else "")


def kustomization_path(context: Context) -> str:
    """The Kustomization's ``spec.path``; notes what kustomize-controller cannot build there:
    YAML that is no Kubernetes object (the kustomization.yaml Flux generates for a plain
    folder lists every YAML file: ``missing Resource metadata``) and objects named only by
    ``generateName`` (``missing metadata.name``: Argo CD hooks). Either fails every
    reconciliation with nothing applied, so the manifest is still written, with the note."""
    facts = context.config.facts
    if facts.get("notObjects"):
        context.note(
            f"{_files(facts['notObjects'])} holds YAML that is no Kubernetes object (no "
            "apiVersion or kind): Flux's kustomize build of the package fails on it (missing "
            "Resource metadata) and applies nothing; move it out of the package, or add a "
            "kustomization.yaml that lists only the manifests"
        )
    if facts.get("generateName"):
        context.note(
            f"{_files(facts['generateName'])} holds objects named only by metadata.generateName "
            "(Argo CD or Helm hooks): kustomize cannot build them (missing metadata.name), so "
            "the Kustomization fails and applies nothing; give them a metadata.name (Flux has "
            "no hook phases: order with dependsOn, rerun a Job with the annotation "
            "kustomize.toolkit.fluxcd.io/force: enabled) or deploy the package with Argo CD"
        )
    return source_path(context)


def decryption(context: Context) -> dict[str, Value] | None:
    """``spec.decryption`` for a package holding SOPS-encrypted files (without it Flux applies
    the ciphertext): ``provider: sops`` with the Secret ``decryptionSecret`` names, else the one
    a committed Flux Kustomization of the repository decrypts with (in the Flux namespace
    first), else ``sops-age`` (Flux's guide)."""
    facts = context.config.facts
    if not facts.get("sopsFiles"):
        return None
    namespace = str(context.answer("fluxNamespace"))
    given = context.config.provider.get("decryptionSecret")
    if given:
        name, why = str(given), "decryptionSecret"
    else:
        committed = sorted(
            (dict(found) for found in facts.get("decryptionSecrets", ())),
            key=lambda found: (found["namespace"] != namespace, found["namespace"] != ""),
        )
        if committed:
            name = str(committed[0]["name"])
            why = f"as {committed[0]['file']} does; answer decryptionSecret for another"
        else:
            name, why = SOPS_SECRET, "Flux's convention; answer decryptionSecret for another"
    context.note(
        f"{_files(facts['sopsFiles'])} is SOPS-encrypted: spec.decryption decrypts it with the "
        f"Secret {name} ({why}), which must exist in the namespace {namespace} (for an age key: "
        f"kubectl create secret generic {name} --namespace={namespace} "
        "--from-file=age.agekey=KEYFILE)"
    )
    return {"provider": "sops", "secretRef": {"name": name}}


def post_build(context: Context) -> None:
    """``spec.postBuild`` is never written (its values are the user's), but the ``${VAR}``
    names the package uses are noted: Flux replaces them only from ``postBuild.substitute`` or
    ``substituteFrom``, and applies them as written otherwise."""
    variables = context.config.facts.get("variables")
    if variables:
        context.note(
            f"the package uses the variables {_files(variables)}: Flux substitutes them only "
            "when spec.postBuild.substitute or substituteFrom (a ConfigMap or Secret) gives "
            "them values, and applies them literally otherwise; add one to the Kustomization"
        )
    return None


def namespace_document(context: Context) -> bool:
    """Whether to write a Namespace for the target namespace: asked for, and not one the cluster
    or Flux owns (``flux-system`` whatever fluxNamespace says, and fluxNamespace), where Flux's
    garbage collection could delete it, nor one the package declares, nor one the repository
    commits elsewhere (a second owner of it: a note says so)."""
    namespace = context.config.shared.get("destinationNamespace")
    if not namespace or not context.config.provider.get("createNamespace"):
        return False
    facts = context.config.facts
    owned = {*CLUSTER_NAMESPACES, FLUX_NAMESPACE, context.answer("fluxNamespace")}
    if namespace in owned or namespace in facts.get("namespaceObjects", ()):
        return False
    files = sorted(
        {str(n["file"]) for n in facts.get("committedNamespaces", ()) if n["name"] == namespace}
    )
    if files:
        context.note(
            f"no Namespace document for {namespace}: the repository commits one "
            f"({', '.join(files)}); deploy that one, as a second owner would delete it, and "
            "everything in it, when it prunes"
        )
        return False
    return True


def prune(context: Context) -> bool:
    """``spec.prune``, the answer; refused for Flux's own installation when not given on
    purpose: the Kustomization would be a second owner of Flux's CRDs and controllers, and
    deleting it would uninstall Flux (garbage collection deletes what it applied)."""
    chosen = bool(context.answer("prune"))
    package = context.config.package
    if (
        chosen
        and package.role == "flux-installation"
        and context.bundle is None  # generate --all deploys it only when told to include it
        and "prune" not in context.config.given
    ):
        by = (
            f", which {', '.join(package.managed_by)} applies already" if package.managed_by else ""
        )
        raise UsageError(
            f"prune: {package.path} is Flux's own installation{by}; a Kustomization over it "
            "with prune: true uninstalls Flux when it is deleted. Answer prune=false for one "
            "that never deletes, or prune=true if that is what you mean"
        )
    return chosen


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
        "ownSource": own_source,
        "targetNamespace": target_namespace,
        "kustomizationPath": kustomization_path,
        "decryption": decryption,
        "postBuild": post_build,
        "namespaceDocument": namespace_document,
        "releaseName": release_name,
        "prune": prune,
        "valuesFiles": values_files,
        "bundlePath": bundle_path,
        "gitUrl": git_url,
        "gitRef": git_ref,
        "sourcePath": source_path,
    },
    schemas="flux",
)
