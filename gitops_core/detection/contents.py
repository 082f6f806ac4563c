"""What a package's own manifests declare: the namespaces of its objects, its Namespace objects,
and the packages nested in its folder.

The configure stage asks this of the one package being deployed (or each package of a set), so
that the namespace question defaults to what the package declares and a provider never moves
objects that carry their own namespace. Detection itself does not read this much.

Objects are found with a line scan of each document's top level (``kind:``, and
``namespace:`` under ``metadata:``), falling back to a YAML parse for documents the scan cannot
read (flow style, JSON). A Kustomize package is followed through its local ``resources``,
``bases`` and ``components``; what cannot be known offline (remote bases, generators, Helm
charts inflated by kustomize, files that are not YAML, or not text at all: binary data, another
encoding) counts as objects without a namespace, so the namespace is asked for rather than
guessed; such a file never stops the reading with an error.

A YAML document with neither ``apiVersion`` nor ``kind`` (a helmfile, a values file, any tool's
configuration) is no Kubernetes object: it says nothing about namespaces, and its file is named
in ``not_objects`` (kustomize, and so Flux, cannot build a folder holding one). The same reading
notes what Flux would have to do before applying the objects: files encrypted with SOPS (a
top-level ``sops:`` mapping, ``ENC[...]`` values), the ``${VAR}`` names its post-build
substitution would replace, and objects named only by ``metadata.generateName``.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import attrs

from gitops_core.models import DetectedPackage
from gitops_core.yamlio import InvalidYAML, safe_load

from ._files import decode, read_prefix
from ._scan import CHART_FILE, KUSTOMIZATION_FILES, MANIFEST_SUFFIXES, SKIPPED_FOLDERS
from .kustomize import References, kustomization_text, namespace_of, parse_references

__all__ = ["CLUSTER_SCOPED_KINDS", "ContentsCache", "PackageContents", "package_contents"]

#: Kinds that live outside any namespace (Kubernetes' own, and the common add-ons').
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "FlowSchema",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
#: Reading stops here; what is left unread counts as objects without a namespace.
MAX_FILES = 2000
MAX_BYTES = 64 << 20
_MAX_DEPTH = 8

_DOCUMENT_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)
_KIND = re.compile(r"""^kind:[ \t]*['"]?([A-Za-z][A-Za-z0-9]*)['"]?[ \t]*(?:#.*)?$""", re.MULTILINE)
_GENERATORS = re.compile(r"^(?:configMapGenerator|secretGenerator|helmCharts)[ \t]*:", re.M)
_REMOTE = re.compile(r"^[ \t]*-[ \t]+['\"]?(?:[a-z][a-z0-9+.-]*://|git@)", re.M)
_METADATA = re.compile(r"^metadata:[ \t]*(?:#.*)?$", re.MULTILINE)
_ANY_METADATA = re.compile(r"^metadata:", re.MULTILINE)
_NOT_THERE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
_FIELD = re.compile(r"""^[ \t]+(name|namespace|generateName):[ \t]*['"]?([^'"\s#]*)['"]?""")
_API_VERSION = re.compile(r"^apiVersion:", re.MULTILINE)
#: A SOPS-encrypted document: its top-level ``sops:`` mapping (the ``mac``, ``lastmodified``,
#: keys...) and ``ENC[...]`` values.
_SOPS = re.compile(r"^sops:[ \t]*(?:#.*)?$", re.MULTILINE)
#: Flux's post-build substitution (drone/envsubst): ``${var}``, ``${var:=default}`` and the
#: like; ``$${var}`` is an escape Flux turns into a literal ``${var}``.
_VARIABLE = re.compile(r"(?<!\$)\$\{([_A-Za-z][_A-Za-z0-9]*)(?:[:=\-+?%#/,^][^}]*)?\}")
_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)


@attrs.frozen(kw_only=True)
class PackageContents:
    """``namespaces``: those its namespaced objects carry; ``unnamespaced``: some namespaced
    object carries none (or the package could not be read whole); ``namespace_objects``: the
    names of its Namespace objects; ``kustomize_namespace``: its kustomization's
    ``namespace:``; ``nested``: folders below it that hold a package of their own.

    Files (paths relative to the root it was read from, sorted): ``not_objects`` hold YAML
    documents that are no Kubernetes object (neither ``apiVersion`` nor ``kind``);
    ``sops_files`` hold SOPS-encrypted documents; ``generate_name`` hold objects named only by
    ``metadata.generateName``. ``variables``: the ``${VAR}`` names its manifests use."""

    namespaces: tuple[str, ...] = ()
    unnamespaced: bool = False
    namespace_objects: tuple[str, ...] = ()
    kustomize_namespace: str | None = None
    nested: tuple[str, ...] = ()
    not_objects: tuple[str, ...] = ()
    sops_files: tuple[str, ...] = ()
    generate_name: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()

    @property
    def declared_namespace(self) -> str | None:
        """The one namespace the package puts its objects in, if it says so itself."""
        if self.kustomize_namespace:
            return self.kustomize_namespace
        if len(self.namespaces) == 1 and not self.unnamespaced:
            return self.namespaces[0]
        return None


