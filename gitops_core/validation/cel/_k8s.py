"""The Kubernetes CEL libraries (k8s.io/apiserver/pkg/cel/library) for CRD rules: regex
(``find``, ``findAll``), URLs, IP addresses and CIDRs, quantities, named formats and semver."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gitops_core.validation.cel._errors import CelEvalError, CelSyntaxError, no_overload
from gitops_core.validation.cel._values import NONE, Optional, UInt, Value

if TYPE_CHECKING:
    import ipaddress
    from fractions import Fraction

    _IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Define = Callable[..., None]


class _Lazy:
    """A regular expression compiled on first use: most rules use none of these."""

    __slots__ = ("_compiled", "_pattern")

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    def match(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self._pattern)
        return self._compiled.match(text)


def _regex(pattern: Value, error: type[Exception] = CelEvalError) -> re.Pattern[str]:
    from gitops_core.validation.cel._functions import regex

    return regex(pattern, error)


def find(text: Value, pattern: Value) -> Value:
    if type(text) is not str or type(pattern) is not str:
        raise no_overload("find", text, pattern)
    match = _regex(pattern).search(text)
    return match.group() if match else ""


def find_all(text: Value, pattern: Value, limit: Value = -1) -> Value:
    if type(text) is not str or type(pattern) is not str or type(limit) is not int:
        raise no_overload("findAll", text, pattern, limit)
    if limit == 0:
        return []
    found = [m.group() for m in _regex(pattern).finditer(text)]
    return found if limit < 0 else found[:limit]


# --- URLs --------------------------------------------------------------------------------------

_SCHEME = _Lazy(r"[A-Za-z][A-Za-z0-9+.-]*\Z")


class URL:
    """A URL as Go's url.ParseRequestURI reads it."""

    __slots__ = ("host", "path", "query", "raw", "scheme")
    cel_type = "kubernetes.URL"

    def __init__(self, raw: str) -> None:
        self.raw = raw
        if not raw or any(c in raw for c in " \t\n\x7f") or any(ord(c) < 0x20 for c in raw):
            raise CelEvalError(f"URL parse error during conversion from string: {raw!r}")
        rest = raw
        self.scheme = ""
        if not rest.startswith("/"):
            scheme, colon, after = rest.partition(":")
            if not colon or not _SCHEME.match(scheme):
                raise CelEvalError(f"URL parse error during conversion from string: {raw!r}")
            self.scheme, rest = scheme.lower(), after
        rest, _, self.query = rest.partition("?")
        self.host = ""
        if rest.startswith("//"):
            authority, slash, path = rest[2:].partition("/")
            self.path = slash + path
            _, at, host = authority.rpartition("@")
            self.host = host if at else authority
            if self.host.startswith("[") and "]" not in self.host:
                raise CelEvalError(f"URL parse error during conversion from string: {raw!r}")
            port = self.host.rpartition("]")[2] if self.host.startswith("[") else self.host
            if ":" in port and not port.rpartition(":")[2].isdigit() and port.rpartition(":")[2]:
                raise CelEvalError(f"URL parse error during conversion from string: {raw!r}")
        else:
            if self.scheme and not rest.startswith("/"):
                # an opaque URL (mailto:x): ParseRequestURI takes it with an empty path
                self.path = ""
            else:
                self.path = rest

    def __eq__(self, other: object) -> bool:
        return type(other) is URL and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def cel_string(self) -> str:
        return self.raw

    def hostname(self) -> str:
        host = self.host
        if host.startswith("["):
            return host[1 : host.index("]")]
        return host.rpartition(":")[0] if ":" in host else host

    def port(self) -> str:
        host = self.host
        if host.startswith("["):
            rest = host[host.index("]") + 1 :]
            return rest[1:] if rest.startswith(":") else ""
        return host.rpartition(":")[2] if ":" in host else ""


def _url(value: Value) -> URL:
    if type(value) is not str:
        raise no_overload("url", value)
    return URL(value)


def _is_url(value: Value) -> Value:
    if type(value) is not str:
        raise no_overload("isURL", value)
    try:
        URL(value)
    except CelEvalError:
        return False
    return True


def _url_part(name: str, get: Callable[[URL], Value]) -> Callable[[Value], Value]:
    def apply(value: Value) -> Value:
        if type(value) is not URL:
            raise no_overload(name, value)
        return get(value)

    return apply


