"""Protocol buffer messages in CEL: the well-known types every CEL environment has, and the
message types a caller declares (as cel-go's ``cel.Types(...)`` declares them).

The well-known types are part of the language: ``google.protobuf.Int64Value{value: 1}`` and
the other wrappers evaluate to the plain value they wrap (the zero value when empty),
``google.protobuf.Value{}`` to ``null``, ``Struct`` to a map, ``ListValue`` to a list,
``Duration`` and ``Timestamp`` to a duration and a timestamp. ``google.protobuf.Any`` built from
serialized bytes is refused: unpacking it needs the wire format of the packed message.

Other message types exist only when declared: :class:`MessageType` describes one (its full name
and its fields, with their types written as CEL writes types), :class:`MessageTypes` checks a set
of them once and is given to ``compile_expression(types=...)``. A CRD rule has none (CRD data are
maps), so this module costs the rules of a CRD nothing: a message literal is compiled only when
one is written, and selecting a field of a map never reaches it.

A :class:`Message` keeps the fields that are set. As protobuf does, a proto3 scalar field set to
its zero value and an empty repeated or map field are not set; reading a field that is not set
gives its default: the zero value (or a proto2 default), ``null`` for a wrapper, ``Value`` or
``Any`` field, an empty list or map, an empty message for a message field. Two messages are equal
when they are of one type and have the same fields set to equal values (a NaN is equal to
nothing).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from gitops_core.validation.cel._errors import CelEvalError
from gitops_core.validation.cel._values import (
    BoolKey,
    Duration,
    Timestamp,
    UInt,
    Value,
    equal,
    format_duration,
    type_name,
)

__all__ = ["WELL_KNOWN", "Message", "MessageType", "MessageTypes"]

_UNSET: Any = object()
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_UINT32_MAX = 2**32 - 1
_JSON_SAFE = 2**53 - 1  # cel-go writes a larger integer into a JSON Value as a string
_NS = 1_000_000_000


@attrs.frozen
class MessageType:
    """A protocol buffer message type an expression may build (``T{f: v}``) and read.

    ``name`` is the full name (``my.pkg.Widget``; a nested message ``my.pkg.Widget.Part``).
    ``fields`` maps each field to its type, written as CEL writes types: ``bool``, ``int``,
    ``uint``, ``double``, ``string``, ``bytes``; the narrower protobuf scalars ``int32``
    (also for an enum), ``uint32`` and ``float``, whose range or precision is enforced when the
    field is set; ``google.protobuf.Int64Value`` and the other wrappers (read as ``null`` when
    not set); ``google.protobuf.Value``, ``Struct``, ``ListValue``, ``Any``, ``Duration``,
    ``Timestamp``; the full name of a message type declared with it; ``list(T)`` for a repeated
    field and ``map(K, V)`` for a map field.

    ``proto2``: every singular field remembers being set (``has()`` is true for a field set to
    its zero value), and ``defaults`` gives the default of a scalar field that is not the zero
    value. In proto3 (the default) a scalar field set to its zero value is not set.
    """

    name: str
    fields: Mapping[str, str]
    proto2: bool = False
    defaults: Mapping[str, Value] = attrs.field(factory=dict)


class _Field:
    """One field of a declared message type: how a value is stored, and its default."""

    __slots__ = ("collection", "convert", "default", "name", "nullable", "presence")

    def __init__(
        self,
        name: str,
        convert: Callable[[Value], Value],
        default: Callable[[], Value],
        *,
        nullable: bool,
        presence: bool,
        collection: bool,
    ) -> None:
        self.name = name
        self.convert = convert  # the value as stored; CelEvalError for one of another type
        self.default = default  # the value read when the field is not set
        self.nullable = nullable  # null clears the field (a wrapper, a message, an Any)
        self.presence = presence  # a field set to its zero value is set
        self.collection = collection  # a repeated or map field: set when not empty

    def store(self, value: Value) -> Value:
        """``value`` as stored in the message, or _UNSET when the field ends up not set."""
        if value is None and self.nullable:
            return _UNSET
        stored = self.convert(value)
        if self.collection:
            return stored if stored else _UNSET
        if not self.presence and _is_zero(stored):
            return _UNSET
        return stored


def _is_zero(value: Value) -> bool:
    if type(value) is float:
        return value == 0 and math.copysign(1, value) > 0  # -0.0 is set, as protobuf has it
    return value is False or value == 0 or value == "" or value == b""


class Descriptor:
    """A declared message type, with its fields resolved (made by :class:`MessageTypes`)."""

    __slots__ = ("fields", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.fields: dict[str, _Field] = {}

    def new(self, values: Mapping[str, Value]) -> Message:
        """A message with ``values`` set; raises :class:`CelEvalError`."""
        fields: dict[str, Value] = {}
        for name, value in values.items():
            spec = self.fields.get(name)
            if spec is None:
                raise CelEvalError(f"no such field {name!r} in message {self.name}")
            stored = spec.store(value)
            if stored is not _UNSET:
                fields[name] = stored
        return Message(self, fields)


class Message:
    """A protocol buffer message: its type and the fields that are set."""

    __slots__ = ("descriptor", "fields")

    def __init__(self, descriptor: Descriptor, fields: dict[str, Value]) -> None:
        self.descriptor = descriptor
        self.fields = fields

    @property
    def cel_type(self) -> str:
        return self.descriptor.name

    def get(self, field: str) -> Value:
        """The field's value, or its default when not set."""
        value = self.fields.get(field, _UNSET)
        if value is not _UNSET:
            return value
        spec = self.descriptor.fields.get(field)
        if spec is None:
            raise CelEvalError(f"no such field {field!r} on {self.descriptor.name}")
        return spec.default()

    def has(self, field: str) -> bool:
        if field not in self.descriptor.fields:
            raise CelEvalError(f"no such field {field!r} on {self.descriptor.name}")
        return field in self.fields

    def __eq__(self, other: object) -> bool:
        if type(other) is not Message or other.descriptor.name != self.descriptor.name:
            return False
        mine, theirs = self.fields, other.fields
        if mine.keys() != theirs.keys():
            return False
        return all(equal(value, theirs[name]) for name, value in mine.items())

    def __hash__(self) -> int:
        return hash(self.descriptor.name)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}: {value!r}" for name, value in self.fields.items())
        return f"{self.descriptor.name}{{{fields}}}"


