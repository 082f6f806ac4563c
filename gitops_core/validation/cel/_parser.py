"""CEL text → syntax tree: the grammar of cel-spec ``langdef.md``, with cel-go's limits.

Macros (``has``, ``all``, ``exists``, ``exists_one``, ``map``, ``filter``, the two-variable
comprehensions, ``cel.bind``, ``optMap`` / ``optFlatMap``, ``sortBy``) become :class:`Macro`
nodes here, as cel-go expands them while parsing.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from gitops_core.validation.cel._errors import CelSyntaxError

_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1

#: The deepest nesting cel-go's parser accepts (its default max recursion depth).
MAX_DEPTH = 250
#: The longest rule text cel-go parses (its default expression size code point limit).
MAX_SOURCE = 100_000

_TOKEN_PATTERN = r"""
    (?P<space>(?:[ \t\n\r\f]+|//[^\n]*)+)
    |(?P<string>(?i:[rb]|rb|br)?(?:'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\"
        |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"))
    |(?P<double>(?:[0-9]+\.[0-9]+(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+
        |\.[0-9]+(?:[eE][-+]?[0-9]+)?))
    |(?P<uint>(?:0[xX][0-9a-fA-F]+|[0-9]+)[uU])
    |(?P<int>0[xX][0-9a-fA-F]+|[0-9]+)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>&&|\|\||==|!=|<=|>=|\.\?|\[\?|[<>!().,\[\]{}?:*/%+-])
    """
_RESERVED = frozenset(
    [
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ]
)
_SIMPLE_ESCAPES = {
    "\\": "\\", '"': '"', "'": "'", "`": "`", "?": "?",
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip
_ESCAPE_PATTERN = (
    r"\\(?:[xX]([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-3][0-7]{2})|(.))"
)


@functools.cache
def _token() -> re.Pattern[str]:
    """The lexer's pattern, compiled on first use (import stays cheap)."""
    return re.compile(_TOKEN_PATTERN, re.VERBOSE | re.DOTALL)


@functools.cache
def _escape() -> re.Pattern[str]:
    return re.compile(_ESCAPE_PATTERN, re.DOTALL)


class Token:
    __slots__ = ("kind", "position", "text")

    def __init__(self, kind: str, text: str, position: int) -> None:
        self.kind = kind  # string, double, uint, int, ident, op, end
        self.text = text
        self.position = position


# --- syntax tree -------------------------------------------------------------------------------


class Expr:
    """A node of the syntax tree."""

    __slots__ = ()


class Literal(Expr):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Literal({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


class Ident(Expr):
    """A name; ``root``: written with a leading dot, resolved outside the container."""

    __slots__ = ("name", "root")

    def __init__(self, name: str, root: bool = False) -> None:
        self.name = name
        self.root = root

    def __repr__(self) -> str:
        return f"Ident({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


class Select(Expr):
    """``a.b``, or ``a.?b`` when ``optional``."""

    __slots__ = ("field", "operand", "optional")

    def __init__(self, operand: Expr, field: str, optional: bool = False) -> None:
        self.operand = operand
        self.field = field
        self.optional = optional

    def __repr__(self) -> str:
        return f"Select({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


class Index(Expr):
    """``a[b]``, or ``a[?b]`` when ``optional``."""

    __slots__ = ("index", "operand", "optional")

    def __init__(self, operand: Expr, index: Expr, optional: bool = False) -> None:
        self.operand = operand
        self.index = index
        self.optional = optional

    def __repr__(self) -> str:
        return f"Index({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


class Call(Expr):
    __slots__ = ("args", "function", "target")

    def __init__(self, function: str, target: Expr | None, args: tuple[Expr, ...]) -> None:
        self.function = function
        self.target = target
        self.args = args

    def __repr__(self) -> str:
        return f"Call({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


class ListLit(Expr):
    __slots__ = ("items", "optional")

    def __init__(self, items: tuple[Expr, ...], optional: tuple[bool, ...]) -> None:
        self.items = items
        self.optional = optional

    def __repr__(self) -> str:
        return f"ListLit({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


class MapLit(Expr):
    __slots__ = ("entries",)

    def __init__(self, entries: tuple[tuple[Expr, Expr, bool], ...]) -> None:
        self.entries = entries

    def __repr__(self) -> str:
        return f"MapLit({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


class MessageLit(Expr):
    __slots__ = ("fields", "type_name")

    def __init__(self, type_name: str, fields: tuple[tuple[str, Expr, bool], ...]) -> None:
        self.type_name = type_name
        self.fields = fields

    def __repr__(self) -> str:
        return f"MessageLit({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


class Macro(Expr):
    """A macro call: ``target.name(variables..., args...)`` or ``name(args...)``."""

    __slots__ = ("args", "name", "target", "variables")

    def __init__(
        self, name: str, target: Expr | None, variables: tuple[str, ...], args: tuple[Expr, ...]
    ) -> None:
        self.name = name
        self.target = target
        self.variables = variables
        self.args = args

    def __repr__(self) -> str:
        return f"Macro({', '.join(repr(getattr(self, f)) for f in self.__slots__)})"


# --- lexer -------------------------------------------------------------------------------------


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    match_at = _token().match
    while position < len(source):
        match = match_at(source, position)
        if match is None:
            raise CelSyntaxError(f"unexpected character {source[position]!r} at {position}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", position))
    return tokens


def string_literal(text: str) -> str | bytes:
    """The value of a string or bytes literal token (prefixes, quotes and escapes)."""
    prefix = ""
    while text[0] not in "'\"":
        prefix += text[0].lower()
        text = text[1:]
    quote = text[:3] if text[:3] in ("'''", '"""') else text[0]
    body = text[len(quote) : -len(quote)]
    is_bytes, is_raw = "b" in prefix, "r" in prefix
    if is_raw:
        return body.encode("utf-8") if is_bytes else body
    if is_bytes:
        return _unescape_bytes(body)
    return _unescape(body)


def _unescape(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code_text = match.group(1) or match.group(2) or match.group(3) or match.group(4)
        if code_text is not None:
            code = int(code_text, 8 if match.group(4) else 16)
            if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                raise CelSyntaxError(f"invalid code point in escape {match.group()!r}")
            return chr(code)
        char = match.group(5)
        if char not in _SIMPLE_ESCAPES:
            raise CelSyntaxError(f"invalid escape sequence \\{char}")
        return _SIMPLE_ESCAPES[char]

    if "\\" not in body:
        return body
    return _escape().sub(replace, body)


def _unescape_bytes(body: str) -> bytes:
    out = bytearray()
    at = 0
    while at < len(body):
        if body[at] != "\\":
            end = body.find("\\", at)
            end = len(body) if end < 0 else end
            out += body[at:end].encode("utf-8")
            at = end
            continue
        match = _escape().match(body, at)
        if match is None:
            raise CelSyntaxError("invalid escape at the end of a bytes literal")
        if match.group(1) or match.group(4):
            out.append(int(match.group(1) or match.group(4), 16 if match.group(1) else 8))
        elif match.group(2) or match.group(3):
            raise CelSyntaxError(r"\u and \U escapes are not allowed in bytes literals")
        else:
            char = match.group(5)
            if char not in _SIMPLE_ESCAPES:
                raise CelSyntaxError(f"invalid escape sequence \\{char}")
            out += _SIMPLE_ESCAPES[char].encode()
        at = match.end()
    return bytes(out)


def int_literal(text: str, negative: bool = False) -> int:
    value = int(text, 16) if text[:2] in ("0x", "0X") else int(text)
    value = -value if negative else value
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise CelSyntaxError(f"invalid int literal {'-' if negative else ''}{text}: out of range")
    return value


def uint_literal(text: str) -> int:
    digits = text[:-1]
    value = int(digits, 16) if digits[:2] in ("0x", "0X") else int(digits)
    if value > _UINT64_MAX:
        raise CelSyntaxError(f"invalid uint literal {text}: out of range")
    return value


# --- parser ------------------------------------------------------------------------------------

_RELATIONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})
_LITERAL_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None}
# name → {number of arguments: how many of them name variables}
_RECEIVER_MACROS: dict[str, dict[int, int]] = {
    "all": {2: 1, 3: 2},
    "exists": {2: 1, 3: 2},
    "exists_one": {2: 1, 3: 2},
    "existsOne": {2: 1, 3: 2},
    "map": {2: 1, 3: 1},
    "filter": {2: 1},
    "transformList": {3: 2, 4: 2},
    "transformMap": {3: 2, 4: 2},
    "transformMapEntry": {3: 2, 4: 2},
    "optMap": {2: 1},
    "optFlatMap": {2: 1},
    "sortBy": {2: 1},
}


class Parser:
    """Recursive descent over the CEL grammar."""

    def __init__(self, source: str, *, macros: bool = True) -> None:
        if len(source) > MAX_SOURCE:
            raise CelSyntaxError(f"expression of {len(source)} characters exceeds {MAX_SOURCE}")
        self._tokens = tokenize(source)
        self._at = 0
        self._depth = 0
        self._macros = macros

    def parse(self) -> Expr:
        node = self._expr()
        token = self._peek()
        if token.kind != "end":
            raise CelSyntaxError(f"unexpected {token.text!r} at {token.position}")
        return node

    # token helpers

    def _peek(self, ahead: int = 0) -> Token:
        return self._tokens[min(self._at + ahead, len(self._tokens) - 1)]

    def _next(self) -> Token:
        token = self._tokens[self._at]
        if token.kind != "end":
            self._at += 1
        return token

    def _at_op(self, text: str) -> bool:
        token = self._tokens[self._at]
        return token.kind == "op" and token.text == text

    def _accept(self, text: str) -> bool:
        if self._at_op(text):
            self._at += 1
            return True
        return False

    def _expect(self, text: str) -> Token:
        token = self._next()
        if token.kind == "op" and token.text == text:
            return token
        found = token.text or "end of expression"
        raise CelSyntaxError(f"expected {text!r} at {token.position}, found {found!r}")

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise CelSyntaxError(f"expression nests deeper than {MAX_DEPTH} levels")

    # grammar

    def _expr(self) -> Expr:
        self._enter()
        condition = self._or()
        if self._accept("?"):
            then = self._or()
            self._expect(":")
            condition = Call("_?_:_", None, (condition, then, self._expr()))
        self._depth -= 1
        return condition

    def _or(self) -> Expr:
        node = self._and()
        while self._accept("||"):
            node = Call("_||_", None, (node, self._and()))
        return node

    def _and(self) -> Expr:
        node = self._relation()
        while self._accept("&&"):
            node = Call("_&&_", None, (node, self._relation()))
        return node

    def _relation(self) -> Expr:
        node = self._addition()
        while True:
            token = self._peek()
            if not (
                (token.kind == "op" and token.text in _RELATIONS)
                or (token.kind == "ident" and token.text == "in")
            ):
                return node
            self._at += 1
            node = Call(f"_{token.text}_" if token.text != "in" else "@in", None,
                        (node, self._addition()))  # fmt: skip

    def _addition(self) -> Expr:
        node = self._multiplication()
        while self._at_op("+") or self._at_op("-"):
            op = self._next().text
            node = Call(f"_{op}_", None, (node, self._multiplication()))
        return node

    def _multiplication(self) -> Expr:
        node = self._unary()
        while self._at_op("*") or self._at_op("/") or self._at_op("%"):
            op = self._next().text
            node = Call(f"_{op}_", None, (node, self._unary()))
        return node

    def _unary(self) -> Expr:
        if self._at_op("!"):
            count = 0
            while self._accept("!"):
                count += 1
            node = self._member()
            return Call("!_", None, (node,)) if count % 2 else node
        if self._at_op("-"):
            if self._peek(1).kind in ("int", "double") and not self._is_minus_run():
                return self._member()  # a signed literal: -9223372036854775808 is an int
            count = 0
            while self._accept("-"):
                count += 1
            self._enter()
            node = self._member()
            self._depth -= 1
            for _ in range(count):
                node = Call("-_", None, (node,))
            return node
        return self._member()

    def _is_minus_run(self) -> bool:
        return self._peek(1).kind == "op" and self._peek(1).text == "-"

    def _member(self) -> Expr:
        node = self._primary()
        depth = 0
        while True:
            if self._accept("."):
                token = self._next()
                if token.kind != "ident":
                    raise CelSyntaxError(f"expected a field name at {token.position}")
                if self._accept("("):
                    node = self._call(token.text, node)
                else:
                    node = Select(node, token.text)
            elif self._accept(".?"):
                token = self._next()
                if token.kind != "ident":
                    raise CelSyntaxError(f"expected a field name at {token.position}")
                node = Select(node, token.text, optional=True)
            elif self._at_op("[") or self._at_op("[?"):
                optional = self._next().text == "[?"
                index = self._expr()
                self._expect("]")
                node = Index(node, index, optional)
            elif self._at_op("{") and self._is_type_name(node):
                self._next()
                node = self._message(node)
            else:
                return node
            depth += 1
            if depth > MAX_DEPTH:
                raise CelSyntaxError(f"expression nests deeper than {MAX_DEPTH} levels")

    @staticmethod
    def _is_type_name(node: Expr) -> bool:
        while isinstance(node, Select) and not node.optional:
            node = node.operand
        return isinstance(node, Ident)

    def _message(self, node: Expr) -> Expr:
        parts: list[str] = []
        while isinstance(node, Select):
            parts.append(node.field)
            node = node.operand
        assert isinstance(node, Ident)
        parts.append(("." if node.root else "") + node.name)
        fields: list[tuple[str, Expr, bool]] = []
        while not self._accept("}"):
            if fields:
                self._expect(",")
                if self._accept("}"):
                    break
            optional = self._accept("?")
            name = self._next()
            if name.kind != "ident":
                raise CelSyntaxError(f"expected a field name at {name.position}")
            self._expect(":")
            fields.append((name.text, self._expr(), optional))
        return MessageLit(".".join(reversed(parts)), tuple(fields))

    def _arguments(self) -> list[Expr]:
        arguments: list[Expr] = []
        while not self._accept(")"):
            if arguments:
                self._expect(",")
            arguments.append(self._expr())
        return arguments

    def _call(self, name: str, target: Expr | None) -> Expr:
        arguments = self._arguments()
        if not self._macros:
            return Call(name, target, tuple(arguments))
        if target is None and name == "has" and len(arguments) == 1:
            argument = arguments[0]
            if not isinstance(argument, Select):
                raise CelSyntaxError("invalid argument to has() macro")
            return Macro("has", None, (), (argument,))
        if target is not None and len(arguments) in _RECEIVER_MACROS.get(name, {}):
            variables = _RECEIVER_MACROS[name][len(arguments)]
            names = arguments[:variables]
            labels = tuple(v.name for v in names if isinstance(v, Ident) and not v.root)
            if len(labels) != variables:
                raise CelSyntaxError(f"{name}() argument must be a simple name")
            if variables == 2 and labels[0] == labels[1]:
                raise CelSyntaxError(f"{name}(): duplicate variable name {labels[0]!r}")
            return Macro(name, target, labels, tuple(arguments[variables:]))
        if (
            name == "bind"
            and isinstance(target, Ident)
            and target.name == "cel"
            and len(arguments) == 3
        ):
            variable = arguments[0]
            if not isinstance(variable, Ident) or variable.root:
                raise CelSyntaxError("cel.bind() variable name must be a simple identifier")
            return Macro("bind", None, (variable.name,), (arguments[1], arguments[2]))
        return Call(name, target, tuple(arguments))

    def _primary(self) -> Expr:
        token = self._next()
        kind, text = token.kind, token.text
        if kind == "op" and text == "-":
            number = self._next()  # a signed literal: the sign is part of the number
            if number.kind == "int":
                return Literal(int_literal(number.text, negative=True))
            return Literal(-float(number.text))
        if kind == "string":
            return Literal(string_literal(text))
        if kind == "int":
            return Literal(int_literal(text))
        if kind == "uint":
            from gitops_core.validation.cel._values import UInt

            return Literal(UInt(uint_literal(text)))
        if kind == "double":
            return Literal(float(text))
        if kind == "ident":
            if text in _LITERAL_WORDS:
                return Literal(_LITERAL_WORDS[text])
            if text in _RESERVED or text == "in":
                raise CelSyntaxError(f"reserved identifier {text!r} at {token.position}")
            if self._accept("("):
                return self._call(text, None)
            return Ident(text)
        if kind == "op" and text == ".":
            name = self._next()
            if name.kind != "ident" or name.text in _RESERVED:
                raise CelSyntaxError(f"expected a name after '.' at {token.position}")
            if self._accept("("):
                return self._call(name.text, None)
            return Ident(name.text, root=True)
        if kind == "op" and text == "(":
            node = self._expr()
            self._expect(")")
            return node
        if kind == "op" and text in ("[", "[?"):
            self._enter()
            items: list[Expr] = []
            optional: list[bool] = []
            if text == "[?":
                optional.append(True)
                items.append(self._expr())
            while not self._accept("]"):
                if items:
                    self._expect(",")
                    if self._accept("]"):
                        break
                optional.append(self._accept("?"))
                items.append(self._expr())
            self._depth -= 1
            return ListLit(tuple(items), tuple(optional))
        if kind == "op" and text == "{":
            self._enter()
            entries: list[tuple[Expr, Expr, bool]] = []
            while not self._accept("}"):
                if entries:
                    self._expect(",")
                    if self._accept("}"):
                        break
                is_optional = self._accept("?")
                key = self._expr()
                self._expect(":")
                entries.append((key, self._expr(), is_optional))
            self._depth -= 1
            return MapLit(tuple(entries))
        found = text or "end of expression"
        raise CelSyntaxError(f"unexpected {found!r} at {token.position}")


def parse_expression(source: str, *, macros: bool = True) -> Expr:
    try:
        return Parser(source, macros=macros).parse()
    except RecursionError:
        raise CelSyntaxError("the expression nests too deeply") from None
