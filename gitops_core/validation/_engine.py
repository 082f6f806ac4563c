"""The compiled form of one converted schema: jsonschema, made to judge as the API server does.

Imported on the first schema compiled, so that ``import gitops_core.validation`` stays cheap.
Every CEL rule of a schema is compiled when the schema is (once per kind per process), never
per document; each document gets the API server's runtime cost budget for all its rules.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator

from gitops_core.validation import cel

JsonSchema = Mapping[str, Any]

_BASE = Draft202012Validator
_ADDITIONAL_PROPERTIES = _BASE.VALIDATORS["additionalProperties"]
_MISSING = object()
#: The API server's runtime CEL cost budget for one object, all rules together
#: (apiextensions RuntimeCELCostBudget).
DOCUMENT_BUDGET = 10_000_000


class _Budget:
    __slots__ = ("exhausted", "left")

    def __init__(self, left: int) -> None:
        self.left = left
        self.exhausted = False


_BUDGET: contextvars.ContextVar[_Budget] = contextvars.ContextVar("cel_budget")


def _pattern(
    validator: Validator, pattern: str, instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    # jsonschema uses re.search, whose '$' also matches before a final newline: "1m\n" would
    # pass a duration pattern that Go's RE2 (and so the API server) rejects; and Python's \d
    # takes any Unicode digit, RE2's only 0-9.
    if not isinstance(instance, str):
        return
    try:
        compiled = cel.regex(pattern)
    except cel.CelEvalError as exc:
        yield ValidationError(f"the schema's pattern cannot be used: {exc}")
        return
    if compiled.search(instance) is None:
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
    if not isinstance(instance, dict) or "patternProperties" in schema:
        yield from _ADDITIONAL_PROPERTIES(validator, additional, instance, schema)
        return
    known = schema.get("properties", {})
    if isinstance(additional, dict):
        for name, value in instance.items():
            if name not in known and not _certainly_valid(additional, value):
                yield from validator.descend(value, additional, path=name)  # type: ignore[attr-defined]
        return
    if additional is not False:
        return
    for name in instance:
        if name not in known:
            yield ValidationError(f"unknown field {name!r}", path=(name,))


# --- CEL ---------------------------------------------------------------------------------------


def _cel_rules(
    validator: Validator, rules: list[Mapping[str, Any]], instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    types = schema.get("type", ())
    if types and not any(validator.is_type(instance, t) for t in _as_list(types)):
        return  # the type error is reported; like the API server, run no rule on a wrong type
    budget = _BUDGET.get(None) or _Budget(DOCUMENT_BUDGET)
    value: Any = _MISSING
    for rule in rules:
        if budget.exhausted:
            return
        compiled = _program(rule["rule"])
        if isinstance(compiled, cel.CelSyntaxError):
            # Only a schema not made by the converter (which refuses such rules) gets here.
            yield ValidationError(f"rule {rule['rule']!r} cannot be evaluated: {compiled}")
            continue
        optional_old_self = bool(rule.get("optionalOldSelf"))
        if compiled.is_transition_rule and not optional_old_self:
            continue  # compares with the stored object; the API server skips it on create
        if value is _MISSING:
            value = cel_value(instance, schema)
        path = _field_path(rule.get("fieldPath"))
        try:
            holds, cost = compiled.check(
                value,
                optional_old_self=optional_old_self,
                limit=min(cel.PER_CALL_LIMIT, budget.left),
            )
        except cel.CelCostError:
            if budget.left < cel.PER_CALL_LIMIT:
                budget.exhausted = True
                yield ValidationError(
                    "validation failed due to running out of cost budget, no further validation "
                    "rules will be run"
                )
                return
            yield ValidationError(f"call cost exceeds limit for rule: {compiled.source}")
            continue
        except cel.CelEvalError as exc:
            yield ValidationError(f"rule {compiled.source!r} could not be evaluated: {exc}")
            continue
        budget.left -= cost
        if not holds:
            yield ValidationError(_rule_message(rule, compiled, value, budget), path=path)


def _rule_message(
    rule: Mapping[str, Any], program: cel.Program, value: Any, budget: _Budget
) -> str:
    fallback = rule.get("message") or f"failed rule: {program.source}"
    expression = rule.get("messageExpression")
    if not expression:
        return str(fallback)
    compiled = _program(expression)
    if isinstance(compiled, cel.CelSyntaxError):
        return str(fallback)
    try:
        variables: dict[str, Any] = {"self": value}
        if compiled.is_transition_rule:
            variables["oldSelf"] = cel.optional(present=False)
        message, cost = compiled.run(variables, min(cel.PER_CALL_LIMIT, budget.left))
    except cel.CelEvalError as exc:
        return f"{fallback} (messageExpression evaluation failed due to: {exc})"
    budget.left -= cost
    if not isinstance(message, str) or not message.strip() or "\n" in message:
        return str(fallback)
    return message


def _field_path(field_path: object) -> tuple[str | int, ...]:
    """``fieldPath`` (``.spec.x``, ``['a.b']``, ``[0]``) as path parts."""
    if not isinstance(field_path, str) or not field_path:
        return ()
    parts: list[str | int] = []
    for match in re.finditer(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]|\[([0-9]+)\]", field_path):
        dotted, quoted, index = match.groups()
        parts.append(int(index) if index is not None else dotted if dotted is not None else quoted)
    return tuple(parts)


@functools.cache
def _program(rule: str) -> cel.Program | cel.CelSyntaxError:
    """The compiled rule, or why it cannot be: each rule text is compiled once per process."""
    try:
        return cel.parse(rule)
    except cel.CelSyntaxError as exc:
        return exc.with_traceback(None)  # keep no parser frames alive in the cache


def compile_rules(schema: object) -> int:
    """Compile every CEL rule (and messageExpression) in ``schema``; the number compiled."""
    count = 0
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for rule in node.get("x-kubernetes-validations", ()):
                if isinstance(rule, dict) and isinstance(rule.get("rule"), str):
                    _program(rule["rule"])
                    if isinstance(rule.get("messageExpression"), str):
                        _program(rule["messageExpression"])
                    count += 1
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


# The CEL type the API server gives a value, from its schema: strings with these formats are
# timestamps, durations or bytes, and numbers are doubles even when written without a fraction.
_CONVERTED_FORMATS = frozenset({"date-time", "datetime", "duration", "byte"})


def _needs_conversion(schema: JsonSchema) -> bool:
    """Whether anything under ``schema`` changes type on its way into CEL (cached per node)."""
    key = id(schema)
    found = _CONVERSION_CACHE.get(key)
    if found is None:
        text = json.dumps(schema, sort_keys=True)
        found = any(f'"format": "{f}"' in text for f in _CONVERTED_FORMATS) or '"number"' in text
        _CONVERSION_CACHE[key] = found
        _KEEP_ALIVE.append(schema)  # the id stays this node's while the cache holds it
    return found


_CONVERSION_CACHE: dict[int, bool] = {}
_KEEP_ALIVE: list[object] = []


def cel_value(instance: Any, schema: JsonSchema) -> Any:
    """``instance`` as the CEL value the API server binds to ``self`` for ``schema``."""
    if not _needs_conversion(schema):
        return instance
    return _convert(instance, schema)


def _convert(instance: Any, schema: JsonSchema) -> Any:
    types = _as_list(schema.get("type", []))
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        out = {}
        for key, value in instance.items():
            sub = properties.get(key, additional if isinstance(additional, Mapping) else None)
            out[key] = _convert(value, sub) if sub is not None else value
        return out
    if isinstance(instance, list):
        items = schema.get("items")
        return [_convert(v, items) for v in instance] if isinstance(items, Mapping) else instance
    if isinstance(instance, int) and not isinstance(instance, bool) and types == ["number"]:
        return float(instance)
    if isinstance(instance, str):
        fmt = schema.get("format")
        if fmt in _CONVERTED_FORMATS and "integer" not in types:
            try:
                if fmt == "duration":
                    return cel.duration(instance)
                if fmt == "byte":
                    import base64

                    return base64.b64decode(instance, validate=True)
                return cel.timestamp(instance)
            except (cel.CelEvalError, ValueError):  # binascii.Error is a ValueError
                return instance
    return instance


# --- Kubernetes list types, embedded resources, formats ------------------------------------------


def _list_type(
    validator: Validator, list_type: str, instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    """``x-kubernetes-list-type: set`` and ``map`` refuse duplicates, as the API server does."""
    if not isinstance(instance, list) or list_type not in ("set", "map"):
        return
    seen: dict[str, int] = {}
    keys = schema.get("x-kubernetes-list-map-keys") or []
    for index, item in enumerate(instance):
        if list_type == "map":
            if not isinstance(item, dict):
                continue
            identity = {k: item.get(k) for k in keys}
        else:
            identity = item
        text = _as_json(identity, ensure_ascii=True)
        if text in seen:
            shown = _as_json(identity, ensure_ascii=False)
            what = "key" if list_type == "map" else "value"
            yield ValidationError(
                f"Duplicate value: {shown} (x-kubernetes-list-type {list_type}: each {what} may "
                f"appear once; first at [{seen[text]}])",
                path=(index,),
            )
        else:
            seen[text] = index


def _as_json(value: Any, *, ensure_ascii: bool) -> str:
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=ensure_ascii)
    except TypeError:  # keys that are not text (data given as Python, never read from YAML)
        return repr(value)


def _embedded_resource(
    validator: Validator, embedded: bool, instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    """An ``x-kubernetes-embedded-resource`` object needs ``apiVersion`` and ``kind``."""
    if not embedded or not isinstance(instance, dict):
        return
    for field in ("apiVersion", "kind"):
        value = instance.get(field)
        if value is None or value == "":
            yield ValidationError(f"{field!r}: Required value: must not be empty", path=(field,))
        elif not isinstance(value, str):
            yield ValidationError(f"{value!r} is not of type 'string'", path=(field,))
    metadata = instance.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        yield ValidationError(f"{metadata!r} is not of type 'object'", path=("metadata",))


def _format(
    validator: Validator, fmt: str, instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    """The formats the API server checks (its strfmt registry); others are not checked."""
    if not isinstance(instance, str):
        return
    check = _FORMATS.get(fmt)
    if check is not None and not check(instance):
        yield ValidationError(f"{instance!r} is not a valid {fmt}")


def _is_datetime(text: str) -> bool:
    return re.match(_DATETIME, text) is not None and _parses_as_time(text)


def _parses_as_time(text: str) -> bool:
    try:
        cel.timestamp(re.sub(r"^(\d{4}-\d{2}-\d{2})[ ]", r"\1T", text).replace("z", "Z"))
    except cel.CelEvalError:
        return re.match(_DATETIME_NO_ZONE, text) is not None
    return True


def _is_date(text: str) -> bool:
    import datetime

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_duration(text: str) -> bool:
    # strfmt's ParseDuration: Go durations, or a number and a unit word (3 days, 1 week)
    try:
        cel.duration(text)
        return True
    except cel.CelEvalError:
        return re.match(_WORD_DURATION, text) is not None


def _is_ip(version: int) -> Any:
    def check(text: str) -> bool:
        import ipaddress

        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return False
        return address.version == version

    return check


def _is_cidr(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return "/" in text


def _is_byte(text: str) -> bool:
    import base64

    try:
        base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error is a ValueError
        return False
    return True


def _full(pattern: str) -> Any:
    """A whole-text check by ``pattern``, compiled on first use (import stays cheap)."""

    def check(text: str) -> bool:
        return re.fullmatch(pattern, text) is not None  # re caches the compiled pattern

    return check


_DATETIME = r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?\Z"
_DATETIME_NO_ZONE = r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\Z"
_WORD_DURATION = (
    r"\s*[0-9]+\s*(ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|"
    r"minutes?|hours?|days?|weeks?)\s*\Z"
)
_FORMATS: dict[str, Any] = {
    "date-time": _is_datetime,
    "datetime": _is_datetime,
    "date": _is_date,
    "duration": _is_duration,
    "byte": _is_byte,
    "ipv4": _is_ip(4),
    "ipv6": _is_ip(6),
    "cidr": _is_cidr,
    "uuid": _full(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"),
    "uuid3": _full(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}"),
    "uuid4": _full(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}"),
    "uuid5": _full(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}"),
    "mac": _full(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}|([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}"),
    "hostname": _full(
        r"(?i)(?=.{1,255}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?"
    ),
    "email": _full(r"[^@\s]+@[^@\s]+\.[^@\s]+"),
    "hexcolor": _full(r"#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})"),
    "bsonobjectid": _full(r"[0-9a-fA-F]{24}"),
}  # fmt: skip


def _as_list(types: str | list[str]) -> list[str]:
    return [types] if isinstance(types, str) else list(types)


_BASE_PROPERTIES = _BASE.VALIDATORS["properties"]
_BASE_ITEMS = _BASE.VALIDATORS["items"]
#: What a leaf schema may hold for :func:`_trivially_valid` to judge it.
_LEAF_KEYS = frozenset(
    {"type", "default", "format", "const", "enum", "maxLength", "minLength", "pattern"}
)
_LEAF_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _trivially_valid(schema: Any, value: Any) -> bool:
    """A leaf schema (a type, and for text its length, pattern, enum or const) that ``value``
    certainly meets: no need for jsonschema's descent, the costliest step of validating, in the
    most common cases. False means "descend", which then says what is wrong, if anything."""
    if not isinstance(schema, dict) or not schema.keys() <= _LEAF_KEYS:
        return False
    name = schema.get("type")
    types = _LEAF_TYPES.get(name) if isinstance(name, str) else None
    if types is None:
        return False
    kind = type(value)
    if kind not in types or (kind is bool and types != (bool,)):
        return False
    if kind is not str:  # length, pattern and format concern text only
        return "const" not in schema and "enum" not in schema
    return _text_meets(schema, value)


#: What an object or array schema may hold for :func:`_certainly_valid` to judge it.
_OBJECT_KEYS = frozenset({"type", "default", "properties", "required", "additionalProperties"})
_ARRAY_KEYS = frozenset({"type", "default", "items", "minItems", "maxItems"})


def _certainly_valid(schema: Any, value: Any) -> bool:
    """:func:`_trivially_valid`, and objects and arrays whose every part is: a valid manifest
    is judged in one walk, without jsonschema's descent (a validator object per level). A
    schema with anything else (CEL rules, list types, alternatives, formats it does not
    know) is left to the descent."""
    if _trivially_valid(schema, value):
        return True
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "object" and type(value) is dict and schema.keys() <= _OBJECT_KEYS:
        properties = schema.get("properties", {})
        required = schema.get("required", ())
        additional = schema.get("additionalProperties", True)
        if not isinstance(properties, dict) or not isinstance(required, list):
            return False
        if any(name not in value for name in required):
            return False
        for name, child in value.items():
            sub = properties.get(name, additional)
            if sub is True:
                continue
            if sub is False or not _certainly_valid(sub, child):
                return False
        return True
    if kind == "array" and type(value) is list and schema.keys() <= _ARRAY_KEYS:
        longest, shortest = schema.get("maxItems"), schema.get("minItems", 0)
        if longest is not None and not (type(longest) is int and len(value) <= longest):
            return False
        if not (type(shortest) is int and len(value) >= shortest):
            return False
        items = schema.get("items", True)
        return items is True or all(_certainly_valid(items, item) for item in value)
    return False


def _text_meets(schema: dict[str, Any], value: str) -> bool:
    if "const" in schema and value != schema["const"]:
        return False
    enum = schema.get("enum")
    if enum is not None and not (isinstance(enum, list) and value in enum):
        return False
    longest, shortest = schema.get("maxLength"), schema.get("minLength", 0)
    if longest is not None and not (type(longest) is int and len(value) <= longest):
        return False
    if not (type(shortest) is int and len(value) >= shortest):
        return False
    if schema.get("format") in _FORMATS:
        return False  # checked by _format, which names the format
    pattern = schema.get("pattern")
    if pattern is not None:
        try:
            return cel.regex(pattern).search(value) is not None
        except cel.CelEvalError:
            return False
    return True


def _properties(
    validator: Validator, properties: JsonSchema, instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    for name, sub in properties.items():
        if name in instance:
            value = instance[name]
            if not _certainly_valid(sub, value):
                yield from validator.descend(  # type: ignore[attr-defined]
                    value, sub, path=name, schema_path=name
                )


def _items(
    validator: Validator, items: Any, instance: Any, schema: JsonSchema
) -> Iterator[ValidationError]:
    if not isinstance(instance, list) or "prefixItems" in schema or items is False:
        yield from _BASE_ITEMS(validator, items, instance, schema)
        return
    for index, item in enumerate(instance):
        if not _certainly_valid(items, item):
            yield from validator.descend(item, items, path=index)  # type: ignore[attr-defined]


_StrictValidator = validators.extend(  # type: ignore[no-untyped-call]
    _BASE,
    {
        "properties": _properties,
        "items": _items,
        "pattern": _pattern,
        "required": _required,
        "additionalProperties": _additional_properties,
        "x-kubernetes-validations": _cel_rules,
        "x-kubernetes-list-type": _list_type,
        "x-kubernetes-embedded-resource": _embedded_resource,
        "format": _format,
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
        elif not isinstance(child, (dict, list)):
            continue  # nothing to prune or default below a scalar
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


def unknown_fields(
    value: Any, schema: JsonSchema, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, name) of every field ``schema`` prunes: what strict field validation reports even
    where values are not validated (``status`` on create)."""
    if isinstance(value, dict) and isinstance(schema, Mapping):
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        for key, child in value.items():
            if key in properties:
                yield from unknown_fields(child, properties[key], (*path, key))
            elif isinstance(additional, Mapping):
                yield from unknown_fields(child, additional, (*path, key))
            elif additional is False:
                yield (*path, key), key
    elif isinstance(value, list) and isinstance(schema, Mapping):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                yield from unknown_fields(item, items, (*path, index))


class CompiledSchema:
    """One kind's schema, ready to check many documents; its CEL rules compiled once."""

    def __init__(self, schema: JsonSchema) -> None:
        self._schema = schema
        self._validator = _StrictValidator(schema)
        self.rules = compile_rules(schema)

    @property
    def schema(self) -> JsonSchema:
        return self._schema

    def iter_errors(self, document: Any) -> Iterator[ValidationError]:
        """Errors in ``document`` after the API server's pruning of nulls and defaulting, with
        one CEL cost budget for the whole document."""
        token = _BUDGET.set(_Budget(DOCUMENT_BUDGET))
        try:
            errors = list(self._validator.iter_errors(normalize(document, self._schema)))
        finally:
            _BUDGET.reset(token)
        return iter(errors)
