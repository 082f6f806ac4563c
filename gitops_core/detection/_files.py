"""Reading the few files detection must open, never more of each than it needs.

Marker files (``Chart.yaml``, ``kustomization.yaml``) are read whole up to a bound; a scan of
their top-level lines tells the few keys detection needs, and they are parsed only when it cannot.
Candidate manifests are *sniffed*: a bounded prefix is read, a substring test rejects most
non-Kubernetes files without decoding them, a line scan finds top-level ``apiVersion``/``kind``
keys, and only then is the first document parsed (when the prefix holds all of it).
"""

from __future__ import annotations

import enum
import os
import re
from typing import Any

from gitops_core.yamlio import InvalidYAML, safe_load

#: Chart.yaml and kustomization files are small; a bigger one is odd and only its head is read.
MARKER_LIMIT = 1 << 20
#: How much of a candidate manifest is read: enough for licence headers and a first document.
SNIFF_LIMIT = 16 << 10

# A YAML document marker (``---`` or ``...``) at the start of a line.
_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)
# A top-level ``apiVersion:`` / ``kind:`` key in block style, plain or quoted, and its value.
_TOP_KEY = re.compile(
    r"""^(["']?)(apiVersion|kind)\1[ \t]*:(?:[ \t]+([^\r\n]*?))?[ \t]*\r?$""", re.MULTILINE
)
# Lines after which a top-level line scan is not to be trusted: document markers and
# directives, quoted, complex (``?``) or merge (``<<``) keys at the top level.
_UNSURE_LINE = re.compile(r"""^(?:---|\.\.\.|%|["'?]|<<)""", re.MULTILINE)
# The first line with content (after blank and comment lines) is a top-level block mapping key.
_FIRST_LINE_IS_KEY = re.compile(
    r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*[A-Za-z_][\w.-]*[ \t]*:(?:[ \t]|\r?$)", re.M
)
# A value: double- or single-quoted without escapes, or a plain word; then an optional comment.
_STRING_VALUE = re.compile(
    r"""[ \t]*(?:"([^"\\]*)"|'([^']*)'|([A-Za-z_][\w.-]*))[ \t]*(?:[ \t]#[^\r]*)?\r?"""
)
# An indented line with content right after a plain value continues that value.
_CONTINUED = re.compile(r"[ \t]+[^ \t\r\n#]")
# Plain words YAML 1.1 (PyYAML, Helm's Go parser) reads as booleans or null.
_NOT_STRINGS = frozenset(["y", "n", "yes", "no", "on", "off", "true", "false", "null"])
_CHUNK = 1 << 16
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')

# apiVersion groups of files that configure a client-side tool (skaffold.yaml, kind or k3d
# cluster configs, kubeadm config, Backstage catalog entries; the ``*.config.k8s.io`` groups of
# kustomize and the component configs are matched by suffix): they carry apiVersion and kind,
# yet no cluster accepts them.
_CLIENT_GROUPS = frozenset(
    {
        "skaffold",
        "kind.x-k8s.io",
        "k3d.io",
        "ctlptl.dev",
        "kpt.dev",
        "config.kubernetes.io",
        "backstage.io",
        "kubeadm.k8s.io",
        "audit.k8s.io",
        "clusterctl.cluster.x-k8s.io",
    }
)


class Verdict(enum.Enum):
    """What sniffing one file concluded."""

    KUBERNETES = "kubernetes"
    OTHER = "other"


