"""Manifest validation against the vendored CRD schemas, as strict as the Kubernetes API server.

A document passes when the API server, with strict field validation (``kubectl`` default), would
accept it on create: schema types and required fields after the server's defaulting, no unknown
fields (``metadata`` included), ``metadata.name`` a DNS-1123 subdomain, ``metadata.namespace`` a
DNS-1123 label, patterns anchored as Go anchors them, and every ``x-kubernetes-validations``
(CEL) rule except transition rules, which only run on updates.

Schemas come from folders of ``<group>_<version>_<kind>.json`` files written by
``python -m gitops_core.validation.convert``; a :class:`SchemaStore` opens one only when a
document of its kind is checked. jsonschema is imported on that first use, not here.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from gitops_core.checks import did_you_mean, is_dns1123_label, is_dns1123_subdomain
from gitops_core.errors import InvalidManifestError, UsageError
from gitops_core.resources import schema_dir

if TYPE_CHECKING:
    from gitops_core.models import GeneratedOutput
    from gitops_core.plugins import Provider
    from gitops_core.validation._engine import CompiledSchema
    from gitops_core.validation.files import Skipped

__all__ = [
    "Problem",
    "SchemaStore",
    "builtin_kind",
    "check_outputs",
    "core_schema_dir",
    "load_documents",
    "schema_file_name",
    "validate_documents",
]

_GROUP = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?\Z")
_VERSION = re.compile(r"[a-z0-9]+\Z")
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")

_SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com')"
)
_LABEL_RULE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name')"
)


@attrs.frozen
class Problem:
    """One reason a document would be refused.

    ``index`` is the 0-based position of the document in its file (see :func:`load_documents`);
    ``kind`` and ``name`` are empty when the document does not say them. ``path`` is the field,
    dotted, with list items as ``[0]`` and keys that are not plain words in brackets
    (``metadata.labels[app.kubernetes.io/name]``).
    """

    source: str
    index: int
    kind: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        """``FILE#INDEX KIND/NAME: FIELD.PATH: message`` (SPEC §4).

        ``?`` stands for a kind or name the document does not give. Always one line: characters
        that are not printable (a newline in a name) are shown escaped.
        """
        who = f"{self.kind or '?'}/{self.name or '?'}"
        return _one_line(f"{self.source}#{self.index} {who}: {self.path}: {self.message}")


def _one_line(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def schema_file_name(api_version: str, kind: str) -> str:
    """``<group>_<version>_<kind lowercased>.json``, the group ``core`` for ``v1`` kinds.

    ValueError for malformed names.
    """
    group, _, version = api_version.rpartition("/")
    group = group or "core"  # the Kubernetes core API group has no name: "v1", not "core/v1"
    if not (_GROUP.match(group) and _VERSION.match(version) and _KIND.match(kind)):
        raise ValueError(f"no schema file name for {api_version} {kind}")
    return f"{group}_{version}_{kind.lower()}.json"


class SchemaStore:
    """Schemas looked up by apiVersion + kind in the given folders, first folder first.

    Nothing is read until a kind is asked for; then only that kind's file is opened, and the
    compiled validator (or the fact that there is none) is kept for the next document.
    """

    def __init__(
        self, folders: Iterable[Path], schemas: Mapping[str, dict[str, Any]] | None = None
    ) -> None:
        self._folders = tuple(folders)
        self._given: dict[str, dict[str, Any]] = dict(schemas or {})
        self._compiled: dict[tuple[str, str], CompiledSchema | None] = {}

    def add_schemas(self, schemas: Mapping[str, dict[str, Any]]) -> None:
        """Schemas by file name (from CRDs converted on the fly); they win over the folders'."""
        self._given.update(schemas)
        self._compiled.clear()

    def served_versions(self, api_version: str, kind: str) -> list[str]:
        """The apiVersions of ``kind`` in ``api_version``'s group that some schema covers."""
        group = api_version.rpartition("/")[0] or "core"
        suffix = f"_{kind.lower()}.json"
        names = set(self._given)
        for folder in self._folders:
            if folder.is_dir():
                names.update(p.name for p in folder.glob(f"{group}_*{suffix}"))
        versions = []
        for name in sorted(names):
            if name.startswith(f"{group}_") and name.endswith(suffix):
                version = name[len(group) + 1 : -len(suffix)]
                if _VERSION.match(version):
                    versions.append(f"{group}/{version}" if group != "core" else version)
        return versions

    def schema_file(self, api_version: str, kind: str) -> Path | None:
        """The file holding the schema for ``api_version`` + ``kind``, if any folder has it."""
        try:
            name = schema_file_name(api_version, kind)
        except ValueError:
            return None
        for folder in self._folders:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        return None

    def schema(self, api_version: str, kind: str) -> dict[str, Any] | None:
        """The parsed JSON Schema for ``api_version`` + ``kind``, if any folder has it."""
        try:
            given = self._given.get(schema_file_name(api_version, kind))
        except ValueError:
            given = None
        if given is not None:
            return given
        found = self.schema_file(api_version, kind)
        if found is None:
            return None
        schema: dict[str, Any] = json.loads(found.read_text(encoding="utf-8"))
        return schema

    def _compiled_schema(self, api_version: str, kind: str) -> CompiledSchema | None:
        """The cached validator for ``api_version`` + ``kind`` (None when there is no schema)."""
        key = (api_version, kind)
        if key not in self._compiled:
            schema = self.schema(api_version, kind)
            if schema is None:
                self._compiled[key] = None
            else:
                from gitops_core.validation._engine import CompiledSchema

                self._compiled[key] = CompiledSchema(schema)
        return self._compiled[key]


