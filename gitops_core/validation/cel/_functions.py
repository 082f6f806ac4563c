"""The functions of CEL and of the libraries a Kubernetes API server enables for CRD rules.

Standard definitions (operators, conversions, ``size``, string tests, timestamps, durations),
cel-go's extensions (strings, math, lists, sets, encoders, optionals, bindings) and the
Kubernetes libraries (regex, lists, URLs, IP/CIDR, quantity, format, semver; in ``_k8s``).
Each function takes CEL values and returns one, or raises :class:`CelEvalError` (``no such
overload`` for argument types it does not take).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from gitops_core.validation.cel._errors import CelEvalError, CelSyntaxError, no_overload
from gitops_core.validation.cel._messages import Message
from gitops_core.validation.cel._values import (
    INT64_MAX,
    INT64_MIN,
    NONE,
    UINT64_MAX,
    BoolKey,
    CelType,
    Duration,
    Optional,
    Timestamp,
    UInt,
    Value,
    compare,
    equal,
    format_double,
    format_duration,
    keys,
    lookup_key,
    type_name,
    type_of,
)

_ABSENT = object()


def _t() -> Any:
    """The timestamp and duration module, imported when a rule first needs it."""
    from gitops_core.validation.cel import _time

    return _time


# --- arithmetic --------------------------------------------------------------------------------


def _int(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise CelEvalError("integer overflow")
    return value


def _uint(value: int) -> UInt:
    if not 0 <= value <= UINT64_MAX:
        raise CelEvalError("unsigned integer overflow")
    return UInt(value)


def add(x: Value, y: Value) -> Value:
    tx, ty = type(x), type(y)
    if tx is ty:
        if tx is int:
            return _int(x + y)
        if tx is float or tx is str or tx is bytes:
            return x + y
        if tx is list:
            return x + y
        if tx is UInt:
            return _uint(x + y)
        if tx is Duration:
            return Duration(_duration_ns(x.ns + y.ns))
    if tx is Timestamp and ty is Duration:
        return Timestamp(x.ns + y.ns)
    if tx is Duration and ty is Timestamp:
        return Timestamp(x.ns + y.ns)
    raise no_overload("_+_", x, y)


def _duration_ns(ns: int) -> int:
    if not INT64_MIN <= ns <= INT64_MAX:
        raise CelEvalError("duration out of range")
    return ns


def subtract(x: Value, y: Value) -> Value:
    tx, ty = type(x), type(y)
    if tx is ty:
        if tx is int:
            return _int(x - y)
        if tx is float:
            return x - y
        if tx is UInt:
            return _uint(x - y)
        if tx is Duration:
            return Duration(_duration_ns(x.ns - y.ns))
        if tx is Timestamp:
            return Duration(_duration_ns(x.ns - y.ns))
    if tx is Timestamp and ty is Duration:
        return Timestamp(x.ns - y.ns)
    raise no_overload("_-_", x, y)


def multiply(x: Value, y: Value) -> Value:
    tx, ty = type(x), type(y)
    if tx is ty:
        if tx is int:
            return _int(x * y)
        if tx is float:
            return x * y
        if tx is UInt:
            return _uint(x * y)
    raise no_overload("_*_", x, y)


def _truncated(x: int, y: int) -> int:
    quotient = abs(x) // abs(y)
    return quotient if (x < 0) == (y < 0) else -quotient


def divide(x: Value, y: Value) -> Value:
    tx, ty = type(x), type(y)
    if tx is ty:
        if tx is int or tx is UInt:
            if y == 0:
                raise CelEvalError("division by zero")
            if tx is UInt:
                return UInt(x // y)
            return _int(_truncated(x, y))
        if tx is float:
            if y == 0:
                if x == 0 or x != x:
                    return math.nan
                return math.copysign(math.inf, x) * math.copysign(1.0, y)
            return x / y
    raise no_overload("_/_", x, y)


def modulo(x: Value, y: Value) -> Value:
    tx, ty = type(x), type(y)
    if tx is ty and (tx is int or tx is UInt):
        if y == 0:
            raise CelEvalError("modulus by zero")
        if tx is UInt:
            return UInt(x % y)
        if x == INT64_MIN and y == -1:
            raise CelEvalError("integer overflow")
        return x - y * _truncated(x, y)
    raise no_overload("_%_", x, y)


def negate(x: Value) -> Value:
    kind = type(x)
    if kind is int:
        return _int(-x)
    if kind is float:
        return -x
    if kind is Duration:
        return Duration(_duration_ns(-x.ns))
    raise no_overload("-_", x)


def index(target: Value, key: Value, optional: bool = False) -> Value:
    """``target[key]`` (``target[?key]`` when ``optional``)."""
    kind = type(target)
    if kind is list or kind is tuple:
        tk = type(key)
        if tk is float:
            if not key.is_integer():
                raise CelEvalError(f"unsupported index value {key}")
            key = int(key)
        elif tk is not int and tk is not UInt:
            raise no_overload("_[_]", target, key)
        if 0 <= key < len(target):
            return Optional(True, target[key]) if optional else target[key]
        if optional:
            return NONE
        raise CelEvalError(f"index out of range: {key}")
    if kind is dict:
        stored = lookup_key(key)
        value = target.get(stored, _ABSENT) if stored is not _ABSENT else _ABSENT
        if value is _ABSENT:
            if optional:
                return NONE
            raise CelEvalError(f"no such key: {key}")
        return Optional(True, value) if optional else value
    raise no_overload("_[_]", target, key)


# --- conversions -------------------------------------------------------------------------------

_DECIMAL = r"[-+]?[0-9]+\Z"
_FLOAT = r"(?i)[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf|infinity|nan)\Z"
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def to_int(x: Value) -> Value:
    kind = type(x)
    if kind is int:
        return x
    if kind is UInt:
        return _checked_int(int(x))
    if kind is float:
        if x != x or not -9.223372036854775808e18 < x < 9.223372036854775808e18:
            raise CelEvalError("integer overflow: double out of the int range")
        return int(x)
    if kind is str:
        if not re.match(_DECIMAL, x):
            raise CelEvalError(f"cannot convert {x!r} to int")
        return _checked_int(int(x))
    if kind is Timestamp:
        return _t().epoch_seconds(x)
    if kind is Duration:
        return x.ns
    raise no_overload("int", x)


def _checked_int(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise CelEvalError("integer overflow")
    return value


def to_uint(x: Value) -> Value:
    kind = type(x)
    if kind is UInt:
        return x
    if kind is int:
        return _uint(x)
    if kind is float:
        if x != x or not 0 <= x < 1.8446744073709551616e19:
            raise CelEvalError("unsigned integer overflow: double out of the uint range")
        return UInt(int(x))
    if kind is str:
        if not re.match(_DECIMAL, x) or x.startswith("-"):
            raise CelEvalError(f"cannot convert {x!r} to uint")
        return _uint(int(x))
    raise no_overload("uint", x)


def to_double(x: Value) -> Value:
    kind = type(x)
    if kind is float:
        return x
    if kind is int or kind is UInt:
        return float(x)
    if kind is str:
        if not re.match(_FLOAT, x):
            raise CelEvalError(f"cannot convert {x!r} to double")
        return float(x)
    raise no_overload("double", x)


def to_string(x: Value) -> Value:
    kind = type(x)
    if kind is str:
        return x
    if kind is int or kind is UInt:
        return str(int(x))
    if kind is float:
        return format_double(x)
    if kind is bool:
        return "true" if x else "false"
    if kind is bytes:
        try:
            return x.decode("utf-8")
        except UnicodeDecodeError:
            raise CelEvalError("invalid UTF-8 in bytes") from None
    if kind is Timestamp:
        return _t().format_timestamp(x)
    if kind is Duration:
        return format_duration(x)
    as_string = getattr(x, "cel_string", None)
    if as_string is not None:
        return as_string()
    raise no_overload("string", x)


def to_bytes(x: Value) -> Value:
    if type(x) is bytes:
        return x
    if type(x) is str:
        return x.encode("utf-8")
    raise no_overload("bytes", x)


def to_bool(x: Value) -> Value:
    if type(x) is bool:
        return x
    if type(x) is str:
        if x in _TRUE:
            return True
        if x in _FALSE:
            return False
        raise CelEvalError(f"cannot convert {x!r} to bool")
    raise no_overload("bool", x)


def to_duration(x: Value) -> Value:
    if type(x) is Duration:
        return x
    if type(x) is str:
        return _t().parse_duration(x)
    raise no_overload("duration", x)


def to_timestamp(x: Value) -> Value:
    if type(x) is Timestamp:
        return x
    if type(x) is str:
        return _t().parse_timestamp(x)
    if type(x) is int:
        return _t().timestamp_from_seconds(x)
    raise no_overload("timestamp", x)


def size(x: Value) -> Value:
    kind = type(x)
    if kind is str or kind is bytes or kind is list or kind is dict or kind is tuple:
        return len(x)
    raise no_overload("size", x)


# --- strings -----------------------------------------------------------------------------------


def _strings(function: str, *args: Value) -> None:
    if not all(type(a) is str for a in args):
        raise no_overload(function, *args)


def contains_string(text: Value, part: Value) -> Value:
    _strings("contains", text, part)
    return part in text


def starts_with(text: Value, prefix: Value) -> Value:
    _strings("startsWith", text, prefix)
    return text.startswith(prefix)


def ends_with(text: Value, suffix: Value) -> Value:
    _strings("endsWith", text, suffix)
    return text.endswith(suffix)


def regex(pattern: str, error: type[Exception] = CelEvalError) -> re.Pattern[str]:
    """``pattern`` compiled as RE2 reads it: ``$`` at the very end only, and ``\\d``, ``\\w``,
    ``\\s``, ``\\b`` ASCII-only (Python's are Unicode-aware: ``\\d`` would match "٣")."""
    try:
        return _re2(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        raise error(f"invalid regular expression {pattern!r}: {exc}") from None


@functools.lru_cache(maxsize=1024)
def _re2(pattern: str) -> re.Pattern[str]:
    from gitops_core.checks import go_regex

    return re.compile(go_regex(pattern).pattern, re.ASCII)


def matches(text: Value, pattern: Value) -> Value:
    _strings("matches", text, pattern)
    return regex(pattern).search(text) is not None


def _check_literal_regex(pattern: str) -> None:
    regex(pattern, CelSyntaxError)


def char_at(text: Value, at: Value) -> Value:
    if type(text) is not str or type(at) is not int:
        raise no_overload("charAt", text, at)
    if not 0 <= at <= len(text):
        raise CelEvalError(f"index out of range: {at}")
    return text[at : at + 1]


def index_of(text: Value, part: Value, offset: Value = 0) -> Value:
    if type(text) is list:
        return list_index_of(text, part)
    if type(text) is not str or type(part) is not str or type(offset) is not int:
        raise no_overload("indexOf", text, part, offset)
    if not 0 <= offset <= len(text):
        raise CelEvalError(f"index out of range: {offset}")
    return text.find(part, offset)


def last_index_of(text: Value, part: Value, offset: Value = _ABSENT) -> Value:
    if type(text) is list:
        return list_last_index_of(text, part)
    if offset is _ABSENT:
        offset = len(text) if type(text) is str else 0
    if type(text) is not str or type(part) is not str or type(offset) is not int:
        raise no_overload("lastIndexOf", text, part, offset)
    if not 0 <= offset <= len(text):
        raise CelEvalError(f"index out of range: {offset}")
    return text.rfind(part, 0, offset + len(part))


def _ascii(text: Value, function: str, table: dict[int, int]) -> Value:
    if type(text) is not str:
        raise no_overload(function, text)
    return text.translate(table)


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c + 32: c for c in range(ord("A"), ord("Z") + 1)}


def replace(text: Value, old: Value, new: Value, count: Value = -1) -> Value:
    if not (type(text) is str and type(old) is str and type(new) is str and type(count) is int):
        raise no_overload("replace", text, old, new, count)
    return text.replace(old, new, count if count >= 0 else -1)


def split(text: Value, separator: Value, limit: Value = -1) -> Value:
    if not (type(text) is str and type(separator) is str and type(limit) is int):
        raise no_overload("split", text, separator, limit)
    if limit == 0:
        return []
    if separator == "":
        chars = list(text)
        if 0 < limit < len(chars):
            return [*chars[: limit - 1], "".join(chars[limit - 1 :])]
        return chars
    if limit < 0:
        return text.split(separator)
    return text.split(separator, limit - 1)


def substring(text: Value, start: Value, end: Value = _ABSENT) -> Value:
    if end is _ABSENT:
        end = len(text) if type(text) is str else 0
    if not (type(text) is str and type(start) is int and type(end) is int):
        raise no_overload("substring", text, start, end)
    if not 0 <= start <= len(text):
        raise CelEvalError(f"index out of range: {start}")
    if not 0 <= end <= len(text):
        raise CelEvalError(f"index out of range: {end}")
    if start > end:
        raise CelEvalError(f"invalid substring range. start: {start}, end: {end}")
    return text[start:end]


# unicode.IsSpace: Latin-1 spaces and the White_Space property.
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


def trim(text: Value) -> Value:
    if type(text) is not str:
        raise no_overload("trim", text)
    return text.strip(_GO_SPACE)


def join(items: Value, separator: Value = "") -> Value:
    if type(items) is not list or type(separator) is not str:
        raise no_overload("join", items, separator)
    if not all(type(item) is str for item in items):
        raise CelEvalError("join: every element must be a string")
    return separator.join(items)


def reverse(value: Value) -> Value:
    if type(value) is str:
        return value[::-1]
    if type(value) is list:
        return value[::-1]
    raise no_overload("reverse", value)


_QUOTE_ESCAPES = {
    "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
    "\v": "\\v", "\\": "\\\\", '"': '\\"',
}  # fmt: skip


def quote(text: Value) -> Value:
    if type(text) is not str:
        raise no_overload("strings.quote", text)
    return '"' + "".join(_QUOTE_ESCAPES.get(c, c) for c in text) + '"'


def _format_value(value: Value, nested: bool = False) -> str:
    """How ``%s`` prints a value (cel-go's strings.format)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bytes:
        return value.decode("utf-8", errors="replace")  # type: ignore[no-any-return]
    if kind is float:
        if value != value:
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return format_double(value)
    if value is None:
        return "null"
    if kind is list:
        return "[" + ", ".join(_format_value(v, True) for v in value) + "]"
    if kind is dict:
        entries = sorted(
            (_format_value(k.value if type(k) is BoolKey else k, True), _format_value(v, True))
            for k, v in value.items()
        )
        return "{" + ", ".join(f"{k}: {v}" for k, v in entries) + "}"
    if kind is CelType:
        return value.name  # type: ignore[no-any-return]
    return to_string(value)  # type: ignore[no-any-return]


def _format_number(value: Value, verb: str, precision: int | None) -> str:
    kind = type(value)
    if verb == "d":
        if kind is int or kind is UInt:
            return str(int(value))
        if kind is float and (value != value or math.isinf(value)):
            return _format_value(value)
        raise CelEvalError(
            "error during formatting: decimal clause can only be used on integers, was given "
            + type_name(value)
        )
    if verb in "fe":
        if kind is int or kind is UInt:
            value = float(value)
        elif kind is not float:
            clause = "fixed-point" if verb == "f" else "scientific"
            raise CelEvalError(
                f"error during formatting: {clause} clause can only be used on doubles, was "
                f"given {type_name(value)}"
            )
        if value != value or math.isinf(value):
            return _format_value(value)
        digits = 6 if precision is None else precision
        if verb == "f":
            return _round_half_even(value, digits)
        return f"{value:.{digits}e}"
    if verb in "bo":
        if kind is bool:
            value = int(value)
        elif kind is not int and kind is not UInt:
            name = "binary" if verb == "b" else "octal"
            raise CelEvalError(
                f"error during formatting: only integers and bools can be formatted as {name}, "
                f"was given {type_name(value)}"
            )
        return format(value, verb)
    # x, X
    if kind is int or kind is UInt:
        text = format(value, "x")
    elif kind is str:
        text = value.encode("utf-8").hex()
    elif kind is bytes:
        text = value.hex()
    else:
        raise CelEvalError(
            "error during formatting: only integers, byte buffers, and strings can be formatted "
            f"as hex, was given {type_name(value)}"
        )
    return text.upper() if verb == "X" else text


def _round_half_even(value: float, digits: int) -> str:
    """Go's %.Nf: the exact binary value rounded half to even, as Python's formatting does."""
    return f"{value:.{digits}f}"


_FORMAT_CLAUSE = r"%(?:\.([0-9]+))?([a-zA-Z%])"


def format_string(template: Value, args: Value) -> Value:
    if type(template) is not str or type(args) is not list:
        raise no_overload("format", template, args)
    out: list[str] = []
    position = 0
    used = 0
    at = 0
    while True:
        found = template.find("%", at)
        if found < 0:
            out.append(template[at:])
            break
        out.append(template[at:found])
        match = re.compile(_FORMAT_CLAUSE).match(template, found)
        if match is None:
            raise CelEvalError("error during formatting: unterminated format clause")
        precision, verb = match.group(1), match.group(2)
        at = match.end()
        if verb == "%":
            out.append("%")
            continue
        if verb not in "sdfeboxX":
            raise CelEvalError(
                f'could not parse formatting clause: unrecognized formatting clause "{verb}"'
            )
        if position >= len(args):
            raise CelEvalError(f"index {position} out of range")
        value = args[position]
        position += 1
        used += 1
        if verb == "s":
            out.append(_format_value(value))
        else:
            out.append(_format_number(value, verb, int(precision) if precision else None))
    return "".join(out)


# --- lists -------------------------------------------------------------------------------------


def _list(function: str, value: Value) -> list[Value]:
    if type(value) is not list:
        raise no_overload(function, value)
    return value


def sort_order(values: list[Value]) -> list[int]:
    """Indices of ``values`` in ascending CEL order (all of one orderable type)."""
    import functools

    def cmp(i: int, j: int) -> int:
        result = compare(values[i], values[j], "<")
        return 0 if result is None else result

    _same_type("sort", values)
    return sorted(range(len(values)), key=functools.cmp_to_key(cmp))


def _same_type(function: str, values: list[Value]) -> None:
    kinds = {type(v) for v in values}
    numeric = kinds <= {int, UInt, float}
    if len(kinds) > 1 and not numeric:
        raise CelEvalError(f"{function}: list elements must have the same type")


def is_sorted(items: Value) -> Value:
    values = _list("isSorted", items)
    return all((compare(values[i], values[i + 1], "<=") or 0) <= 0 for i in range(len(values) - 1))


def list_sum(items: Value) -> Value:
    values = _list("sum", items)
    if not values:
        return 0
    total = values[0]
    for value in values[1:]:
        total = add(total, value)
    return total


def _extreme(function: str, items: Value, sign: int) -> Value:
    values = _list(function, items)
    if not values:
        raise CelEvalError(f"{function}: list is empty")
    best = values[0]
    for value in values[1:]:
        result = compare(value, best, "<")
        if result is not None and result * sign > 0:
            best = value
    return best


def list_index_of(items: Value, element: Value) -> Value:
    for at, item in enumerate(_list("indexOf", items)):
        if equal(item, element):
            return at
    return -1


def list_last_index_of(items: Value, element: Value) -> Value:
    values = _list("lastIndexOf", items)
    for at in range(len(values) - 1, -1, -1):
        if equal(values[at], element):
            return at
    return -1


def list_slice(items: Value, start: Value, end: Value) -> Value:
    values = _list("slice", items)
    if type(start) is not int or type(end) is not int:
        raise no_overload("slice", items, start, end)
    if start < 0 or end < 0:
        raise CelEvalError(f"cannot slice({start}, {end}), negative indexes not supported")
    if start > end:
        raise CelEvalError(f"cannot slice({start}, {end}), start index must be less than end")
    if end > len(values):
        raise CelEvalError(f"cannot slice({start}, {end}), list is length {len(values)}")
    return values[start:end]


def flatten(items: Value, depth: Value = 1) -> Value:
    values = _list("flatten", items)
    if type(depth) is not int:
        raise no_overload("flatten", items, depth)
    if depth < 0:
        raise CelEvalError("level must be non-negative")
    out: list[Value] = []
    for value in values:
        if type(value) is list and depth > 0:
            out.extend(flatten(value, depth - 1))
        else:
            out.append(value)
    return out


def distinct(items: Value) -> Value:
    out: list[Value] = []
    for value in _list("distinct", items):
        if not any(equal(value, seen) for seen in out):
            out.append(value)
    return out


def list_sort(items: Value) -> Value:
    values = _list("sort", items)
    return [values[i] for i in sort_order(values)]


def first(items: Value) -> Value:
    values = _list("first", items)
    return Optional(True, values[0]) if values else NONE


def last(items: Value) -> Value:
    values = _list("last", items)
    return Optional(True, values[-1]) if values else NONE


def list_range(count: Value) -> Value:
    if type(count) is not int:
        raise no_overload("lists.range", count)
    return list(range(count))


def sets_contains(items: Value, sub: Value) -> Value:
    values, wanted = _list("sets.contains", items), _list("sets.contains", sub)
    return all(any(equal(w, v) for v in values) for w in wanted)


def sets_equivalent(a: Value, b: Value) -> Value:
    return sets_contains(a, b) and sets_contains(b, a)


def sets_intersects(a: Value, b: Value) -> Value:
    values, others = _list("sets.intersects", a), _list("sets.intersects", b)
    return any(any(equal(x, y) for y in others) for x in values)


# --- math --------------------------------------------------------------------------------------


def _numbers(function: str, args: tuple[Value, ...]) -> list[Value]:
    values = list(args[0]) if len(args) == 1 and type(args[0]) is list else list(args)
    if not values:
        raise CelEvalError(f"{function}(): at least one argument is needed")
    for value in values:
        if type(value) not in (int, UInt, float):
            raise CelEvalError(f"{function}(): no such overload for {type_name(value)}")
    return values


def greatest(*args: Value) -> Value:
    return _greatest_or_least("math.greatest", args, 1)


def least(*args: Value) -> Value:
    return _greatest_or_least("math.least", args, -1)


def _greatest_or_least(function: str, args: tuple[Value, ...], sign: int) -> Value:
    """The greatest (``sign`` 1) or least (-1) of the numbers ``args``; NaN when one is."""
    values = _numbers(function, args)
    best = values[0]
    for value in values[1:]:
        result = compare(value, best, ">" if sign > 0 else "<")
        if result is None:
            return math.nan if type(value) is float and value != value else best
        if result * sign > 0:
            best = value
    return best


def _double_function(name: str, function: Callable[[float], Value]) -> Callable[[Value], Value]:
    def apply(x: Value) -> Value:
        if type(x) is not float:
            raise no_overload(name, x)
        return function(x)

    return apply


def _round(x: float) -> float:
    if x != x or math.isinf(x):
        return x
    rounded = math.floor(abs(x) + 0.5)
    return math.copysign(rounded, x)


def _integral(function: Callable[[float], float]) -> Callable[[float], float]:
    def apply(x: float) -> float:
        if x != x or math.isinf(x):
            return x
        return math.copysign(float(function(x)), x) if function(x) == 0 else float(function(x))

    return apply


def math_abs(x: Value) -> Value:
    kind = type(x)
    if kind is int:
        return _int(abs(x))
    if kind is UInt or kind is float:
        return UInt(x) if kind is UInt else abs(x)
    raise no_overload("math.abs", x)


def math_sign(x: Value) -> Value:
    kind = type(x)
    if kind is int:
        return (x > 0) - (x < 0)
    if kind is UInt:
        return UInt(1 if x else 0)
    if kind is float:
        if x != x:
            return x
        return float((x > 0) - (x < 0))
    raise no_overload("math.sign", x)


def math_sqrt(x: Value) -> Value:
    if type(x) in (int, UInt, float):
        value = float(x)
        return math.sqrt(value) if value >= 0 else math.nan
    raise no_overload("math.sqrt", x)


def _bits(name: str, function: Callable[[int, int], int]) -> Callable[[Value, Value], Value]:
    def apply(x: Value, y: Value) -> Value:
        if type(x) is int and type(y) is int:
            result = function(x & 0xFFFFFFFFFFFFFFFF, y & 0xFFFFFFFFFFFFFFFF)
            return result - (1 << 64) if result >= 1 << 63 else result
        if type(x) is UInt and type(y) is UInt:
            return UInt(function(x, y))
        raise no_overload(name, x, y)

    return apply


def bit_not(x: Value) -> Value:
    if type(x) is int:
        return ~x
    if type(x) is UInt:
        return UInt(~x & 0xFFFFFFFFFFFFFFFF)
    raise no_overload("math.bitNot", x)


def _shift(left: bool) -> Callable[[Value, Value], Value]:
    def apply(x: Value, y: Value) -> Value:
        if type(y) is not int or type(x) not in (int, UInt):
            raise no_overload("math.bitShiftLeft" if left else "math.bitShiftRight", x, y)
        if y < 0:
            raise CelEvalError(f"math.bitShift{'Left' if left else 'Right'}() negative offset: {y}")
        if y > 63:
            return UInt(0) if type(x) is UInt else 0
        bits = x & 0xFFFFFFFFFFFFFFFF
        result = (bits << y if left else bits >> y) & 0xFFFFFFFFFFFFFFFF
        if type(x) is UInt:
            return UInt(result)
        return result - (1 << 64) if result >= 1 << 63 else result

    return apply


# --- optionals, encoders, types ----------------------------------------------------------------


def _zero(value: Value) -> bool:
    kind = type(value)
    if value is None or value is False:
        return True
    if kind in (int, UInt, float):
        return value == 0  # type: ignore[no-any-return]
    if kind in (str, bytes, list, dict):
        return len(value) == 0
    if kind is Duration:
        return value.ns == 0  # type: ignore[no-any-return]
    if kind is Timestamp:
        return value.ns == 0  # type: ignore[no-any-return]
    if kind is Message:
        return not value.fields
    return False


def _optional(function: str, value: Value) -> Optional:
    if type(value) is not Optional:
        raise no_overload(function, value)
    return value


def optional_value(value: Value) -> Value:
    optional = _optional("value", value)
    if not optional.present:
        raise CelEvalError("optional.none() dereference")
    return optional.value


def optional_or_value(value: Value, default: Value) -> Value:
    optional = _optional("orValue", value)
    return optional.value if optional.present else default


def optional_or(value: Value, other: Value) -> Value:
    optional = _optional("or", value)
    if optional.present:
        return optional
    return _optional("or", other)


def base64_encode(value: Value) -> Value:
    if type(value) is not bytes:
        raise no_overload("base64.encode", value)
    import base64

    return base64.b64encode(value).decode("ascii")


def base64_decode(value: Value) -> Value:
    if type(value) is not str:
        raise no_overload("base64.decode", value)
    import base64
    import binascii

    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CelEvalError("base64.decode: invalid input") from None


def _timestamp_part(part: str) -> Callable[..., Value]:
    def apply(value: Value, zone: Value = None) -> Value:
        if type(value) is Timestamp and (zone is None or type(zone) is str):
            return _t().timestamp_part(value, part, zone)
        if type(value) is Duration and zone is None and part in _DURATION_PARTS:
            return _t().duration_part(value, part)
        raise no_overload(part, value, *([] if zone is None else [zone]))

    return apply


_DURATION_PARTS = frozenset({"getHours", "getMinutes", "getSeconds", "getMilliseconds"})
_TIMESTAMP_PARTS = (
    "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfYear", "getDayOfWeek",
    "getHours", "getMinutes", "getSeconds", "getMilliseconds",
)  # fmt: skip


# --- tables ------------------------------------------------------------------------------------

#: Global functions: name → (implementation, accepted argument counts).
GLOBALS_ARITY: dict[str, frozenset[int]] = {}
GLOBALS: dict[str, Callable[..., Value]] = {}
METHODS_ARITY: dict[str, frozenset[int]] = {}  # counting the receiver
METHODS: dict[str, Callable[..., Value]] = {}
#: Functions whose cost grows with their arguments' sizes (charged at runtime).
COSTLY: set[str] = set()
#: Functions whose literal arguments are checked when the rule compiles (cel-go does so for
#: regular expressions; a Kubernetes API server refuses such a rule).
COMPILE_TIME_CHECKED: dict[str, Callable[[str], None]] = {
    "matches": _check_literal_regex,
    "find": _check_literal_regex,
    "findAll": _check_literal_regex,
}


def define(name: str, function: Callable[..., Value], *arities: int, costly: bool = False) -> None:
    GLOBALS[name] = function
    GLOBALS_ARITY[name] = frozenset(arities)
    if costly:
        COSTLY.add(name)


def method(name: str, function: Callable[..., Value], *arities: int, costly: bool = False) -> None:
    """``arities`` count the receiver."""
    METHODS[name] = function
    METHODS_ARITY[name] = frozenset(arities)
    if costly:
        COSTLY.add(name)


def check_arity(
    name: str, function: Callable[..., Value], count: int, receiver: bool = False
) -> None:
    allowed = (METHODS_ARITY if receiver else GLOBALS_ARITY).get(name)
    if allowed is not None and count not in allowed:
        shown = count - 1 if receiver else count
        raise CelSyntaxError(f"found no matching overload for {name!r} with {shown} argument(s)")


def _register() -> None:
    define("size", size, 1)
    method("size", size, 1)
    for name, function in (
        ("int", to_int), ("uint", to_uint), ("double", to_double), ("string", to_string),
        ("bytes", to_bytes), ("bool", to_bool), ("duration", to_duration),
        ("timestamp", to_timestamp), ("dyn", lambda x: x), ("type", type_of),
    ):  # fmt: skip
        define(name, function, 1)
    define("matches", matches, 2, costly=True)
    method("matches", matches, 2, costly=True)
    method("contains", contains_string, 2, costly=True)
    method("startsWith", starts_with, 2, costly=True)
    method("endsWith", ends_with, 2, costly=True)
    for part in _TIMESTAMP_PARTS:
        method(part, _timestamp_part(part), 1, 2)
    # strings extension
    method("charAt", char_at, 2)
    method("indexOf", index_of, 2, 3, costly=True)
    method("lastIndexOf", last_index_of, 2, 3, costly=True)
    method("lowerAscii", lambda s: _ascii(s, "lowerAscii", _LOWER), 1, costly=True)
    method("upperAscii", lambda s: _ascii(s, "upperAscii", _UPPER), 1, costly=True)
    method("replace", replace, 3, 4, costly=True)
    method("split", split, 2, 3, costly=True)
    method("substring", substring, 2, 3, costly=True)
    method("trim", trim, 1, costly=True)
    method("join", join, 1, 2, costly=True)
    method("reverse", reverse, 1, costly=True)
    method("format", format_string, 2, costly=True)
    define("strings.quote", quote, 1, costly=True)
    # lists (Kubernetes and cel-go's extension)
    method("isSorted", is_sorted, 1, costly=True)
    method("sum", list_sum, 1, costly=True)
    method("min", lambda x: _extreme("min", x, -1), 1, costly=True)
    method("max", lambda x: _extreme("max", x, 1), 1, costly=True)
    method("slice", list_slice, 3, costly=True)
    method("flatten", flatten, 1, 2, costly=True)
    method("distinct", distinct, 1, costly=True)
    method("sort", list_sort, 1, costly=True)
    method("first", first, 1)
    method("last", last, 1)
    define("lists.range", list_range, 1)
    define("sets.contains", sets_contains, 2, costly=True)
    define("sets.equivalent", sets_equivalent, 2, costly=True)
    define("sets.intersects", sets_intersects, 2, costly=True)
    # math
    define("math.greatest", greatest, *range(1, 64))
    define("math.least", least, *range(1, 64))
    define("math.ceil", _double_function("math.ceil", _integral(math.ceil)), 1)
    define("math.floor", _double_function("math.floor", _integral(math.floor)), 1)
    define("math.round", _double_function("math.round", _round), 1)
    define("math.trunc", _double_function("math.trunc", _integral(math.trunc)), 1)
    define("math.abs", math_abs, 1)
    define("math.sign", math_sign, 1)
    define("math.sqrt", math_sqrt, 1)
    define("math.isNaN", _double_function("math.isNaN", math.isnan), 1)
    define("math.isInf", _double_function("math.isInf", math.isinf), 1)
    define("math.isFinite", _double_function("math.isFinite", math.isfinite), 1)
    define("math.bitAnd", _bits("math.bitAnd", lambda a, b: a & b), 2)
    define("math.bitOr", _bits("math.bitOr", lambda a, b: a | b), 2)
    define("math.bitXor", _bits("math.bitXor", lambda a, b: a ^ b), 2)
    define("math.bitNot", bit_not, 1)
    define("math.bitShiftLeft", _shift(True), 2)
    define("math.bitShiftRight", _shift(False), 2)
    # optionals
    define("optional.of", lambda x: Optional(True, x), 1)
    define("optional.none", lambda: NONE, 0)
    define("optional.ofNonZeroValue", lambda x: NONE if _zero(x) else Optional(True, x), 1)
    method("hasValue", lambda x: _optional("hasValue", x).present, 1)
    method("value", optional_value, 1)
    method("orValue", optional_or_value, 2)
    method("or", optional_or, 2)
    # encoders
    define("base64.encode", base64_encode, 1, costly=True)
    define("base64.decode", base64_decode, 1, costly=True)


_register()

from gitops_core.validation.cel import _k8s  # noqa: E402  (registers the Kubernetes libraries)

_k8s.register(define, method)

__all__ = ["GLOBALS", "METHODS", "keys", "no_overload"]
