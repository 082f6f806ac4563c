"""A reader for protobuf text format, enough for the CEL conformance data (no descriptors).

``parse(text)`` gives a :class:`Message`: for each field name, the list of its values in file
order. A value is a nested Message, ``bytes`` for a quoted string (the caller decodes text
fields), ``int`` / ``float`` for numbers, or ``str`` for an identifier (an enum value, ``true``).
An ``Any`` written with its type URL (``[type.googleapis.com/x.Y] {...}``) is a field named by
the URL.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    rb"""
    (?P<space>(?:\s+|\#[^\n]*)+)
    |(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<number>-?(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?[fFuU]?
        |\.[0-9]+(?:[eE][-+]?[0-9]+)?|inf|nan)(?![A-Za-z0-9_]))
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<url>\[[A-Za-z0-9_.]+(?:/[A-Za-z0-9_.]+)*\])
    |(?P<punct>[{}<>:;,\[\]])
    """,
    re.VERBOSE,
)
_ESCAPES = {
    ord("n"): b"\n", ord("t"): b"\t", ord("r"): b"\r", ord("a"): b"\a", ord("b"): b"\b",
    ord("f"): b"\f", ord("v"): b"\v", ord("\\"): b"\\", ord("'"): b"'", ord('"'): b'"',
    ord("?"): b"?",
}  # fmt: skip


class Message(dict[str, list[object]]):
    """Field name → values, in file order."""

    def one(self, name: str, default: object = None) -> object:
        values = self.get(name)
        return values[-1] if values else default

    def text(self, name: str, default: str = "") -> str:
        value = self.one(name)
        return value.decode("utf-8") if isinstance(value, bytes) else default

    def message(self, name: str) -> Message | None:
        value = self.one(name)
        return value if isinstance(value, Message) else None

    def messages(self, name: str) -> list[Message]:
        return [v for v in self.get(name, []) if isinstance(v, Message)]


def _unquote(literal: bytes) -> bytes:
    body, out, at = literal[1:-1], bytearray(), 0
    while at < len(body):
        char = body[at]
        if char != ord("\\"):
            out.append(char)
            at += 1
            continue
        escape = body[at + 1]
        if escape in _ESCAPES:
            out += _ESCAPES[escape]
            at += 2
        elif escape in b"xX":
            digits = re.match(rb"[0-9a-fA-F]{1,2}", body[at + 2 :])
            assert digits is not None
            out.append(int(digits.group(), 16))
            at += 2 + len(digits.group())
        elif escape in b"uU":
            width = 4 if escape == ord("u") else 8
            out += chr(int(body[at + 2 : at + 2 + width], 16)).encode("utf-8", "surrogatepass")
            at += 2 + width
        else:
            digits = re.match(rb"[0-7]{1,3}", body[at + 1 :])
            assert digits is not None, literal
            out.append(int(digits.group(), 8))
            at += 1 + len(digits.group())
    return bytes(out)


def _tokens(text: bytes) -> list[tuple[str, bytes]]:
    tokens: list[tuple[str, bytes]] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise ValueError(f"textproto: unexpected {text[at : at + 20]!r}")
        assert match.lastgroup is not None
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
        at = match.end()
    return tokens


def parse(text: str | bytes) -> Message:
    """The message written in ``text``."""
    tokens = _tokens(text.encode("utf-8") if isinstance(text, str) else text)
    at = 0

    def message(close: bytes | None) -> Message:
        nonlocal at
        result = Message()
        while True:
            if at == len(tokens):
                if close is None:
                    return result
                raise ValueError("textproto: unexpected end")
            kind, token = tokens[at]
            if close is not None and token == close and kind == "punct":
                at += 1
                return result
            if kind in ("punct",) and token in (b",", b";"):
                at += 1
                continue
            if kind not in ("ident", "url"):
                raise ValueError(f"textproto: expected a field name, got {token!r}")
            name = token.decode()
            at += 1
            if tokens[at] == ("punct", b":"):
                at += 1
            result.setdefault(name, []).extend(values())

    def values() -> list[object]:
        nonlocal at
        kind, token = tokens[at]
        if kind == "punct" and token == b"[":
            at += 1
            found: list[object] = []
            while tokens[at] != ("punct", b"]"):
                if tokens[at] == ("punct", b","):
                    at += 1
                    continue
                found += values()
            at += 1
            return found
        return [value()]

    def value() -> object:
        nonlocal at
        kind, token = tokens[at]
        at += 1
        if kind == "punct" and token in (b"{", b"<"):
            return message(b"}" if token == b"{" else b">")
        if kind == "string":
            data = _unquote(token)
            while at < len(tokens) and tokens[at][0] == "string":  # "a" "b" concatenates
                data += _unquote(tokens[at][1])
                at += 1
            return data
        if kind == "number":
            return _number(token.decode())
        if kind == "ident":
            return token.decode()
        raise ValueError(f"textproto: unexpected {token!r}")

    return message(None)


def _number(text: str) -> int | float:
    lowered = text.lower().rstrip("u")
    if lowered.lstrip("-") in ("inf", "nan"):
        return float(lowered)
    if lowered.lstrip("-").startswith("0x"):
        return int(lowered, 16)
    if any(c in lowered for c in ".ef") and not lowered.startswith("0x"):
        return float(lowered.rstrip("f") if not lowered.endswith("e") else lowered)
    return int(lowered)