def _query(url: URL) -> dict[str, list[str]]:
    from urllib.parse import parse_qs

    return {k: v for k, v in parse_qs(url.query, keep_blank_values=True).items()}


# --- IP addresses and CIDRs --------------------------------------------------------------------


def _parse_ip(text: str) -> _IPAddress:
    import ipaddress

    if "%" in text:
        raise CelEvalError(f"IP Address {text!r} with zone value is not allowed")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise CelEvalError(
            f"IP Address '{text}' parse error during conversion from string"
        ) from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise CelEvalError(f"IPv4-mapped IPv6 address {text!r} is not allowed")
    return address


class IP:
    __slots__ = ("address",)
    cel_type = "net.IP"

    def __init__(self, address: _IPAddress) -> None:
        self.address = address

    def __eq__(self, other: object) -> bool:
        return type(other) is IP and other.address == self.address

    def __hash__(self) -> int:
        return hash(self.address)

    def cel_string(self) -> str:
        return str(self.address)


def _ip(value: Value) -> Value:
    if type(value) is CIDR:
        return IP(value.interface.ip)
    if type(value) is not str:
        raise no_overload("ip", value)
    return IP(_parse_ip(value))


def _is_ip(value: Value) -> Value:
    if type(value) is not str:
        raise no_overload("isIP", value)
    try:
        _parse_ip(value)
    except CelEvalError:
        return False
    return True


def _is_canonical(value: Value) -> Value:
    if type(value) is not str:
        raise no_overload("ip.isCanonical", value)
    return str(_parse_ip(value)) == value


def _is_global_unicast(address: _IPAddress) -> bool:
    import ipaddress

    if isinstance(address, ipaddress.IPv4Address) and int(address) == 0xFFFFFFFF:
        return False
    return not (
        address.is_unspecified
        or address.is_loopback
        or address.is_multicast
        or address.is_link_local
    )


def _is_link_local_multicast(address: _IPAddress) -> bool:
    import ipaddress

    if isinstance(address, ipaddress.IPv4Address):
        return address in ipaddress.IPv4Network("224.0.0.0/24")
    return address.is_multicast and (address.packed[1] & 0x0F) == 0x02


_IP_TESTS: dict[str, Callable[[_IPAddress], Value]] = {
    "family": lambda a: a.version,
    "isUnspecified": lambda a: a.is_unspecified,
    "isLoopback": lambda a: a.is_loopback,
    "isLinkLocalMulticast": _is_link_local_multicast,
    "isLinkLocalUnicast": lambda a: a.is_link_local and not a.is_multicast,
    "isGlobalUnicast": _is_global_unicast,
}


def _ip_test(name: str) -> Callable[[Value], Value]:
    test = _IP_TESTS[name]

    def apply(value: Value) -> Value:
        if type(value) is not IP:
            raise no_overload(name, value)
        return test(value.address)

    return apply


class CIDR:
    __slots__ = ("interface",)
    cel_type = "net.CIDR"

    def __init__(self, interface: ipaddress.IPv4Interface | ipaddress.IPv6Interface) -> None:
        self.interface = interface

    def __eq__(self, other: object) -> bool:
        return type(other) is CIDR and other.interface == self.interface

    def __hash__(self) -> int:
        return hash(self.interface)

    def cel_string(self) -> str:
        return str(self.interface)


def _parse_cidr(text: str) -> CIDR:
    import ipaddress

    address, slash, prefix = text.partition("/")
    if not slash or not prefix.isdigit() or (len(prefix) > 1 and prefix[0] == "0"):
        raise CelEvalError(f"network address parse error during conversion from string: {text!r}")
    ip = _parse_ip(address)
    if int(prefix) > ip.max_prefixlen:
        raise CelEvalError(f"network address parse error during conversion from string: {text!r}")
    return CIDR(ipaddress.ip_interface(f"{ip}/{int(prefix)}"))


def _cidr(value: Value) -> Value:
    if type(value) is not str:
        raise no_overload("cidr", value)
    return _parse_cidr(value)


def _is_cidr(value: Value) -> Value:
    if type(value) is not str:
        raise no_overload("isCIDR", value)
    try:
        _parse_cidr(value)
    except CelEvalError:
        return False
    return True


