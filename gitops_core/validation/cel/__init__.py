"""CEL for CRD ``x-kubernetes-validations`` rules, as a Kubernetes API server evaluates them.

The language of the CEL specification (every operator, literal, macro and conversion, with
CEL's overflow, error-absorbing and heterogeneous-equality semantics; timestamps and durations)
and the libraries the API server enables for CRD rules: cel-go's strings, math, lists, sets,
encoders, optionals, bindings and two-variable comprehensions, and Kubernetes' regex, lists,
URL, IP/CIDR, quantity, format and semver libraries.

A rule is compiled once (:func:`parse`, cached): names are resolved and unknown functions,
invalid literals and invalid literal regular expressions are refused there with
:class:`CelSyntaxError`, as the API server refuses such a rule when the CRD is created.

Protocol buffer messages: the well-known types are part of the language
(``google.protobuf.Int64Value{value: 1}`` is ``1``, ``google.protobuf.Value{}`` is ``null``);
other message types exist only when declared, as cel-go's ``cel.Types(...)`` declares them:
:class:`MessageType` / :class:`MessageTypes`, given to :func:`compile_expression` (``types=``).
A CRD rule declares none (CRD data are maps), so a message literal in one is refused, as an
undeclared message type. Evaluation raises
:class:`CelEvalError` for CEL's runtime errors and :class:`CelCostError` when a rule uses up
its cost budget (the API server's per-rule limit), so that a hostile document cannot make a rule
run for long.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping
from typing import Any

import attrs

from gitops_core.validation.cel._compiler import Activation, Closure, Compiler
from gitops_core.validation.cel._errors import CelCostError, CelError, CelEvalError, CelSyntaxError
from gitops_core.validation.cel._messages import Message, MessageType, MessageTypes
from gitops_core.validation.cel._parser import parse_expression
from gitops_core.validation.cel._values import NONE, Optional, Value, type_name

__all__ = [
    "PER_CALL_LIMIT",
    "CelCostError",
    "CelError",
    "CelEvalError",
    "CelSyntaxError",
    "Message",
    "MessageType",
    "MessageTypes",
    "Program",
    "compile_expression",
    "parse",
]

#: The API server's runtime cost limit for one evaluation of one rule (celconfig.PerCallLimit).
PER_CALL_LIMIT = 1_000_000
_RULE_VARIABLES = frozenset({"self", "oldSelf"})
_RECURSION = 20_000


@attrs.frozen
class Program:
    """A compiled expression.

    ``is_transition_rule``: a CRD rule that reads ``oldSelf``, which only an update has; with
    ``optional_old_self`` (the rule's ``optionalOldSelf: true``) it runs on create too, with
    ``oldSelf`` an empty optional.
    """

    source: str
    variables: frozenset[str]  # the declared variables the expression reads
    _closure: Closure = attrs.field(alias="closure", repr=False)

    @property
    def is_transition_rule(self) -> bool:
        return "oldSelf" in self.variables

    def run(self, variables: Mapping[str, Value], limit: int = PER_CALL_LIMIT) -> tuple[Value, int]:
        """The expression's value with ``variables`` bound, and the cost it used.

        Raises :class:`CelEvalError` (and :class:`CelCostError` past ``limit``).
        """
        activation = Activation(dict(variables), limit)
        try:
            value = self._closure(activation)
        except RecursionError:
            raise CelEvalError("the expression or the value nests too deeply") from None
        return value, activation.cost

    def evaluate(
        self, value: Value, *, optional_old_self: bool = False, limit: int = PER_CALL_LIMIT
    ) -> bool:
        """The rule's verdict with ``self`` bound to ``value``, on create."""
        return self.check(value, optional_old_self=optional_old_self, limit=limit)[0]

    def check(
        self, value: Value, *, optional_old_self: bool = False, limit: int = PER_CALL_LIMIT
    ) -> tuple[bool, int]:
        """(verdict, cost) of the rule with ``self`` bound to ``value``, on create."""
        variables: dict[str, Value] = {"self": value}
        if self.is_transition_rule:
            if not optional_old_self:
                raise CelEvalError("a transition rule needs oldSelf, which only an update has")
            variables["oldSelf"] = NONE
        result, cost = self.run(variables, limit)
        if type(result) is not bool:
            raise CelEvalError(f"the rule evaluated to a {type_name(result)}, not a bool")
        return result, cost


def compile_expression(
    source: str,
    variables: frozenset[str],
    container: str = "",
    *,
    macros: bool = True,
    checked: bool = True,
    types: MessageTypes | None = None,
) -> Program:
    """Compile ``source`` with ``variables`` declared; raises :class:`CelSyntaxError`.

    ``checked=False`` leaves undeclared names to fail when evaluated, as cel-go does without
    its type checker (the conformance tests that disable it need that). ``types``: the message
    types the expression may build and read (names resolved in ``container``).
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION))
    try:
        tree = parse_expression(source, macros=macros)
        compiler = Compiler(variables, container, checked, types)
        closure = compiler.compile(tree)
    except RecursionError:
        raise CelSyntaxError("the expression nests too deeply") from None
    finally:
        sys.setrecursionlimit(limit)
    return Program(source, frozenset(compiler.read), closure=closure)


@functools.lru_cache(maxsize=4096)
def parse(source: str) -> Program:
    """Compile a CRD rule (``self`` and ``oldSelf`` declared); cached by text."""
    return compile_expression(source, _RULE_VARIABLES)


def optional(value: Any = None, present: bool = True) -> Optional:
    """A CEL optional value (for callers binding ``oldSelf``)."""
    return Optional(present, value) if present else NONE


def duration(text: str) -> Any:
    """A Go duration string as a CEL duration; raises :class:`CelEvalError`."""
    from gitops_core.validation.cel._time import parse_duration

    return parse_duration(text)


def timestamp(text: str) -> Any:
    """An RFC 3339 string as a CEL timestamp; raises :class:`CelEvalError`."""
    from gitops_core.validation.cel._time import parse_timestamp

    return parse_timestamp(text)


def regex(pattern: str) -> Any:
    """``pattern`` compiled as RE2 (the API server's regular expressions) reads it; raises
    :class:`CelEvalError` for a pattern that is not one."""
    from gitops_core.validation.cel._functions import regex as compile_regex

    return compile_regex(pattern)
