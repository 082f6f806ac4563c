"""Convert CustomResourceDefinition files into the strict JSON Schemas the validator loads.

Usage::

    python -m gitops_core.validation.convert <crd-file-or-dir>... --out <dir> [--license SPDX]

One schema per served version of each CRD, named ``<group>_<version>_<kind lowercased>.json``
(:func:`gitops_core.validation.schema_file_name`), so that a lookup by apiVersion + kind opens
exactly one file. The vendored schemas are made with::

    python -m gitops_core.validation.convert ../shared/crds/flux --out schemas/flux \
        --license Apache-2.0
    python -m gitops_core.validation.convert ../shared/crds/argocd --out schemas/argocd \
        --license Apache-2.0

Each schema's ``$comment`` says where it came from: the apiVersion and kind, the file and the
CustomResourceDefinition's name. A licence is named there only when the caller gives it
(``--license``, the ``license`` argument): the Flux and Argo CD CRDs are Apache-2.0 (see
``SOURCES.md`` beside them), while the licence of any other CRD, such as one given to
``gitops validate --crd``, is not the converter's to assert.

What the conversion does, emulating the API server with ``kubectl --validate=strict``:

- keeps structure, types, enums, patterns, required fields, bounds, formats, defaults and the
  ``x-kubernetes-validations`` rules (each rule must parse, or the conversion fails);
- drops ``description`` texts;
- ``x-kubernetes-int-or-string`` becomes ``type: [integer, string]``, ``nullable`` adds ``null``,
  ``x-kubernetes-preserve-unknown-fields`` leaves the object open; every other object gets
  ``additionalProperties: false``, as strict field validation rejects unknown fields;
- the root requires ``apiVersion``, ``kind`` and ``metadata`` with the CRD's own values, and
  ``metadata`` gets the API server's ObjectMeta shape instead of the CRD's bare ``object``.

The output is deterministic (sorted keys, two-space indent, trailing newline).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from gitops_core.validation import schema_file_name
from gitops_core.validation.cel import CelSyntaxError, parse

JsonSchema = dict[str, Any]

_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Keys of a schema node that hold one sub-schema, or a list of them.
_SUBSCHEMA = frozenset({"items", "additionalProperties", "not"})
_SUBSCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf"})
# Keys consumed by the translation itself.
_TRANSLATED = frozenset(
    {
        "description",
        "nullable",
        "x-kubernetes-int-or-string",
        "x-kubernetes-preserve-unknown-fields",
    }
)
# Rule keys the validator honours; anything else would be silently ignored, so it stops the
# conversion instead. ``reason`` only picks an HTTP status; ``optionalOldSelf`` runs a
# transition rule on create too, with ``oldSelf`` unset.
_RULE_KEYS = frozenset(
    {"rule", "message", "messageExpression", "reason", "fieldPath", "optionalOldSelf"}
)

# An SPDX licence id or expression (``Apache-2.0``, ``MIT OR Apache-2.0``): one line, no
# characters that would break the comment it is written into.
_SPDX_ID = r"[A-Za-z0-9][A-Za-z0-9.+\-]*"
_LICENSE = re.compile(rf"{_SPDX_ID}(?: (?:AND|OR|WITH) {_SPDX_ID})*")

_STRING: JsonSchema = {"type": "string"}
_INTEGER: JsonSchema = {"type": "integer"}

#: ``metadata`` as the API server validates it for every object (apimachinery ObjectMeta):
#: CRDs say only ``type: object``, yet unknown keys there fail strict validation too. Name and
#: namespace syntax are checked by the validator, with the API server's messages.
OBJECT_META: JsonSchema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": _STRING,
        "generateName": _STRING,
        "namespace": _STRING,
        # Keys and values are checked by the validator, as the API server checks them
        # (annotation keys lower-cased first, 256 KiB of annotations in all).
        "labels": {"type": "object", "additionalProperties": _STRING},
        "annotations": {"type": "object", "additionalProperties": _STRING},
        "finalizers": {"type": "array", "items": _STRING},
        "ownerReferences": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["apiVersion", "kind", "name", "uid"],
                "properties": {
                    "apiVersion": _STRING,
                    "kind": _STRING,
                    "name": _STRING,
                    "uid": _STRING,
                    "controller": {"type": "boolean"},
                    "blockOwnerDeletion": {"type": "boolean"},
                },
            },
        },
        "uid": _STRING,
        "resourceVersion": _STRING,
        "generation": _INTEGER,
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": ["string", "null"]},
        "deletionGracePeriodSeconds": _INTEGER,
        "selfLink": _STRING,
        "managedFields": {"type": "array", "items": {"type": "object"}},
    },
}


class ConversionError(Exception):
    """A CRD the converter cannot turn into a faithful schema."""


def convert_node(node: Mapping[str, Any], path: str, structural: bool = True) -> JsonSchema:
    """Translate one ``openAPIV3Schema`` node (and everything below it) to strict JSON Schema.

    ``structural`` is False inside ``anyOf`` / ``oneOf`` / ``allOf`` / ``not``: those are value
    validations, which constrain values but never prune, so no unknown-field strictness there.
    """
    out: JsonSchema = {}
    for key, value in node.items():
        if key in _TRANSLATED:
            continue
        if key == "properties":
            out[key] = {
                name: convert_node(sub, f"{path}.{name}", structural) for name, sub in value.items()
            }
        elif key in _SUBSCHEMA and isinstance(value, Mapping):
            inner = structural and key != "not"
            out[key] = convert_node(value, f"{path}[]" if key == "items" else path, inner)
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [convert_node(sub, path, structural=False) for sub in value]
        elif key == "x-kubernetes-validations":
            out[key] = [_checked_rule(rule, path) for rule in value]
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
        # Structural schemas must spell int-or-string as this anyOf too; the type says it all.
        if out.get("anyOf") == [{"type": "integer"}, {"type": "string"}]:
            del out["anyOf"]
    if node.get("nullable"):
        types = out.get("type")
        if types is not None:
            out["type"] = [*([types] if isinstance(types, str) else types), "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    is_object = out.get("type") == "object" or "properties" in out
    open_object = node.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in out
    if is_object and not open_object and structural:
        out["additionalProperties"] = False
    return out


def _checked_rule(rule: Mapping[str, Any], path: str) -> dict[str, Any]:
    unsupported = sorted(set(rule) - _RULE_KEYS)
    if unsupported or not isinstance(rule.get("rule"), str):
        raise ConversionError(f"{path}: unsupported validation rule {dict(rule)!r} ({unsupported})")
    try:
        parse(rule["rule"])
    except CelSyntaxError as exc:
        raise ConversionError(f"{path}: CEL rule {rule['rule']!r} cannot be parsed: {exc}") from exc
    expression = rule.get("messageExpression")
    if expression is not None:
        if not isinstance(expression, str):
            raise ConversionError(f"{path}: messageExpression must be a string: {expression!r}")
        try:
            parse(expression)
        except CelSyntaxError as exc:
            raise ConversionError(
                f"{path}: messageExpression {expression!r} cannot be parsed: {exc}"
            ) from exc
    return dict(rule)


def provenance(
    api_version: str, kind: str, origin: str, crd_name: str, license: str | None = None
) -> str:
    """The ``$comment`` of a converted schema: what it is and where it came from, and its
    licence only when the caller knows it (``license``, an SPDX id)."""
    source = f"CustomResourceDefinition {crd_name}"
    if license is not None:
        source += f", {license}"
    return (
        f"{api_version} {kind}, generated by gitops_core.validation.convert from {origin} "
        f"({source}); do not edit"
    )


def check_license(license: str | None) -> str | None:
    """``license`` when it is an SPDX id or expression, else :class:`ConversionError`."""
    if license is not None and _LICENSE.fullmatch(license) is None:
        raise ConversionError(
            f"--license {license!r} is not an SPDX licence id or expression (e.g. Apache-2.0)"
        )
    return license


def convert_version(
    crd: Mapping[str, Any],
    version: Mapping[str, Any],
    origin: str,
    license: str | None = None,
) -> tuple[str, JsonSchema]:
    """The file name and schema for one served version of a CRD; ``license`` (an SPDX id) is
    named in the schema's ``$comment`` only when given."""
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    api_version = f"{group}/{version['name']}"
    schema = convert_node(version["schema"]["openAPIV3Schema"], "")
    properties = schema.setdefault("properties", {})
    properties["apiVersion"] = {"type": "string", "const": api_version}
    properties["kind"] = {"type": "string", "const": kind}
    properties["metadata"] = OBJECT_META
    required = schema.setdefault("required", [])
    required.extend(name for name in ("apiVersion", "kind", "metadata") if name not in required)
    subresources = version.get("subresources") or crd["spec"].get("subresources")
    if isinstance(subresources, Mapping) and "status" in subresources:
        # On create, the API server drops status when the status subresource is on.
        schema["x-kubernetes-subresources"] = {"status": {}}
    schema["$schema"] = _SCHEMA_DIALECT
    schema["$comment"] = provenance(
        api_version, kind, origin, crd["metadata"]["name"], check_license(license)
    )
    return schema_file_name(api_version, kind), schema


