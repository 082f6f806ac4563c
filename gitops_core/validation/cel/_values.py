"""CEL values in Python, and the semantics every function shares: types, equality, ordering.

A document's data is used as it is: ``None`` (null), ``bool``, ``int`` (CEL's int64), ``float``
(double), ``str``, ``list`` and ``dict``. CEL adds :class:`UInt`, ``bytes``, :class:`Duration`,
:class:`Timestamp`, :class:`CelType` and :class:`Optional`; the Kubernetes libraries add their
own objects, each naming its CEL type in ``cel_type``. A map key ``true`` / ``false`` is kept as
:data:`TRUE_KEY` / :data:`FALSE_KEY`, since Python's ``True`` and ``1`` are one dict key, and
CEL's are two.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from gitops_core.validation.cel._errors import CelEvalError

Value = Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
#: time.Duration's range: int64 nanoseconds.
DURATION_MIN, DURATION_MAX = INT64_MIN, INT64_MAX
#: Seconds from the epoch of 0001-01-01T00:00:00Z and of 9999-12-31T23:59:59Z.
TIMESTAMP_MIN_SECONDS, TIMESTAMP_MAX_SECONDS = -62135596800, 253402300799


class UInt(int):
    """CEL's uint (64-bit unsigned)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{int(self)}u"


class Duration:
    """A signed span of time, in nanoseconds (Go's time.Duration range)."""

    __slots__ = ("ns",)
    cel_type = "google.protobuf.Duration"

    def __init__(self, ns: int) -> None:
        if not DURATION_MIN <= ns <= DURATION_MAX:
            raise CelEvalError("duration out of range")
        self.ns = ns

    def __eq__(self, other: object) -> bool:
        return type(other) is Duration and other.ns == self.ns

    def __hash__(self) -> int:
        return hash(("duration", self.ns))

    def __repr__(self) -> str:
        return f"duration({format_duration(self)!r})"


class Timestamp:
    """An instant, in nanoseconds since the Unix epoch (years 1 to 9999)."""

    __slots__ = ("ns",)
    cel_type = "google.protobuf.Timestamp"

    def __init__(self, ns: int) -> None:
        if not TIMESTAMP_MIN_SECONDS <= ns // 1_000_000_000 <= TIMESTAMP_MAX_SECONDS:
            raise CelEvalError("timestamp out of range")
        self.ns = ns

    def __eq__(self, other: object) -> bool:
        return type(other) is Timestamp and other.ns == self.ns

    def __hash__(self) -> int:
        return hash(("timestamp", self.ns))

    def __repr__(self) -> str:
        from gitops_core.validation.cel._time import format_timestamp

        return f"timestamp({format_timestamp(self)!r})"


class CelType:
    """A type as a value: ``type(1) == int``."""

    __slots__ = ("name",)
    cel_type = "type"

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return type(other) is CelType and other.name == self.name

    def __hash__(self) -> int:
        return hash(("type", self.name))

    def __repr__(self) -> str:
        return self.name


class Optional:
    """``optional.of(x)`` (``present``) or ``optional.none()``."""

    __slots__ = ("present", "value")
    cel_type = "optional_type"

    def __init__(self, present: bool, value: Value = None) -> None:
        self.present = present
        self.value = value

    def __eq__(self, other: object) -> bool:
        if type(other) is not Optional or other.present != self.present:
            return False
        return not self.present or equal(self.value, other.value)

    def __hash__(self) -> int:
        return hash(("optional", self.present))

    def __repr__(self) -> str:
        return f"optional.of({self.value!r})" if self.present else "optional.none()"


NONE = Optional(False)


