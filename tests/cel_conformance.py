"""Run the CEL specification's conformance tests (``shared/cel-spec``) against an evaluator.

``python tests/cel_conformance.py [--verbose] [FILE...]`` prints the pass rate per file; the
test module ``tests/test_cel_conformance.py`` asserts it. Each case ends as one of:

- ``passed``: the value (or the error) the specification expects;
- ``refused``: the expression did not compile, with a message (something the evaluator does not
  cover, such as a ``google.protobuf.Any`` built from serialized bytes): the clean refusal a
  converter reports for a rule;
- ``wrong``: a value other than the expected one, a value where an error was expected, or a
  runtime error where a value was expected: never acceptable.

The data use the test message types of the CEL specification (``TestAllTypes`` and
``NestedTestAllTypes``, in a proto2 and a proto3 package); :data:`TYPES` declares them to the
evaluator, as a cel-go environment declares them with ``cel.Types(...)``, with the fields these
files use (transcribed from cel-spec's ``test_all_types.proto``). A CRD rule declares none.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from textproto import Message, parse  # noqa: E402

SPEC = Path(__file__).resolve().parents[2] / "shared" / "cel-spec"
#: The files the data's README names as covering the language CRD rules are written in.
CRD_FILES = (
    "basic", "comparisons", "conversions", "fp_math", "integer_math", "lists", "logic", "macros",
    "macros2", "parse", "plumbing", "string", "string_ext", "timestamps", "type_deduction",
    "optionals", "math_ext", "network_ext", "bindings_ext", "namespace",
)  # fmt: skip
_ERROR = object()
_NS = 1_000_000_000
_PACKAGES = ("cel.expr.conformance.proto2", "cel.expr.conformance.proto3")


def _test_all_types(package: str) -> list[Any]:
    """TestAllTypes, its NestedMessage and NestedTestAllTypes of one package (the fields the
    conformance files use; enums are int32, as CEL reads them)."""
    from gitops_core.validation.cel import MessageType

    proto2 = package.endswith("proto2")
    nested = f"{package}.TestAllTypes.NestedMessage"
    scalars = {
        "int32": "int32", "int64": "int", "uint32": "uint32", "uint64": "uint", "sint32": "int32",
        "sint64": "int", "fixed32": "uint32", "fixed64": "uint", "sfixed32": "int32",
        "sfixed64": "int", "float": "float", "double": "double", "bool": "bool",
        "string": "string", "bytes": "bytes",
    }  # fmt: skip
    fields = {f"single_{name}": kind for name, kind in scalars.items()}
    fields |= {f"repeated_{name}": f"list({kind})" for name, kind in scalars.items()}
    fields |= {
        f"single_{name}_wrapper": f"google.protobuf.{wrapper}Value"
        for name, wrapper in [
            ("bool", "Bool"), ("bytes", "Bytes"), ("double", "Double"), ("float", "Float"),
            ("int32", "Int32"), ("int64", "Int64"), ("string", "String"), ("uint32", "UInt32"),
            ("uint64", "UInt64"),
        ]
    }  # fmt: skip
    fields |= {
        "in": "bool",
        "single_any": "google.protobuf.Any",
        "single_duration": "google.protobuf.Duration",
        "single_timestamp": "google.protobuf.Timestamp",
        "single_struct": "google.protobuf.Struct",
        "single_value": "google.protobuf.Value",
        "list_value": "google.protobuf.ListValue",
        "single_nested_message": nested,
        "single_nested_enum": "int32",
        "standalone_message": nested,
        "standalone_enum": "int32",
        "repeated_nested_message": f"list({nested})",
        "repeated_nested_enum": "list(int32)",
        "map_string_string": "map(string, string)",
        "map_bool_int64": "map(bool, int)",
        "map_int32_enum": "map(int32, int32)",
        "map_int64_nested_type": f"map(int, {package}.NestedTestAllTypes)",
        "oneof_type": f"{package}.NestedTestAllTypes",
        "oneof_msg": nested,
        "oneof_bool": "bool",
    }
    reserved = "as break const continue else for function if import let loop package namespace"
    fields |= {name: "bool" for name in f"{reserved} return var void while".split()}
    from gitops_core.validation.cel._values import UInt

    defaults: dict[str, Any] = {
        "single_int32": -32, "single_int64": -64, "single_uint32": UInt(32),
        "single_uint64": UInt(64), "single_float": 3.0, "single_double": 6.4,
        "single_bool": True, "single_string": "empty", "single_bytes": b"none",
        "single_nested_enum": 1,
    }  # fmt: skip
    return [
        MessageType(f"{package}.TestAllTypes", fields, proto2, defaults if proto2 else {}),
        MessageType(nested, {"bb": "int32"}, proto2),
        MessageType(
            f"{package}.NestedTestAllTypes",
            {"child": f"{package}.NestedTestAllTypes", "payload": f"{package}.TestAllTypes"},
            proto2,
        ),
    ]


def _types() -> Any:
    from gitops_core.validation.cel import MessageTypes

    return MessageTypes(*(t for package in _PACKAGES for t in _test_all_types(package)))


#: The message types the conformance data use, declared to the evaluator.
TYPES = _types()


@attrs.frozen
class Case:
    file: str
    section: str
    name: str
    expr: str
    container: str
    bindings: dict[str, Any]
    declared: frozenset[str]
    expected: Any  # a CEL value, or _ERROR
    deduced_type: Message | None
    check_only: bool
    disable_check: bool
    needs_messages: bool  # binds or expects a message value the harness cannot write

    @property
    def label(self) -> str:
        return f"{self.file}/{self.section}/{self.name}"


class _MessageValue(Exception):
    """A message value the harness cannot write (an enum value, a type it does not declare)."""


def cel_value(message: Message) -> Any:
    """A ``cel.expr.Value`` as this project's CEL values."""
    from gitops_core.validation.cel._values import CelType, Duration, Timestamp, UInt, map_key

    if "null_value" in message:
        return None
    if "bool_value" in message:
        return message.one("bool_value") == "true"
    if "int64_value" in message:
        return int(message.one("int64_value"))  # type: ignore[call-overload]
    if "uint64_value" in message:
        return UInt(message.one("uint64_value"))  # type: ignore[call-overload]
    if "double_value" in message:
        return float(message.one("double_value"))  # type: ignore[arg-type]
    if "string_value" in message:
        raw = message.one("string_value")
        assert isinstance(raw, bytes)
        return raw.decode("utf-8", "surrogatepass")
    if "bytes_value" in message:
        return message.one("bytes_value")
    if "list_value" in message:
        listed = message.message("list_value")
        return [cel_value(v) for v in listed.messages("values")] if listed else []
    if "map_value" in message:
        mapped = message.message("map_value")
        result: dict[Any, Any] = {}
        for entry in mapped.messages("entries") if mapped else []:
            key, value = entry.message("key"), entry.message("value")
            assert key is not None and value is not None
            result[map_key(cel_value(key))] = cel_value(value)
        return result
    if "type_value" in message:
        return CelType(message.text("type_value"))
    if "object_value" in message:
        any_value = message.message("object_value")
        assert any_value is not None
        for url, payload in any_value.items():
            inner = payload[0]
            assert isinstance(inner, Message)
            name = url.strip("[]").rpartition("/")[2]
            if name in TYPES:
                return message_value(name, inner)
            seconds = int(inner.one("seconds", 0))  # type: ignore[call-overload]
            nanos = int(inner.one("nanos", 0))  # type: ignore[call-overload]
            if url.endswith("google.protobuf.Duration]"):
                return Duration(seconds * _NS + nanos)
            if url.endswith("google.protobuf.Timestamp]"):
                return Timestamp(seconds * _NS + nanos)
        raise _MessageValue()
    if "enum_value" in message:
        raise _MessageValue()
    raise ValueError(f"unknown value {message!r}")