# --- field types -------------------------------------------------------------------------------


def _mismatch(expected: str, value: Value) -> CelEvalError:
    return CelEvalError(f"field type mismatch: expected {expected}, got {type_name(value)}")


def _exactly(kind: type, expected: str) -> Callable[[Value], Value]:
    def convert(value: Value) -> Value:
        if type(value) is not kind:
            raise _mismatch(expected, value)
        return value

    return convert


def _int32(value: Value) -> Value:
    if type(value) is not int:
        raise _mismatch("int", value)
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise CelEvalError("int32 out of range")
    return value


def _uint32(value: Value) -> Value:
    if type(value) is not UInt:
        raise _mismatch("uint", value)
    if value > _UINT32_MAX:
        raise CelEvalError("uint32 out of range")
    return value


def _float32(value: Value) -> Value:
    """A double rounded to the nearest float (as Go's float32(x) rounds it)."""
    if type(value) is not float:
        raise _mismatch("double", value)
    import struct

    try:
        rounded: float = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)
    return rounded


def _json(value: Value) -> Value:
    """A CEL value as a ``google.protobuf.Value`` holds it (null, bool, number, string, list,
    map), as cel-go converts it."""
    kind = type(value)
    if value is None or kind is bool or kind is float or kind is str:
        return value
    if kind is int or kind is UInt:
        if -_JSON_SAFE <= value <= _JSON_SAFE:
            return float(value)
        return str(int(value))
    if kind is bytes:
        import base64

        return base64.b64encode(value).decode("ascii")
    if kind is Duration:
        return format_duration(value)
    if kind is Timestamp:
        from gitops_core.validation.cel._time import format_timestamp

        return format_timestamp(value)
    if kind is list or kind is tuple:
        return [_json(item) for item in value]
    if kind is dict:
        return _struct(value)
    raise CelEvalError(f"no conversion of {type_name(value)} to google.protobuf.Value")


def _struct(value: Value) -> Value:
    if type(value) is not dict:
        raise _mismatch("map", value)
    out = {}
    for key, item in value.items():
        if type(key) is not str:
            raise CelEvalError("google.protobuf.Struct keys are strings")
        out[key] = _json(item)
    return out


def _list_value(value: Value) -> Value:
    if type(value) is not list and type(value) is not tuple:
        raise _mismatch("list", value)
    return [_json(item) for item in value]


