"""A small evaluator for the part of CEL that CRD ``x-kubernetes-validations`` rules use.

The Kubernetes API server compiles each rule with cel-go and evaluates it with ``self`` bound to
the value at the schema node that carries the rule. This module covers the subset the vendored
CRDs need: ``self`` / ``oldSelf``, field selection, indexing, ``has()``, ``size()`` (global and
method form), ``in``, comparisons, ``!``, unary ``-`` (int64 overflow is an error), ``&&`` /
``||`` (with CEL's error-absorbing semantics), ``? :``, parentheses, list, string, int, double,
bool and null literals; the macros ``all``, ``exists``, ``exists_one``, ``map`` (two and three
arguments) and ``filter`` over lists and (by key) maps; the string functions ``startsWith``,
``endsWith``, ``contains`` and ``matches`` (RE2: an unanchored search, ``$`` only at the very
end). Anything outside it is a :class:`CelSyntaxError` at parse time, so a rule is either
evaluated faithfully or refused up front, never silently skipped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from gitops_core.checks import go_regex

#: A CEL value as it comes from a JSON/YAML document.
Value = Any

_VARIABLES = frozenset({"self", "oldSelf"})
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class CelError(Exception):
    """A rule that cannot be parsed or evaluated."""


class CelSyntaxError(CelError):
    """A rule outside the supported grammar (or not CEL at all)."""


class CelEvalError(CelError):
    """A runtime error, such as selecting a field that is absent (``no such key``)."""


# --- tokenizer ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<double>[0-9]+\.[0-9]+(?:[eE][-+]?[0-9]+)?)
    |(?P<int>[0-9]+)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>&&|\|\||==|!=|<=|>=|[<>!().,\[\]?:-])
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))")
_SIMPLE_ESCAPES = {
    "\\": "\\", '"': '"', "'": "'", "`": "`", "?": "?",
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip


@attrs.frozen
class _Token:
    kind: str  # string, double, int, ident, op, end
    text: str
    position: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise CelSyntaxError(f"unexpected character {source[position]!r} at {position}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", position))
    return tokens


def _unescape(literal: str) -> str:
    def replace(match: re.Match[str]) -> str:
        hex_code = match.group(1) or match.group(2) or match.group(3)
        if hex_code:
            return chr(int(hex_code, 16))
        char = match.group(4)
        if char not in _SIMPLE_ESCAPES:
            raise CelSyntaxError(f"unsupported escape \\{char} in {literal}")
        return _SIMPLE_ESCAPES[char]

    return _ESCAPE.sub(replace, literal[1:-1])


# --- values ------------------------------------------------------------------------------------


def _type_name(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, Sequence):
        return "list"
    return type(value).__name__


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(left: Value, right: Value) -> bool:
    """CEL heterogeneous equality: values of different types are unequal, ints equal doubles."""
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    left_type, right_type = _type_name(left), _type_name(right)
    if left_type != right_type:
        return False
    if left_type == "list":
        return len(left) == len(right) and all(map(_equal, left, right))
    if left_type == "map":
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    return bool(left == right)


def _ordered(op: str, left: Value, right: Value) -> bool:
    comparable = (_is_number(left) and _is_number(right)) or (
        _type_name(left) == _type_name(right) in ("string", "bool")
    )
    if not comparable:
        raise CelEvalError(f"no such overload: {_type_name(left)} {op} {_type_name(right)}")
    return bool(_ORDERINGS[op](left, right))


_ORDERINGS: dict[str, Callable[[Value, Value], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _contains(element: Value, container: Value) -> bool:
    if isinstance(container, Mapping):
        return any(_equal(element, key) for key in container)
    if _type_name(container) == "list":
        return any(_equal(element, item) for item in container)
    raise CelEvalError(f"no such overload: {_type_name(element)} in {_type_name(container)}")


def _as_bool(value: Value, what: str) -> bool:
    if not isinstance(value, bool):
        raise CelEvalError(f"{what} must be a bool, got {_type_name(value)}")
    return value


# --- syntax tree -------------------------------------------------------------------------------

Env = Mapping[str, Value]


class _Node:
    def evaluate(self, env: Env) -> Value:
        raise NotImplementedError


@attrs.frozen
class _Literal(_Node):
    value: Value

    def evaluate(self, env: Env) -> Value:
        return self.value


@attrs.frozen
class _Variable(_Node):
    name: str

    def evaluate(self, env: Env) -> Value:
        return env[self.name]


@attrs.frozen
class _ListLiteral(_Node):
    items: tuple[_Node, ...]

    def evaluate(self, env: Env) -> Value:
        return [item.evaluate(env) for item in self.items]


@attrs.frozen
class _Select(_Node):
    operand: _Node
    field: str

    def evaluate(self, env: Env) -> Value:
        target = self.operand.evaluate(env)
        if not isinstance(target, Mapping):
            raise CelEvalError(f"cannot select field {self.field!r} from {_type_name(target)}")
        if self.field not in target:
            raise CelEvalError(f"no such key: {self.field}")
        return target[self.field]


@attrs.frozen
class _Has(_Node):
    select: _Select

    def evaluate(self, env: Env) -> Value:
        target = self.select.operand.evaluate(env)
        if not isinstance(target, Mapping):
            raise CelEvalError(f"has() cannot test a field of {_type_name(target)}")
        return self.select.field in target


@attrs.frozen
class _Index(_Node):
    operand: _Node
    index: _Node

    def evaluate(self, env: Env) -> Value:
        target = self.operand.evaluate(env)
        key = self.index.evaluate(env)
        if isinstance(target, Mapping) and _type_name(key) in ("string", "int", "bool"):
            if key not in target:
                raise CelEvalError(f"no such key: {key}")
            return target[key]
        if _type_name(target) == "list" and _type_name(key) == "int":
            if not 0 <= key < len(target):
                raise CelEvalError(f"index out of range: {key}")
            return target[key]
        raise CelEvalError(f"no such overload: {_type_name(target)}[{_type_name(key)}]")


@attrs.frozen
class _Size(_Node):
    operand: _Node

    def evaluate(self, env: Env) -> Value:
        target = self.operand.evaluate(env)
        if _type_name(target) not in ("string", "list", "map"):
            raise CelEvalError(f"no such overload: size({_type_name(target)})")
        return len(target)


@attrs.frozen
class _Not(_Node):
    operand: _Node

    def evaluate(self, env: Env) -> Value:
        return not _as_bool(self.operand.evaluate(env), "operand of '!'")


@attrs.frozen
class _Negate(_Node):
    operand: _Node

    def evaluate(self, env: Env) -> Value:
        value = self.operand.evaluate(env)
        if not _is_number(value):
            raise CelEvalError(f"no such overload: -{_type_name(value)}")
        if isinstance(value, int) and not _INT64_MIN <= -value <= _INT64_MAX:
            raise CelEvalError(f"integer overflow: -({value})")
        return -value


@attrs.frozen
class _Logical(_Node):
    """A chain of ``&&`` / ``||``: CEL evaluates every operand, and a deciding value absorbs an
    error in any other (the first error is raised only when no operand decides)."""

    decisive: bool  # False for '&&', True for '||'
    operands: tuple[_Node, ...]

    def evaluate(self, env: Env) -> Value:
        error: CelEvalError | None = None
        for operand in self.operands:
            try:
                value = _as_bool(operand.evaluate(env), "operand of a logical operator")
            except CelEvalError as exc:
                error = error or exc
                continue
            if value is self.decisive:
                return self.decisive
        if error is not None:
            raise error
        return not self.decisive


@attrs.frozen
class _Compare(_Node):
    op: str
    left: _Node
    right: _Node

    def evaluate(self, env: Env) -> Value:
        left, right = self.left.evaluate(env), self.right.evaluate(env)
        if self.op == "==":
            return _equal(left, right)
        if self.op == "!=":
            return not _equal(left, right)
        if self.op == "in":
            return _contains(left, right)
        return _ordered(self.op, left, right)


@attrs.frozen
class _Conditional(_Node):
    condition: _Node
    then: _Node
    otherwise: _Node

    def evaluate(self, env: Env) -> Value:
        chosen = (
            self.then if _as_bool(self.condition.evaluate(env), "condition") else self.otherwise
        )
        return chosen.evaluate(env)


def _range(value: Value, macro: str) -> list[Value]:
    """What a macro iterates over: a list's elements, or a map's keys."""
    if _type_name(value) not in ("list", "map"):
        raise CelEvalError(f"no such overload: {_type_name(value)}.{macro}()")
    return list(value)


@attrs.frozen
class _Quantifier(_Node):
    """``all()`` / ``exists()``, stopping at the first deciding element; like ``&&`` / ``||``,
    a deciding element absorbs errors (or non-bool results) of the others."""

    macro: str
    decisive: bool  # False for all(), True for exists()
    target: _Node
    variable: str
    predicate: _Node

    def evaluate(self, env: Env) -> Value:
        scope = dict(env)
        error: CelEvalError | None = None
        for item in _range(self.target.evaluate(env), self.macro):
            scope[self.variable] = item
            try:
                value = _as_bool(self.predicate.evaluate(scope), f"the predicate of {self.macro}()")
            except CelEvalError as exc:
                error = error or exc
                continue
            if value is self.decisive:
                return self.decisive
        if error is not None:
            raise error
        return not self.decisive


@attrs.frozen
class _ExistsOne(_Node):
    """``exists_one()``: exactly one element satisfies the predicate; any error is the result."""

    target: _Node
    variable: str
    predicate: _Node

    def evaluate(self, env: Env) -> Value:
        scope = dict(env)
        count = 0
        for item in _range(self.target.evaluate(env), "exists_one"):
            scope[self.variable] = item
            count += _as_bool(self.predicate.evaluate(scope), "the predicate of exists_one()")
        return count == 1


@attrs.frozen
class _Map(_Node):
    """``map(x, t)``, ``map(x, p, t)`` and ``filter(x, p)`` (a map of ``x`` under ``p``)."""

    macro: str
    target: _Node
    variable: str
    predicate: _Node | None
    transform: _Node

    def evaluate(self, env: Env) -> Value:
        scope = dict(env)
        result: list[Value] = []
        for item in _range(self.target.evaluate(env), self.macro):
            scope[self.variable] = item
            if self.predicate is None or _as_bool(
                self.predicate.evaluate(scope), f"the predicate of {self.macro}()"
            ):
                result.append(self.transform.evaluate(scope))
        return result


_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda text, part: part in text,
    "endsWith": lambda text, suffix: text.endswith(suffix),
    "startsWith": lambda text, prefix: text.startswith(prefix),
}


@attrs.frozen
class _StringTest(_Node):
    """``string.contains(string)``, ``startsWith`` and ``endsWith``."""

    function: str
    target: _Node
    argument: _Node

    def evaluate(self, env: Env) -> Value:
        text, argument = self.target.evaluate(env), self.argument.evaluate(env)
        if not (isinstance(text, str) and isinstance(argument, str)):
            raise CelEvalError(
                f"no such overload: {_type_name(text)}.{self.function}({_type_name(argument)})"
            )
        return _STRING_TESTS[self.function](text, argument)


def _regex(pattern: str, error: type[CelError]) -> re.Pattern[str]:
    """``pattern`` compiled with Go's (RE2's) anchoring, or ``error``."""
    try:
        return go_regex(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        raise error(f"invalid regular expression {pattern!r}: {exc}") from None


@attrs.frozen
class _Matches(_Node):
    """``string.matches(string)`` and ``matches(string, string)``: RE2's unanchored search."""

    target: _Node
    pattern: _Node
    compiled: re.Pattern[str] | None  # the regex of a literal pattern, compiled with the rule

    def evaluate(self, env: Env) -> Value:
        text, pattern = self.target.evaluate(env), self.pattern.evaluate(env)
        if not (isinstance(text, str) and isinstance(pattern, str)):
            raise CelEvalError(
                f"no such overload: {_type_name(text)}.matches({_type_name(pattern)})"
            )
        regex = self.compiled if self.compiled is not None else _regex(pattern, CelEvalError)
        return regex.search(text) is not None


