"""The schema converter: committed schemas are current, rules survive, translation is faithful."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import widget_crd

from gitops_core.validation import SchemaStore, load_documents, validate_documents
from gitops_core.validation.cel import parse
from gitops_core.validation.convert import convert_node, main
from gitops_core.validation.crds import schemas_from_crds

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CRDS = SHARED / "crds"
# The inputs of the committed schemas, as the convert module's docstring gives them, with the
# licence their SOURCES.md records.
SOURCES = {
    "flux": [CRDS / "flux"],
    "argocd": [CRDS / "argocd"],
}
LICENSES = {"flux": "Apache-2.0", "argocd": "Apache-2.0"}
needs_shared = pytest.mark.skipif(
    not CRDS.is_dir(), reason=f"the upstream CRDs are not at {CRDS} (shared/ beside the checkout)"
)


@needs_shared
@pytest.mark.parametrize("provider", sorted(SOURCES))
def test_committed_schemas_are_reproduced_byte_for_byte(
    provider: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*map(str, SOURCES[provider]), "--out", str(tmp_path), "--license", LICENSES[provider]]
    assert main(argv) == 0
    committed = ROOT / "schemas" / provider
    generated = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert generated == {p.name: p.read_bytes() for p in committed.glob("*.json")}
    assert capsys.readouterr().out.splitlines() == [str(tmp_path / n) for n in sorted(generated)]


@needs_shared
@pytest.mark.parametrize("provider", sorted(SOURCES))
def test_the_vendored_licence_is_the_one_the_sources_record(provider: str) -> None:
    sources = (CRDS / provider / "SOURCES.md").read_text(encoding="utf-8")
    assert LICENSES[provider] == "Apache-2.0"
    assert "Apache License 2.0" in sources or "Apache-2.0" in sources
    for path in (ROOT / "schemas" / provider).glob("*.json"):
        comment = json.loads(path.read_text(encoding="utf-8"))["$comment"]
        assert comment.endswith(", Apache-2.0); do not edit"), path.name


def rule_sites(
    node: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, rules) for every schema node carrying ``x-kubernetes-validations``."""
    if "x-kubernetes-validations" in node:
        yield path, node["x-kubernetes-validations"]
    for name, sub in node.get("properties", {}).items():
        yield from rule_sites(sub, (*path, "properties", name))
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from rule_sites(node[key], (*path, key))


def crd_versions() -> Iterator[tuple[str, dict[str, Any]]]:
    for inputs in SOURCES.values():
        for given in inputs:
            for path in sorted(given.glob("*.yaml")) if given.is_dir() else [given]:
                crd = yaml.safe_load(path.read_text())
                for version in crd["spec"]["versions"]:
                    api_version = f"{crd['spec']['group']}/{version['name']}"
                    yield (
                        f"{api_version} {crd['spec']['names']['kind']}",
                        version["schema"]["openAPIV3Schema"],
                    )


@needs_shared
def test_every_crd_rule_is_in_the_converted_schema_and_parses() -> None:
    store = SchemaStore([ROOT / "schemas" / "flux", ROOT / "schemas" / "argocd"])
    rules_seen = 0
    for label, crd_schema in crd_versions():
        converted = store.schema(*label.split())
        assert converted is not None, label
        for path, rules in rule_sites(crd_schema):
            node = converted
            for step in path:
                node = node[step]
            assert node["x-kubernetes-validations"] == rules, (label, path)
            for rule in rules:
                assert not parse(rule["rule"]).is_transition_rule
                rules_seen += 1
    # 5 HelmRelease, 2 Kustomization, 1 GitRepository, 7 Bucket, 1 HelmChart, 1 Provider,
    # 4 Receiver, 2 ImagePolicy, 1 ArtifactGenerator (all() and matches())
    assert rules_seen == 24


def test_translation_of_kubernetes_extensions() -> None:
    node = {
        "type": "object",
        "description": "dropped",
        "required": ["count"],
        "properties": {
            "description": {"type": "string", "description": "a field called description stays"},
            "count": {
                "x-kubernetes-int-or-string": True,
                "anyOf": [{"type": "integer"}, {"type": "string"}],
            },
            "mode": {"type": "string", "nullable": True, "enum": ["a", "b"], "default": "a"},
            "values": {"x-kubernetes-preserve-unknown-fields": True},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "empty": {"type": "object"},
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"a": {"type": "integer", "minimum": 1}}},
            },
        },
        "x-kubernetes-validations": [{"rule": "has(self.count)", "message": "count!"}],
    }
    assert convert_node(node, "") == {
        "type": "object",
        "additionalProperties": False,
        "required": ["count"],
        "properties": {
            "description": {"type": "string"},
            "count": {"type": ["integer", "string"]},
            "mode": {"type": ["string", "null"], "enum": ["a", "b", None], "default": "a"},
            "values": {},
            "extra": {"type": "object"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "empty": {"type": "object", "additionalProperties": False},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"a": {"type": "integer", "minimum": 1}},
                },
            },
        },
        "x-kubernetes-validations": [{"rule": "has(self.count)", "message": "count!"}],
    }