def _contains_ip(cidr: Value, ip: Value) -> Value:
    if type(cidr) is not CIDR:
        raise no_overload("containsIP", cidr, ip)
    address = ip.address if type(ip) is IP else _parse_ip(ip) if type(ip) is str else None
    if address is None:
        raise no_overload("containsIP", cidr, ip)
    return address.version == cidr.interface.version and address in cidr.interface.network


def _contains_cidr(cidr: Value, other: Value) -> Value:
    if type(cidr) is not CIDR:
        raise no_overload("containsCIDR", cidr, other)
    inner = other if type(other) is CIDR else _parse_cidr(other) if type(other) is str else None
    if inner is None:
        raise no_overload("containsCIDR", cidr, other)
    outer_net, inner_net = cidr.interface.network, inner.interface.network
    return (
        inner_net.version == outer_net.version
        and inner_net.prefixlen >= outer_net.prefixlen
        and inner_net.network_address in outer_net
    )


def _masked(cidr: Value) -> Value:
    if type(cidr) is not CIDR:
        raise no_overload("masked", cidr)
    import ipaddress

    network = cidr.interface.network
    return CIDR(ipaddress.ip_interface(f"{network.network_address}/{network.prefixlen}"))


def _prefix_length(cidr: Value) -> Value:
    if type(cidr) is not CIDR:
        raise no_overload("prefixLength", cidr)
    return cidr.interface.network.prefixlen


# --- quantities --------------------------------------------------------------------------------

_QUANTITY = _Lazy(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([a-zA-Z]*|[eE][-+]?[0-9]+)\Z")
# suffix → (numerator, denominator) of its factor
_SUFFIXES: dict[str, tuple[int, int]] = {
    "": (1, 1), "n": (1, 10**9), "u": (1, 10**6), "m": (1, 1000),
    "k": (10**3, 1), "M": (10**6, 1), "G": (10**9, 1), "T": (10**12, 1),
    "P": (10**15, 1), "E": (10**18, 1),
    "Ki": (2**10, 1), "Mi": (2**20, 1), "Gi": (2**30, 1), "Ti": (2**40, 1),
    "Pi": (2**50, 1), "Ei": (2**60, 1),
}  # fmt: skip


class Quantity:
    __slots__ = ("raw", "value")
    cel_type = "kubernetes.Quantity"

    def __init__(self, value: Fraction, raw: str) -> None:
        self.value = value
        self.raw = raw

    def __eq__(self, other: object) -> bool:
        return type(other) is Quantity and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def cel_string(self) -> str:
        return self.raw


def _parse_quantity(text: str) -> Quantity:
    from fractions import Fraction

    match = _QUANTITY.match(text)
    if match is None or len(text) > 64:
        raise CelEvalError(f"quantities must match the regular expression: {text!r}")
    number, suffix = match.group(1), match.group(2)
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        factor = Fraction(10) ** int(suffix[1:])
    elif suffix in _SUFFIXES:
        factor = Fraction(*_SUFFIXES[suffix])
    else:
        raise CelEvalError(f"unable to parse quantity's suffix: {text!r}")
    return Quantity(Fraction(number) * factor, text)


def _quantity(value: Value) -> Value:
    if type(value) is not str:
        raise no_overload("quantity", value)
    return _parse_quantity(value)


def _is_quantity(value: Value) -> Value:
    if type(value) is not str:
        raise no_overload("isQuantity", value)
    try:
        _parse_quantity(value)
    except CelEvalError:
        return False
    return True


def _q(name: str, value: Value) -> Quantity:
    if type(value) is not Quantity:
        raise no_overload(name, value)
    return value


def _as_integer(value: Value) -> Value:
    amount = _q("asInteger", value).value
    if amount.denominator != 1 or not -(2**63) <= amount <= 2**63 - 1:
        raise CelEvalError("cannot convert value to integer")
    return int(amount)


def _q_arith(name: str, sign: int) -> Callable[[Value, Value], Value]:
    def apply(value: Value, other: Value) -> Value:
        from fractions import Fraction

        base = _q(name, value)
        if type(other) is Quantity:
            amount = other.value
        elif type(other) is int:
            amount = Fraction(other)
        else:
            raise no_overload(name, value, other)
        total = base.value + sign * amount
        return Quantity(total, _fraction_text(total))

    return apply


def _fraction_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return format(float(value), "g")


# --- semver ------------------------------------------------------------------------------------

_SEMVER = _Lazy(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z"
)


class Semver:
    __slots__ = ("major", "minor", "patch", "pre")
    cel_type = "kubernetes.Semver"

    def __init__(self, major: int, minor: int, patch: int, pre: tuple[str, ...]) -> None:
        self.major, self.minor, self.patch, self.pre = major, minor, patch, pre

    def key(self) -> tuple[Any, ...]:
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, not self.pre, pre)

    def __eq__(self, other: object) -> bool:
        return type(other) is Semver and other.key() == self.key()

    def __hash__(self) -> int:
        return hash(self.key())