def message_value(name: str, text: Message) -> Any:
    """A message written in text format as a value of a type of :data:`TYPES`."""
    from gitops_core.validation.cel._values import UInt

    declared = {t.name: t for package in _PACKAGES for t in _test_all_types(package)}[name]

    def scalar(kind: str, raw: object) -> Any:
        if kind.startswith("list("):
            return scalar(kind[5:-1], raw)
        if kind == "bool":
            return raw == "true"
        if kind in ("int", "int32"):
            return int(raw)  # type: ignore[call-overload]
        if kind in ("uint", "uint32"):
            return UInt(raw)  # type: ignore[call-overload]
        if kind in ("double", "float"):
            return float(raw)  # type: ignore[arg-type]
        if kind == "string":
            assert isinstance(raw, bytes)
            return raw.decode("utf-8")
        if kind == "bytes":
            return raw
        if isinstance(raw, Message) and kind in TYPES:
            return message_value(kind, raw)
        raise _MessageValue()

    fields: dict[str, Any] = {}
    for field, values in text.items():
        kind = declared.fields.get(field)
        if kind is None:
            raise _MessageValue()
        converted = [scalar(kind, raw) for raw in values]
        fields[field] = converted if kind.startswith("list(") else converted[-1]
    return TYPES.message(name, fields)


def load_cases(name: str) -> list[Case]:
    document = parse((SPEC / f"{name}.textproto").read_bytes())
    cases = []
    for section in document.messages("section"):
        for test in section.messages("test"):
            cases.append(_case(name, section.text("name"), test))
    return cases