# --- parser ------------------------------------------------------------------------------------

_RELATIONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in"})
_LITERAL_WORDS: dict[str, Value] = {"true": True, "false": False, "null": None}
# Methods and the number of arguments they take.
_METHODS = {"size": 0, "matches": 1, **dict.fromkeys(_STRING_TESTS, 1)}
# Macros and the numbers of arguments they take, the iteration variable included.
_MACROS: dict[str, tuple[int, ...]] = {
    "all": (2,),
    "exists": (2,),
    "exists_one": (2,),
    "filter": (2,),
    "map": (2, 3),
}
_FUNCTIONS = {"has": 1, "size": 1, "matches": 2}


def _int_literal(text: str) -> int:
    value = int(text)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise CelSyntaxError(f"invalid int literal {text}: out of the int64 range")
    return value


class _Parser:
    """Recursive descent over the CEL grammar (cel-spec ``langdef.md``), restricted as above."""

    def __init__(self, source: str) -> None:
        self._tokens = _tokenize(source)
        self._at = 0
        self.variables: set[str] = set()  # the free variables read: self, oldSelf
        self._bound: list[str] = []  # iteration variables of the enclosing macros

    def parse(self) -> _Node:
        node = self._expr()
        self._expect("end")
        return node

    def _peek(self, ahead: int = 0) -> _Token:
        return self._tokens[min(self._at + ahead, len(self._tokens) - 1)]

    def _next(self) -> _Token:
        token = self._tokens[self._at]
        self._at += 1
        return token

    def _at_op(self, text: str, ahead: int = 0) -> bool:
        token = self._peek(ahead)
        return token.kind == "op" and token.text == text

    def _accept(self, text: str) -> bool:
        token = self._peek()
        if token.kind in ("op", "ident") and token.text == text:
            self._at += 1
            return True
        return False

    def _expect(self, what: str) -> _Token:
        token = self._next()
        if what == "end" and token.kind == "end":
            return token
        if token.kind == what or (token.kind == "op" and token.text == what):
            return token
        found = token.text or "end of rule"
        raise CelSyntaxError(f"expected {what!r} at {token.position}, found {found!r}")

    def _expr(self) -> _Node:
        condition = self._or()
        if not self._accept("?"):
            return condition
        then = self._or()
        self._expect(":")
        return _Conditional(condition, then, self._expr())

    def _or(self) -> _Node:
        operands = [self._and()]
        while self._accept("||"):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else _Logical(True, tuple(operands))

    def _and(self) -> _Node:
        operands = [self._relation()]
        while self._accept("&&"):
            operands.append(self._relation())
        return operands[0] if len(operands) == 1 else _Logical(False, tuple(operands))

    def _relation(self) -> _Node:
        node = self._unary()
        while self._peek().text in _RELATIONS and self._peek().kind in ("op", "ident"):
            op = self._next().text
            node = _Compare(op, node, self._unary())
        return node

    def _unary(self) -> _Node:
        """``!``s or ``-``s before a member; like cel-go, an even number of them cancels out.

        A single ``-`` before a number is the sign of the literal (so ``-9223372036854775808``
        is the smallest int, and negating it again overflows).
        """
        for op, node_type in (("!", _Not), ("-", _Negate)):
            if not self._at_op(op):
                continue
            if op == "-" and self._peek(1).kind in ("int", "double"):
                return self._member()
            count = 0
            while self._accept(op):
                count += 1
            operand = self._member()
            return node_type(operand) if count % 2 else operand
        return self._member()

    def _member(self) -> _Node:
        node = self._primary()
        while True:
            if self._accept("."):
                field = self._expect("ident").text
                node = self._method(node, field) if self._accept("(") else _Select(node, field)
            elif self._accept("["):
                node = _Index(node, self._expr())
                self._expect("]")
            else:
                return node

    def _arguments(self) -> list[_Node]:
        """The arguments of a call, after its ``(``, up to and including the ``)``."""
        arguments: list[_Node] = []
        while not self._accept(")"):
            if arguments:
                self._expect(",")
            arguments.append(self._expr())
        return arguments

    def _method(self, target: _Node, name: str) -> _Node:
        if name in _MACROS:
            return self._macro(target, name)
        if name not in _METHODS:
            raise CelSyntaxError(f"unsupported method {name}()")
        arguments = self._arguments()
        if len(arguments) != _METHODS[name]:
            raise CelSyntaxError(
                f"{name}() takes {_METHODS[name]} argument(s), got {len(arguments)}"
            )
        if name == "size":
            return _Size(target)
        if name == "matches":
            return self._matches(target, arguments[0])
        return _StringTest(name, target, arguments[0])

    def _macro(self, target: _Node, name: str) -> _Node:
        """``target.name(v, ...)``: ``v`` names the iteration variable, which the other
        arguments, and only they, can read (shadowing any outer one of that name)."""
        variable = self._next()
        if not (
            variable.kind == "ident"
            and variable.text not in _LITERAL_WORDS
            and variable.text != "in"
            and (self._at_op(",") or self._at_op(")"))
        ):
            raise CelSyntaxError(f"{name}() needs an iteration variable name as first argument")
        steps: list[_Node] = []
        self._bound.append(variable.text)
        while self._accept(","):
            steps.append(self._expr())
        self._bound.pop()
        self._expect(")")
        if len(steps) + 1 not in _MACROS[name]:
            counts = " or ".join(map(str, _MACROS[name]))
            raise CelSyntaxError(f"{name}() takes {counts} arguments, got {len(steps) + 1}")
        var = variable.text
        if name in ("all", "exists"):
            return _Quantifier(name, name == "exists", target, var, steps[0])
        if name == "exists_one":
            return _ExistsOne(target, var, steps[0])
        if name == "filter":
            return _Map(name, target, var, steps[0], _Variable(var))
        predicate = steps[0] if len(steps) == 2 else None
        return _Map(name, target, var, predicate, steps[-1])

    def _matches(self, target: _Node, pattern: _Node) -> _Node:
        # As cel-go does for the API server, a literal pattern is compiled with the rule, so an
        # invalid one refuses the rule instead of failing every document.
        compiled = None
        if isinstance(pattern, _Literal) and isinstance(pattern.value, str):
            compiled = _regex(pattern.value, CelSyntaxError)
        return _Matches(target, pattern, compiled)

    def _primary(self) -> _Node:
        token = self._next()
        if token.kind == "op" and token.text == "-" and self._peek().kind in ("int", "double"):
            number = self._next()  # a signed literal: the sign is part of the number
            if number.kind == "int":
                return _Literal(_int_literal("-" + number.text))
            return _Literal(-float(number.text))
        if token.kind == "string":
            return _Literal(_unescape(token.text))
        if token.kind == "int":
            return _Literal(_int_literal(token.text))
        if token.kind == "double":
            return _Literal(float(token.text))
        if token.kind == "ident":
            if token.text in _LITERAL_WORDS:
                return _Literal(_LITERAL_WORDS[token.text])
            if self._accept("("):
                return self._function(token.text)
            if token.text in self._bound:
                return _Variable(token.text)
            if token.text not in _VARIABLES:
                raise CelSyntaxError(f"undeclared reference to {token.text!r}")
            self.variables.add(token.text)
            return _Variable(token.text)
        if token.text == "(":
            node = self._expr()
            self._expect(")")
            return node
        if token.text == "[":
            items: list[_Node] = []
            while not self._accept("]"):
                if items:
                    self._expect(",")
                items.append(self._expr())
            return _ListLiteral(tuple(items))
        found = token.text or "end of rule"
        raise CelSyntaxError(f"unexpected {found!r} at {token.position}")

    def _function(self, name: str) -> _Node:
        if name not in _FUNCTIONS:
            raise CelSyntaxError(f"unsupported function {name}()")
        arguments = self._arguments()
        if len(arguments) != _FUNCTIONS[name]:
            raise CelSyntaxError(
                f"{name}() takes {_FUNCTIONS[name]} argument(s), got {len(arguments)}"
            )
        if name == "size":
            return _Size(arguments[0])
        if name == "matches":
            return self._matches(*arguments)
        if not isinstance(arguments[0], _Select):
            raise CelSyntaxError("has() needs a field selection such as has(self.field)")
        return _Has(arguments[0])


# --- programs ----------------------------------------------------------------------------------


@attrs.frozen
class Program:
    """A parsed rule. ``is_transition_rule``: it reads ``oldSelf``, so it only runs on updates."""

    source: str
    is_transition_rule: bool
    _root: _Node = attrs.field(alias="root")

    def evaluate(self, value: Value) -> bool:
        """The rule's verdict with ``self`` bound to ``value``; raises :class:`CelEvalError`.

        Transition rules cannot be evaluated here: they compare against a previous object.
        """
        if self.is_transition_rule:
            raise CelEvalError("a transition rule needs oldSelf, which only an update has")
        try:
            result = self._root.evaluate({"self": value})
        except RecursionError:
            raise CelEvalError("the rule or the value nests too deeply to evaluate") from None
        return _as_bool(result, "a rule's result")


@functools.lru_cache(maxsize=1024)
def parse(source: str) -> Program:
    """Parse a rule (cached: the same rule text recurs across kinds and versions)."""
    parser = _Parser(source)
    try:
        root = parser.parse()
    except RecursionError:
        raise CelSyntaxError("the rule nests too deeply") from None
    return Program(source, "oldSelf" in parser.variables, root=root)