def core_schema_dir() -> Path:
    """The core's own schemas (Kubernetes kinds such as Namespace), used beside every provider's."""
    return schema_dir("gitops_core", "") / "kubernetes"


def check_outputs(outputs: Iterable[GeneratedOutput], provider: Provider) -> None:
    """The validation step of generation: raise :class:`InvalidManifestError`, one line per
    problem, unless every output is valid.

    What is checked is the YAML that will be written, read back as the API server reads it,
    not the provider's data, against the provider's schemas and the core's (one store, so
    each kind's schema is compiled once for a whole set).
    """
    store = SchemaStore([core_schema_dir(), *provider.schema_dirs()])
    problems: list[Problem] = []
    for output in outputs:
        documents = load_documents(output.manifests, source=output.filename)
        problems += validate_documents(documents, source=output.filename, store=store)
    if problems:
        # The user's answers passed their checks, so the provider is the one to report to.
        raise InvalidManifestError(
            "\n".join(
                [f"provider from {provider.distribution} generated an invalid manifest:"]
                + [str(p) for p in problems]
            )
        )


def validate_documents(
    documents: Sequence[object],
    *,
    source: str,
    store: SchemaStore,
    allow_unknown_kinds: bool = False,
    skip_builtin_kinds: bool = False,
    skipped: list[Skipped] | None = None,
) -> list[Problem]:
    """Every problem in ``documents`` (as :func:`load_documents` returns them).

    Problems come in document order, and by field path within a document.
    ``None`` entries are empty YAML documents and are skipped. A document whose kind has no
    schema is a problem unless ``allow_unknown_kinds``, or ``skip_builtin_kinds`` and
    :func:`builtin_kind` says Kubernetes itself serves it; then it is not checked at all, since
    core kinds have their own name rules (``system:`` RBAC names, for example), and is added to
    ``skipped`` (when given). An apiVersion Kubernetes no longer serves (``extensions/v1beta1``)
    or a kind it does not have (``apps/v1 Deploymnet``) stays a problem.
    """
    problems: list[Problem] = []
    for index, document in enumerate(documents):
        if document is not None:
            found = _document_problems(
                document, index, source, store, allow_unknown_kinds, skip_builtin_kinds, skipped
            )
            problems.extend(sorted(found, key=lambda p: (p.path, p.message)))
    return problems