def _parse_semver(text: str, normalize: bool) -> Semver:
    if normalize:
        # Kubernetes' normalization: no "v" prefix, missing minor and patch are 0, no leading 0s.
        text = text.removeprefix("v")
        split = re.search(r"[-+]", text)
        core, rest = (text[: split.start()], text[split.start() :]) if split else (text, "")
        parts = core.split(".")
        if 1 <= len(parts) < 3:
            parts += ["0"] * (3 - len(parts))
        parts = [(p.lstrip("0") or "0") if p.isdigit() else p for p in parts]
        text = ".".join(parts) + rest
    match = _SEMVER.match(text)
    if match is None:
        raise CelEvalError(f"error converting string to semver: {text!r}")
    pre = tuple(match.group(4).split(".")) if match.group(4) else ()
    return Semver(int(match.group(1)), int(match.group(2)), int(match.group(3)), pre)


def _semver(value: Value, normalize: Value = False) -> Value:
    if type(value) is not str or type(normalize) is not bool:
        raise no_overload("semver", value)
    return _parse_semver(value, normalize)


def _is_semver(value: Value, normalize: Value = False) -> Value:
    if type(value) is not str or type(normalize) is not bool:
        raise no_overload("isSemver", value)
    try:
        _parse_semver(value, normalize)
    except CelEvalError:
        return False
    return True


def _semver_part(name: str) -> Callable[[Value], Value]:
    def apply(value: Value) -> Value:
        if type(value) is not Semver:
            raise no_overload(name, value)
        return getattr(value, name)

    return apply


def _compare_to(value: Value, other: Value) -> Value:
    if type(value) is Quantity and type(other) is Quantity:
        return (value.value > other.value) - (value.value < other.value)
    if type(value) is Semver and type(other) is Semver:
        a, b = value.key(), other.key()
        return (a > b) - (a < b)
    raise no_overload("compareTo", value, other)


# --- named formats -----------------------------------------------------------------------------

