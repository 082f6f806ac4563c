"""The errors of CEL: refused at compile time, or failed while evaluating."""

from __future__ import annotations


class CelError(Exception):
    """A rule that cannot be parsed or evaluated."""


class CelSyntaxError(CelError):
    """A rule that does not compile: not CEL, an undeclared name, or a function that does not
    exist (a Kubernetes API server refuses such a rule when the CRD is created)."""


class CelEvalError(CelError):
    """A runtime error, such as selecting a field that is absent (``no such key``)."""


class CelCostError(CelEvalError):
    """Evaluation stopped: the rule used up its cost budget, as the API server would stop it."""


def no_overload(function: str, *args: object) -> CelEvalError:
    from gitops_core.validation.cel._values import type_name

    types = ", ".join(type_name(a) for a in args)
    return CelEvalError(f"no such overload: {function}({types})")