def _document_problems(
    document: object,
    index: int,
    source: str,
    store: SchemaStore,
    allow_unknown_kinds: bool,
    skip_builtin_kinds: bool = False,
    skipped: list[Skipped] | None = None,
) -> Iterator[Problem]:
    if not isinstance(document, dict):
        got = type(document).__name__
        yield Problem(source, index, "", "", "(root)", f"expected an object (a mapping), got {got}")
        return
    kind, api_version = document.get("kind"), document.get("apiVersion")
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    problem = functools.partial(
        Problem,
        source,
        index,
        kind if isinstance(kind, str) else "",
        name if isinstance(name, str) else "",
    )
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        for field, value in (("apiVersion", api_version), ("kind", kind)):
            if value is None:
                yield problem(field, f"{field!r} is a required property")
            elif not isinstance(value, str):
                yield problem(field, f"{value!r} is not of type 'string'")
        return
    unencodable = _unencodable(document)
    if unencodable is not None:
        where, value = unencodable
        yield problem(
            _render_path(where),
            f"{value!r} cannot be sent to the API server: JSON has no NaN or infinity",
        )
        return
    compiled = store._compiled_schema(api_version, kind)
    if compiled is None:
        builtin, wrong = builtin_kind(api_version, kind)
        reason = None
        if builtin and wrong is None and skip_builtin_kinds:
            reason = "builtin-kind"
        elif allow_unknown_kinds:
            reason = "unknown-kind"
        if reason is None:
            yield problem("kind", wrong or _no_schema_message(api_version, kind, store))
        elif skipped is not None:
            who = problem("", "")
            from gitops_core.validation.files import Skipped

            skipped.append(Skipped(source, index, who.kind, who.name, reason))
        return
    document = _as_created(document, compiled.schema, problem)
    yield from _status_problems(document, compiled.schema, problem)
    if (
        "status" in document
        and compiled.schema.get("x-kubernetes-subresources", {}).get("status") is not None
    ):
        document = {k: v for k, v in document.items() if k != "status"}
    for error in compiled.iter_errors(document):
        path = _render_path(error.absolute_path)
        if path == "metadata.name" and "required" in error.message and _generate_name(document):
            continue  # said below, with what it means for a GitOps controller
        message = error.message
        if error.validator == "type" and isinstance(error.instance, bool):
            # y, yes, on, n, no, off are booleans to the API server's YAML 1.1 reader
            wanted = error.validator_value
            types = ", ".join(map(repr, wanted if isinstance(wanted, list) else [wanted]))
            message = (
                f"{str(error.instance).lower()} is not of type {types} "
                "(YAML reads y/yes/on/true and n/no/off/false as booleans: quote the value)"
            )
        yield problem(path, message)
    if isinstance(metadata, dict):
        yield from _metadata_problems(metadata, problem)


def _unencodable(value: object) -> tuple[tuple[str | int, ...], float] | None:
    """The first NaN or infinity in ``value``, which JSON (and so the API server) cannot take."""
    if isinstance(value, float):
        return ((), value) if value != value or value in (_INF, -_INF) else None
    children: Iterable[tuple[Any, object]]
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    else:
        return None
    for key, child in children:
        if isinstance(child, (dict, list, float)):  # (a path is built only for what is found)
            found = _unencodable(child)
            if found is not None:
                return (key, *found[0]), found[1]
    return None


_INF = float("inf")


def _generate_name(document: dict[str, Any]) -> bool:
    metadata = document.get("metadata")
    return isinstance(metadata, dict) and "name" not in metadata and "generateName" in metadata


def _as_created(
    document: dict[str, Any], schema: Mapping[str, Any], problem: Any
) -> dict[str, Any]:
    """The document as the API server stores it on create: an empty namespace is the request's."""
    metadata = document.get("metadata")
    if isinstance(metadata, dict) and metadata.get("namespace") == "":
        metadata = {k: v for k, v in metadata.items() if k != "namespace"}
        document = {**document, "metadata": metadata}
    return document


def _status_problems(
    document: dict[str, Any], schema: Mapping[str, Any], problem: Any
) -> Iterator[Problem]:
    """With the status subresource on, a create drops ``status``: only unknown fields in it are
    reported (strict field validation decodes it before it is dropped)."""
    status = document.get("status")
    status_schema = schema.get("properties", {}).get("status")
    if status is None or status_schema is None:
        return
    if schema.get("x-kubernetes-subresources", {}).get("status") is None:
        return
    from gitops_core.validation._engine import unknown_fields

    for path, field in unknown_fields(status, status_schema, ("status",)):
        yield problem(_render_path(path), f"unknown field {field!r}")