class BoolKey:
    """A map key ``true`` or ``false``."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is BoolKey and other.value is self.value

    def __hash__(self) -> int:
        return hash(("bool", self.value))

    def __repr__(self) -> str:
        return "true" if self.value else "false"


TRUE_KEY, FALSE_KEY = BoolKey(True), BoolKey(False)

_TYPE_NAMES: dict[type, str] = {
    type(None): "null_type",
    bool: "bool",
    int: "int",
    UInt: "uint",
    float: "double",
    str: "string",
    bytes: "bytes",
    list: "list",
    tuple: "list",
    dict: "map",
}
_NUMBERS = (int, UInt, float)


def type_name(value: Value) -> str:
    """The CEL type of ``value``, as ``type()`` names it."""
    kind = type(value)
    found = _TYPE_NAMES.get(kind)
    if found is not None:
        return found
    return str(getattr(value, "cel_type", kind.__name__))


def type_of(value: Value) -> CelType:
    return CelType(type_name(value))


# --- map keys ----------------------------------------------------------------------------------


def map_key(key: Value) -> Value:
    """``key`` as stored in a map made by CEL (a literal, ``transformMap``)."""
    kind = type(key)
    if kind is str or kind is int or kind is UInt:
        return key
    if kind is bool:
        return TRUE_KEY if key else FALSE_KEY
    raise CelEvalError(f"unsupported key type: {type_name(key)}")


def lookup_key(key: Value) -> Value:
    """``key`` as looked up in a map: numbers find any numeric key of the same value."""
    kind = type(key)
    if kind is str or kind is int or kind is UInt:
        return key
    if kind is bool:
        return TRUE_KEY if key else FALSE_KEY
    if kind is float:
        if key.is_integer():
            return int(key)
        return _ABSENT
    raise CelEvalError(f"unsupported key type: {type_name(key)}")


_ABSENT = object()


def plain_key(key: Value) -> Value:
    """A stored map key as the CEL value it stands for."""
    return key.value if type(key) is BoolKey else key


def keys(mapping: dict[Value, Value]) -> Iterator[Value]:
    for key in mapping:
        yield key.value if type(key) is BoolKey else key


# --- equality and ordering -----------------------------------------------------------------------


def _compare_int_double(i: int, d: float) -> int | None:
    if math.isnan(d):
        return None
    if d < -9.223372036854775808e18:
        return 1
    if d > 9.223372036854775807e18:
        return -1
    return _sign(float(i) - d) if float(i) != d else 0


def _compare_uint_double(u: int, d: float) -> int | None:
    if math.isnan(d):
        return None
    if d < 0:
        return 1
    if d > 1.8446744073709551615e19:
        return -1
    return 0 if float(u) == d else (1 if float(u) > d else -1)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def compare_numbers(a: Value, b: Value) -> int | None:
    """-1, 0 or 1 across int, uint and double (cel-go's rules); None when NaN is involved."""
    ta, tb = type(a), type(b)
    if ta is float:
        if tb is float:
            if a != a or b != b:
                return None
            return int(a > b) - int(a < b)
        r = _compare_uint_double(b, a) if tb is UInt else _compare_int_double(b, a)
        return None if r is None else -r
    if tb is float:
        return _compare_uint_double(a, b) if ta is UInt else _compare_int_double(a, b)
    return int(a > b) - int(a < b)


def equal(a: Value, b: Value) -> bool:
    """CEL equality: heterogeneous (values of different types are unequal, numbers compare by
    value across int, uint and double), element-wise for lists and maps, never an error."""
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is list or ta is tuple:
            return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
        if ta is dict:
            if len(a) != len(b):
                return False
            for key, value in a.items():
                other = b.get(key, _ABSENT)
                if other is _ABSENT or not equal(value, other):
                    return False
            return True
        return bool(a == b)
    if ta in _NUMBERS and tb in _NUMBERS:
        if ta is bool or tb is bool:
            return False
        return compare_numbers(a, b) == 0
    if (ta is list and tb is tuple) or (ta is tuple and tb is list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    return False


_ORDERED = frozenset({str, bytes, bool})


def compare(a: Value, b: Value, op: str) -> int | None:
    """-1, 0 or 1 for an ordering operator; None if NaN makes the values unordered."""
    ta, tb = type(a), type(b)
    if ta in _NUMBERS and tb in _NUMBERS and ta is not bool and tb is not bool:
        return compare_numbers(a, b)
    if ta is tb:
        if ta in _ORDERED:
            return int(a > b) - int(a < b)
        if ta is Duration or ta is Timestamp:
            return int(a.ns > b.ns) - int(a.ns < b.ns)
    raise CelEvalError(f"no such overload: {type_name(a)} {op} {type_name(b)}")


def contains(container: Value, element: Value) -> bool:
    """``element in container``."""
    kind = type(container)
    if kind is list or kind is tuple:
        return any(equal(element, item) for item in container)
    if kind is dict:
        try:
            key = lookup_key(element)
        except CelEvalError:
            return False
        return key in container if key is not _ABSENT else False
    raise CelEvalError(f"no such overload: {type_name(element)} in {type_name(container)}")


def format_double(value: float) -> str:
    """Go's ``%g`` (strconv's shortest 'g' form), which cel-go's string(double) uses."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    text = repr(abs(value))
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(exponent or 0)  # digits before the decimal point
    if whole == "0":
        stripped = fraction.lstrip("0")
        point = -(len(fraction) - len(stripped)) + int(exponent or 0)
        digits = stripped
    digits = digits.rstrip("0") or "0"
    exp = point - 1
    sign = "-" if value < 0 else ""
    if exp < -4 or exp >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def format_duration(value: Duration) -> str:
    """cel-go's string(duration): seconds, with as many decimals as needed, and an ``s``."""
    ns = value.ns
    sign = "-" if ns < 0 else ""
    seconds, nanos = divmod(abs(ns), 1_000_000_000)
    if nanos:
        return f"{sign}{seconds}.{nanos:09d}".rstrip("0") + "s"
    return f"{sign}{seconds}s"
