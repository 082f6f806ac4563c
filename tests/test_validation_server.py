"""What the API server does around the schema, YAML as Go reads it, and Kubernetes' schema
extensions (list types, value validations, embedded resources, formats) and rule options."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import widget_crd

from gitops_core.errors import UsageError
from gitops_core.validation import SchemaStore, load_documents, validate_documents
from gitops_core.validation.convert import convert_text

ROOT = Path(__file__).resolve().parents[1]
STORE = SchemaStore([ROOT / "schemas" / "flux", ROOT / "schemas" / "argocd"])


def check(text: str, store: SchemaStore = STORE) -> list[str]:
    documents = load_documents(text, source="t.yaml")
    return [
        f"{p.path}: {p.message}"
        for p in validate_documents(documents, source="t.yaml", store=store)
    ]


def git_repository(metadata: str = "", spec: str = "", extra: str = "") -> str:
    return (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n"
        f"metadata:\n  name: podinfo\n  namespace: flux-system\n{metadata}"
        f"spec:\n  interval: 1m\n  url: https://github.com/stefanprodan/podinfo\n{spec}{extra}"
    )


# --- YAML as sigs.k8s.io/yaml (go-yaml v2) reads it ---------------------------------------------


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        ("y", True), ("Y", True), ("yes", True), ("on", True), ("n", False), ("N", False),
        ("off", False), ("No", False), ("~", None), ("null", None),
        ("0o17", 15), ("0X1F", 31), ("0x1f", 31), ("0B101", 5), ("017", 15), ("+12", 12),
        ("1_000", 1000), ("1e3", 1000.0), ("08", 8.0), (".5", 0.5), ("1.", 1.0),
        ("1:30", "1:30"), ("=", "="), ("2026-01-01", "2026-01-01"), ("0x", "0x"),
        ("9223372036854775807", 9223372036854775807),
        ("9223372036854775808", 9223372036854775808.0),  # past int64: a float
        ("99999999999999999999999", 1e23),
        ("'y'", "y"), ('"017"', "017"), ("!Secret token", "token"), ("!!str 12", "12"),
    ],
)  # fmt: skip
def test_scalars_read_as_go_reads_them(scalar: str, value: object) -> None:
    [document] = load_documents(f"a: {scalar}\n")
    assert isinstance(document, dict)
    assert document["a"] == value and type(document["a"]) is type(value)


def test_keys_become_strings_as_in_json() -> None:
    [document] = load_documents("y: 1\n1: one\n1.5: x\nfalse: no\n")
    assert document == {"true": 1, "1": "one", "1.5": "x", "false": False}


def test_a_null_key_is_refused_in_one_line() -> None:
    with pytest.raises(UsageError, match=r"^t\.yaml: not valid YAML: unsupported map key"):
        load_documents("~: x\n", source="t.yaml")


def test_an_anchor_defined_twice_is_accepted_and_an_alias_reads_the_latest() -> None:
    text = "a: &x 1\nb: &x 2\nc: *x\nd: {e: &y [1], f: &y [2], g: *y}\n"
    assert load_documents(text) == [{"a": 1, "b": 2, "c": 2, "d": {"e": [1], "f": [2], "g": [2]}}]


def test_nan_and_infinity_cannot_be_sent() -> None:
    for spelling in (".nan", ".inf", "-.Inf"):
        problems = check(git_repository(extra=f"  timeout: {spelling}\n"))
        assert len(problems) == 1
        assert problems[0].startswith("spec.timeout: ")
        assert problems[0].endswith("cannot be sent to the API server: JSON has no NaN or infinity")


def test_yaml_errors_are_whole_sentences_on_one_line() -> None:
    with pytest.raises(UsageError) as raised:
        load_documents("a: *missing\n", source="t.yaml")
    message = str(raised.value)
    assert "\n" not in message and message.startswith("t.yaml: not valid YAML at line 1: ")
    assert "undefined alias" in message


def test_a_boolean_for_a_string_says_why() -> None:
    problems = check(git_repository(spec="  ref:\n    branch: on\n"))
    assert problems == [
        "spec.ref.branch: true is not of type 'string' (YAML reads y/yes/on/true and "
        "n/no/off/false as booleans: quote the value)"
    ]


# --- ObjectMeta as the API server validates it on create -----------------------------------------


def test_an_empty_namespace_is_the_requests() -> None:
    text = git_repository().replace("namespace: flux-system", 'namespace: ""')
    assert check(text) == []


def test_generate_name_without_name_is_explained() -> None:
    text = git_repository().replace("name: podinfo", "generateName: podinfo-")
    assert check(text) == [
        "metadata.name: generateName without a name: a plain create would pick a name, but "
        "GitOps controllers (Flux, Argo CD, kubectl apply) apply objects, and apply needs a name"
    ]


def test_annotation_keys_are_lower_cased_before_checking() -> None:
    good = "  annotations:\n    Example.COM/Owner: team\n    Team: web\n"
    assert check(git_repository(metadata=good)) == []
    bad = "  annotations:\n    example.com/bad key: x\n"
    assert check(git_repository(metadata=bad)) == [
        "metadata.annotations[example.com/bad key]: key 'example.com/bad key': name part must "
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')"
    ]


def test_label_keys_need_a_name_part_of_63_characters_at_most() -> None:
    name = "n" * 64
    labels = f"  labels:\n    example.com/{name}: x\n    {'p' * 254}/a: x\n    ok: ''\n"
    assert check(git_repository(metadata=labels)) == [
        f"metadata.labels[example.com/{name}]: key 'example.com/{name}': name part must be no "
        "more than 63 characters",
        f"metadata.labels[{'p' * 254}/a]: key '{'p' * 254}/a': prefix part must be no more than "
        "253 characters",
    ]
    # Upper case is fine in label keys; a value is at most 63 characters.
    assert check(git_repository(metadata=f"  labels:\n    App: {'v' * 63}\n")) == []
    assert check(git_repository(metadata=f"  labels:\n    app: {'v' * 64}\n")) == [
        f"metadata.labels.app: '{'v' * 64}': must be no more than 63 characters"
    ]


def test_annotations_hold_256_kib_at_most() -> None:
    big = "a" * (256 * 1024 - 20)
    assert check(git_repository(metadata=f"  annotations:\n    note: {big}\n")) == []
    bigger = "a" * (256 * 1024)
    [problem] = check(git_repository(metadata=f"  annotations:\n    note: {bigger}\n"))
    assert problem.startswith("metadata.annotations: Too long: must have at most 262144 bytes")


def test_finalizers_and_owner_references_are_validated() -> None:
    metadata = (
        "  finalizers: [example.com/cleanup, kubernetes, 'bad finalizer']\n"
        "  ownerReferences:\n"
        "    - {apiVersion: v1, kind: ConfigMap, name: a, uid: '1', controller: true}\n"
        "    - {apiVersion: '', kind: Secret, name: b, uid: '2', controller: true}\n"
    )
    assert check(git_repository(metadata=metadata)) == [
        "metadata.finalizers[2]: 'bad finalizer': name part must consist of alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'MyName', or 'my.name', or '123-abc')",
        "metadata.ownerReferences: Only one reference can have Controller set to true",
        "metadata.ownerReferences[1].apiVersion: version must not be empty",
    ]


def test_resource_version_is_refused_and_creation_timestamp_must_parse() -> None:
    metadata = "  resourceVersion: '42'\n  creationTimestamp: yesterday\n"
    assert check(git_repository(metadata=metadata)) == [
        "metadata.creationTimestamp: 'yesterday' is not a time the API server can read "
        "(RFC 3339, such as 2026-01-01T00:00:00Z)",
        "metadata.resourceVersion: resourceVersion should not be set on objects to be created",
    ]
    fine = "  creationTimestamp: null\n"
    assert check(git_repository(metadata=fine)) == []
    fine = "  creationTimestamp: '2026-01-01T00:00:00Z'\n"
    assert check(git_repository(metadata=fine)) == []


def test_status_is_dropped_on_create_but_unknown_fields_in_it_are_reported() -> None:
    status = "status:\n  observedGeneration: not-a-number\n  conditions: 5\n"
    assert check(git_repository(extra=status)) == []
    status = "status:\n  observedGeneration: 1\n  notAField: x\n"
    assert check(git_repository(extra=status)) == ["status.notAField: unknown field 'notAField'"]


# --- schema extensions and rule options, on a CRD converted here ------------------------------


def crd_store(spec: dict[str, Any], status: bool = False) -> SchemaStore:
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec}}},
    }
    if status:
        version["subresources"] = {"status": {}}
    return SchemaStore([], convert_text(json.dumps(widget_crd(version)), "widgets.json"))


def widget(spec: str) -> str:
    return f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w}}\nspec: {spec}\n"


def test_list_type_set_and_map_refuse_duplicates() -> None:
    store = crd_store(
        {
            "type": "object",
            "properties": {
                "tags": {
                    "type": "array",
                    "x-kubernetes-list-type": "set",
                    "items": {"type": "string"},
                },
                "ports": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name", "protocol"],
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "protocol": {"type": "string", "default": "TCP"},
                            "port": {"type": "integer"},
                        },
                    },
                },
                "free": {"type": "array", "items": {"type": "string"}},
            },
        }
    )
    spec = (
        "{tags: [a, b, a], free: [a, a], ports: [{name: http, port: 80}, "
        "{name: http, protocol: UDP, port: 80}, {name: http, protocol: TCP, port: 81}]}"
    )
    assert check(widget(spec), store) == [
        'spec.ports[2]: Duplicate value: {"name": "http", "protocol": "TCP"} '
        "(x-kubernetes-list-type map: each key may appear once; first at [0])",
        'spec.tags[2]: Duplicate value: "a" (x-kubernetes-list-type set: each value may appear '
        "once; first at [0])",
    ]


def test_value_validations_do_not_prune_fields_the_structure_allows() -> None:
    # A typical "one of" written as value validations: the alternatives name only some fields.
    store = crd_store(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "string"},
                "c": {"type": "integer"},
            },
            "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
            "anyOf": [
                {"properties": {"a": {"minLength": 1}}},
                {"properties": {"b": {"minLength": 1}}},
            ],
            "not": {"properties": {"c": {"minimum": 10}}, "required": ["c"]},
        }
    )
    assert check(widget("{a: x, c: 1}"), store) == []
    problems = check(widget("{a: x, b: z, c: 1}"), store)
    assert len(problems) == 1 and "is valid under each of" in problems[0]
    problems = check(widget("{a: x, c: 11}"), store)
    assert len(problems) == 1 and "should not be valid under" in problems[0]


def test_embedded_resources_need_api_version_and_kind() -> None:
    store = crd_store(
        {
            "type": "object",
            "properties": {
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "x-kubernetes-preserve-unknown-fields": True,
                }
            },
        }
    )
    assert check(widget("{template: {apiVersion: v1, kind: ConfigMap, data: {a: b}}}"), store) == []
    assert check(widget("{template: {kind: ConfigMap}}"), store) == [
        "spec.template.apiVersion: 'apiVersion': Required value: must not be empty"
    ]


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("date-time", "2026-01-01T10:00:00Z", "2026-13-01T10:00:00Z"),
        ("date", "2026-02-28", "2026-02-30"),
        ("duration", "1h30m", "soon"),
        ("byte", "aGVsbG8=", "not base64!"),
        ("uuid", "6a2f41a3-c54c-fce8-32d2-0324e1c32e22", "not-a-uuid"),
        ("ipv4", "10.0.0.1", "10.0.0.256"),
        ("ipv6", "fd00::1", "10.0.0.1"),
        ("cidr", "10.0.0.0/8", "10.0.0.0"),
        ("hostname", "example.com", "-bad-.example"),
        ("email", "ops@example.com", "ops"),
        ("int-or-string", "anything", None),  # not a format the API server checks
    ],
)
def test_formats_the_api_server_checks(fmt: str, good: str, bad: str | None) -> None:
    store = crd_store({"type": "object", "properties": {"v": {"type": "string", "format": fmt}}})
    assert check(widget(json.dumps({"v": good})), store) == []
    if bad is not None:
        assert check(widget(json.dumps({"v": bad})), store) == [
            f"spec.v: {bad!r} is not a valid {fmt}"
        ]


def test_cel_sees_typed_values_for_formats_and_numbers() -> None:
    store = crd_store(
        {
            "type": "object",
            "properties": {
                "start": {"type": "string", "format": "date-time"},
                "every": {"type": "string", "format": "duration"},
                "ratio": {"type": "number"},
            },
            "x-kubernetes-validations": [
                {"rule": "self.start + self.every > timestamp('2026-01-01T00:00:00Z')"},
                {"rule": "self.ratio / 2.0 == 0.5"},
            ],
        }
    )
    assert check(widget("{start: '2026-01-01T00:00:00Z', every: 1h, ratio: 1}"), store) == []


def test_message_expression_field_path_and_optional_old_self() -> None:
    store = crd_store(
        {
            "type": "object",
            "properties": {"replicas": {"type": "integer"}, "name": {"type": "string"}},
            "x-kubernetes-validations": [
                {
                    "rule": "self.replicas <= 3",
                    "messageExpression": "'at most 3 replicas, not ' + string(self.replicas)",
                    "fieldPath": ".replicas",
                    "reason": "FieldValueInvalid",
                },
                {
                    # A transition rule that also runs on create, with oldSelf unset.
                    "rule": "!oldSelf.hasValue() ? self.name.startsWith('w-') : true",
                    "optionalOldSelf": True,
                    "message": "new widgets are named w-*",
                },
                {"rule": "self.name == oldSelf.name", "message": "name is immutable"},
            ],
        }
    )
    assert check(widget("{replicas: 1, name: w-1}"), store) == []
    assert check(widget("{replicas: 5, name: x}"), store) == [
        "spec: new widgets are named w-*",
        "spec.replicas: at most 3 replicas, not 5",
    ]


def test_a_hostile_document_cannot_make_a_rule_run_for_long() -> None:
    store = crd_store(
        {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
            "x-kubernetes-validations": [
                {"rule": "self.items.all(a, self.items.all(b, self.items.all(c, a + b + c >= 0)))"},
                {"rule": "size(self.items) >= 0"},
            ],
        }
    )
    document = widget(json.dumps({"items": list(range(2000))}))
    start = time.perf_counter()
    problems = check(document, store)
    assert time.perf_counter() - start < 5
    assert problems == [
        "spec: call cost exceeds limit for rule: "
        "self.items.all(a, self.items.all(b, self.items.all(c, a + b + c >= 0)))"
    ]


def test_the_cost_budget_is_shared_by_a_documents_rules() -> None:
    rules = [{"rule": f"self.items.all(a, self.items.all(b, a + b >= {n}))"} for n in range(-30, 0)]
    store = crd_store(
        {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
            "x-kubernetes-validations": rules,
        }
    )
    problems = check(widget(json.dumps({"items": list(range(400))})), store)
    assert problems == [
        "spec: validation failed due to running out of cost budget, no further validation rules "
        "will be run"
    ]


def test_escaped_property_names_in_rules() -> None:
    store = crd_store(
        {
            "type": "object",
            "properties": {
                "max-size": {"type": "integer"},
                "namespace": {"type": "string"},
                "a.b/c": {"type": "string"},
            },
            "x-kubernetes-validations": [
                {"rule": "self.max__dash__size <= 10", "message": "too big"},
                {"rule": "!has(self.__namespace__) || self.__namespace__ != 'kube-system'"},
                {"rule": "!has(self.a__dot__b__slash__c) || self.a__dot__b__slash__c == 'x'"},
            ],
        }
    )
    assert check(widget("{max-size: 5, namespace: apps, a.b/c: x}"), store) == []
    assert check(widget("{max-size: 50, a.b/c: z}"), store) == [
        "spec: failed rule: !has(self.a__dot__b__slash__c) || self.a__dot__b__slash__c == 'x'",
        "spec: too big",
    ]


def test_regular_expressions_are_re2s_ascii_classes() -> None:
    store = crd_store(
        {
            "type": "object",
            "properties": {
                "id": {"type": "string", "pattern": "^\\d+$"},
                "tag": {"type": "string"},
            },
            "x-kubernetes-validations": [{"rule": "self.tag.matches('^\\\\w+$')"}],
        }
    )
    assert check(widget("{id: '123', tag: abc_1}"), store) == []
    # Python's \d and \w take any Unicode digit or letter; RE2's (the API server's) do not.
    assert check(widget("{id: '١٢٣', tag: 'é'}"), store) == [
        "spec: failed rule: self.tag.matches('^\\\\w+$')",
        "spec.id: '١٢٣' does not match '^\\\\d+$'",
    ]