#: API versions the Flux controllers served once and no longer do (shared/crds/flux/SOURCES.md):
#: (apiVersion, kind) → the Flux release that stopped serving it.
_FLUX_REMOVED: dict[tuple[str, str], str] = {
    **{
        (f"source.toolkit.fluxcd.io/{v}", k): release
        for k in ("GitRepository", "HelmRepository", "HelmChart", "Bucket")
        for v, release in (("v1beta1", "2.7"), ("v1beta2", "2.8"))
    },
    ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository"): "2.8",
    ("kustomize.toolkit.fluxcd.io/v1beta1", "Kustomization"): "2.7",
    ("kustomize.toolkit.fluxcd.io/v1beta2", "Kustomization"): "2.8",
    ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease"): "2.7",
    ("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease"): "2.8",
}


def _no_schema_message(api_version: str, kind: str, store: SchemaStore) -> str:
    others = " or ".join(v for v in store.served_versions(api_version, kind) if v != api_version)
    removed = _FLUX_REMOVED.get((api_version, kind))
    if removed is not None:
        gone = f"{api_version} {kind} is deprecated, and no longer served since Flux {removed}"
        return f"{gone}: move to {others}" if others else gone
    if others:
        return f"no schema for {api_version} {kind}: the CRDs known here serve {others}"
    return f"no schema for {api_version} {kind}"


#: The kinds a Kubernetes 1.34 API server serves itself, by generally available apiVersion (its
#: built-in API groups; ``List`` is kubectl's). Kinds of these groups have no CRD, so no schema
#: is vendored for most of them: ``gitops validate`` skips and counts them (see
#: :func:`builtin_kind`).
_BUILTIN_KINDS: dict[str, frozenset[str]] = {
    api_version: frozenset(kinds.split())
    for api_version, kinds in {
        "v1": "Binding ComponentStatus ConfigMap Endpoints Event LimitRange List Namespace Node "
        "PersistentVolume PersistentVolumeClaim Pod PodTemplate ReplicationController "
        "ResourceQuota Secret Service ServiceAccount",
        "admissionregistration.k8s.io/v1": "MutatingWebhookConfiguration "
        "ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding ValidatingWebhookConfiguration",
        "apiextensions.k8s.io/v1": "CustomResourceDefinition",
        "apiregistration.k8s.io/v1": "APIService",
        "apps/v1": "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet",
        "authentication.k8s.io/v1": "SelfSubjectReview TokenRequest TokenReview",
        "authorization.k8s.io/v1": "LocalSubjectAccessReview SelfSubjectAccessReview "
        "SelfSubjectRulesReview SubjectAccessReview",
        "autoscaling/v1": "HorizontalPodAutoscaler Scale",
        "autoscaling/v2": "HorizontalPodAutoscaler",
        "batch/v1": "CronJob Job",
        "certificates.k8s.io/v1": "CertificateSigningRequest",
        "coordination.k8s.io/v1": "Lease",
        "discovery.k8s.io/v1": "EndpointSlice",
        "events.k8s.io/v1": "Event",
        "flowcontrol.apiserver.k8s.io/v1": "FlowSchema PriorityLevelConfiguration",
        "networking.k8s.io/v1": "IPAddress Ingress IngressClass NetworkPolicy ServiceCIDR",
        "node.k8s.io/v1": "RuntimeClass",
        "policy/v1": "Eviction PodDisruptionBudget",
        "rbac.authorization.k8s.io/v1": "ClusterRole ClusterRoleBinding Role RoleBinding",
        "resource.k8s.io/v1": "DeviceClass ResourceClaim ResourceClaimTemplate ResourceSlice",
        "scheduling.k8s.io/v1": "PriorityClass",
        "storage.k8s.io/v1": "CSIDriver CSINode CSIStorageCapacity StorageClass "
        "VolumeAttachment VolumeAttributesClass",
    }.items()
}
#: The built-in API groups ("" is the core group, apiVersion ``v1``): those above, the groups
#: served only at alpha versions so far, and ``extensions``, served no more.
_BUILTIN_GROUPS = frozenset(
    {v.rpartition("/")[0] for v in _BUILTIN_KINDS}
    | {"extensions", "internal.apiserver.k8s.io", "storagemigration.k8s.io"}
)
_PRERELEASE = re.compile(r"v[0-9]+(alpha|beta)[0-9]+\Z")

