"""Timestamps and durations as cel-go reads, prints and splits them (Go's time package)."""

from __future__ import annotations

import datetime
import functools
import re
from typing import TYPE_CHECKING

from gitops_core.validation.cel._errors import CelEvalError
from gitops_core.validation.cel._values import Duration, Timestamp

if TYPE_CHECKING:
    from fractions import Fraction

_NS = 1_000_000_000
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z"
)
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)")
_UNIT_NS = {
    "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
    "s": _NS, "m": 60 * _NS, "h": 3600 * _NS,
}  # fmt: skip
_OFFSET = re.compile(r"([+-]?)(\d{1,2}):(\d{2})\Z")


def parse_timestamp(text: str) -> Timestamp:
    """An RFC 3339 timestamp (Go's time.Parse with time.RFC3339)."""
    match = _RFC3339.match(text)
    if match is None:
        raise CelEvalError(f"timestamp {text!r} is not an RFC 3339 date-time")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = (match.group(7) or "")[:9].ljust(9, "0")
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        raise CelEvalError(f"timestamp {text!r}: no such date") from None
    if hour > 23 or minute > 59 or second > 59:
        raise CelEvalError(f"timestamp {text!r}: time out of range")
    offset = 0
    if match.group(9):
        offset_hours, offset_minutes = int(match.group(10)), int(match.group(11))
        if offset_hours > 23 or offset_minutes > 59:
            raise CelEvalError(f"timestamp {text!r}: offset out of range")
        offset = (offset_hours * 3600 + offset_minutes * 60) * (-1 if match.group(9) == "-" else 1)
    days = date.toordinal() - 719163  # 1970-01-01
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    return Timestamp(seconds * _NS + int(fraction))


def format_timestamp(value: Timestamp) -> str:
    """RFC 3339 in UTC with the fraction trimmed (Go's time.RFC3339Nano)."""
    seconds, nanos = divmod(value.ns, _NS)
    moment = datetime.datetime(1, 1, 1) + datetime.timedelta(seconds=seconds + 62135596800)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    text = f"{moment.year:04d}{text[text.index('-') :]}"
    if nanos:
        text += f".{nanos:09d}".rstrip("0")
    return text + "Z"


def parse_duration(text: str) -> Duration:
    """Go's time.ParseDuration: ``1h30m``, ``-1.5s``, ``300ms``, ``0``."""
    from fractions import Fraction

    rest = text
    sign = 1
    if rest[:1] in ("-", "+"):
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return Duration(0)
    if not rest:
        raise CelEvalError(f"invalid duration {text!r}")
    total: Fraction = Fraction(0)
    at = 0
    while at < len(rest):
        match = _DURATION_PART.match(rest, at)
        if match is None or not (match.group(1) or match.group(2)):
            raise CelEvalError(f"invalid duration {text!r}")
        whole, fraction, unit = match.group(1) or "0", match.group(2) or "", match.group(3)
        value = Fraction(int(whole)) + (
            Fraction(int(fraction), 10 ** len(fraction)) if fraction else 0
        )
        total += value * _UNIT_NS[unit]
        at = match.end()
    ns = int(total) * sign  # Go truncates a fraction of a nanosecond
    if not -(2**63) <= ns <= 2**63 - 1:
        raise CelEvalError(f"invalid duration {text!r}: out of range")
    return Duration(ns)


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> datetime.tzinfo:
    match = _OFFSET.match(name)
    if match is not None:
        hours, minutes = int(match.group(2)), int(match.group(3))
        delta = datetime.timedelta(hours=hours, minutes=minutes)
        return datetime.timezone(-delta if match.group(1) == "-" else delta)
    if name == "UTC" or name == "":
        return datetime.timezone.utc
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, KeyError) as exc:
        raise CelEvalError(f"unknown time zone {name!r}: {exc}") from None


def local_time(value: Timestamp, zone: str | None) -> datetime.datetime:
    """The wall-clock time of ``value`` in ``zone`` (UTC when None)."""
    seconds = value.ns // _NS
    moment = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        seconds=seconds + 62135596800
    )
    if zone is None:
        return moment
    try:
        return moment.astimezone(_zone(zone))
    except (OverflowError, ValueError):
        raise CelEvalError("timestamp out of range in that time zone") from None


def timestamp_part(value: Timestamp, part: str, zone: str | None) -> int:
    local = local_time(value, zone)
    if part == "getFullYear":
        return local.year
    if part == "getMonth":
        return local.month - 1
    if part == "getDate":
        return local.day
    if part == "getDayOfMonth":
        return local.day - 1
    if part == "getDayOfYear":
        return local.timetuple().tm_yday - 1
    if part == "getDayOfWeek":
        return (local.weekday() + 1) % 7
    if part == "getHours":
        return local.hour
    if part == "getMinutes":
        return local.minute
    if part == "getSeconds":
        return local.second
    if part == "getMilliseconds":
        return (value.ns % _NS) // 1_000_000
    raise CelEvalError(f"no such overload: timestamp.{part}()")


def duration_part(value: Duration, part: str) -> int:
    ns = value.ns
    units = {
        "getHours": 3600 * _NS,
        "getMinutes": 60 * _NS,
        "getSeconds": _NS,
        "getMilliseconds": 1_000_000,
    }
    unit = units.get(part)
    if unit is None:
        raise CelEvalError(f"no such overload: duration.{part}()")
    quotient = abs(ns) // unit
    if part == "getMilliseconds":
        quotient %= 1000  # the milliseconds component, as cel-go gives it
    return -quotient if ns < 0 else quotient


def timestamp_from_seconds(seconds: int) -> Timestamp:
    return Timestamp(seconds * _NS)


def epoch_seconds(value: Timestamp) -> int:
    return value.ns // _NS


__all__ = [
    "_EPOCH",
    "duration_part",
    "epoch_seconds",
    "format_timestamp",
    "local_time",
    "parse_duration",
    "parse_timestamp",
    "timestamp_from_seconds",
    "timestamp_part",
]
