"""Reading YAML: always a safe loader (libyaml's when installed), every failure one exception.

The pure-Python loader raises ValueError or OverflowError for an escape such as
``"\\U99999999"`` and recurses once per level of nesting; libyaml reports the first as a
YAMLError. Callers catch :class:`InvalidYAML` alone and name their file in one line.
PyYAML itself is imported on first use, so that importing this module costs nothing.
"""

from __future__ import annotations

from typing import Any


class InvalidYAML(ValueError):
    """Text that is not YAML; the message is one line."""


def safe_load(text: str | bytes) -> Any:
    """The one YAML document in ``text``, as plain data."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise InvalidYAML(" ".join(str(exc).split()) or type(exc).__name__) from None


def safe_load_all(text: str | bytes) -> list[Any]:
    """Every YAML document in ``text``, as plain data."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return list(yaml.load_all(text, Loader=loader))
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise InvalidYAML(" ".join(str(exc).split()) or type(exc).__name__) from None


# --- YAML read as a Kubernetes API server reads it ---------------------------------------------
#
# kubectl and the API server turn YAML into JSON with sigs.k8s.io/yaml, which decodes with its
# fork of go-yaml v2 (YAML 1.1 scalars) into interface{} values and then encodes JSON. These are
# go-yaml v2's resolve rules (resolve.go) and sigs.k8s.io/yaml's key conversion, as measured
# against that source:
#
# - booleans: y Y yes Yes YES true True TRUE on On ON / n N no No NO false False FALSE off Off OFF;
#   null: "" ~ null Null NULL; .nan / .inf spellings are floats (which JSON cannot carry);
# - a plain scalar starting with a digit or a sign is an integer by strconv.ParseInt(s, 0, 64)
#   with underscores removed (0x1F, 0X1F, 0o17, 0B101, 017 octal, +12), else by ParseUint, else a
#   float when it looks like one (1e3, 1., 08); anything else (1:30, 2026-01-01, =) is a string:
#   go-yaml v2 has no sexagesimal numbers, and into interface{} it keeps timestamps as strings;
# - an integer beyond int64 becomes a float64 once the API server decodes the JSON;
# - a tag it cannot resolve (!Secret x) leaves the value a plain string, a collection as it is;
# - an anchor defined twice is accepted (an alias takes the latest definition);
# - mapping keys become strings: integers in decimal, floats as Go's 'g' of a float32, booleans
#   as true/false; a null key cannot be converted.

