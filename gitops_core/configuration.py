"""The configure stage: every question answered (given answers over defaults) for one package.

Defaults come from the provider's conventions, the package itself (the namespace its objects
declare) and the local checkout (origin, the package's path from the top level, the current
branch); what the user gives wins. Answers that name something in the checkout (the package's
path, the chart's value files) are checked against it. The result is the
:class:`~gitops_core.models.GitOpsConfig` a provider generates from; its ``facts`` carry what
the provider may need from the repository (see :func:`prepare`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from gitops_core.checks import to_dns1123_label
from gitops_core.detection import detect
from gitops_core.detection.contents import PackageContents, package_contents
from gitops_core.errors import AnswerError, MissingAnswersError, UsageError
from gitops_core.git import (
    COMMITTED_OBJECTS,
    GitFacts,
    committed_files,
    git_facts,
    repository_key,
    resolve_commit,
)
from gitops_core.models import DetectedPackage, GitOpsConfig, Option, Question, Value
from gitops_core.naming import object_names
from gitops_core.plugins import Provider
from gitops_core.questions import coerce_answer, resolve_answers, shared_questions, show_answer
from gitops_core.yamlio import InvalidYAML, safe_load_all

__all__ = [
    "Preparation",
    "configure",
    "default_answers",
    "prepare",
    "question_list",
    "repository_names",
]

_SHORT_SHA = re.compile(r"[0-9a-fA-F]{7,39}\Z")
#: A committed file holding GitRepository objects is small; a bigger one is not read.
_MAX_SOURCE_FILE = 1 << 20
_KIND = re.compile(r"^kind:[ \t]*(GitRepository|Namespace|FluxInstance)[ \t]*(#.*)?$", re.M)


@attrs.frozen(kw_only=True)
class Preparation:
    """What is known of a package before any answer: its questions (``required`` as this
    package needs), the defaults, what to offer for some answers, and the facts a provider may
    use.

    ``facts``: ``tags``, ``branches`` and ``branch`` of the checkout; ``namespaces`` its
    namespaced objects carry, ``unnamespaced`` (some carry none), ``namespaceObjects`` (its
    Namespace objects), ``nestedPackages`` (folders below it holding a package of their own);
    files of it, relative to the scanned folder: ``notObjects`` (YAML that is no Kubernetes
    object), ``sopsFiles`` (SOPS-encrypted), ``generateName`` (objects named only by
    ``metadata.generateName``); ``variables``: the ``${VAR}`` names its manifests use;
    ``objectName`` when its name is shared by another package of the repository (the name
    derived from its path); ``gitRepositories``: committed ``GitRepository`` objects
    (``name``, ``namespace``, ``url``, ``ref``, ``secretRef``, ``file``) of the same repository
    as ``gitRepoUrl`` once known, a committed ``FluxInstance``'s ``spec.sync`` among them (the
    ``flux-system`` source the Flux Operator makes of it); ``committedNamespaces``: the
    ``Namespace`` objects (``name``, ``file``) committed anywhere in the checkout;
    ``decryptionSecrets``, only for a package with SOPS files: the ``spec.decryption`` Secrets
    (``name``, ``namespace``, ``file``) of the Flux Kustomizations committed in the checkout,
    those they patch into their children included.
    """

    questions: tuple[Question, ...]
    defaults: dict[str, Value]
    choices: dict[str, tuple[Option, ...]]
    facts: dict[str, Value]


def question_list(provider: Provider) -> tuple[Question, ...]:
    """Shared questions (as the provider narrows them), then the provider's, then where to save
    (the order they are asked)."""
    shared = provider.shared_questions()
    return (*shared[:-1], *provider.questions(), shared[-1])


def default_answers(
    root: Path, package: DetectedPackage, provider: Provider, facts: GitFacts
) -> dict[str, Value]:
    """Defaults from the checkout (origin, path from the top level, branch) over the provider's."""
    defaults: dict[str, Value] = dict(provider.shared_defaults())
    defaults["gitRepoPath"] = package.path or "."
    if facts.top_level is not None:
        # abspath, not resolve(): git gives the top level as a real path already, and callers
        # pass a resolved root; a realpath per package was most of configure in --all.
        top = str(facts.top_level)
        package_dir = os.path.abspath(os.path.join(root, package.path))
        if package_dir == top:
            defaults["gitRepoPath"] = "."
        elif package_dir.startswith(below := top.rstrip(os.sep) + os.sep):
            defaults["gitRepoPath"] = package_dir[len(below) :].replace(os.sep, "/")
    # What the checkout offers is only a default when it would be accepted as an answer: a
    # fresh clone's origin is often a local path, which no controller can clone.
    offered = (("gitRepoUrl", facts.origin_url), ("targetRevision", facts.branch))
    if any(value for _, value in offered):
        questions = {q.id: q for q in provider.shared_questions()}  # as this provider narrows
        for question_id, value in offered:
            if value:
                try:
                    coerce_answer(questions[question_id], value)
                except AnswerError:
                    continue
                defaults[question_id] = value
    return defaults


