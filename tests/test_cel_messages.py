"""Protocol buffer messages in the CEL evaluator: the well-known types of the language, and
message types declared with ``MessageTypes`` (the extension point cel-go has as ``cel.Types``)."""

from __future__ import annotations

import math

import pytest

from gitops_core.validation.cel import (
    CelEvalError,
    CelSyntaxError,
    Message,
    MessageType,
    MessageTypes,
    compile_expression,
)
from gitops_core.validation.cel._values import CelType, Duration, UInt

PKG = "example.v1"
TYPES = MessageTypes(
    MessageType(
        f"{PKG}.Widget",
        {
            "name": "string",
            "count": "int",
            "small": "int32",
            "tiny": "uint32",
            "ratio": "float",
            "size": "google.protobuf.Int64Value",
            "json": "google.protobuf.Value",
            "timeout": "google.protobuf.Duration",
            "part": f"{PKG}.Widget.Part",
            "parts": f"list({PKG}.Widget.Part)",
            "tags": "list(string)",
            "labels": "map(string, string)",
        },
    ),
    MessageType(f"{PKG}.Widget.Part", {"id": "int32", "weight": "double"}),
    MessageType(
        f"{PKG}.Legacy", {"count": "int", "name": "string"}, proto2=True, defaults={"name": "none"}
    ),
)


def run(expr: str, container: str = PKG, **variables: object) -> object:
    program = compile_expression(expr, frozenset(variables), container, types=TYPES)
    return program.run(variables)[0]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("google.protobuf.Int64Value{value: 7}", 7),
        ("google.protobuf.Int32Value{}", 0),
        ("google.protobuf.UInt64Value{value: 3u}", UInt(3)),
        ("google.protobuf.BoolValue{}", False),
        ("google.protobuf.StringValue{value: 'x'}", "x"),
        ("google.protobuf.BytesValue{}", b""),
        ("google.protobuf.DoubleValue{value: 0.1}", 0.1),
        ("google.protobuf.FloatValue{value: 0.1}", 0.10000000149011612),  # rounded to float32
        ("google.protobuf.FloatValue{value: 1e300}", math.inf),
        ("google.protobuf.Value{}", None),
        ("google.protobuf.Value{string_value: 'a'}", "a"),
        ("google.protobuf.Struct{fields: {'a': 1}}", {"a": 1.0}),
        ("google.protobuf.ListValue{values: [1, 'b']}", [1.0, "b"]),
        ("google.protobuf.Duration{seconds: 2, nanos: 5}", Duration(2_000_000_005)),
    ],
)
def test_well_known_types_are_their_plain_values(expr: str, expected: object) -> None:
    assert run(expr) == expected
    assert type(run(expr)) is type(expected)


def test_narrow_wrappers_check_their_range() -> None:
    with pytest.raises(CelEvalError, match="int32 out of range"):
        run("google.protobuf.Int32Value{value: 2147483648}")
    with pytest.raises(CelEvalError, match="uint32 out of range"):
        run("google.protobuf.UInt32Value{value: 4294967296u}")
    with pytest.raises(CelEvalError, match="field type mismatch"):
        run("google.protobuf.Int64Value{value: 'x'}")


def test_fields_not_set_read_as_their_defaults() -> None:
    assert run("Widget{}.name") == ""
    assert run("Widget{}.count") == 0
    assert run("Widget{}.size") is None  # a wrapper: null
    assert run("Widget{}.json") is None
    assert run("Widget{}.timeout") == Duration(0)
    assert run("Widget{}.tags") == []
    assert run("Widget{}.labels") == {}
    assert run("Widget{}.part.id") == 0  # an empty message
    assert run("Widget{}.part == Widget.Part{}") is True
    assert run("Legacy{}.name") == "none"  # a proto2 default


