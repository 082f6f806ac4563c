"""Multi-document YAML that a Go/Kubernetes YAML parser reads back exactly as meant.

PyYAML follows YAML 1.1 and leaves strings plain that Go's parsers (yaml.v2 under
sigs.k8s.io/yaml, or YAML 1.2 parsers) would read as something else: ``1e3`` (a float),
``0o17`` (an int), ``1_000``, ``y``/``n`` (booleans for yaml.v2), ``2026-01-01`` (a timestamp).
Every string that any of them could resolve to a non-string is single-quoted.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

_KEYWORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", ""})
_NUMBER = re.compile(
    r"""[-+]?(
        [0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?      # 12, 1_000, 1.5, 1e3, 1.e3
      | \.[0-9][0-9_]*([eE][-+]?[0-9]+)?                # .5
      | 0[xX][0-9a-fA-F_]+ | 0[oO][0-7_]+ | 0[bB][01_]+ # other bases
      | \.(inf|nan)                                     # special floats
      | [0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?         # YAML 1.1 sexagesimal, 1:30
    )\Z""",
    re.VERBOSE | re.IGNORECASE,
)
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SIGN_OR_DIGIT = frozenset("+-0123456789")


def needs_quotes(value: str) -> bool:
    """Whether a plain ``value`` could be read as a non-string by a YAML 1.1 or 1.2 parser."""
    return (
        value.lower() in _KEYWORDS
        or _NUMBER.match(value) is not None
        or _TIMESTAMP.match(value) is not None
        # Go's yaml.v2/v3 drop every "_" from a scalar starting with a sign or digit before
        # parsing it as a number: "-_1" is -1, "0_x1F" is 31, "1e_3" is 1000.
        or (
            value[:1] in _SIGN_OR_DIGIT
            and "_" in value
            and _NUMBER.match(value.replace("_", "")) is not None
        )
    )


# libyaml's emitter is about 3.4x faster than PyYAML's pure-Python one (the largest cost of
# `generate --all`). The representers below decide every scalar's style either way; the two
# emitters differ only in corner cases (an empty mapping key), and both read back identically.
_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_NULL_TAG = "tag:yaml.org,2002:null"


#: What the dumper resolves with (a plain Resolver: no path resolvers).
_RESOLVER = yaml.resolver.Resolver()
#: Manifests repeat the same keys and values; longer strings are not kept.
_CACHED_LENGTH = 256


@functools.lru_cache(maxsize=8192)
def _resolve_scalar(value: str, implicit: tuple[bool, bool]) -> str:
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, implicit)  # type: ignore[no-untyped-call]
    return tag


class _Dumper(_Base):  # type: ignore[valid-type,misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True  # anchors and aliases confuse readers of manifests; repeat the data instead

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> Any:
        # The emitter asks twice per scalar, and the answer depends on the text alone while the
        # dumper resolves as a plain Resolver does.
        if (
            kind is yaml.ScalarNode
            and len(value) <= _CACHED_LENGTH
            and self.yaml_implicit_resolvers is _RESOLVER.yaml_implicit_resolvers
            and not self.yaml_path_resolvers
        ):
            return _resolve_scalar(value, implicit)
        return super().resolve(kind, value, implicit)


def _str_style(value: str) -> str | None:
    """The style a string is written in (None: plain)."""
    return _cached_style(value) if len(value) <= _CACHED_LENGTH else _style(value)


def _style(value: str) -> str | None:
    if not value.isascii() and _SURROGATE.search(value):
        # PyYAML would write "\uDCFF", which every YAML parser refuses: fail here, not there.
        raise ValueError(f"{value!r:.80} holds a lone surrogate (undecodable bytes), not text")
    # isprintable() first: the per-character scan is the slow path, for the rare odd string.
    if not value.isprintable() and any(not char.isprintable() and char != "\n" for char in value):
        # Tabs, NEL, U+2028, BOMs, control characters: only escapes in double quotes survive
        # every parser unchanged (a raw NEL inside quotes is folded as a line break).
        return '"'
    if "\n" in value:
        return "|"  # the emitter falls back to a quoted style when a block scalar cannot hold it
    if needs_quotes(value):
        return "'"
    return None


_cached_style = functools.lru_cache(maxsize=8192)(_style)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR_TAG, value, style=_str_style(value))


_Dumper.add_representer(str, _represent_str)


def _node(dumper: yaml.SafeDumper, data: Any) -> yaml.Node:
    """The node PyYAML's representer makes of ``data`` (with this dumper's representers),
    built directly for the plain types manifests are made of; anything else goes through the
    representer."""
    kind = type(data)
    if kind is str:
        return yaml.ScalarNode(_STR_TAG, data, style=_str_style(data))
    if kind is dict:
        return yaml.MappingNode(
            _MAP_TAG,
            [(_node(dumper, key), _node(dumper, value)) for key, value in data.items()],
            flow_style=False,
        )
    if kind is list:
        return yaml.SequenceNode(_SEQ_TAG, [_node(dumper, item) for item in data], flow_style=False)
    if kind is bool:
        return yaml.ScalarNode(_BOOL_TAG, "true" if data else "false")
    if kind is int:
        return yaml.ScalarNode(_INT_TAG, str(data))
    if data is None:
        return yaml.ScalarNode(_NULL_TAG, "null")
    node: yaml.Node = dumper.represent_data(data)
    return node


def render_document(document: Mapping[str, Any]) -> str:
    """One document, starting with ``---``; keys keep their order."""
    return render_documents([document])


def render_documents(documents: Iterable[Mapping[str, Any]]) -> str:
    """Documents in order, each starting with ``---``; deterministic for equal input.

    As ``yaml.dump_all(documents, Dumper=_Dumper, explicit_start=True, sort_keys=False,
    allow_unicode=True, default_flow_style=False, width=2**31 - 1)``, with the nodes of plain
    data built without the representer's dispatch."""
    stream = io.StringIO()
    dumper = _Dumper(
        stream,
        default_flow_style=False,
        width=2**31 - 1,
        allow_unicode=True,
        explicit_start=True,
        sort_keys=False,
    )
    try:
        dumper.open()
        for document in documents:
            dumper.serialize(_node(dumper, document))
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()