def read_prefix(path: str, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of ``path`` and whether that is the whole file.

    Only regular files are read, so a short read means the end of the file: a small file
    costs one ``read`` call.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks: list[bytes] = []
        size = 0
        # One byte more than the bound tells a file of exactly ``limit`` bytes from a longer one.
        while size <= limit:
            wanted = min(limit + 1 - size, _CHUNK)
            chunk = os.read(fd, wanted)
            chunks.append(chunk)
            size += len(chunk)
            if len(chunk) < wanted:
                break
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return data[:limit], size <= limit


def scan_top_level(text: str, keys: tuple[str, ...]) -> dict[str, str] | None:
    """The string values of top-level ``keys`` found by a line scan, or ``None`` when unsure.

    Sure only of a block mapping whose wanted keys each appear at most once, on one line, with
    a plain or quoted value that YAML reads as a string (not ``yes``, ``null``, ``1.0``, an
    alias, a tag, a flow collection or a value continued on the next line). Absent keys are
    left out. Anything else (``---`` markers, quoted or complex keys, merge keys) needs a parse.
    """
    if _UNSURE_LINE.search(text) or not _FIRST_LINE_IS_KEY.match(text):
        return None
    values: dict[str, str] = {}
    for key in keys:
        matches = list(re.finditer(rf"^{key}[ \t]*:(.*)\n?", text, re.MULTILINE))
        if not matches:
            continue
        if len(matches) > 1:
            return None
        match = matches[0]
        value = _plain_string(match.group(1))
        if value is None or _CONTINUED.match(text, match.end()):
            return None
        values[key] = value
    return values


def _plain_string(raw: str) -> str | None:
    match = _STRING_VALUE.fullmatch(raw)
    if match is None:
        return None
    double, single, plain = match.groups()
    if plain is not None:
        return None if plain.lower() in _NOT_STRINGS else plain
    return double if double is not None else single


def decode(data: bytes, complete: bool) -> str:
    """UTF-8 text without a BOM; a character cut by the read bound is dropped, not an error.

    Raises ``ValueError`` for binary data or another encoding.
    """
    if b"\0" in data:
        raise ValueError("binary data")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if complete or error.start < len(data) - 3:
            raise ValueError("not UTF-8 text") from None
        text = data[: error.start].decode("utf-8")
    return text.removeprefix("\ufeff")


def load_yaml_or_none(text: str) -> tuple[Any, bool]:
    """``(document, True)``, or ``(None, False)`` when ``text`` is not one valid YAML document.

    Always a safe loader: libyaml's when PyYAML has it, several times faster than the pure one.
    """
    try:
        return safe_load(text), True
    except InvalidYAML:
        return None, False


def sniff(path: str, name: str) -> tuple[Verdict, str | None]:
    """Whether the file at ``path`` holds Kubernetes objects, and a note when it looked odd.

    The verdict rests on the first non-empty document: a mapping with string ``apiVersion`` and
    ``kind`` (a ``v1 List`` included), or a list of such mappings (noted: kubectl applies
    neither a JSON nor a YAML array as is).
    """
    try:
        data, complete = read_prefix(path, SNIFF_LIMIT)
    except OSError as error:
        return Verdict.OTHER, f"{name}: skipped, cannot read it ({error.strerror})"
    return sniff_data(data, complete, name)


def sniff_data(data: bytes, complete: bool, name: str) -> tuple[Verdict, str | None]:
    """:func:`sniff` of the first bytes of a file already read (``complete``: all of it)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Verdict.OTHER, f"{name}: skipped, UTF-16 text (save it as UTF-8)"
    # Every manifest names both keys; most other YAML and JSON files are rejected here, undecoded.
    if b"apiVersion" not in data or b"kind" not in data:
        return Verdict.OTHER, None
    try:
        text = decode(data, complete)
    except ValueError as error:
        return Verdict.OTHER, f"{name}: skipped, {error}"
    document, whole = _first_document(text, complete)
    if document is None:
        return Verdict.OTHER, None
    head = document.lstrip()
    if head.startswith(("{", "[")):
        return _sniff_flow(name, head, whole)
    if head.startswith("- "):
        return _sniff_parsed(name, document) if whole else (Verdict.OTHER, None)
    keys = {match.group(2): match.group(3) or "" for match in _TOP_KEY.finditer(document)}
    if len(keys) < 2:
        return Verdict.OTHER, None
    if whole:
        return _sniff_parsed(name, document)
    # The first document goes on past the read bound (a huge ConfigMap, say): judge by its keys.
    parsed, ok = load_yaml_or_none(f"apiVersion: {keys['apiVersion']}\nkind: {keys['kind']}\n")
    return _judge(parsed if ok else None, name)


def _first_document(text: str, complete: bool) -> tuple[str | None, bool]:
    """The first document holding more than comments, and whether ``text`` holds all of it."""
    start = 0
    for marker in _DOC_MARKER.finditer(text):
        if _has_content(text[start : marker.start()]):
            return text[start : marker.start()], True
        line_end = text.find("\n", marker.end())
        start = len(text) if line_end < 0 else line_end + 1
    rest = text[start:]
    return (rest, complete) if _has_content(rest) else (None, complete)


def _has_content(chunk: str) -> bool:
    for line in chunk.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%")):
            return True
    return False


def _sniff_flow(name: str, head: str, whole: bool) -> tuple[Verdict, str | None]:
    """A JSON document (or YAML in flow style): parse it whole, else read its first members."""
    if whole:
        import json

        try:
            return _judge(json.loads(head), name)
        except (ValueError, RecursionError):  # json recurses per nesting level
            return _sniff_parsed(name, head)
    members = _json_head(head)
    return _judge([members] if head.startswith("[") else members, name)


def _sniff_parsed(name: str, document: str) -> tuple[Verdict, str | None]:
    parsed, ok = load_yaml_or_none(document)
    if not ok:
        return Verdict.OTHER, f"{name}: skipped, not valid YAML (a template?)"
    return _judge(parsed, name)


def _judge(document: Any, name: str) -> tuple[Verdict, str | None]:
    if isinstance(document, dict):
        return (Verdict.KUBERNETES, None) if is_object(document) else (Verdict.OTHER, None)
    if isinstance(document, list) and document and all(map(is_object, document)):
        return (
            Verdict.KUBERNETES,
            f"{name}: a list of objects, not one object or a v1 List; kubectl does not apply it"
            " as is",
        )
    return Verdict.OTHER, None


def is_object(document: object) -> bool:
    """A mapping with string ``apiVersion`` and ``kind`` that a cluster would accept."""
    if not isinstance(document, dict):
        return False
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str) and api_version and kind):
        return False
    group = api_version.rpartition("/")[0]
    if group in _CLIENT_GROUPS or group.endswith(".config.k8s.io"):
        return False
    return not (api_version == "v1" and kind == "Config")  # a kubeconfig


def _json_head(text: str) -> dict[str, Any]:
    """The string members of the first object in a JSON text cut short by the read bound."""
    members: dict[str, Any] = {}
    depth = object_depth = 0
    key: str | None = None
    after_colon = False
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("{", "["):
            depth += 1
            if token == "{" and not object_depth:
                object_depth = depth
            key, after_colon = None, False
        elif token in ("}", "]"):
            if depth == object_depth:
                break
            depth -= 1
        elif depth != object_depth:
            continue
        elif token == ":":
            after_colon = key is not None
        elif token == ",":
            key, after_colon = None, False
        elif after_colon and key is not None:
            members[key] = _unquote(token)
            key, after_colon = None, False
        else:
            key = _unquote(token)
    return members


def _unquote(token: str) -> str:
    if "\\" not in token:
        return token[1:-1]
    import json

    value: str = json.loads(token)
    return value