def _case(file: str, section: str, test: Message) -> Case:
    needs_messages = False
    bindings: dict[str, Any] = {}
    for entry in test.messages("bindings"):
        holder = entry.message("value")
        inner = holder.message("value") if holder else None
        try:
            bindings[entry.text("key")] = cel_value(inner) if inner else None
        except _MessageValue:
            needs_messages = True
    declared = {d.text("name") for d in test.messages("type_env") if "ident" in d}
    deduced_type = None
    expected: Any = True
    try:
        if "value" in test:
            value = test.message("value")
            assert value is not None
            expected = cel_value(value)
        elif "eval_error" in test or "any_eval_errors" in test:
            expected = _ERROR
        elif "typed_result" in test:
            typed = test.message("typed_result")
            assert typed is not None
            result = typed.message("result")
            expected = cel_value(result) if result is not None else None
            deduced_type = typed.message("deduced_type")
    except _MessageValue:
        needs_messages = True
    return Case(
        file=file,
        section=section,
        name=test.text("name"),
        expr=test.text("expr"),
        container=test.text("container"),
        bindings=bindings,
        declared=frozenset(declared | set(bindings)),
        expected=expected,
        deduced_type=deduced_type,
        check_only=test.one("check_only") == "true",
        disable_check=test.one("disable_check") == "true",
        needs_messages=needs_messages,
    )


def same(expected: Any, got: Any) -> bool:
    """Exact equality of CEL values: same types, NaN matching NaN, maps in any order."""
    from gitops_core.validation.cel._values import plain_key

    if type(expected) is not type(got):
        return False
    if isinstance(expected, float):
        return (math.isnan(expected) and math.isnan(got)) or (
            expected == got and math.copysign(1, expected) == math.copysign(1, got)
        )
    if isinstance(expected, list):
        return len(expected) == len(got) and all(map(same, expected, got))
    if isinstance(expected, dict):
        if len(expected) != len(got):
            return False
        found = {(type(plain_key(k)), plain_key(k)): v for k, v in got.items()}
        for key, value in expected.items():
            plain = plain_key(key)
            other = found.get((type(plain), plain), _ERROR)
            if other is _ERROR or not same(value, other):
                return False
        return True
    return bool(expected == got)


@attrs.frozen
class Outcome:
    case: Case
    result: str  # passed, refused, wrong, kubernetes
    detail: str

    @property
    def messages(self) -> bool:
        """Refused as a case about protocol buffer messages that are not supported."""
        return self.result == "refused" and (
            self.case.needs_messages or "protocol buffer message" in self.detail
        )


#: Cases where the Kubernetes library a CRD rule uses differs, by design, from the cel-go
#: extension the conformance data tests: the API server's ip() refuses IPv4-mapped IPv6
#: addresses (k8s.io/apiserver/pkg/cel/library/ip.go), which cel-go's network extension takes.
KUBERNETES_DIFFERS = {
    "network_ext/ipv4/ipv4_equals_ipv6": "ip() refuses IPv4-mapped IPv6 addresses in Kubernetes",
    "network_ext/ipv4/ipv4_not_equals_ipv6": (
        "ip() refuses IPv4-mapped IPv6 addresses in Kubernetes"
    ),
}


Evaluator = Callable[[Case], tuple[str, Any]]  # ("value", v) | ("error", msg) | ("refused", msg)


def ours(case: Case) -> tuple[str, Any]:
    from gitops_core.validation.cel import CelEvalError, CelSyntaxError, compile_expression

    try:
        program = compile_expression(
            case.expr, case.declared, case.container, checked=not case.disable_check, types=TYPES
        )
    except CelSyntaxError as exc:
        return "refused", str(exc)
    if case.check_only:
        return "value", case.expected
    try:
        value, _ = program.run(case.bindings)
    except CelEvalError as exc:
        return "error", str(exc)
    return "value", value


def judge(case: Case, evaluate: Evaluator) -> Outcome:
    outcome = _judge(case, evaluate)
    reason = KUBERNETES_DIFFERS.get(case.label)
    if reason is not None and outcome.result != "passed":
        return Outcome(case, "kubernetes", f"{reason}; {outcome.detail}")
    return outcome


def _judge(case: Case, evaluate: Evaluator) -> Outcome:
    if case.needs_messages:
        return Outcome(case, "refused", "protocol buffer message values (not in CRD data)")
    try:
        kind, got = evaluate(case)
    except Exception as exc:  # a crash of the evaluator is a wrong result
        return Outcome(case, "wrong", f"crashed: {type(exc).__name__}: {exc}")
    if kind == "refused":
        if case.expected is _ERROR:
            return Outcome(case, "passed", f"refused at compile time: {got}")
        return Outcome(case, "refused", str(got))
    if case.expected is _ERROR:
        if kind == "error":
            return Outcome(case, "passed", str(got))
        return Outcome(case, "wrong", f"expected an error, got {got!r}")
    if kind == "error":
        return Outcome(case, "wrong", f"expected {case.expected!r}, got error {got}")
    if not same(case.expected, got):
        return Outcome(case, "wrong", f"expected {case.expected!r}, got {got!r}")
    if case.deduced_type is not None:
        return _judge_type(case)
    return Outcome(case, "passed", "")