#: apiVersions of built-in kinds Kubernetes no longer serves (the Kubernetes deprecated API
#: migration guide): apiVersion → the release that stopped serving it, for every kind;
#: (apiVersion, kind) → release where a later kind took up the version again.
_K8S_REMOVED_VERSIONS: dict[str, str] = {
    "extensions/v1beta1": "1.22",
    "apps/v1beta1": "1.16",
    "apps/v1beta2": "1.16",
    "apiextensions.k8s.io/v1beta1": "1.22",
    "apiregistration.k8s.io/v1beta1": "1.22",
    "authorization.k8s.io/v1beta1": "1.22",
    "rbac.authorization.k8s.io/v1beta1": "1.22",
    "scheduling.k8s.io/v1beta1": "1.22",
    "autoscaling/v2beta1": "1.25",
    "batch/v1beta1": "1.25",
    "discovery.k8s.io/v1beta1": "1.25",
    "events.k8s.io/v1beta1": "1.25",
    "node.k8s.io/v1beta1": "1.25",
    "policy/v1beta1": "1.25",
    "autoscaling/v2beta2": "1.26",
    "flowcontrol.apiserver.k8s.io/v1beta1": "1.26",
    "flowcontrol.apiserver.k8s.io/v1beta2": "1.29",
    "flowcontrol.apiserver.k8s.io/v1beta3": "1.32",
}
_K8S_REMOVED_KINDS: dict[tuple[str, str], str] = {
    **{
        ("extensions/v1beta1", k): "1.16"
        for k in ("DaemonSet", "Deployment", "NetworkPolicy", "PodSecurityPolicy", "ReplicaSet")
    },
    **{
        ("admissionregistration.k8s.io/v1beta1", k): "1.22"
        for k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
    },
    ("authentication.k8s.io/v1beta1", "TokenReview"): "1.22",
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"): "1.22",
    ("coordination.k8s.io/v1beta1", "Lease"): "1.22",
    ("networking.k8s.io/v1beta1", "Ingress"): "1.22",
    ("networking.k8s.io/v1beta1", "IngressClass"): "1.22",
    **{
        ("storage.k8s.io/v1beta1", k): "1.22"
        for k in ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")
    },
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"): "1.27",
}


def builtin_kind(api_version: str, kind: str) -> tuple[bool, str | None]:
    """Whether ``api_version`` is of a built-in Kubernetes API group, and if so what is wrong
    with ``api_version`` + ``kind`` (None when Kubernetes serves it).

    The rule: the group (``""`` for ``v1``) is one of the API server's own groups, listed in
    ``_BUILTIN_GROUPS`` — never matched by a pattern, since CRDs use ``*.k8s.io`` groups too
    (``gateway.networking.k8s.io``, ``snapshot.storage.k8s.io``), and ``app/v1`` is a typo. A
    generally available version (``v1``, ``v2``) must be one Kubernetes 1.34 serves, with one of
    its kinds; an alpha or beta version is taken as served (clusters turn those on with feature
    gates) unless Kubernetes removed it.
    """
    group, _, version = api_version.rpartition("/")
    if group not in _BUILTIN_GROUPS:
        return False, None
    removed = _K8S_REMOVED_KINDS.get((api_version, kind)) or _K8S_REMOVED_VERSIONS.get(api_version)
    served = [v for v, kinds in _BUILTIN_KINDS.items() if kind in kinds]
    ours = [v for v in served if v.rpartition("/")[0] == group] or served
    move = f": move to {' or '.join(ours)}" if ours else ""
    if removed is not None:
        return True, f"{api_version} {kind} is no longer served since Kubernetes {removed}{move}"
    if _PRERELEASE.match(version):
        return True, None
    kinds = _BUILTIN_KINDS.get(api_version)
    if kinds is None:
        versions = sorted(v for v in _BUILTIN_KINDS if v.rpartition("/")[0] == group)
        known = f"Kubernetes serves {' or '.join(versions)}" if versions else "not served"
        return True, f"no schema for {api_version} {kind}: {known}"
    if kind not in kinds:
        if served:
            return True, f"{api_version} has no kind {kind}: {kind} is in {' or '.join(served)}"
        guess = did_you_mean(kind, kinds)
        hint = f" (did you mean {guess}?)" if guess else ""
        return True, f"{api_version} has no kind {kind}{hint}"
    return True, None


