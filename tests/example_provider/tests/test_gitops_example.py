"""Tests of the example provider: `pip install -e . pytest`, then `pytest`."""

from __future__ import annotations

from pathlib import Path

import gitops_example

from gitops_core.testing import generate, provider_from


def test_a_kustomization_gets_a_configmap_that_records_it(tmp_path: Path) -> None:
    provider = provider_from(gitops_example.provider, "gitops-example")
    output = generate(provider, tmp_path, {"team": "payments"}, package_type="kustomize")
    (document,) = output.documents
    assert document["metadata"]["labels"] == {"team": "payments"}
    assert document["data"]["type"] == "kustomize"


def test_the_configmap_can_be_named(tmp_path: Path) -> None:
    provider = provider_from(gitops_example.provider, "gitops-example")
    output = generate(provider, tmp_path, {"resourceName": "shop-deploy"})
    assert output.documents[0]["metadata"]["name"] == "shop-deploy"