def _anything(value: Value) -> Value:
    return value


_ZERO: dict[str, Value] = {
    "bool": False, "int": 0, "uint": UInt(0), "double": 0.0, "string": "", "bytes": b"",
    "int32": 0, "uint32": UInt(0), "float": 0.0,
}  # fmt: skip
_SCALARS: dict[str, Callable[[Value], Value]] = {
    "bool": _exactly(bool, "bool"),
    "int": _exactly(int, "int"),
    "uint": _exactly(UInt, "uint"),
    "double": _exactly(float, "double"),
    "string": _exactly(str, "string"),
    "bytes": _exactly(bytes, "bytes"),
    "int32": _int32,
    "uint32": _uint32,
    "float": _float32,
}
#: The wrapper messages, by the scalar they wrap.
WRAPPERS = {
    "google.protobuf.BoolValue": "bool",
    "google.protobuf.BytesValue": "bytes",
    "google.protobuf.DoubleValue": "double",
    "google.protobuf.FloatValue": "float",
    "google.protobuf.Int32Value": "int32",
    "google.protobuf.Int64Value": "int",
    "google.protobuf.StringValue": "string",
    "google.protobuf.UInt32Value": "uint32",
    "google.protobuf.UInt64Value": "uint",
}
#: Well-known message types a field may have, other than the wrappers: (how a value is stored,
#: the default, whether null clears the field).
_WELL_KNOWN_FIELDS: dict[str, tuple[Callable[[Value], Value], Callable[[], Value], bool]] = {
    "google.protobuf.Value": (_json, lambda: None, False),
    "google.protobuf.Struct": (_struct, dict, False),
    "google.protobuf.ListValue": (_list_value, list, False),
    "google.protobuf.Any": (_anything, lambda: None, True),
    "google.protobuf.Duration": (
        _exactly(Duration, "google.protobuf.Duration"), lambda: Duration(0), True,
    ),
    "google.protobuf.Timestamp": (
        _exactly(Timestamp, "google.protobuf.Timestamp"), lambda: Timestamp(0), True,
    ),
}  # fmt: skip
_MAP_KEYS = {"bool": BoolKey, "int": int, "int32": int, "uint": UInt, "uint32": UInt, "string": str}


def _split_arguments(text: str) -> list[str]:
    depth, start, parts = 0, 0, []
    for at, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:at].strip())
            start = at + 1
    parts.append(text[start:].strip())
    return parts


class MessageTypes:
    """Declared message types, checked together (every field type must exist); give it to
    ``compile_expression(types=...)``. ``message(name, fields)`` builds a value of one, to bind
    as a variable."""

    __slots__ = ("_descriptors",)

    def __init__(self, *types: MessageType) -> None:
        self._descriptors = {t.name: Descriptor(t.name) for t in types}
        if len(self._descriptors) != len(types):
            raise ValueError("a message type is declared twice")
        for declared in types:
            descriptor = self._descriptors[declared.name]
            for field, text in declared.fields.items():
                descriptor.fields[field] = self._field(declared, field, text)
            unknown = set(declared.defaults) - set(declared.fields)
            if unknown:
                raise ValueError(f"{declared.name}: defaults for no field: {sorted(unknown)}")

    def __contains__(self, name: object) -> bool:
        return name in self._descriptors

    def descriptor(self, name: str) -> Descriptor | None:
        return self._descriptors.get(name)

    def message(self, name: str, fields: Mapping[str, Value] | None = None) -> Message:
        """A message of the declared type ``name``; raises :class:`CelEvalError` for a field
        that it does not have or a value of the wrong type."""
        descriptor = self._descriptors.get(name)
        if descriptor is None:
            raise KeyError(f"undeclared message type {name!r}")
        return descriptor.new(fields or {})

    def _field(self, declared: MessageType, field: str, text: str) -> _Field:
        convert, default, nullable = self._type(declared.name, text.strip())
        presence = declared.proto2 or nullable or text in _WELL_KNOWN_FIELDS
        if field in declared.defaults:
            value = convert(declared.defaults[field])
            default = lambda: value  # noqa: E731
        collection = text.startswith(("list(", "map("))
        return _Field(
            field, convert, default, nullable=nullable, presence=presence, collection=collection
        )

    def _type(
        self, owner: str, text: str
    ) -> tuple[Callable[[Value], Value], Callable[[], Value], bool]:
        """(store a value, default, null clears) for a field type written as ``text``."""
        if text in _SCALARS:
            zero = _ZERO[text]
            return _SCALARS[text], lambda: zero, False
        if text in WRAPPERS:
            return _SCALARS[WRAPPERS[text]], lambda: None, True
        if text in _WELL_KNOWN_FIELDS:
            return _WELL_KNOWN_FIELDS[text]
        if text in self._descriptors:
            descriptor = self._descriptors[text]

            def message(value: Value) -> Value:
                if type(value) is not Message or value.descriptor is not descriptor:
                    raise _mismatch(text, value)
                return value

            return message, lambda: Message(descriptor, {}), True
        if text.startswith("list(") and text.endswith(")"):
            item, _, _ = self._type(owner, text[5:-1].strip())

            def repeated(value: Value) -> Value:
                if type(value) is not list and type(value) is not tuple:
                    raise _mismatch(text, value)
                return [item(element) for element in value]

            return repeated, list, False
        if text.startswith("map(") and text.endswith(")"):
            arguments = _split_arguments(text[4:-1])
            if len(arguments) == 2 and arguments[0] in _MAP_KEYS:
                key_kind = _MAP_KEYS[arguments[0]]
                check_key = _SCALARS.get(arguments[0])
                entry, _, _ = self._type(owner, arguments[1])

                def mapped(value: Value) -> Value:
                    if type(value) is not dict:
                        raise _mismatch(text, value)
                    out = {}
                    for key, item in value.items():
                        if type(key) is not key_kind:
                            raise CelEvalError(f"map key type mismatch: {type_name(key)}")
                        if check_key is not None and key_kind is not BoolKey:
                            check_key(key)
                        out[key] = entry(item)
                    return out

                return mapped, dict, False
        raise ValueError(f"{owner}: unknown field type {text!r}")