def write_crd(folder: Path, spec_schema: dict[str, Any]) -> Path:
    crd = widget_crd(
        {"name": "v1alpha1", "served": False, "storage": False, "schema": {"openAPIV3Schema": {}}},
        {
            "name": "v1",
            "served": True,
            "storage": True,
            "schema": {
                "openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        "spec": spec_schema,
                    },
                }
            },
        },
    )
    path = folder / "widgets.yaml"
    path.write_text("# a comment document\n---\n" + yaml.safe_dump(crd))
    return path


def test_a_third_party_crd_converts_and_validates(tmp_path: Path) -> None:
    crd = write_crd(
        tmp_path,
        {
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"x-kubernetes-int-or-string": True},
                "color": {"type": "string", "nullable": True},
                "mode": {"type": "string", "default": "fast"},
                "limit": {"type": "integer"},
            },
            "x-kubernetes-validations": [
                {"rule": "self.mode in ['fast', 'slow']", "message": "mode must be fast or slow"},
                {"rule": "self.limit == oldSelf.limit", "message": "limit is immutable"},
                {"rule": "!has(self.limit) || self.limit <= 10"},
            ],
        },
    )
    out = tmp_path / "schemas"
    assert main([str(crd), "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["example.com_v1_widget.json"]
    store = SchemaStore([out])
    text = """\
apiVersion: example.com/v1
kind: Widget
metadata: {name: ok}
spec: {size: "50%", color: null}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: bad}
spec: {size: 1, mode: medium, limit: 11}
---
apiVersion: example.com/v1alpha1
kind: Widget
metadata: {name: not-served}
"""
    problems = validate_documents(load_documents(text), source="w.yaml", store=store)
    assert [str(p) for p in problems] == [
        "w.yaml#1 Widget/bad: spec: failed rule: !has(self.limit) || self.limit <= 10",
        "w.yaml#1 Widget/bad: spec: mode must be fast or slow",
        "w.yaml#2 Widget/not-served: kind: no schema for example.com/v1alpha1 Widget: the CRDs "
        "known here serve example.com/v1",
    ]
    schema = json.loads((out / "example.com_v1_widget.json").read_text())
    assert schema["properties"]["kind"] == {"type": "string", "const": "Widget"}
    assert schema["required"] == ["apiVersion", "kind", "metadata"]
    # Where it came from, and no licence the converter cannot know for someone else's CRD.
    assert schema["$comment"] == (
        "example.com/v1 Widget, generated by gitops_core.validation.convert from widgets.yaml "
        "(CustomResourceDefinition widgets.example.com); do not edit"
    )


def test_a_licence_is_named_only_when_given_and_must_be_spdx(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crd = write_crd(tmp_path, {"type": "object"})
    out = tmp_path / "schemas"
    assert main([str(crd), "--out", str(out), "--license", "MIT OR Apache-2.0"]) == 0
    schema = json.loads((out / "example.com_v1_widget.json").read_text())
    assert schema["$comment"].endswith(
        "(CustomResourceDefinition widgets.example.com, MIT OR Apache-2.0); do not edit"
    )
    capsys.readouterr()
    assert main([str(crd), "--out", str(tmp_path / "x"), "--license", "Apache 2.0); evil"]) == 1
    assert "is not an SPDX licence id or expression" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_crd_given_to_validate_gets_no_licence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITOPS_CACHE_DIR", str(tmp_path / "cache"))
    crd = write_crd(tmp_path, {"type": "object"})
    [schema] = schemas_from_crds([crd]).values()
    assert schema["$comment"] == (
        "example.com/v1 Widget, generated by gitops_core.validation.convert from widgets.yaml "
        "(CustomResourceDefinition widgets.example.com); do not edit"
    )


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"rule": "self.name.frobnicate() == 'a'"}, "cannot be parsed: undeclared reference"),
        ({"rule": "self.name.matches('(a')"}, "cannot be parsed: invalid regular expression"),
        ({"rule": "self.items.all(i, i.x) && i.y"}, "cannot be parsed: undeclared reference"),
        ({"rule": "self.x ==", "message": "m"}, "cannot be parsed: unexpected 'end of expression'"),
        ({"rule": "true", "messageExpression": "'x' +"}, "messageExpression \"'x' +\" cannot"),
        ({"rule": "true", "severity": "warning"}, "unsupported validation rule"),
    ],
)
def test_a_rule_the_validator_cannot_honour_stops_the_conversion(
    rule: dict[str, str], complaint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crd = write_crd(tmp_path, {"type": "object", "x-kubernetes-validations": [rule]})
    out = tmp_path / "schemas"
    assert main([str(crd), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: widgets.yaml: Widget v1: .spec: ")
    assert complaint in error
    assert not out.exists()


def test_input_without_crds_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.yaml").write_text("kind: ConfigMap\n")
    assert main([str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert "no CustomResourceDefinition found" in capsys.readouterr().err