#: What one manifest file holds: its objects, whether some document could not be read, how
#: many bytes were read, whether that is the whole file, and its :class:`_Traits`.
_FileObjects = tuple[tuple[tuple[str, str | None, str | None], ...], bool, int, bool, "_Traits"]


class _Traits(NamedTuple):
    """What else a file's documents say: some is no Kubernetes object, some is SOPS-encrypted,
    some object has only a ``generateName``; the ``${VAR}`` names used."""

    not_object: bool = False
    sops: bool = False
    generate_name: bool = False
    variables: tuple[str, ...] = ()


_PLAIN = _Traits()


class _Kustomization(NamedTuple):
    """What a kustomization says (``text`` None: there is none, or it cannot be read)."""

    text: str | None
    references: References | None = None
    #: Generators, or remote entries: objects of unknown namespace.
    unknown: bool = False
    namespace: str | None = None


@attrs.define(eq=False)
class ContentsCache:
    """What :func:`package_contents` read, shared by the packages of one set: a base that three
    overlays build is read once, not four times. Every package still counts what it reads
    against its own bounds, so the answers are those of reading each package alone.

    Keep one only for one run: files are read once and never again."""

    files: dict[str, _FileObjects] = attrs.Factory(dict)
    kustomizations: dict[str, _Kustomization] = attrs.Factory(dict)
    kinds: dict[str, str] = attrs.Factory(dict)
    #: Kustomization texts read whole already, by folder: what ``detect(kustomizations=)``
    #: gives.
    texts: dict[str, str] = attrs.Factory(dict)

    def kustomization(self, folder: str) -> _Kustomization:
        """The kustomization in ``folder`` (an absolute, normalized path)."""
        found = self.kustomizations.get(folder)
        if found is None:
            text = self.texts.pop(folder, None)
            if text is None:
                text = kustomization_text(folder)
            if text is None:
                found = _Kustomization(None)
            else:
                found = _Kustomization(
                    text,
                    parse_references(text),
                    _GENERATORS.search(text) is not None or _REMOTE.search(text) is not None,
                    namespace_of(text),
                )
            self.kustomizations[folder] = found
        return found

    def kind(self, path: str) -> str:
        """``dir``, ``file`` or ``other`` (nothing there) for ``path``, as stat follows links."""
        found = self.kinds.get(path)
        if found is None:
            try:
                mode = os.stat(path).st_mode
            except OSError as error:  # as Path.is_dir() and is_file(): these mean "not there"
                if error.errno not in _NOT_THERE:
                    raise
                mode = 0
            except ValueError:  # a NUL in the name
                mode = 0
            found = "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"
            self.kinds[path] = found
        return found