# --- well-known message literals --------------------------------------------------------------


def _wrapper(scalar: str) -> Callable[[dict[str, Value]], Value]:
    convert, zero = _SCALARS[scalar], _ZERO[scalar]

    def build(values: dict[str, Value]) -> Value:
        value = values.get("value", _UNSET)
        return zero if value is _UNSET else convert(value)

    return build


def _value(values: dict[str, Value]) -> Value:
    if len(values) > 1:
        raise CelEvalError("google.protobuf.Value: more than one kind set")
    for kind, value in values.items():
        if kind == "null_value":
            if value is not None and type(value) is not int:
                raise _mismatch("google.protobuf.NullValue", value)
            return None
        if kind == "number_value":
            return _SCALARS["double"](value)
        if kind == "string_value":
            return _SCALARS["string"](value)
        if kind == "bool_value":
            return _SCALARS["bool"](value)
        if kind == "struct_value":
            return _struct(value)
        return _list_value(value)
    return None


def _seconds_nanos(values: dict[str, Value]) -> int:
    seconds, nanos = values.get("seconds", 0), values.get("nanos", 0)
    if type(seconds) is not int or type(nanos) is not int:
        raise CelEvalError("seconds and nanos are ints")
    total: int = seconds * _NS + _int32(nanos)
    return total


#: Message literals of the well-known types: (the fields they have, the value they build).
WELL_KNOWN: dict[str, tuple[frozenset[str], Callable[[dict[str, Value]], Value]]] = {
    **{name: (frozenset({"value"}), _wrapper(scalar)) for name, scalar in WRAPPERS.items()},
    "google.protobuf.Value": (
        frozenset(
            {"null_value", "number_value", "string_value", "bool_value", "struct_value",
             "list_value"}
        ),
        _value,
    ),
    "google.protobuf.Struct": (
        frozenset({"fields"}), lambda values: _struct(values.get("fields", {}))
    ),
    "google.protobuf.ListValue": (
        frozenset({"values"}), lambda values: _list_value(values.get("values", []))
    ),
    "google.protobuf.Duration": (
        frozenset({"seconds", "nanos"}), lambda values: Duration(_seconds_nanos(values))
    ),
    "google.protobuf.Timestamp": (
        frozenset({"seconds", "nanos"}), lambda values: Timestamp(_seconds_nanos(values))
    ),
}  # fmt: skip
#: Well-known types whose literals are refused, and why.
REFUSED = {
    "google.protobuf.Any": (
        "google.protobuf.Any{type_url, value}: unpacking a serialized protocol buffer message is "
        "not supported"
    ),
}
