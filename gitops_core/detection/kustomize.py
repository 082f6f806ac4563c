"""What a kustomization builds from this repository: its local ``resources``, ``bases`` and
``components``.

Both the GitOps reading of detection (a deployed overlay deploys what it builds) and
``generate --all`` (a base that overlays build is not deployed on its own) need it, for up to
thousands of kustomizations, so the three lists are read with a line scan of the file's top
level; the file is parsed only when the scan is unsure (anchors, flow mappings, document
markers, escapes). Only these keys count: paths under ``patches``, generators or
``namePrefix`` are never mistaken for what the kustomization builds. Remote entries (URLs,
``git@``, anything with a query) are left out: they are not part of this repository.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

import attrs

from gitops_core.yamlio import InvalidYAML, safe_load

from ._files import MARKER_LIMIT, decode, read_prefix

__all__ = [
    "KUSTOMIZATION_FILES",
    "References",
    "declared_namespace",
    "kustomization_text",
    "local_references",
    "namespace_of",
    "parse_references",
    "renames",
]

#: In the order kustomize looks for them.
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_KEYS = ("resources", "bases", "components")

_KEY_LINE = re.compile(r"^(resources|bases|components)[ \t]*:[ \t]*(.*?)[ \t]*\r?$", re.M)
_ITEM = re.compile(r"^[ \t]*-[ \t]+(.*?)[ \t]*\r?$")
_SKIP = re.compile(r"^[ \t]*(?:#.*)?\r?$")
_COMMENT = re.compile(r"[ \t]+#.*$")
# What a line scan cannot read for sure: document markers and directives anywhere; in the lines
# it reads, anchors, aliases, tags, flow mappings, escapes, block scalars.
_UNSURE_FILE = re.compile(r"^(?:---|\.\.\.|%|\?|<<)", re.M)
_UNSURE_LINE = re.compile(r"[&*!{}|>\\]")


@attrs.frozen
class References:
    """Local entries of a kustomization, as written (relative to its folder)."""

    entries: tuple[str, ...] = ()
    #: The file could not be read or parsed; the entries are what is known.
    unreadable: bool = False


def local_references(folder: str) -> References:
    """The local ``resources``/``bases``/``components`` entries of the kustomization in
    ``folder`` (an absolute path); empty when it has none."""
    for name in KUSTOMIZATION_FILES:
        try:
            data, complete = read_prefix(os.path.join(folder, name), MARKER_LIMIT)
        except OSError:
            continue
        try:
            text = decode(data, complete)
        except ValueError:
            return References(unreadable=True)
        return parse_references(text)
    return References()


def kustomization_text(folder: str) -> str | None:
    """The text of the kustomization in ``folder`` (an absolute path), bounded; ``None`` when
    there is none or it cannot be read."""
    for name in KUSTOMIZATION_FILES:
        try:
            data, complete = read_prefix(os.path.join(folder, name), MARKER_LIMIT)
            return decode(data, complete)
        except OSError:
            continue
        except ValueError:
            return None
    return None


def declared_namespace(folder: str) -> str | None:
    """The ``namespace:`` of the kustomization in ``folder`` (an absolute path): the namespace
    kustomize puts every namespaced object it builds in; ``None`` when it sets none."""
    text = kustomization_text(folder)
    return None if text is None else namespace_of(text)


def namespace_of(text: str) -> str | None:
    """A kustomization text's ``namespace:`` (see :func:`declared_namespace`)."""
    from ._files import load_yaml_or_none, scan_top_level

    scanned = scan_top_level(text, ("namespace",))
    if scanned is None:
        document, _ = load_yaml_or_none(text)
        scanned = document if isinstance(document, dict) else {}
    namespace = scanned.get("namespace")
    return namespace if isinstance(namespace, str) and namespace else None


_RENAME = re.compile(r"^(?:namePrefix|nameSuffix)[ \t]*:", re.M)


def renames(text: str) -> bool:
    """Whether a kustomization's text sets a non-empty ``namePrefix`` or ``nameSuffix``: what it
    builds is deployed under other names than its resources declare."""
    if _RENAME.search(text) is None:
        return False
    from ._files import load_yaml_or_none, scan_top_level

    scanned = scan_top_level(text, ("namePrefix", "nameSuffix"))
    if scanned is None:
        document, _ = load_yaml_or_none(text)
        scanned = document if isinstance(document, dict) else {}
    return any(
        isinstance(scanned.get(key), str) and scanned[key] for key in ("namePrefix", "nameSuffix")
    )


def parse_references(text: str) -> References:
    """The local entries of a kustomization's text (see :func:`local_references`)."""
    scanned = _scan(text)
    if scanned is not None:
        return References(tuple(entry for entry in scanned if _local(entry)))
    try:
        document = safe_load(text)
    except InvalidYAML:
        return References(unreadable=True)
    if not isinstance(document, dict):
        return References(unreadable=document is not None)
    entries: list[str] = []
    for key in _KEYS:
        value = document.get(key)
        if isinstance(value, list):
            entries += [item for item in value if isinstance(item, str) and _local(item)]
    return References(tuple(entries))


def _local(entry: str) -> bool:
    entry = entry.strip()
    return bool(entry) and not (
        "://" in entry or entry.startswith(("git@", "github.com/", "/")) or "?" in entry
    )


def _scan(text: str) -> list[str] | None:
    """The entries under the three keys by a line scan, or ``None`` when unsure."""
    if "\t" in text or _UNSURE_FILE.search(text):
        return None
    lines = text.splitlines()
    entries: list[str] = []
    seen: set[str] = set()
    index = 0
    while index < len(lines):
        match = _KEY_LINE.match(lines[index])
        index += 1
        if match is None:
            continue
        key, rest = match.groups()
        if key in seen or _UNSURE_LINE.search(rest):
            return None  # a duplicate key (the parser decides which wins), or unsure syntax
        seen.add(key)
        rest = "" if rest.startswith("#") else _COMMENT.sub("", rest)
        if rest:
            if not (rest.startswith("[") and rest.endswith("]")):
                return None
            unquoted = [_unquote(item.strip()) for item in rest[1:-1].split(",") if item.strip()]
            if any(item is None for item in unquoted):
                return None
            entries += [item for item in unquoted if item]
            continue
        while index < len(lines):
            line = lines[index]
            item = _ITEM.match(line)
            if item is not None:
                value = _unquote(_COMMENT.sub("", item.group(1)))
                if value is None or _UNSURE_LINE.search(line):
                    return None
                entries.append(value)
            elif not _SKIP.match(line):
                if line[:1] == " ":
                    return None  # an indented line that is no list item: a nested structure
                break
            index += 1
    return entries


def _unquote(item: str) -> str | None:
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "'\"":
        inner = item[1:-1]
        return None if ("\\" in inner and item[0] == '"') or item[0] in inner else inner
    if item[:1] in ("'", '"', "[", "{", "-", ":") or ": " in item:
        return None
    return item


def resolve(folder_rel: str, entries: Sequence[str]) -> list[str]:
    """``entries`` as ``/``-separated paths relative to the scanned folder (``folder_rel`` is
    the kustomization's folder there); entries that leave it are dropped."""
    found = []
    for entry in entries:
        target = os.path.normpath(os.path.join(folder_rel, entry.strip())).replace(os.sep, "/")
        if target == ".." or target.startswith("../"):
            continue
        found.append(target)
    return found