class _Reader:
    """One package's reading: what it found, and how much of its budget it spent. (A plain
    class: the private helpers of this module are defined on every start, attrs classes cost
    ~0.4 ms each to define.)"""

    __slots__ = (
        "bytes", "cache", "files", "generate_name", "not_objects", "objects", "sops", "unknown",
        "variables",
    )  # fmt: skip

    def __init__(self, cache: ContentsCache, files: int = 0, bytes: int = 0) -> None:
        self.cache = cache
        self.files = files
        self.bytes = bytes
        self.unknown = False
        self.objects: list[tuple[str, str | None, str | None]] = []
        #: Files by what else they hold (see :class:`_Traits`), absolute paths.
        self.not_objects: list[str] = []
        self.sops: list[str] = []
        self.generate_name: list[str] = []
        self.variables: set[str] = set()

    def budget_left(self) -> bool:
        if self.files >= MAX_FILES or self.bytes >= MAX_BYTES:
            self.unknown = True
            return False
        return True

    def read_file(self, path: str) -> None:
        if not self.budget_left():
            return
        self.files += 1
        left = MAX_BYTES - self.bytes
        found = self.cache.files.get(path)
        # What was read whole before is read the same way again while it fits the budget.
        if found is None or found[2] > left:
            try:
                data, complete = read_prefix(path, left)
            except OSError:
                self.unknown = True
                return
            objects: list[tuple[str, str | None, str | None]] = []
            traits = _PLAIN
            try:
                text = decode(data, complete)
            except ValueError:
                # Binary data or another encoding under a manifest's name: detection skips it
                # with a note; here it holds objects nobody can tell, so the namespace is asked.
                unknown = True
            else:
                unknown = False
                flags = [False, False]  # not an object, generateName only
                for document in _DOCUMENT_SPLIT.split(text):
                    unknown |= _document(document, objects, flags)
                traits = _traits(text, flags)
            found = (tuple(objects), unknown, len(data), complete, traits)
            if complete:
                self.cache.files[path] = found
        objects_found, unknown, size, complete, traits = found
        self.bytes += size
        self.unknown |= unknown or not complete
        self.objects += objects_found
        if traits is not _PLAIN:
            if traits.not_object:
                self.not_objects.append(path)
            if traits.sops:
                self.sops.append(path)
            if traits.generate_name:
                self.generate_name.append(path)
            self.variables.update(traits.variables)

    def absorb(self, inner: _Reader) -> None:
        """Take over what ``inner`` (a kustomization this one builds) found besides objects."""
        self.not_objects += inner.not_objects
        self.sops += inner.sops
        self.generate_name += inner.generate_name
        self.variables |= inner.variables


def _traits(text: str, flags: list[bool]) -> _Traits:
    """A file's :class:`_Traits` from its text and what :func:`_document` flagged (substring
    tests first: most files hold neither ``sops:`` nor ``${``)."""
    sops = "sops:" in text and "ENC[" in text and _SOPS.search(text) is not None
    variables: tuple[str, ...] = ()
    if "${" in text:
        # Flux substitutes in the built objects, where comments are gone.
        variables = tuple(sorted(set(_VARIABLE.findall(_COMMENT_LINE.sub("", text)))))
    if not (sops or variables or flags[0] or flags[1]):
        return _PLAIN
    return _Traits(flags[0], sops, flags[1], variables)


def _document(
    text: str, objects: list[tuple[str, str | None, str | None]], flags: list[bool]
) -> bool:
    """Add the object of one document to ``objects``; True when it cannot tell what the
    document holds. ``flags[0]`` is set for a document that is no Kubernetes object,
    ``flags[1]`` for an object with a ``generateName`` and no ``name``."""
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        return False
    kind = _KIND.search(text)
    metadata = _METADATA.search(text)
    if kind is None or (metadata is None and _ANY_METADATA.search(text)):
        return _parsed(text, objects, flags)  # flow style, JSON: let the parser read it
    name = namespace = generate_name = None
    if metadata is not None:
        for line in text[metadata.end() :].splitlines()[1:]:
            if line and not line[0].isspace() and not line.startswith("#"):
                break  # the next top-level key: metadata is over
            field = _FIELD.match(line)
            if field is not None and field[2]:
                if field[1] == "name" and name is None:
                    name = field[2]
                elif field[1] == "namespace" and namespace is None:
                    namespace = field[2]
                elif field[1] == "generateName":
                    generate_name = field[2]
    if generate_name and name is None:
        flags[1] = True
    objects.append((kind[1], name, namespace))
    return False


def _parsed(
    text: str, objects: list[tuple[str, str | None, str | None]], flags: list[bool]
) -> bool:
    if _API_VERSION.search(text) is None and "kind" not in text and "{" not in text:
        # Block-style YAML with no apiVersion or kind at all (a helmfile, a values file): no
        # Kubernetes object, whatever else it holds; only a parse can tell flow style or JSON.
        flags[0] = True
        return False
    try:
        document = safe_load(text)
    except InvalidYAML:
        return True  # a template, or not YAML: cannot tell what it holds
    if isinstance(document, dict) and "apiVersion" not in document and "kind" not in document:
        flags[0] = True  # a mapping, but no Kubernetes object
        return False
    if isinstance(document, dict) and isinstance(document.get("kind"), str):
        metadata = document.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        name, namespace = metadata.get("name"), metadata.get("namespace")
        if metadata.get("generateName") and not name:
            flags[1] = True
        objects.append(
            (
                document["kind"],
                name if isinstance(name, str) else None,
                namespace if isinstance(namespace, str) and namespace else None,
            )
        )
        return False
    return document is not None


