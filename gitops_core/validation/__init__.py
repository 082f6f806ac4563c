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
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from gitops_core.checks import is_dns1123_label, is_dns1123_subdomain
from gitops_core.errors import InvalidManifestError, UsageError
from gitops_core.resources import schema_dir

if TYPE_CHECKING:
    import yaml

    from gitops_core.models import GeneratedOutput
    from gitops_core.plugins import Provider
    from gitops_core.validation._engine import CompiledSchema

__all__ = [
    "Problem",
    "SchemaStore",
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

    def __init__(self, folders: Iterable[Path]) -> None:
        self._folders = tuple(folders)
        self._compiled: dict[tuple[str, str], CompiledSchema | None] = {}

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
) -> list[Problem]:
    """Every problem in ``documents`` (as :func:`load_documents` returns them).

    Problems come in document order, and by field path within a document.
    ``None`` entries are empty YAML documents and are skipped. A document whose kind has no
    schema is a problem unless ``allow_unknown_kinds``; then it is not checked at all, since
    core kinds have their own name rules (``system:`` RBAC names, for example).
    """
    problems: list[Problem] = []
    for index, document in enumerate(documents):
        if document is not None:
            found = _document_problems(document, index, source, store, allow_unknown_kinds)
            problems.extend(sorted(found, key=lambda p: (p.path, p.message)))
    return problems


def _document_problems(
    document: object, index: int, source: str, store: SchemaStore, allow_unknown_kinds: bool
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
    compiled = store._compiled_schema(api_version, kind)
    if compiled is None:
        if not allow_unknown_kinds:
            yield problem("kind", f"no schema for {api_version} {kind}")
        return
    for error in compiled.iter_errors(document):
        yield problem(_render_path(error.absolute_path), error.message)
    if isinstance(name, str) and not is_dns1123_subdomain(name):
        reason = "must be no more than 253 characters" if len(name) > 253 else _SUBDOMAIN_RULE
        yield problem("metadata.name", f"{name!r} is not a valid name: {reason}")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if isinstance(namespace, str) and not is_dns1123_label(namespace):
        reason = "must be no more than 63 characters" if len(namespace) > 63 else _LABEL_RULE
        yield problem("metadata.namespace", f"{namespace!r} is not a valid namespace: {reason}")


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

    Scalars resolve as in Go's YAML 1.1 decoder where PyYAML differs: a timestamp such as
    ``2026-01-01`` stays a string, and ``1e3`` is a number. Raises UsageError (naming
    ``source``) for text that is not YAML, and for a document that aliases excessively (a
    "billion laughs" bomb), which Go's decoder refuses too.
    """
    import yaml

    try:
        documents = list(yaml.load_all(text, Loader=_go_like_loader()))
    except yaml.MarkedYAMLError as exc:
        where = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise UsageError(f"{source}: not valid YAML{where}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{source}: not valid YAML: {exc}") from exc
    for index, document in enumerate(documents):
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


_MERGE_TAG = "tag:yaml.org,2002:merge"


@functools.cache
def _go_like_loader() -> type[yaml.SafeLoader]:
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class GoLikeLoader(base):  # type: ignore[valid-type,misc]
        """SafeLoader with Go's resolution of timestamps (strings) and exponent-only floats,
        refusing duplicate keys as strict field validation does (PyYAML keeps the last)."""

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            seen: set[object] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                    if key_node.value in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                        )
                    seen.add(key_node.value)
            return super().construct_mapping(node, deep=deep)

    GoLikeLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    GoLikeLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$"),
        list("-+.0123456789"),
    )
    return GoLikeLoader