_GO_MAP: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), True),
    **dict.fromkeys(("on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), False),
    **dict.fromkeys(("off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), float("inf")),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), float("-inf")),
}  # fmt: skip
_GO_PLAIN = "tag:gitops,2026:go-plain"
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_INT64 = 2**63
_UINT64 = 2**64


def _go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), else ParseUint: None when neither takes it."""
    import re

    match = re.fullmatch(
        r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)", text
    )
    if match is None:
        return None
    sign, digits = match.groups()
    if digits[:2] in ("0x", "0X"):
        value = int(digits[2:], 16)
    elif digits[:2] in ("0o", "0O"):
        value = int(digits[2:], 8)
    elif digits[:2] in ("0b", "0B"):
        value = int(digits[2:], 2)
    elif digits.startswith("0") and len(digits) > 1:
        value = int(digits[1:], 8)
    else:
        value = int(digits)
    value = -value if sign == "-" else value
    if -_INT64 <= value < _INT64:
        return value
    if sign != "-" and 0 <= value < _UINT64:
        return value
    return None


def go_scalar(text: str) -> Any:
    """The value go-yaml v2 gives a plain (unquoted, untagged) scalar, as the API server's JSON
    decoder then reads it (integers past int64 become floats)."""
    import re

    if text in _GO_MAP:
        return _GO_MAP[text]
    first = text[:1]
    if first in "+-0123456789":
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return number if -_INT64 <= number < _INT64 else float(number)
        if re.fullmatch(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", plain):
            return float(plain)
        return text
    if first == "." and re.fullmatch(r"\.[0-9]+([eE][-+]?[0-9]+)?", text):
        return float(text)
    return text


def _go_float32_key(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 32), with go-yaml's spellings of the infinities."""
    import math
    import struct

    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, _, exponent = text.partition("e")
    if exponent:
        exp = int(exponent)
        return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return mantissa


def _go_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return _go_float32_key(key)
    raise InvalidYAML(f"unsupported map key of type {type(key).__name__}: {key!r}")


def _one_line_error(exc: BaseException) -> str:
    """The whole message of a YAML error on one line: ``at line N: problem (context)``."""
    import yaml

    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        text = exc.problem or exc.context or type(exc).__name__
        if exc.problem and exc.context:
            where = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
            text = f"{exc.problem} ({exc.context}{where})"
        text = f"at line {mark.line + 1}: {text}" if mark else text
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


_LOADERS: dict[bool, type] = {}


def _go_loader(python: bool) -> type:
    """A safe loader resolving scalars as go-yaml v2 does; ``python``: the pure-Python composer,
    which takes an anchor defined twice (libyaml's refuses it)."""
    if python in _LOADERS:
        return _LOADERS[python]
    import yaml

    base: type[yaml.SafeLoader] = (
        yaml.SafeLoader if python else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )

    class GoLoader(base):  # type: ignore[valid-type,misc]
        def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
            if kind is yaml.ScalarNode:
                if implicit[0]:
                    return _MERGE if value == "<<" else _GO_PLAIN
                return _STR
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]

        def compose_node(self, parent: Any, index: Any) -> Any:
            if not self.check_event(yaml.AliasEvent):
                anchor = self.peek_event().anchor
                if anchor is not None:
                    self.anchors.pop(anchor, None)  # go-yaml: the latest definition wins
            return super().compose_node(parent, index)

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            self.flatten_mapping(node)
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = _go_key(self.construct_object(key_node, deep=True))
                if key in mapping:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                mapping[key] = self.construct_object(value_node, deep=deep)
            return mapping

    def plain(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        return go_scalar(node.value)

    def other(loader: yaml.SafeLoader, tag_suffix: str | None, node: yaml.Node) -> Any:
        # A tag go-yaml cannot resolve (!Secret): the scalar stays a string.
        if isinstance(node, yaml.ScalarNode):
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]

    GoLoader.add_constructor(_GO_PLAIN, plain)
    GoLoader.add_multi_constructor("!", other)
    GoLoader.add_multi_constructor("tag:", other)
    for tag in ("str", "int", "float", "bool", "null", "seq", "map", "merge", "binary"):
        full = f"tag:yaml.org,2002:{tag}"
        if full in base.yaml_constructors:
            GoLoader.add_constructor(full, base.yaml_constructors[full])
    _LOADERS[python] = GoLoader
    return GoLoader


def go_load_all(text: str | bytes) -> list[Any]:
    """Every YAML document in ``text``, read as the Kubernetes API server reads it (see above).

    Raises :class:`InvalidYAML` with a complete one-line message.
    """
    import yaml

    try:
        try:
            return _documents(_go_loader(False)(text), merges=_has_merge_key(text))
        except yaml.composer.ComposerError as exc:
            if "duplicate anchor" not in str(exc.context):
                raise
            return _documents(_go_loader(True)(text), merges=_has_merge_key(text))
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise InvalidYAML(_one_line_error(exc)) from None


def _has_merge_key(text: str | bytes) -> bool:
    return ("<<" if isinstance(text, str) else b"<<") in text  # type: ignore[operator]


def _documents(loader: Any, *, merges: bool = True) -> list[Any]:
    """The documents of ``loader``'s stream, built from its nodes.

    The same values as ``yaml.load_all`` with the loader's constructors, built directly: plain
    scalars, strings, sequences and mappings (nine nodes in ten) skip PyYAML's per-node
    dispatch, which was most of the time spent reading a manifest. Any other tag goes through
    the loader's constructors as before; a node reached again through an alias gives the same
    object, as PyYAML's does (the alias limit is checked on that sharing). Without ``merges``
    (no ``<<`` in the text) mappings need no merge-key flattening.
    """
    import yaml

    scalar, sequence, mapping = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
    seq_tag, map_tag = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
    built: dict[int, Any] = {}

    def build(node: Any) -> Any:
        kind = node.__class__
        tag = node.tag
        if kind is scalar:
            if tag == _GO_PLAIN:
                return go_scalar(node.value)
            if tag == _STR:
                return node.value
        elif tag == map_tag and kind is mapping:
            key = id(node)
            if key in built:
                return built[key]
            if merges:
                loader.flatten_mapping(node)
            result: dict[str, Any] = {}
            built[key] = result
            for key_node, value_node in node.value:
                name = _go_key(build(key_node))
                if name in result:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {name!r}", key_node.start_mark
                    )
                result[name] = build(value_node)
            return result
        elif tag == seq_tag and kind is sequence:
            key = id(node)
            if key in built:
                return built[key]
            items: list[Any] = []
            built[key] = items
            items.extend(build(child) for child in node.value)
            return items
        return loader.construct_object(node, deep=True)

    documents: list[Any] = []
    try:
        while loader.check_node():
            documents.append(build(loader.get_node()))
            built.clear()
            loader.constructed_objects.clear()
    finally:
        loader.dispose()
    return documents