def prepare(
    root: Path,
    package: DetectedPackage,
    provider: Provider,
    facts: GitFacts,
    names: Mapping[str, str] | None = None,
    contents: PackageContents | None = None,
) -> Preparation:
    """Questions, defaults, choices and facts for ``package`` (under ``root``).

    ``names``: the object name of every package of the repository by path (see
    :func:`repository_names`; computed when not given). ``contents``: what the package
    declares (:func:`~gitops_core.detection.contents.package_contents`), when the caller read
    it already; read here when not given.
    """
    if contents is None:
        contents = package_contents(root, package)
    questions = tuple(
        attrs.evolve(q, required=contents.unnamespaced) if q.id == "destinationNamespace" else q
        for q in question_list(provider)
    )
    defaults = default_answers(root, package, provider, facts)
    if contents.declared_namespace:
        defaults["destinationNamespace"] = contents.declared_namespace
    choices: dict[str, tuple[Option, ...]] = {
        "destinationNamespace": tuple(
            Option(value=ns, label=ns, description="declared by the package")
            for ns in dict.fromkeys((*contents.namespaces, *contents.namespace_objects))
        ),
    }
    if package.type == "helm":
        choices["valueFiles"] = tuple(
            Option(value=file, label=file) for file in package.files if file != "values.yaml"
        )
    provider_facts: dict[str, Value] = {
        "tags": facts.tags,
        "branches": facts.branches,
        "branch": facts.branch,
        "namespaces": contents.namespaces,
        "unnamespaced": contents.unnamespaced,
        "namespaceObjects": contents.namespace_objects,
        "nestedPackages": contents.nested,
        "notObjects": contents.not_objects,
        "sopsFiles": contents.sops_files,
        "generateName": contents.generate_name,
        "variables": contents.variables,
    }
    name = (repository_names(root) if names is None else names).get(package.path)
    own = to_dns1123_label(package.name)
    if name and own and name != own:  # (a name with nothing usable is the provider's to refuse)
        provider_facts["objectName"] = name
    return Preparation(
        questions=questions, defaults=defaults, choices=choices, facts=provider_facts
    )


def repository_names(
    root: Path, packages: Sequence[DetectedPackage] | None = None
) -> dict[str, str]:
    """The object name of each package under ``root`` (``packages``, else detected), by path:
    unique across them (see :mod:`gitops_core.naming`)."""
    everyone = detect(root) if packages is None else packages
    return dict(zip((p.path for p in everyone), object_names(everyone), strict=True))


def configure(
    root: Path,
    package: DetectedPackage,
    provider: Provider,
    provided: Mapping[str, object],
    *,
    facts: GitFacts | None = None,
    names: Mapping[str, str] | None = None,
    contents: PackageContents | None = None,
) -> GitOpsConfig:
    """Answer every question (given answers over defaults) and build the provider's config.

    Raises :class:`AnswerError` for answers that are refused, :class:`MissingAnswersError`
    naming every required question left without an answer, and :class:`UsageError` for
    answers that the checkout contradicts. ``names`` and ``contents`` as for :func:`prepare`.
    """
    facts = git_facts(root, grep=COMMITTED_OBJECTS) if facts is None else facts
    if contents is None:
        # One package found alone (find_package classifies only its folder): what detect
        # knows of it, its role and the repository's objects that deploy it, for the notes of
        # the generate step. A set's packages (contents given) come from detect already.
        everyone = detect(root)
        names = repository_names(root, everyone) if names is None else names
        known = next((p for p in everyone if p.path == package.path), None)
        if known is not None:
            package = attrs.evolve(package, role=known.role, managed_by=known.managed_by)
    prepared = prepare(root, package, provider, facts, names, contents)
    answers, missing = resolve_answers(
        prepared.questions, package=package, provided=provided, defaults=prepared.defaults
    )
    if missing:
        raise MissingAnswersError(missing)
    _check_against_checkout(root, package, answers, prepared.defaults, facts)
    provider_facts = dict(prepared.facts)
    url = str(answers["gitRepoUrl"])
    if _checkout_of(url, facts):
        # Committed Flux sources for this repository, such as flux bootstrap's flux-system.
        provider_facts["gitRepositories"] = tuple(
            source
            for source in _committed_sources(facts)
            if source.get("kind") != "Namespace"
            and repository_key(str(source["url"])) == repository_key(url)
        )
    if facts.top_level is not None:
        provider_facts["committedNamespaces"] = tuple(
            {"name": found["name"], "file": found["file"]}
            for found in _committed_sources(facts)
            if found.get("kind") == "Namespace"
        )
        if provider_facts.get("sopsFiles"):
            provider_facts["decryptionSecrets"] = _decryption_secrets(facts)
        revision = str(answers.get("targetRevision", ""))
        if _SHORT_SHA.match(revision) and revision not in facts.branches + facts.tags:
            commit = resolve_commit(facts.top_level, revision)
            if commit is not None:
                provider_facts["commit"] = commit
    shared_ids = {q.id for q in shared_questions()}
    return GitOpsConfig(
        package=package,
        shared={k: v for k, v in answers.items() if k in shared_ids},
        provider={k: v for k, v in answers.items() if k not in shared_ids},
        facts=provider_facts,
        given=frozenset(k for k, v in provided.items() if v is not None),
    )


