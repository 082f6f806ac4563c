"""The compiled form of one converted schema: jsonschema, made to judge as the API server does.

Imported on the first schema compiled, so that ``import gitops_core.validation`` stays cheap.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator

from gitops_core.checks import go_search
from gitops_core.validation import cel

JsonSchema = Mapping[str, Any]

_BASE = Draft202012Validator
_ADDITIONAL_PROPERTIES = _BASE.VALIDATORS["additionalProperties"]
_MISSING = object()


def _pattern(
    validator: Validator, pattern: str, instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    # jsonschema uses re.search, whose '$' also matches before a final newline: "1m\n" would
    # pass a duration pattern that Go's RE2 (and so the API server) rejects.
    if isinstance(instance, str) and not go_search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _required(
    validator: Validator, required: list[str], instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    # The path names the missing field itself (spec.prune), not the object that lacks it.
    if isinstance(instance, dict):
        for name in required:
            if name not in instance:
                yield ValidationError(f"{name!r} is a required property", path=(name,))


def _additional_properties(
    validator: Validator, additional: Any, instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    if additional is not False or not isinstance(instance, dict) or "patternProperties" in schema:
        yield from _ADDITIONAL_PROPERTIES(validator, additional, instance, schema)
        return
    known = schema.get("properties", {})
    for name in instance:
        if name not in known:
            yield ValidationError(f"unknown field {name!r}", path=(name,))


def _cel_rules(
    validator: Validator, rules: list[Mapping[str, Any]], instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    types = schema.get("type", ())
    if types and not any(validator.is_type(instance, t) for t in _as_list(types)):
        return  # the type error is reported; like the API server, run no rule on a wrong type
    for rule in rules:
        program = _program(rule["rule"])
        if isinstance(program, cel.CelSyntaxError):
            # Only a schema not made by the converter (which refuses such rules) gets here.
            yield ValidationError(f"rule {rule['rule']!r} cannot be evaluated: {program}")
            continue
        if program.is_transition_rule:
            continue  # compares with the stored object; the API server skips it on create
        try:
            holds = program.evaluate(instance)
        except cel.CelEvalError as exc:
            yield ValidationError(f"rule {program.source!r} could not be evaluated: {exc}")
            continue
        if not holds:
            yield ValidationError(rule.get("message") or f"failed rule: {program.source}")


@functools.cache
def _program(rule: str) -> cel.Program | cel.CelSyntaxError:
    """The compiled rule, or why it cannot be: each rule text is compiled once per process (on
    the first document that reaches it), never once per document, and a refusal is kept too."""
    try:
        return cel.parse(rule)
    except cel.CelSyntaxError as exc:
        return exc.with_traceback(None)  # keep no parser frames alive in the cache


def _as_list(types: str | list[str]) -> list[str]:
    return [types] if isinstance(types, str) else types


_StrictValidator = validators.extend(  # type: ignore[no-untyped-call]
    _BASE,
    {
        "pattern": _pattern,
        "required": _required,
        "additionalProperties": _additional_properties,
        "x-kubernetes-validations": _cel_rules,
    },
)


def _nullable(schema: JsonSchema) -> bool:
    types = schema.get("type")
    return isinstance(types, list) and "null" in types


def _value_schema(schema: JsonSchema, key: str) -> JsonSchema | None:
    properties = schema.get("properties")
    if properties is not None and key in properties:
        sub: JsonSchema = properties[key]
        return sub
    additional = schema.get("additionalProperties")
    return additional if isinstance(additional, Mapping) else None


def normalize(value: Any, schema: JsonSchema) -> Any:
    """The object as the API server validates it: nulls of non-nullable fields pruned, defaults set.

    Copy-on-write: the given value is returned unchanged when nothing applies, and never mutated.
    """
    if isinstance(value, list):
        items = schema.get("items")
        if not isinstance(items, Mapping):
            return value
        normalized = [normalize(item, items) for item in value]
        changed = any(new is not old for new, old in zip(normalized, value, strict=True))
        return normalized if changed else value
    if not isinstance(value, dict):
        return value
    result = value
    for key, child in value.items():
        sub = _value_schema(schema, key)
        if sub is None:
            continue
        if child is None and not _nullable(sub):
            new: Any = _MISSING
        else:
            new = normalize(child, sub)
            if new is child:
                continue
        if result is value:
            result = dict(value)
        if new is _MISSING:
            del result[key]
        else:
            result[key] = new
    for key, sub in schema.get("properties", {}).items():
        if key not in result and "default" in sub:
            if result is value:
                result = dict(value)
            result[key] = normalize(copy.deepcopy(sub["default"]), sub)
    return result


class CompiledSchema:
    """One kind's schema, ready to check many documents."""

    def __init__(self, schema: JsonSchema) -> None:
        self._schema = schema
        self._validator = _StrictValidator(schema)

    def iter_errors(self, document: Any) -> Iterator[ValidationError]:
        """Errors in ``document`` after the API server's pruning of nulls and defaulting."""
        errors: Iterator[ValidationError] = self._validator.iter_errors(
            normalize(document, self._schema)
        )
        return errors