def convert_crd(
    crd: Mapping[str, Any], origin: str, license: str | None = None
) -> Iterator[tuple[str, JsonSchema]]:
    """Every served version of ``crd``; ``origin`` names its file in the generated comment,
    ``license`` (when given) its licence."""
    for version in crd["spec"]["versions"]:
        if version.get("served", True):
            try:
                yield convert_version(crd, version, origin, license)
            except ConversionError as exc:
                name = f"{crd['spec']['names']['kind']} {version['name']}"
                raise ConversionError(f"{origin}: {name}: {exc}") from exc


def _crd_files(inputs: Sequence[Path]) -> Iterator[Path]:
    for given in inputs:
        if given.is_dir():
            yield from sorted(p for p in given.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            yield given


def convert_text(text: str, origin: str, license: str | None = None) -> dict[str, JsonSchema]:
    """Schemas by file name for every CRD in ``text`` (YAML or JSON, any number of documents;
    other documents are skipped); ``origin`` names the file in messages and comments, and
    ``license`` (an SPDX id, only when known) the licence in the comments."""
    check_license(license)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        documents = list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError as exc:
        raise ConversionError(f"{origin}: not valid YAML: {' '.join(str(exc).split())}") from None
    schemas: dict[str, JsonSchema] = {}
    for document in documents:
        if not (isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition"):
            continue
        try:
            converted = list(convert_crd(document, origin, license))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConversionError(
                f"{origin}: not a complete CustomResourceDefinition: {exc!r}"
            ) from None
        for name, schema in converted:
            if name in schemas:
                raise ConversionError(f"{origin}: {name} is defined twice")
            schemas[name] = schema
    return schemas


def convert_files(inputs: Sequence[Path], license: str | None = None) -> dict[str, JsonSchema]:
    """Schemas by file name for every CRD in ``inputs`` (files, or folders of ``*.yaml``);
    ``license`` is the inputs' licence (an SPDX id), named in the comments only when given."""
    check_license(license)
    schemas: dict[str, JsonSchema] = {}
    for path in _crd_files(inputs):
        text = path.read_text(encoding="utf-8")
        for name, schema in convert_text(text, path.name, license).items():
            if name in schemas:
                raise ConversionError(f"{path}: {name} is defined twice")
            schemas[name] = schema
    if not schemas:
        raise ConversionError("no CustomResourceDefinition found in " + ", ".join(map(str, inputs)))
    return schemas


def render(schema: JsonSchema) -> str:
    """The canonical text of a schema file: byte-identical for identical input."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitops_core.validation.convert",
        description="Convert CRD YAML files into strict JSON Schemas, one per served kind+version.",
    )
    parser.add_argument("inputs", nargs="+", type=Path, help="CRD files, or folders of *.yaml")
    parser.add_argument("--out", required=True, type=Path, help="folder to write the schemas to")
    parser.add_argument(
        "--license",
        metavar="SPDX",
        help="the licence of the input CRDs (an SPDX id such as Apache-2.0), named in each "
        "schema's $comment; without it no licence is named",
    )
    args = parser.parse_args(argv)
    try:
        schemas = convert_files(args.inputs, args.license)
    except (ConversionError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for name, schema in sorted(schemas.items()):
        target = args.out / name
        target.write_text(render(schema), encoding="utf-8", newline="\n")
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