def _check_against_checkout(
    root: Path,
    package: DetectedPackage,
    answers: Mapping[str, Value],
    defaults: Mapping[str, Value],
    facts: GitFacts,
) -> None:
    """Refuse answers that name what the checkout does not have (one line each)."""
    chart = root / package.path
    for file in answers.get("valueFiles") or ():
        if not _is_file(chart / file):
            have = ", ".join(package.files) or "none"
            raise UsageError(
                f"valueFiles: {show_answer(file)} is not a file of the chart at {package.path} "
                f"(its values files: {have})"
            )
    url, path = str(answers["gitRepoUrl"]), str(answers["gitRepoPath"])
    if facts.top_level is None or not _checkout_of(url, facts):
        return  # another repository's layout cannot be checked here
    top = facts.top_level  # (git gives it as a real path)
    if not (top / path).is_dir():
        raise UsageError(
            f"gitRepoPath: {show_answer(path)} is no folder of the checkout of {url} at {top}"
        )
    if path != defaults["gitRepoPath"]:
        raise UsageError(
            f"gitRepoPath: {show_answer(path)} is not where the package is in the checkout of "
            f"{url} ({defaults['gitRepoPath']!r}); leave gitRepoPath out to use the package's own"
        )


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system, say: not a file of the chart
        return False


def _checkout_of(url: str, facts: GitFacts) -> bool:
    """Whether ``url`` names the repository the checkout was cloned from."""
    origin = facts.origin_url
    return (
        facts.top_level is not None
        and origin is not None
        and (repository_key(url) == repository_key(origin))
    )


def _committed_sources(facts: GitFacts) -> tuple[dict[str, Value], ...]:
    """The GitRepository objects (``name``, ``namespace``, ``url``, ``ref``, ``secretRef``,
    ``file``) and the Namespace objects (``kind: Namespace``, ``name``, ``file``) committed in
    the checkout, read once per :class:`GitFacts`."""
    if "sources" not in facts.memo:
        assert facts.top_level is not None
        facts.memo["sources"] = _read_sources(facts.top_level.resolve(), facts.grepped)
    sources: tuple[dict[str, Value], ...] = facts.memo["sources"]
    return sources


def _flux_instance_source(document: dict[str, Any], file: str) -> dict[str, Value] | None:
    """The GitRepository a committed ``FluxInstance`` (Flux Operator) makes of its
    ``spec.sync``, as a committed source: named after the instance's namespace, as the operator
    (and ``flux bootstrap``) names it, with ``refs/heads/X`` as branch X and ``refs/tags/X`` as
    tag X."""
    if not str(document.get("apiVersion", "")).startswith("fluxcd.controlplane.io/"):
        return None
    metadata, spec = document.get("metadata"), document.get("spec")
    sync = spec.get("sync") if isinstance(spec, dict) else None
    if not isinstance(sync, dict) or sync.get("kind", "GitRepository") != "GitRepository":
        return None
    url, ref = sync.get("url"), str(sync.get("ref") or "")
    if not isinstance(url, str) or not url:
        return None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    namespace = namespace if isinstance(namespace, str) and namespace else "flux-system"
    if ref.startswith("refs/heads/"):
        refs = {"branch": ref.removeprefix("refs/heads/")}
    elif ref.startswith("refs/tags/"):
        refs = {"tag": ref.removeprefix("refs/tags/")}
    else:
        refs = {"name": ref} if ref else {}
    return {
        "name": namespace,
        "namespace": namespace,
        "url": url,
        "ref": refs,
        "secretRef": str(sync.get("pullSecret") or ""),
        "file": file,
    }