_ANNOTATIONS_LIMIT = 256 * 1024
_QUALIFIED_NAME_RULE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')"
)
_QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z"
_LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z"


def qualified_name_errors(key: str) -> list[str]:
    """apimachinery's IsQualifiedName: ``[prefix/]name``, name part at most 63 characters."""
    prefix, slash, name = key.rpartition("/")
    errors = []
    if slash:
        if not prefix:
            errors.append("prefix part must be non-empty")
        elif len(prefix) > 253:
            errors.append("prefix part must be no more than 253 characters")
        elif not is_dns1123_subdomain(prefix):
            errors.append(f"prefix part {_SUBDOMAIN_RULE}")
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    elif not re.match(_QUALIFIED_NAME, name):
        errors.append(_QUALIFIED_NAME_RULE)
    return errors


def _metadata_problems(metadata: dict[str, Any], problem: Any) -> Iterator[Problem]:
    """ObjectMeta as the API server validates it on create (beyond the schema's types)."""
    name = metadata.get("name")
    if isinstance(name, str) and not is_dns1123_subdomain(name):
        reason = "must be no more than 253 characters" if len(name) > 253 else _SUBDOMAIN_RULE
        yield problem("metadata.name", f"{name!r} is not a valid name: {reason}")
    if name is None and isinstance(metadata.get("generateName"), str):
        yield problem(
            "metadata.name",
            "generateName without a name: a plain create would pick a name, but GitOps "
            "controllers (Flux, Argo CD, kubectl apply) apply objects, and apply needs a name",
        )
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and namespace and not is_dns1123_label(namespace):
        reason = "must be no more than 63 characters" if len(namespace) > 63 else _LABEL_RULE
        yield problem("metadata.namespace", f"{namespace!r} is not a valid namespace: {reason}")
    labels = metadata.get("labels")
    if isinstance(labels, dict):
        for key, value in labels.items():
            if not isinstance(key, str):  # (data given as Python; JSON and YAML keys are text)
                yield problem("metadata.labels", f"key {key!r}: a key must be a string")
                continue
            for error in qualified_name_errors(key):
                yield problem(_render_path(("metadata", "labels", key)), f"key {key!r}: {error}")
            if isinstance(value, str) and not (len(value) <= 63 and re.match(_LABEL_VALUE, value)):
                reason = (
                    "must be no more than 63 characters"
                    if len(value) > 63
                    else "a valid label must be an empty string or consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    "character"
                )
                yield problem(_render_path(("metadata", "labels", key)), f"{value!r}: {reason}")
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        total = 0
        for key, value in annotations.items():
            if not isinstance(key, str):
                yield problem("metadata.annotations", f"key {key!r}: a key must be a string")
                continue
            for error in qualified_name_errors(key.lower()):
                yield problem(
                    _render_path(("metadata", "annotations", key)), f"key {key!r}: {error}"
                )
            total += len(key.encode()) + (len(value.encode()) if isinstance(value, str) else 0)
        if total > _ANNOTATIONS_LIMIT:
            yield problem(
                "metadata.annotations",
                f"Too long: must have at most {_ANNOTATIONS_LIMIT} bytes (keys and values "
                f"together; these have {total})",
            )
    finalizers = metadata.get("finalizers")
    if isinstance(finalizers, list):
        for at, finalizer in enumerate(finalizers):
            if isinstance(finalizer, str):
                for error in qualified_name_errors(finalizer):
                    yield problem(f"metadata.finalizers[{at}]", f"{finalizer!r}: {error}")
    owners = metadata.get("ownerReferences")
    if isinstance(owners, list):
        controllers = 0
        for at, owner in enumerate(owners):
            if not isinstance(owner, dict):
                continue
            for field in ("apiVersion", "kind", "name", "uid"):
                if owner.get(field) == "":
                    what = "version" if field == "apiVersion" else field
                    yield problem(
                        f"metadata.ownerReferences[{at}].{field}", f"{what} must not be empty"
                    )
            api_version = owner.get("apiVersion")
            if isinstance(api_version, str) and api_version.count("/") > 1:
                yield problem(
                    f"metadata.ownerReferences[{at}].apiVersion",
                    f"{api_version!r} is not a valid apiVersion (group/version)",
                )
            controllers += owner.get("controller") is True
        if controllers > 1:
            yield problem(
                "metadata.ownerReferences",
                "Only one reference can have Controller set to true",
            )
    if metadata.get("resourceVersion") not in (None, ""):
        yield problem(
            "metadata.resourceVersion", "resourceVersion should not be set on objects to be created"
        )
    created = metadata.get("creationTimestamp")
    if isinstance(created, str) and not _is_rfc3339(created):
        yield problem(
            "metadata.creationTimestamp",
            f"{created!r} is not a time the API server can read (RFC 3339, such as "
            "2026-01-01T00:00:00Z)",
        )