def test_presence_proto3_and_proto2() -> None:
    assert run("has(Widget{count: 0}.count)") is False  # proto3: the zero value is not set
    assert run("has(Widget{count: 1}.count)") is True
    assert run("has(Widget{size: 0}.size)") is True  # a wrapper remembers being set
    assert run("has(Widget{tags: []}.tags)") is False
    assert run("has(Widget{part: Widget.Part{}}.part)") is True
    assert run("has(Legacy{count: 0}.count)") is True  # proto2 remembers being set
    assert run("Legacy{count: 0} == Legacy{}") is False
    assert run("Widget{count: 0} == Widget{}") is True


def test_optional_fields_and_selection() -> None:
    assert run("Widget{?count: optional.none()} == Widget{}") is True
    assert run("Widget{?count: optional.of(2)}.count") == 2
    assert run("Widget{}.?count.hasValue()") is False
    assert run("Widget{count: 2}.?count.value()") == 2
    assert run("optional.of(Widget{tags: ['a']}).?tags[0].value()") == "a"
    assert run("optional.ofNonZeroValue(Widget{}).hasValue()") is False


def test_equality_is_field_wise() -> None:
    assert run("Widget{name: 'a', count: 1} == Widget{count: 1, name: 'a'}") is True
    assert run("Widget{name: 'a'} == Widget{count: 1}") is False
    assert run("Widget.Part{weight: double('NaN')} == Widget.Part{weight: double('NaN')}") is False
    assert run("dyn(Widget{}) == dyn(Legacy{})") is False
    assert run("dyn(Widget{}) == null") is False
    assert run("Widget{parts: [Widget.Part{id: 1}]} == Widget{parts: [Widget.Part{id: 1}]}")


def test_narrow_fields_are_checked_when_set() -> None:
    with pytest.raises(CelEvalError, match="int32 out of range"):
        run("Widget{small: 2147483648}")
    with pytest.raises(CelEvalError, match="field type mismatch"):
        run("Widget{name: 1}")
    with pytest.raises(CelEvalError, match="field type mismatch"):
        run("Widget{parts: [Legacy{}]}")
    assert run("Widget{ratio: 0.1}.ratio") == 0.10000000149011612


def test_names_resolve_in_the_container() -> None:
    assert run("example.v1.Widget{count: 1}.count", container="") == 1
    assert run(".example.v1.Widget{count: 1}.count") == 1
    assert run("v1.Widget{count: 1}.count", container="example") == 1
    assert run("type(Widget{}) == Widget") is True
    assert run("type(Widget{})") == CelType("example.v1.Widget")
    with pytest.raises(CelSyntaxError, match="undeclared message type 'Widget'"):
        run("Widget{}", container="")
    with pytest.raises(CelSyntaxError, match="undeclared message type 'Widget'"):
        run(".Widget{}")


def test_undefined_fields_are_refused_when_compiled() -> None:
    with pytest.raises(CelSyntaxError, match="undefined field 'colour' in message"):
        run("Widget{colour: 'red'}")
    with pytest.raises(CelSyntaxError, match="set twice"):
        run("Widget{count: 1, count: 2}")
    with pytest.raises(CelEvalError, match="no such field 'colour'"):
        run("Widget{}.colour")


def test_a_message_can_be_bound_as_a_variable() -> None:
    widget = TYPES.message(f"{PKG}.Widget", {"name": "w", "tags": ["a", "b"]})
    assert isinstance(widget, Message)
    assert run("w.name == 'w' && w.tags.size() == 2 && !has(w.count)", w=widget) is True


def test_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match=r"unknown field type 'example\.v1\.Nothing'"):
        MessageTypes(MessageType("example.v1.A", {"x": "example.v1.Nothing"}))
    with pytest.raises(ValueError, match="declared twice"):
        MessageTypes(MessageType("a.A", {}), MessageType("a.A", {}))
    with pytest.raises(ValueError, match="defaults for no field"):
        MessageTypes(MessageType("a.A", {}, proto2=True, defaults={"x": 1}))


def test_without_declared_types_a_message_literal_is_refused() -> None:
    with pytest.raises(CelSyntaxError, match=r"undeclared message type 'example\.v1\.Widget'"):
        compile_expression("example.v1.Widget{}", frozenset())