def package_contents(
    root: Path, package: DetectedPackage, cache: ContentsCache | None = None
) -> PackageContents:
    """What ``package`` (under ``root``) declares; see the module doc. ``cache``: what the
    other packages of a set read already (see :class:`ContentsCache`)."""
    top = os.path.abspath(root)
    folder = os.path.normpath(os.path.join(top, package.path))
    if package.type == "helm":
        # Charts template their namespaces from the release's: the answer is always needed.
        return PackageContents(unnamespaced=True)
    reader = _Reader(ContentsCache() if cache is None else cache)
    nested: list[str] = []
    kustomize_namespace = None
    if package.type == "kustomize":
        kustomize_namespace = _kustomization(top, folder, reader, 0)
    else:
        for path in _manifest_files(folder, folder, nested):
            reader.read_file(path)
    namespaces: set[str] = set()
    # Nothing read (a folder gone, unreadable or empty) says nothing about namespaces either.
    unnamespaced = reader.unknown or not reader.objects
    namespace_objects: list[str] = []
    for kind, name, namespace in reader.objects:
        if kind == "Namespace":
            if name:
                namespace_objects.append(name)
        elif kind in CLUSTER_SCOPED_KINDS or kind.startswith("Cluster") or kind == "List":
            continue
        elif kustomize_namespace:
            continue  # kustomize sets it on every namespaced object
        elif namespace:
            namespaces.add(namespace)
        else:
            unnamespaced = True
    return PackageContents(
        namespaces=tuple(sorted(namespaces)),
        unnamespaced=unnamespaced and not kustomize_namespace,
        namespace_objects=tuple(sorted(set(namespace_objects))),
        kustomize_namespace=kustomize_namespace,
        nested=tuple(nested),
        not_objects=_relative(top, reader.not_objects),
        sops_files=_relative(top, reader.sops),
        generate_name=_relative(top, reader.generate_name),
        variables=tuple(sorted(reader.variables)),
    )


def _relative(top: str, paths: list[str]) -> tuple[str, ...]:
    """``paths`` (absolute) relative to ``top``, with ``/`` separators, sorted, once each."""
    if not paths:
        return ()
    return tuple(sorted({os.path.relpath(path, top).replace(os.sep, "/") for path in paths}))


def _manifest_files(top: str, folder: str, nested: list[str]) -> Iterator[str]:
    """The manifest files of a folder of plain manifests, as Flux and Argo CD (recursing) read
    it: every sub-folder too, except hidden ones; a sub-folder that is a package of its own is
    named in ``nested``."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    names = {entry.name for entry in entries}
    if folder != top and (CHART_FILE in names or not names.isdisjoint(KUSTOMIZATION_FILES)):
        nested.append(os.path.relpath(folder, top).replace(os.sep, "/"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in SKIPPED_FOLDERS:
                yield from _manifest_files(top, entry.path, nested)
        elif entry.name.lower().endswith(MANIFEST_SUFFIXES):
            yield entry.path


def _below(top: str, path: str) -> bool:
    """Whether the normalized absolute ``path`` lies strictly below the folder ``top``."""
    return path != top and path.startswith(top.rstrip(os.sep) + os.sep)


def _kustomization(top: str, folder: str, reader: _Reader, depth: int) -> str | None:
    """Read the objects a kustomization builds into ``reader``; returns its ``namespace:``.

    What it refers to is read only inside ``top`` (the scanned folder): nothing outside the
    repository is opened, whatever a kustomization says."""
    if depth > _MAX_DEPTH or not reader.budget_left():
        reader.unknown = True
        return None
    kustomization = reader.cache.kustomization(folder)
    references = kustomization.references
    if references is None or references.unreadable:
        reader.unknown = True  # none (kustomize refuses the folder), or not YAML
        return None
    reader.files += 1
    # Generated objects are namespaced, without a namespace unless the kustomization sets
    # one; remote bases cannot be read offline. Either way: objects of unknown namespace.
    if kustomization.unknown:
        reader.unknown = True
    for entry in references.entries:
        # normpath, not resolve(): a symlink's realpath costs more than the read.
        target = os.path.normpath(os.path.join(folder, entry.strip()))
        if not _below(top, target):
            reader.unknown = True
            continue
        what = reader.cache.kind(target)
        if what == "dir":
            inner = _Reader(reader.cache, files=reader.files, bytes=reader.bytes)
            inner_namespace = _kustomization(top, target, inner, depth + 1)
            reader.files, reader.bytes = inner.files, inner.bytes
            reader.unknown |= inner.unknown
            reader.absorb(inner)
            reader.objects += [
                (kind, name, inner_namespace or ns) for kind, name, ns in inner.objects
            ]
        elif what == "file":
            reader.read_file(target)
        else:
            reader.unknown = True
    return kustomization.namespace
