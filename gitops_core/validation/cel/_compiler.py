"""Syntax tree → Python closures: names resolved, functions looked up and constants folded once,
when the rule is compiled; evaluating is then calling one closure per node.

A closure takes the :class:`Activation` (the variables and the cost spent so far) and returns a
value, or raises :class:`CelEvalError`, which is how a CEL error value travels: ``&&``, ``||``,
``? :`` and the comprehensions catch it where CEL's semantics absorb it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from gitops_core.validation.cel import _functions as fn
from gitops_core.validation.cel._errors import CelCostError, CelEvalError, CelSyntaxError
from gitops_core.validation.cel._messages import REFUSED, WELL_KNOWN, Message, MessageTypes
from gitops_core.validation.cel._parser import (
    Call,
    Expr,
    Ident,
    Index,
    ListLit,
    Literal,
    Macro,
    MapLit,
    MessageLit,
    Select,
)
from gitops_core.validation.cel._values import (
    NONE,
    BoolKey,
    CelType,
    Optional,
    Value,
    compare,
    contains,
    equal,
    keys,
    lookup_key,
    map_key,
    type_name,
)

_ABSENT = object()
_NO_TYPES = MessageTypes()
#: Comprehension and bind variables live in the activation under this prefix, apart from the
#: declared variables they may shadow (``.y`` still reads the declared ``y``).
LOCAL = "@"


class Activation:
    """The variables of one evaluation, and its cost budget."""

    __slots__ = ("cost", "limit", "vars")

    def __init__(self, variables: dict[str, Value], limit: int) -> None:
        self.vars = variables
        self.cost = 0
        self.limit = limit

    def charge(self, amount: int) -> None:
        self.cost += amount
        if self.cost > self.limit:
            raise CelCostError(
                f"operation cancelled: actual cost limit exceeded ({self.limit:,} units)"
            )


Closure = Callable[[Activation], Value]

#: Types that can be named in an expression (``type(x) == int``).
TYPE_NAMES = frozenset(
    {
        "bool", "int", "uint", "double", "string", "bytes", "list", "map", "null_type", "type",
        "google.protobuf.Duration", "google.protobuf.Timestamp", "optional_type",
        "net.IP", "net.CIDR", "kubernetes.URL", "kubernetes.Quantity", "kubernetes.Semver",
        "kubernetes.NamedFormat",
    }
)  # fmt: skip


def _size_of(value: Value) -> int:
    kind = type(value)
    if kind is str or kind is bytes or kind is list or kind is dict or kind is tuple:
        return len(value)
    return 0


def _optional_field(target: Value, field: str) -> Value:
    """``target.?field``, and ``field`` selected on an optional: an optional of the field's
    value, none when the field (or the optional's value) is absent."""
    if type(target) is Optional:
        if not target.present:
            return NONE
        target = target.value
    if type(target) is dict:
        value = target.get(field, _ABSENT)
        return NONE if value is _ABSENT else Optional(True, value)
    if type(target) is Message:
        return Optional(True, target.get(field)) if target.has(field) else NONE
    raise CelEvalError(f"no such field {field!r} on {type_name(target)}")


class Compiler:
    """Compiles one expression against declared variables and a container (namespace)."""

    def __init__(
        self,
        variables: frozenset[str],
        container: str = "",
        checked: bool = True,
        types: MessageTypes | None = None,
    ) -> None:
        self._variables = variables
        self._checked = checked
        self._container = container
        self._types = types if types is not None else _NO_TYPES
        self._locals: list[str] = []  # comprehension and bind variables in scope
        self.read: set[str] = set()  # the declared variables the expression reads

    # --- names ------------------------------------------------------------------------------

    def _candidates(self, name: str, root: bool) -> list[str]:
        if root or not self._container:
            return [name]
        parts = self._container.split(".")
        return [".".join([*parts[:n], name]) for n in range(len(parts), 0, -1)] + [name]

    def _resolve(self, name: str, root: bool) -> tuple[str, str] | None:
        """("var", full name) or ("type", type name) for a possibly qualified name."""
        for candidate in self._candidates(name, root):
            if candidate in self._variables:
                return "var", candidate
        for candidate in self._candidates(name, root):
            if candidate in TYPE_NAMES or candidate in self._types:
                return "type", candidate
        return None

    def _qualified(self, node: Expr) -> tuple[list[str], bool] | None:
        """The names of a chain of plain selections on an identifier (``a.b.c``)."""
        parts: list[str] = []
        while isinstance(node, Select) and not node.optional:
            parts.append(node.field)
            node = node.operand
        if not isinstance(node, Ident):
            return None
        parts.append(node.name)
        parts.reverse()
        return parts, node.root

    def _name(self, parts: list[str], root: bool) -> Closure | None:
        """The closure for the longest prefix of ``parts`` that names something, with the rest
        of ``parts`` selected from it; None when nothing matches."""
        if not root and parts[0] in self._locals:
            closure = self._local(parts[0])
            for field in parts[1:]:
                closure = self._select(closure, field)
            return closure
        for count in range(len(parts), 0, -1):
            found = self._resolve(".".join(parts[:count]), root)
            if found is None:
                continue
            what, full = found
            if what == "type" and count < len(parts):
                continue  # a type has no fields (an enum constant is not declared)
            if what == "var":
                self.read.add(full)
                closure = self._variable(full)
            else:
                value = CelType(full)
                closure = _constant(value)
            for field in parts[count:]:
                closure = self._select(closure, field)
            return closure
        return None

    @staticmethod
    def _local(name: str) -> Closure:
        key = LOCAL + name

        def local(a: Activation) -> Value:
            return a.vars[key]

        return local

    @staticmethod
    def _variable(name: str) -> Closure:
        def variable(a: Activation) -> Value:
            value = a.vars.get(name, _ABSENT)
            if value is _ABSENT:
                raise CelEvalError(f"no such attribute: {name} is not bound")
            return value

        return variable

    # --- nodes ------------------------------------------------------------------------------

    def compile(self, node: Expr) -> Closure:
        if isinstance(node, Literal):
            return _constant(node.value)
        if isinstance(node, Ident):
            closure = self._name([node.name], node.root)
            if closure is None:
                return self._undeclared(node.name)
            return closure
        if isinstance(node, Select):
            qualified = self._qualified(node)
            if qualified is not None:
                closure = self._name(*qualified)
                if closure is None:
                    return self._undeclared(".".join(qualified[0]))
                return closure
            operand = self.compile(node.operand)
            if node.optional:
                return self._optional_select(operand, node.field)
            return self._select(operand, node.field)
        if isinstance(node, Index):
            return self._index(self.compile(node.operand), self.compile(node.index), node.optional)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, ListLit):
            return self._list(node)
        if isinstance(node, MapLit):
            return self._map(node)
        if isinstance(node, Macro):
            return self._macro(node)
        if isinstance(node, MessageLit):
            return self._message(node)
        raise CelSyntaxError(f"unsupported expression {node!r}")

    def _message(self, node: MessageLit) -> Closure:
        """A message literal: a well-known type's (a wrapper is its plain value), or a declared
        type's (:mod:`._messages`); the type name is resolved in the container, as a name is."""
        name = node.type_name.lstrip(".")
        full = None
        for candidate in self._candidates(name, node.type_name.startswith(".")):
            if candidate in WELL_KNOWN or candidate in REFUSED or candidate in self._types:
                full = candidate
                break
        if full is None:
            raise CelSyntaxError(f"undeclared message type {name!r}")
        if full in REFUSED:
            raise CelSyntaxError(REFUSED[full])
        descriptor = self._types.descriptor(full)
        if descriptor is not None:
            build: Callable[[dict[str, Value]], Value] = descriptor.new
            allowed: Collection[str] = descriptor.fields
        else:
            allowed, build = WELL_KNOWN[full]
        inits: list[tuple[str, Closure, bool]] = []
        for field, value, optional in node.fields:
            if field not in allowed:
                raise CelSyntaxError(f"undefined field {field!r} in message {full}")
            if any(field == seen for seen, _, _ in inits):
                raise CelSyntaxError(f"field {field!r} set twice in message {full}")
            inits.append((field, self.compile(value), optional))

        def make(a: Activation) -> Value:
            values: dict[str, Value] = {}
            for field, value_of, optional in inits:
                value = value_of(a)
                if optional:
                    if type(value) is not Optional:
                        raise CelEvalError(f"optional field {field!r} is a {type_name(value)}")
                    if not value.present:
                        continue
                    value = value.value
                values[field] = value
            return build(values)

        return make

    def _undeclared(self, name: str) -> Closure:
        """A compile-time error, as cel-go's checker makes it; without the checker (only the
        conformance tests that disable it), an error when evaluated."""
        if self._checked:
            raise CelSyntaxError(f"undeclared reference to {name!r}")

        def undeclared(a: Activation) -> Value:
            raise CelEvalError(f"undeclared reference to {name!r}")

        return undeclared

    @staticmethod
    def _select(operand: Closure, field: str) -> Closure:
        escaped = unescape_field(field)

        def select(a: Activation) -> Value:
            target = operand(a)
            if type(target) is dict:
                value = target.get(field, _ABSENT)
                if value is _ABSENT:
                    value = target.get(escaped, _ABSENT) if escaped else _ABSENT
                    if value is _ABSENT:
                        raise CelEvalError(f"no such key: {field}")
                return value
            if type(target) is Optional:
                return _optional_field(target, field)
            if type(target) is Message:
                return target.get(field)
            raise CelEvalError(f"no such field {field!r} on {type_name(target)}")

        return select

    @staticmethod
    def _optional_select(operand: Closure, field: str) -> Closure:
        return lambda a: _optional_field(operand(a), field)

    @staticmethod
    def _index(operand: Closure, index: Closure, optional: bool) -> Closure:
        def get(a: Activation) -> Value:
            target, key = operand(a), index(a)
            wrap = optional
            if type(target) is Optional:
                if not target.present:
                    return NONE
                target, wrap = target.value, True
            found = fn.index(target, key, wrap)
            return found

        return get

    def _list(self, node: ListLit) -> Closure:
        items = [self.compile(item) for item in node.items]
        if not any(node.optional):
            if all(isinstance(item, Literal) for item in node.items):
                values = [item.value for item in node.items if isinstance(item, Literal)]
                return lambda a: list(values)
            return lambda a: [item(a) for item in items]
        flags = node.optional

        def make(a: Activation) -> Value:
            out = []
            for item, is_optional in zip(items, flags, strict=True):
                value = item(a)
                if is_optional:
                    if type(value) is not Optional:
                        raise CelEvalError(f"optional list element is a {type_name(value)}")
                    if value.present:
                        out.append(value.value)
                else:
                    out.append(value)
            return out

        return make

    def _map(self, node: MapLit) -> Closure:
        entries = [(self.compile(k), self.compile(v), o) for k, v, o in node.entries]

        def make(a: Activation) -> Value:
            out: dict[Value, Value] = {}
            for key_of, value_of, is_optional in entries:
                key = map_key(key_of(a))
                value = value_of(a)
                if is_optional:
                    if type(value) is not Optional:
                        raise CelEvalError(f"optional map entry is a {type_name(value)}")
                    if not value.present:
                        continue
                    value = value.value
                if key in out:
                    raise CelEvalError(f"Failed with repeated key: {key!r}")
                out[key] = value
            return out

        return make

    # --- calls ------------------------------------------------------------------------------

    def _call(self, node: Call) -> Closure:
        name = node.function
        if name in _OPERATORS:
            return _OPERATORS[name](self, node.args)
        if node.target is not None:
            qualified = self._qualified(node.target)
            if qualified is not None and self._name(*qualified) is None:
                full = ".".join([*qualified[0], name])
                function = fn.GLOBALS.get(full)
                if function is None:
                    return self._undeclared(full)
                return self._apply(full, function, [self.compile(a) for a in node.args])
            method = fn.METHODS.get(name)
            if method is None:
                return self._undeclared(name)
            args = [self.compile(node.target), *(self.compile(a) for a in node.args)]
            if name == "matches" and len(node.args) == 1:
                found = self._matches(args[0], node.args[0])
                if found is not None:
                    return found
            if name in fn.COMPILE_TIME_CHECKED and node.args:
                self._check_literal_arguments(name, (node.args[0],))
            fn.check_arity(name, method, len(args), receiver=True)
            return self._apply(name, method, args, receiver=True)
        function = fn.GLOBALS.get(name)
        if function is None:
            return self._undeclared(name)
        args = [self.compile(a) for a in node.args]
        fn.check_arity(name, function, len(args))
        if name == "matches" and len(args) == 2:
            found = self._matches(args[0], node.args[1])
            if found is not None:
                return found
        if name in fn.COMPILE_TIME_CHECKED and node.args:
            self._check_literal_arguments(name, node.args)
        return self._apply(name, function, args)

    @staticmethod
    def _matches(text: Closure, pattern: Expr) -> Closure | None:
        """``matches`` with a literal pattern: the regular expression compiled with the rule."""
        if not (isinstance(pattern, Literal) and type(pattern.value) is str):
            return None
        search = fn.regex(pattern.value, CelSyntaxError).search

        def matches(a: Activation) -> Value:
            value = text(a)
            if type(value) is not str:
                raise fn.no_overload("matches", value, pattern.value)
            a.charge(1 + len(value) // 10)
            return search(value) is not None

        return matches

    @staticmethod
    def _check_literal_arguments(name: str, args: tuple[Expr, ...]) -> None:
        """A literal regular expression is compiled with the rule, as cel-go does: an invalid
        one refuses the rule instead of failing every document."""
        pattern = args[-1]
        if isinstance(pattern, Literal) and type(pattern.value) is str:
            fn.COMPILE_TIME_CHECKED[name](pattern.value)

    @staticmethod
    def _apply(
        name: str, function: Callable[..., Value], args: list[Closure], receiver: bool = False
    ) -> Closure:
        costly = name in fn.COSTLY
        if len(args) == 1:
            (only,) = args
            if costly:

                def call1_costly(a: Activation) -> Value:
                    value = only(a)
                    a.charge(1 + _size_of(value) // 10)
                    return function(value)

                return call1_costly
            return lambda a: function(only(a))
        if len(args) == 2:
            first, second = args

            def call2(a: Activation) -> Value:
                x, y = first(a), second(a)
                if costly:
                    a.charge(1 + (_size_of(x) + 1) * (_size_of(y) + 1) // 10)
                return function(x, y)

            return call2

        def call(a: Activation) -> Value:
            values = [arg(a) for arg in args]
            if costly:
                a.charge(1 + sum(map(_size_of, values)) // 10)
            return function(*values)

        return call

    # --- macros -----------------------------------------------------------------------------

    def _scoped(self, names: tuple[str, ...], node: Expr) -> Closure:
        self._locals.extend(names)
        try:
            return self.compile(node)
        finally:
            del self._locals[len(self._locals) - len(names) :]

    def _macro(self, node: Macro) -> Closure:
        name = node.name
        if name == "has":
            return self._has(node.args[0])
        if name == "bind":
            variable = LOCAL + node.variables[0]
            init = self.compile(node.args[0])
            body = self._scoped(node.variables, node.args[1])

            def bind(a: Activation) -> Value:
                saved = a.vars.get(variable, _ABSENT)
                a.vars[variable] = init(a)
                try:
                    return body(a)
                finally:
                    _restore(a, variable, saved)

            return bind
        assert node.target is not None
        target = self.compile(node.target)
        steps = [self._scoped(node.variables, arg) for arg in node.args]
        cost = _node_count(node) // 2 + 1
        return _comprehension(name, target, tuple(LOCAL + v for v in node.variables), steps, cost)

    def _has(self, argument: Expr) -> Closure:
        assert isinstance(argument, Select)
        field = argument.field
        escaped = unescape_field(field)
        operand = self.compile(argument.operand)

        def has(a: Activation) -> Value:
            target = operand(a)
            if type(target) is Optional:
                if not target.present:
                    return False
                target = target.value
            if type(target) is dict:
                return field in target or (escaped is not None and escaped in target)
            if type(target) is Message:
                return target.has(field)
            raise CelEvalError(f"no such overload: has() on {type_name(target)}")

        return has


_RESERVED = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
        "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
        "void", "while",
    }
)  # fmt: skip
_ESCAPES = {"__underscores__": "__", "__dot__": ".", "__dash__": "-", "__slash__": "/"}


def unescape_field(field: str) -> str | None:
    """The property a field name written in CEL stands for, when Kubernetes escaped it:
    ``x__dash__y`` is ``x-y``, ``__namespace__`` is ``namespace`` (None when not escaped)."""
    if "__" not in field:
        return None
    if field.startswith("__") and field.endswith("__") and field[2:-2] in _RESERVED:
        return field[2:-2]
    out, at = [], 0
    while at < len(field):
        for escape, plain in _ESCAPES.items():
            if field.startswith(escape, at):
                out.append(plain)
                at += len(escape)
                break
        else:
            out.append(field[at])
            at += 1
    unescaped = "".join(out)
    return unescaped if unescaped != field else None


def _restore(a: Activation, name: str, saved: Value) -> None:
    if saved is _ABSENT:
        a.vars.pop(name, None)
    else:
        a.vars[name] = saved


def _node_count(node: object) -> int:
    """The number of syntax nodes in ``node``: the cost of one pass over a macro's body."""
    if isinstance(node, tuple):
        return sum(_node_count(n) for n in node)
    if isinstance(node, Expr):
        fields: tuple[str, ...] = node.__slots__
        return 1 + sum(_node_count(getattr(node, name)) for name in fields)
    return 0


def _constant(value: Value) -> Closure:
    return lambda a: value


def _pairs(target: Value, macro: str) -> list[tuple[Value, Value]]:
    """(first variable, second variable) per element: (index, item) or (key, value)."""
    kind = type(target)
    if kind is list or kind is tuple:
        return list(enumerate(target))
    if kind is dict:
        return [(k.value if type(k) is BoolKey else k, v) for k, v in target.items()]
    raise CelEvalError(f"no such overload: {type_name(target)}.{macro}()")


def _elements(target: Value, macro: str) -> list[Value]:
    kind = type(target)
    if kind is list or kind is tuple:
        return target  # type: ignore[no-any-return]
    if kind is dict:
        return list(keys(target))
    raise CelEvalError(f"no such overload: {type_name(target)}.{macro}()")


def _comprehension(
    name: str, target: Closure, variables: tuple[str, ...], steps: list[Closure], cost: int
) -> Closure:
    two = len(variables) == 2
    first = variables[0]
    second = variables[1] if two else ""

    def items(a: Activation, container: Value) -> list[tuple[Value, Value]]:
        if two:
            return _pairs(container, name)
        return [(e, None) for e in _elements(container, name)]

    def bind(a: Activation, x: Value, y: Value) -> None:
        a.vars[first] = x
        if two:
            a.vars[second] = y

    def run(a: Activation) -> Value:
        container = target(a)
        saved = [(v, a.vars.get(v, _ABSENT)) for v in variables]
        try:
            return _LOOPS[name](a, container, items(a, container), bind, steps, cost)
        finally:
            for variable, value in saved:
                _restore(a, variable, value)

    if name in ("optMap", "optFlatMap"):
        return _optional_map(name, target, first, steps[0])
    if name == "sortBy":
        return _sort_by(target, first, steps[0], cost)
    return run


_Bind = Callable[[Activation, Value, Value], None]


def _quantify(decisive: bool) -> Callable[..., Value]:
    def loop(
        a: Activation, container: Value, pairs: list[tuple[Value, Value]], bind: _Bind,
        steps: list[Closure], cost: int,
    ) -> Value:  # fmt: skip
        (predicate,) = steps
        error: CelEvalError | None = None
        for x, y in pairs:
            a.charge(cost)
            bind(a, x, y)
            try:
                value = predicate(a)
            except CelCostError:
                raise
            except CelEvalError as exc:
                error = error or exc
                continue
            if type(value) is not bool:
                error = error or CelEvalError(f"no matching overload: {type_name(value)} result")
                continue
            if value is decisive:
                return decisive
        if error is not None:
            raise error
        return not decisive

    return loop


def _exists_one(
    a: Activation, container: Value, pairs: list[tuple[Value, Value]], bind: _Bind,
    steps: list[Closure], cost: int,
) -> Value:  # fmt: skip
    (predicate,) = steps
    count = 0
    for x, y in pairs:
        a.charge(cost)
        bind(a, x, y)
        value = predicate(a)
        if type(value) is not bool:
            raise CelEvalError(f"no matching overload: {type_name(value)} result")
        count += value
    return count == 1


def _map_loop(
    a: Activation, container: Value, pairs: list[tuple[Value, Value]], bind: _Bind,
    steps: list[Closure], cost: int,
) -> Value:  # fmt: skip
    transform = steps[-1]
    predicate = steps[0] if len(steps) == 2 else None
    out = []
    for x, y in pairs:
        a.charge(cost)
        bind(a, x, y)
        if predicate is not None:
            keep = predicate(a)
            if type(keep) is not bool:
                raise CelEvalError(f"no matching overload: {type_name(keep)} filter")
            if not keep:
                continue
        out.append(transform(a))
    return out


def _filter_loop(
    a: Activation, container: Value, pairs: list[tuple[Value, Value]], bind: _Bind,
    steps: list[Closure], cost: int,
) -> Value:  # fmt: skip
    (predicate,) = steps
    out = []
    for x, y in pairs:
        a.charge(cost)
        bind(a, x, y)
        keep = predicate(a)
        if type(keep) is not bool:
            raise CelEvalError(f"no matching overload: {type_name(keep)} filter")
        if keep:
            out.append(x)
    return out


def _transform_map(entry: bool) -> Callable[..., Value]:
    def loop(
        a: Activation, container: Value, pairs: list[tuple[Value, Value]], bind: _Bind,
        steps: list[Closure], cost: int,
    ) -> Value:  # fmt: skip
        transform = steps[-1]
        predicate = steps[0] if len(steps) == 2 else None
        out: dict[Value, Value] = {}
        for x, y in pairs:
            a.charge(cost)
            bind(a, x, y)
            if predicate is not None:
                keep = predicate(a)
                if type(keep) is not bool:
                    raise CelEvalError(f"no matching overload: {type_name(keep)} filter")
                if not keep:
                    continue
            value = transform(a)
            if not entry:
                out[map_key(x)] = value
                continue
            if type(value) is not dict:
                raise CelEvalError("transformMapEntry needs a map of one entry")
            for key, item in value.items():
                if key in out:
                    raise CelEvalError(f"insert failed: key {key!r} already exists")
                out[key] = item
        return out

    return loop


_LOOPS: dict[str, Callable[..., Value]] = {
    "all": _quantify(False),
    "exists": _quantify(True),
    "exists_one": _exists_one,
    "existsOne": _exists_one,
    "map": _map_loop,
    "transformList": _map_loop,
    "filter": _filter_loop,
    "transformMap": _transform_map(False),
    "transformMapEntry": _transform_map(True),
}


def _optional_map(name: str, target: Closure, variable: str, body: Closure) -> Closure:
    def run(a: Activation) -> Value:
        value = target(a)
        if type(value) is not Optional:
            raise CelEvalError(f"no such overload: {type_name(value)}.{name}()")
        if not value.present:
            return NONE
        saved = a.vars.get(variable, _ABSENT)
        a.vars[variable] = value.value
        try:
            result = body(a)
        finally:
            _restore(a, variable, saved)
        if name == "optMap":
            return Optional(True, result)
        if type(result) is not Optional:
            raise CelEvalError("optFlatMap() must return an optional")
        return result

    return run


def _sort_by(target: Closure, variable: str, key: Closure, cost: int) -> Closure:
    def run(a: Activation) -> Value:
        items = target(a)
        if type(items) is not list:
            raise CelEvalError(f"no such overload: {type_name(items)}.sortBy()")
        saved = a.vars.get(variable, _ABSENT)
        keyed = []
        try:
            for item in items:
                a.charge(cost)
                a.vars[variable] = item
                keyed.append(key(a))
        finally:
            _restore(a, variable, saved)
        order = fn.sort_order(keyed)
        return [items[i] for i in order]

    return run


# --- operators -----------------------------------------------------------------------------------


def _logical(decisive: bool) -> Callable[[Compiler, tuple[Expr, ...]], Closure]:
    def build(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
        left, right = (compiler.compile(a) for a in args)

        def logical(a: Activation) -> Value:
            try:
                first = left(a)
            except CelCostError:
                raise
            except CelEvalError as exc:
                error: CelEvalError | None = exc
            else:
                if first is decisive:
                    return decisive
                error = None if type(first) is bool else _not_bool(first)
            second = right(a)  # an error here is the result, as no operand decided
            if second is decisive:
                return decisive
            if error is not None:
                raise error
            if type(second) is not bool:
                raise _not_bool(second)
            return second

        return logical

    return build


def _not_bool(value: Value) -> CelEvalError:
    return CelEvalError(f"no matching overload: logical operator on {type_name(value)}")


def _conditional(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
    condition, then, otherwise = (compiler.compile(a) for a in args)

    def choose(a: Activation) -> Value:
        test = condition(a)
        if test is True:
            return then(a)
        if test is False:
            return otherwise(a)
        raise CelEvalError(f"no matching overload: condition is a {type_name(test)}")

    return choose


def _not(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
    operand = compiler.compile(args[0])

    def negate(a: Activation) -> Value:
        value = operand(a)
        if type(value) is not bool:
            raise CelEvalError(f"no such overload: !{type_name(value)}")
        return not value

    return negate


def _binary(
    function: Callable[[Value, Value], Value],
) -> Callable[[Compiler, tuple[Expr, ...]], Closure]:
    def build(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
        left, right = (compiler.compile(a) for a in args)
        return lambda a: function(left(a), right(a))

    return build


def _costly_binary(
    function: Callable[[Value, Value], Value],
) -> Callable[[Compiler, tuple[Expr, ...]], Closure]:
    def build(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
        left, right = (compiler.compile(a) for a in args)

        def apply(a: Activation) -> Value:
            x, y = left(a), right(a)
            if type(x) is not int and type(x) is not float:
                size = _size_of(x) + _size_of(y)
                if size > 20:
                    a.charge(size // 10)
            return function(x, y)

        return apply

    return build


def _equal_op(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
    left, right = (compiler.compile(a) for a in args)
    return lambda a: equal(left(a), right(a))


def _unequal_op(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
    left, right = (compiler.compile(a) for a in args)
    return lambda a: not equal(left(a), right(a))


def _ordering(
    op: str, test: Callable[[int], bool]
) -> Callable[[Compiler, tuple[Expr, ...]], Closure]:
    def build(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
        left, right = (compiler.compile(a) for a in args)

        def order(a: Activation) -> Value:
            result = compare(left(a), right(a), op)
            return False if result is None else test(result)

        return order

    return build


def _in(compiler: Compiler, args: tuple[Expr, ...]) -> Closure:
    left, right = (compiler.compile(a) for a in args)

    def member(a: Activation) -> Value:
        element, container = left(a), right(a)
        if type(container) is list and len(container) > 20:
            a.charge(len(container) // 10)
        return contains(container, element)

    return member


_OPERATORS: dict[str, Callable[[Compiler, tuple[Expr, ...]], Closure]] = {
    "_&&_": _logical(False),
    "_||_": _logical(True),
    "_?_:_": _conditional,
    "!_": _not,
    "-_": lambda c, args: (lambda operand: lambda a: fn.negate(operand(a)))(c.compile(args[0])),
    "_==_": _equal_op,
    "_!=_": _unequal_op,
    "_<_": _ordering("<", lambda r: r < 0),
    "_<=_": _ordering("<=", lambda r: r <= 0),
    "_>_": _ordering(">", lambda r: r > 0),
    "_>=_": _ordering(">=", lambda r: r >= 0),
    "@in": _in,
    "_+_": _costly_binary(fn.add),
    "_-_": _binary(fn.subtract),
    "_*_": _binary(fn.multiply),
    "_/_": _binary(fn.divide),
    "_%_": _binary(fn.modulo),
}

__all__ = ["Activation", "Closure", "Compiler", "lookup_key"]

_unused: Any = None
