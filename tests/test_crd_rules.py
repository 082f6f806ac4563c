"""Every CRD in shared/crds, converted here, against a valid and an invalid document for each of
its CEL rules (and, for kinds without rules, a valid and an invalid document all the same).

The table below must name every rule the CRDs carry: a rule added upstream fails
``test_every_rule_has_a_case`` until a case is written for it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_core.validation import SchemaStore, load_documents, validate_documents
from gitops_core.validation.convert import convert_files

ROOT = Path(__file__).resolve().parents[1]
CRDS = ROOT.parent / "shared" / "crds"
VALID = ROOT / "tests" / "fixtures" / "validation" / "valid"
pytestmark = pytest.mark.skipif(not CRDS.is_dir(), reason=f"no upstream CRDs at {CRDS}")
DELETE = object()

# (kind, a part of the rule's text) → (patch making the base document satisfy the rule, patch
# making it break the rule). A patch sets fields of the base document's spec (a field's whole
# value); DELETE removes the field.
Case = tuple[str, str, dict[str, Any], dict[str, Any]]
OIDC = [
    {
        "issuerURL": "https://token.actions.githubusercontent.com",
        "audience": "flux",
        "validations": [{"expression": "claims.repository == 'x/y'", "message": "only x/y"}],
    }
]
CASES: list[Case] = [
    ("HelmRelease", "(has(self.chart) && !has(self.chartRef))", {},
     {"chartRef": {"kind": "OCIRepository", "name": "podinfo"}}),
    ("HelmRelease", "self.name != 'RemediateOnFailure'",
     {"install": {"strategy": {"name": "RemediateOnFailure"}}},
     {"install": {"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}}}),
    ("HelmRelease", "self.name == 'RetryOnFailure'",
     {"upgrade": {"strategy": {"name": "RetryOnFailure", "retryInterval": "1m"}}},
     {"upgrade": {"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}}}),
    ("HelmRelease", "has(self.configMapRef) || has(self.secretRef)",
     {"kubeConfig": {"secretRef": {"name": "remote"}}}, {"kubeConfig": {}}),
    ("HelmRelease", "!has(self.configMapRef) || !has(self.secretRef)",
     {"kubeConfig": {"configMapRef": {"name": "remote"}}},
     {"kubeConfig": {"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}}),
    ("Kustomization", "has(self.configMapRef) || has(self.secretRef)",
     {"kubeConfig": {"secretRef": {"name": "remote"}}}, {"kubeConfig": {}}),
    ("Kustomization", "!has(self.configMapRef) || !has(self.secretRef)",
     {"kubeConfig": {"configMapRef": {"name": "remote"}}},
     {"kubeConfig": {"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}}),
    ("ImagePolicy", "!has(self.interval) ||",
     {"interval": DELETE, "digestReflectionPolicy": DELETE},
     {"digestReflectionPolicy": "IfNotPresent"}),
    ("ImagePolicy", "has(self.interval) || !has(self.digestReflectionPolicy)", {},
     {"interval": DELETE}),
    ("Receiver", "self.type != 'generic-oidc' || (has(self.oidcProviders)", {},
     {"type": "generic-oidc", "secretRef": DELETE}),
    ("Receiver", "self.type == 'generic-oidc' || !has(self.oidcProviders)", {},
     {"oidcProviders": OIDC}),
    ("Receiver", "self.type != 'generic-oidc' || !has(self.secretRef)",
     {"type": "generic-oidc", "secretRef": DELETE,
      "oidcProviders": OIDC},
     {"type": "generic-oidc",
      "oidcProviders": OIDC}),
    ("Receiver", "self.type == 'generic-oidc' || has(self.secretRef)", {}, {"secretRef": DELETE}),
    ("Provider", "self.type == 'github' || self.type == 'gitlab'", {"type": "gitlab"},
     {"type": "slack"}),
    ("ArtifactGenerator", "a.name.matches(", {"artifacts": [{"name": "web.v2", "copy": [
        {"from": "@repo/apps/web/**", "to": "@artifact/"}]}]},
     {"artifacts": [{"name": "Web_V2", "copy": [
        {"from": "@repo/apps/web/**", "to": "@artifact/"}]}]}),
    ("Bucket", "self.provider == 'aws' || self.provider == 'generic' || !has(self.sts)",
     {"provider": "aws", "sts": {"provider": "aws", "endpoint": "https://sts.amazonaws.com"}},
     {"provider": "gcp"}),
    ("Bucket", "self.provider != 'aws' || !has(self.sts) || self.sts.provider == 'aws'",
     {"provider": "aws", "sts": {"provider": "aws", "endpoint": "https://sts.amazonaws.com"}},
     {"provider": "aws"}),
    ("Bucket", "self.provider != 'generic' || !has(self.sts) || self.sts.provider == 'ldap'",
     {"provider": "generic"},
     {"provider": "generic", "sts": {"provider": "aws", "endpoint": "https://sts.amazonaws.com"}}),
    ("Bucket", "!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.secretRef)",
     {"provider": "aws", "sts": {"provider": "aws", "endpoint": "https://sts.amazonaws.com"}},
     {"provider": "aws", "sts": {"provider": "aws", "endpoint": "https://sts.amazonaws.com",
                                 "secretRef": {"name": "creds"}}}),
    ("Bucket", "!has(self.sts) || self.sts.provider != 'aws' || !has(self.sts.certSecretRef)",
     {"provider": "aws", "sts": {"provider": "aws", "endpoint": "https://sts.amazonaws.com"}},
     {"provider": "aws", "sts": {"provider": "aws", "endpoint": "https://sts.amazonaws.com",
                                 "certSecretRef": {"name": "ca"}}}),
    ("Bucket", "self.provider != 'generic' || !has(self.serviceAccountName)",
     {"provider": "aws", "sts": DELETE, "serviceAccountName": "reader"},
     {"serviceAccountName": "reader"}),
    ("Bucket", "!has(self.secretRef) || !has(self.serviceAccountName)",
     {"secretRef": {"name": "creds"}},
     {"provider": "aws", "sts": DELETE, "secretRef": {"name": "creds"},
      "serviceAccountName": "reader"}),
    ("GitRepository", "!has(self.serviceAccountName) ||",
     {"provider": "azure", "serviceAccountName": "reader"}, {"serviceAccountName": "reader"}),
    ("HelmChart", "!has(self.verify) || self.sourceRef.kind == 'HelmRepository'", {},
     {"sourceRef": {"kind": "GitRepository", "name": "podinfo"}}),
]  # fmt: skip


def _with_spec(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is DELETE:
            out["spec"].pop(key, None)
        else:
            out["spec"][key] = copy.deepcopy(value)
    return out


def _rules(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from node.get("x-kubernetes-validations", [])
    for sub in node.get("properties", {}).values():
        yield from _rules(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _rules(node[key])


@pytest.fixture(scope="module")
def converted() -> dict[str, dict[str, Any]]:
    """Every CRD in shared/crds, converted in this run (not the committed schemas)."""
    return convert_files([CRDS / "flux", CRDS / "argocd"])


@pytest.fixture(scope="module")
def store(converted: dict[str, dict[str, Any]]) -> SchemaStore:
    return SchemaStore([], converted)


@pytest.fixture(scope="module")
def bases() -> dict[str, dict[str, Any]]:
    """A valid document of each kind, from the valid fixtures (the first of its kind)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(VALID.glob("*.yaml")):
        for document in load_documents(path.read_text()):
            if isinstance(document, dict):
                found.setdefault(document["kind"], document)
    return found


