"""The YAML renderer: what it writes reads back exactly, in YAML 1.1 (Go yaml.v2) and 1.2."""

from __future__ import annotations

import io
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gitops_core.output import needs_quotes, render_documents
from gitops_core.output import render as render_module


def read_yaml12(text: str) -> list[object]:
    return list(YAML(typ="safe", pure=True).load_all(io.StringIO(text)))


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "on",
        "y",
        "N",
        "1e3",
        "0o17",
        "0x1F",
        "1_000",
        "~",
        "null",
        "2026-01-01",
        "1:30",
        ".inf",
        "+1",
        "-.5",
        "12",
        "1.5",
        "",
        "True",
    ],
)
def test_strings_a_go_parser_would_misread_are_quoted(value: str) -> None:
    assert needs_quotes(value)
    text = render_documents([{"k": value}])
    assert f"k: '{value}'" in text


@pytest.mark.parametrize("value", ["5m", "1m0s", "main", "v1.2.3", "1.2.3", "./charts/a", "HEAD"])
def test_ordinary_strings_stay_plain(value: str) -> None:
    assert render_documents([{"k": value}]) == f"---\nk: {value}\n"


scalars = st.one_of(st.text(), st.booleans(), st.integers(), st.none())
documents = st.recursive(
    st.dictionaries(st.text(), scalars, max_size=4),
    lambda children: st.dictionaries(
        st.text(), st.one_of(scalars, children, st.lists(children, max_size=3)), max_size=4
    ),
    max_leaves=20,
)


@given(st.text())
def test_any_string_reads_back_identically_in_yaml_1_1_and_1_2(value: str) -> None:
    text = render_documents([{"value": value, value: "key"}])
    assert yaml.safe_load(text) == {"value": value, value: "key"}
    assert read_yaml12(text) == [{"value": value, value: "key"}]


@given(st.lists(documents, min_size=1, max_size=3))
def test_documents_round_trip_and_render_deterministically(docs: list[dict[str, object]]) -> None:
    text = render_documents(docs)
    assert list(yaml.safe_load_all(text)) == docs
    assert text == render_documents(docs)
    assert text.startswith("---")


def test_shared_objects_are_repeated_not_aliased() -> None:
    shared = {"name": "a"}
    text = render_documents([{"x": shared, "y": shared}])
    assert "&" not in text and "*" not in text


def test_injection_attempts_stay_inside_their_value() -> None:
    hostile = "x\n---\napiVersion: v1\nkind: Secret"
    docs = list(yaml.safe_load_all(render_documents([{"metadata": {"name": hostile}}])))
    assert docs == [{"metadata": {"name": hostile}}]


class _Reference(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's own representer and resolver, with the renderer's string styles."""

    def ignore_aliases(self, data: object) -> bool:
        return True


_Reference.add_representer(str, render_module._represent_str)
any_scalars = st.one_of(
    scalars, st.floats(), st.text(min_size=250, max_size=300), st.sampled_from(["1e3", "y", ""])
)
any_documents = st.recursive(
    st.dictionaries(st.text(max_size=5), any_scalars, max_size=4),
    lambda children: st.dictionaries(
        st.one_of(st.text(max_size=5), st.integers(), st.booleans()),
        st.one_of(
            any_scalars,
            children,
            st.lists(st.one_of(children, any_scalars), max_size=3),
            st.tuples(any_scalars, any_scalars),
        ),
        max_size=4,
    ),
    max_leaves=20,
)


@given(st.lists(any_documents, min_size=1, max_size=3))
def test_rendering_writes_what_pyyaml_dump_all_writes(docs: list[dict[Any, Any]]) -> None:
    expected = yaml.dump_all(
        docs,
        Dumper=_Reference,
        explicit_start=True,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=2**31 - 1,
    )
    assert render_documents(docs) == expected