def _read_sources(top: Path, grepped: tuple[str, ...] | None) -> tuple[dict[str, Value], ...]:
    found: list[dict[str, Value]] = []
    names = committed_files(top, COMMITTED_OBJECTS) if grepped is None else grepped
    for name in names:
        try:
            with (top / name).open("rb") as handle:
                text = handle.read(_MAX_SOURCE_FILE).decode("utf-8", "replace")
            # Only the documents that hold one (gotk-components.yaml is mostly CRDs).
            wanted = [d for d in re.split(r"^---.*$", text, flags=re.M) if _KIND.search(d)]
            documents = safe_load_all("\n---\n".join(wanted))
        except (OSError, InvalidYAML):
            continue
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "Namespace":
                metadata = document.get("metadata")
                if document.get("apiVersion") == "v1" and isinstance(metadata, dict):
                    found.append(
                        {"kind": "Namespace", "name": str(metadata.get("name")), "file": name}
                    )
                continue
            if isinstance(document, dict) and document.get("kind") == "FluxInstance":
                source = _flux_instance_source(document, name)
                if source is not None:
                    found.append(source)
                continue
            if not isinstance(document, dict) or document.get("kind") != "GitRepository":
                continue
            if not str(document.get("apiVersion", "")).startswith("source.toolkit.fluxcd.io/"):
                continue
            metadata, spec = document.get("metadata"), document.get("spec")
            if isinstance(metadata, dict) and isinstance(spec, dict) and "url" in spec:
                ref, secret = spec.get("ref"), spec.get("secretRef")
                ref = ref if isinstance(ref, dict) else {}
                secret = secret if isinstance(secret, dict) else {}
                found.append(
                    {
                        "name": str(metadata.get("name", "")),
                        "namespace": str(metadata.get("namespace", "")),
                        "url": str(spec["url"]),
                        "ref": {str(k): str(v) for k, v in ref.items() if v},
                        "secretRef": str(secret.get("name", "")),
                        "file": name,
                    }
                )
    return tuple(found)


#: Committed files that may hold a Flux Kustomization's ``spec.decryption`` (or a patch that
#: adds one): read only for a package with SOPS files, once per :class:`GitFacts`.
_DECRYPTION = "^[[:space:]]+decryption:"


def _decryption_secrets(facts: GitFacts) -> tuple[dict[str, Value], ...]:
    """The Secrets (``name``, ``namespace``, ``file``) that committed Flux Kustomizations
    decrypt with (``spec.decryption.secretRef.name``), in their own spec or in a patch they
    apply to the Kustomizations they build (``namespace`` empty: the patched objects')."""
    if "decryption" not in facts.memo:
        found: list[dict[str, Value]] = []
        top = facts.top_level
        assert top is not None
        for name in committed_files(top, _DECRYPTION):
            try:
                with (top / name).open("rb") as handle:
                    text = handle.read(_MAX_SOURCE_FILE).decode("utf-8", "replace")
                documents = safe_load_all(text)
            except (OSError, InvalidYAML):
                continue
            for document in documents:
                found += _decryption_of(document, name, patched=False)
        facts.memo["decryption"] = tuple(found)
    secrets: tuple[dict[str, Value], ...] = facts.memo["decryption"]
    return secrets


def _decryption_of(document: object, file: str, *, patched: bool) -> list[dict[str, Value]]:
    if not isinstance(document, dict) or document.get("kind") != "Kustomization":
        return []
    if not str(document.get("apiVersion", "")).startswith("kustomize.toolkit.fluxcd.io/"):
        return []
    metadata, spec = document.get("metadata"), document.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    found: list[dict[str, Value]] = []
    decryption = spec.get("decryption")
    secret = decryption.get("secretRef") if isinstance(decryption, dict) else None
    if isinstance(secret, dict) and isinstance(secret.get("name"), str) and secret["name"]:
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        found.append(
            {
                "name": secret["name"],
                "namespace": "" if patched or not isinstance(namespace, str) else namespace,
                "file": file,
            }
        )
    for patch in spec.get("patches") or () if not patched else ():
        text = patch.get("patch") if isinstance(patch, dict) else None
        if isinstance(text, str) and "decryption" in text:
            try:
                inner = safe_load_all(text)
            except InvalidYAML:
                continue
            for each in inner:
                found += _decryption_of(each, file, patched=True)
    return found