def _problems(document: dict[str, Any], store: SchemaStore) -> list[str]:
    return [
        f"{p.path}: {p.message}" for p in validate_documents([document], source="t", store=store)
    ]


def test_every_crd_converts_and_every_kind_has_a_valid_and_an_invalid_document(
    converted: dict[str, dict[str, Any]], store: SchemaStore, bases: dict[str, dict[str, Any]]
) -> None:
    kinds = {schema["properties"]["kind"]["const"] for schema in converted.values()}
    assert len(converted) == 17  # 14 Flux kinds and 3 Argo CD kinds, one served version each
    assert kinds <= set(bases), sorted(kinds - set(bases))
    for kind in sorted(kinds):
        assert _problems(bases[kind], store) == [], kind
        broken = _with_spec(bases[kind], {"notAField": True})
        assert _problems(broken, store) == ["spec.notAField: unknown field 'notAField'"], kind


def test_every_rule_has_a_case(converted: dict[str, dict[str, Any]]) -> None:
    rules = [
        (schema["properties"]["kind"]["const"], rule["rule"])
        for schema in converted.values()
        for rule in _rules(schema)
    ]
    assert len(rules) == 24
    for kind, rule in rules:
        matching = [c for c in CASES if c[0] == kind and c[1] in rule]
        assert len(matching) == 1, (kind, rule)
    assert len(CASES) == len(rules)


@pytest.mark.parametrize(("kind", "rule", "valid", "invalid"), CASES, ids=lambda v: str(v)[:40])
def test_a_valid_and_an_invalid_document_per_rule(
    kind: str,
    rule: str,
    valid: dict[str, Any],
    invalid: dict[str, Any],
    converted: dict[str, dict[str, Any]],
    store: SchemaStore,
    bases: dict[str, dict[str, Any]],
) -> None:
    [found] = [
        r
        for schema in converted.values()
        if schema["properties"]["kind"]["const"] == kind
        for r in _rules(schema)
        if rule in r["rule"]
    ]
    message = found.get("message") or f"failed rule: {found['rule']}"
    good = _with_spec(bases[kind], valid)
    assert _problems(good, store) == []
    bad = _with_spec(bases[kind], invalid)
    problems = _problems(bad, store)
    assert any(p.endswith(f": {message}") for p in problems), problems