def _is_rfc3339(text: str) -> bool:
    from gitops_core.validation import cel

    try:
        cel.timestamp(text)
    except cel.CelEvalError:
        return False
    return True


def _render_path(parts: Iterable[str | int]) -> str:
    rendered = ""
    for part in parts:
        if not isinstance(part, str) or not _PLAIN_KEY.match(part):
            rendered += f"[{part}]"
        else:
            rendered += f".{part}" if rendered else part
    return rendered or "(root)"


def load_documents(text: str, *, source: str = "<string>") -> list[object]:
    """The YAML documents in ``text``, read as the API server's Go YAML decoder reads them.

    Indexing: one entry per document of the YAML stream, in order, so that ``#INDEX`` in a
    :class:`Problem` counts documents as the file shows them. An empty document (``---`` followed
    by nothing, or a trailing ``---``) keeps its place as ``None``, which
    :func:`validate_documents` skips, as ``kubectl apply`` skips it.

    Scalars resolve as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1) resolves them: see
    :func:`gitops_core.yamlio.go_load_all`. Raises UsageError (naming ``source``, on one
    complete line) for text that is not YAML, and for a document that aliases excessively (a
    "billion laughs" bomb), which Go's decoder refuses too.
    """
    from gitops_core.yamlio import InvalidYAML, go_load_all

    try:
        documents = go_load_all(text)
    except InvalidYAML as exc:
        message = str(exc)
        separator = " " if message.startswith("at line ") else ": "
        raise UsageError(f"{source}: not valid YAML{separator}{message}") from None
    # (an alias is written with "*": without one, no document can alias at all)
    for index, document in enumerate(documents if "*" in text else ()):
        if _excessive_aliasing(document):
            raise UsageError(
                f"{source}#{index}: the document contains excessive aliasing (a YAML bomb?); "
                "the Kubernetes API server refuses it too"
            )
    return documents


def _allowed_alias_ratio(decoded: int) -> float:
    """yaml.v2's allowedAliasRatio: 99% for small documents, down to 10% for huge ones."""
    low, high = 400_000, 4_000_000
    if decoded <= low:
        return 0.99
    if decoded >= high:
        return 0.10
    return 0.99 - 0.89 * (decoded - low) / (high - low)


def _excessive_aliasing(document: object) -> bool:
    """Go's rule, on the loaded data: too many values reached only through aliases.

    PyYAML shares one object per anchor, so loading a bomb is cheap but walking it is not;
    this walk stops as soon as Go's decoder would (after ~1,000 values for a bomb).
    """
    decoded = aliased = 0
    seen: set[int] = set()
    stack: list[tuple[object, bool]] = [(document, False)]
    while stack:
        node, in_alias = stack.pop()
        decoded += 1
        aliased += in_alias
        if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
            return True
        if isinstance(node, dict | list):
            if id(node) in seen:
                in_alias = True  # a second visit of the same container is an alias
            seen.add(id(node))
            children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
            stack.extend((child, in_alias) for child in children)
    return False