def _judge_type(case: Case) -> Outcome:
    # The value is right; the type a checker deduces for it is not something CRD validation
    # needs (the API server's checker runs on the CRD's schema types, not on these).
    wanted = type_text(case.deduced_type)
    return Outcome(case, "refused", f"right value; deduced type {wanted} not checked (no checker)")


_PRIMITIVES = {
    "BOOL": "bool", "INT64": "int", "UINT64": "uint", "DOUBLE": "double", "STRING": "string",
    "BYTES": "bytes",
}  # fmt: skip


def type_text(message: Message | None) -> str:
    """A ``cel.expr.Type`` as text: ``list(int)``, ``map(string, dyn)``."""
    if message is None:
        return "dyn"
    if "primitive" in message:
        return _PRIMITIVES[str(message.one("primitive"))]
    if "null" in message:
        return "null_type"
    if "dyn" in message:
        return "dyn"
    if "list_type" in message:
        inner = message.message("list_type")
        return f"list({type_text(inner.message('elem_type') if inner else None)})"
    if "map_type" in message:
        inner = message.message("map_type")
        assert inner is not None
        key, value = inner.message("key_type"), inner.message("value_type")
        return f"map({type_text(key)}, {type_text(value)})"
    if "well_known" in message:
        known = str(message.one("well_known"))
        return {"DURATION": "google.protobuf.Duration", "TIMESTAMP": "google.protobuf.Timestamp"}[
            known
        ]
    if "type" in message:
        return f"type({type_text(message.message('type'))})"
    if "abstract_type" in message:
        inner = message.message("abstract_type")
        assert inner is not None
        params = ", ".join(type_text(p) for p in inner.messages("parameter_types"))
        return f"{inner.text('name')}({params})"
    if "message_type" in message:
        return message.text("message_type")
    if "wrapper" in message:
        return f"wrapper({_PRIMITIVES[str(message.one('wrapper'))]})"
    if "type_param" in message:
        return message.text("type_param")
    if "error" in message:
        return "error"
    return "?"


def run(files: tuple[str, ...], evaluate: Evaluator) -> dict[str, list[Outcome]]:
    return {name: [judge(case, evaluate) for case in load_cases(name)] for name in files}


@attrs.frozen
class Tally:
    cases: int
    passed: int
    refused: int
    wrong: int
    kubernetes: int
    messages: int  # refused for a message the evaluator does not support (a serialized Any)

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> Tally:
        return cls(
            cases=len(outcomes),
            passed=sum(o.result == "passed" for o in outcomes),
            refused=sum(o.result == "refused" for o in outcomes),
            wrong=sum(o.result == "wrong" for o in outcomes),
            kubernetes=sum(o.result == "kubernetes" for o in outcomes),
            messages=sum(o.messages for o in outcomes),
        )

    @property
    def rate(self) -> float:
        """Passed, of all cases."""
        return 100 * self.passed / self.cases if self.cases else 100.0

    @property
    def rate_without_messages(self) -> float:
        """Passed, of the cases without an unsupported message (a serialized Any)."""
        relevant = self.cases - self.messages
        return 100 * self.passed / relevant if relevant else 100.0


def summary(results: dict[str, list[Outcome]]) -> Iterator[str]:
    yield (
        f"{'file':<15} {'cases':>5} {'passed':>6} {'refused':>7} {'(msgs)':>6} {'wrong':>5} "
        f"{'k8s':>4} {'all':>7} {'no msgs':>8}"
    )
    everything: list[Outcome] = []
    for name, outcomes in [*results.items(), ("all", [])]:
        if name == "all":
            outcomes = everything
        else:
            everything += outcomes
        t = Tally.of(outcomes)
        yield (
            f"{name:<15} {t.cases:>5} {t.passed:>6} {t.refused:>7} {t.messages:>6} {t.wrong:>5} "
            f"{t.kubernetes:>4} {t.rate:>6.1f}% {t.rate_without_messages:>7.1f}%"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", "-v", action="count", default=0)
    parser.add_argument("files", nargs="*", default=list(CRD_FILES))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = run(tuple(args.files), ours)
    elapsed = time.perf_counter() - start
    for line in summary(results):
        print(line)
    print(f"{elapsed:.2f} s")
    for outcomes in results.values():
        for outcome in outcomes:
            if outcome.result in ("wrong", "kubernetes") or (
                args.verbose and outcome.result == "refused"
            ):
                print(f"{outcome.result:8} {outcome.case.label}: {outcome.case.expr!r}")
                print(f"         {outcome.detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