_DNS1123_LABEL = _Lazy(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = _Lazy(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS1035_LABEL = _Lazy(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_QUALIFIED_NAME = _Lazy(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = _Lazy(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_UUID = _Lazy(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_BASE64 = _Lazy(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
_DATE = _Lazy(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _length_and_pattern(limit: int, pattern: _Lazy, message: str) -> Callable[[str], list[str]]:
    def check(text: str) -> list[str]:
        errors = []
        if len(text) > limit:
            errors.append(f"must be no more than {limit} characters")
        if not pattern.match(text):
            errors.append(message)
        return errors

    return check


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    def apply(text: str) -> list[str]:
        return check(text[:-1] if text.endswith("-") else text)

    return apply


def _qualified_name(text: str) -> list[str]:
    prefix, slash, name = text.rpartition("/")
    errors = []
    if slash:
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += [f"prefix part {e}" for e in _FORMATS["dns1123Subdomain"](prefix)]
    if not name:
        errors.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errors.append("name part must be no more than 63 characters")
        if not _QUALIFIED_NAME.match(name):
            errors.append(
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
                "start and end with an alphanumeric character"
            )
    return errors


def _datetime_errors(text: str) -> list[str]:
    from gitops_core.validation.cel._time import parse_timestamp

    try:
        parse_timestamp(text)
    except CelEvalError:
        return ["must be a valid RFC 3339 date-time"]
    return []


def _date_errors(text: str) -> list[str]:
    import datetime

    try:
        if not _DATE.match(text):
            raise ValueError
        datetime.date.fromisoformat(text)
    except ValueError:
        return ["must be a valid date in the format YYYY-MM-DD"]
    return []


def _uri_errors(text: str) -> list[str]:
    try:
        URL(text)
    except CelEvalError:
        return ["must be a valid URI"]
    return []


_DNS_LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character"
)
_DNS_SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character"
)
_FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": _length_and_pattern(63, _DNS1123_LABEL, _DNS_LABEL_MESSAGE),
    "dns1123Subdomain": _length_and_pattern(253, _DNS1123_SUBDOMAIN, _DNS_SUBDOMAIN_MESSAGE),
    "dns1035Label": _length_and_pattern(63, _DNS1035_LABEL, _DNS1035_MESSAGE),
    "qualifiedName": _qualified_name,
    "labelValue": _length_and_pattern(
        63,
        _LABEL_VALUE,
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
    ),
    "uri": _uri_errors,
    "uuid": lambda t: [] if _UUID.match(t) else ["does not match the UUID format"],
    "byte": lambda t: [] if _BASE64.match(t) else ["must be a valid base64 string"],
    "date": _date_errors,
    "datetime": _datetime_errors,
}
_FORMATS["dns1123LabelPrefix"] = _prefix(_FORMATS["dns1123Label"])
_FORMATS["dns1123SubdomainPrefix"] = _prefix(_FORMATS["dns1123Subdomain"])
_FORMATS["dns1035LabelPrefix"] = _prefix(_FORMATS["dns1035Label"])


class Format:
    __slots__ = ("name",)
    cel_type = "kubernetes.NamedFormat"

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return type(other) is Format and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def _named_format(name: Value) -> Value:
    if type(name) is not str:
        raise no_overload("format.named", name)
    return Optional(True, Format(name)) if name in _FORMATS else NONE


def _validate(fmt: Value, text: Value) -> Value:
    if type(fmt) is not Format or type(text) is not str:
        raise no_overload("validate", fmt, text)
    errors = _FORMATS[fmt.name](text)
    return Optional(True, errors) if errors else NONE


def register(define: Define, method: Define) -> None:
    method("find", find, 2, costly=True)
    method("findAll", find_all, 2, 3, costly=True)
    define("url", _url, 1, costly=True)
    define("isURL", _is_url, 1, costly=True)
    method("getScheme", _url_part("getScheme", lambda u: u.scheme), 1)
    method("getHost", _url_part("getHost", lambda u: u.host), 1)
    method("getHostname", _url_part("getHostname", URL.hostname), 1)
    method("getPort", _url_part("getPort", URL.port), 1)
    method("getEscapedPath", _url_part("getEscapedPath", lambda u: u.path), 1)
    method("getQuery", _url_part("getQuery", _query), 1)
    define("ip", _ip, 1)
    method("ip", _ip, 1)
    define("isIP", _is_ip, 1)
    define("ip.isCanonical", _is_canonical, 1)
    for name in _IP_TESTS:
        method(name, _ip_test(name), 1)
    define("cidr", _cidr, 1)
    define("isCIDR", _is_cidr, 1)
    method("containsIP", _contains_ip, 2)
    method("containsCIDR", _contains_cidr, 2)
    method("masked", _masked, 1)
    method("prefixLength", _prefix_length, 1)
    define("quantity", _quantity, 1)
    define("isQuantity", _is_quantity, 1)
    method("sign", lambda q: (lambda v: (v > 0) - (v < 0))(_q("sign", q).value), 1)
    method("isInteger", lambda q: _q("isInteger", q).value.denominator == 1, 1)
    method("asInteger", _as_integer, 1)
    method("asApproximateFloat", lambda q: float(_q("asApproximateFloat", q).value), 1)
    method("add", _q_arith("add", 1), 2)
    method("sub", _q_arith("sub", -1), 2)
    method("compareTo", _compare_to, 2)
    method("isGreaterThan", lambda a, b: _compare_to(a, b) > 0, 2)
    method("isLessThan", lambda a, b: _compare_to(a, b) < 0, 2)
    define("semver", _semver, 1, 2)
    define("isSemver", _is_semver, 1, 2)
    for part in ("major", "minor", "patch"):
        method(part, _semver_part(part), 1)
    define("format.named", _named_format, 1)
    for name in _FORMATS:
        define(f"format.{name}", (lambda n: lambda: Format(n))(name), 0)
    method("validate", _validate, 2)


__all__ = [
    "CIDR",
    "IP",
    "URL",
    "CelSyntaxError",
    "Format",
    "Quantity",
    "Semver",
    "UInt",
    "register",
]
