"""A provider written against the API documented before the stage modules (0.1.0) keeps
working: ``gitops_core.generation.DeclarativeProvider``, ``object_name`` and ``Context``,
``gitops_core.errors.UsageError``, ``hookimpl`` — with a DeprecationWarning naming the new home."""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, ROOT
from test_packaging import generate_args, gitops, make_venv, pip

from gitops_core import configuration, generation
from gitops_core.detection import find_package
from gitops_core.errors import UsageError
from gitops_core.plugins import Providers

LEGACY = ROOT / "tests" / "legacy_provider"
ANSWERS = {
    "gitRepoUrl": "https://github.com/acme/shop.git",
    "destinationNamespace": "shop",
    "team": "payments",
}


def legacy_module() -> object:
    sys.path.insert(0, str(LEGACY))
    try:
        sys.modules.pop("gitops_legacy", None)
        return importlib.import_module("gitops_legacy")
    finally:
        sys.path.remove(str(LEGACY))


def test_the_old_imports_warn_and_name_the_new_module() -> None:
    with pytest.warns(DeprecationWarning) as caught:
        module = legacy_module()
    messages = {str(w.message) for w in caught}
    assert (
        "gitops_core.generation.DeclarativeProvider moved to "
        "gitops_core.declarative.DeclarativeProvider; import it from there"
    ) in messages
    assert any("gitops_core.generation.object_name moved" in m for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from gitops_core import declarative

    assert type(module.provider) is declarative.DeclarativeProvider  # type: ignore[attr-defined]


def test_an_old_provider_generates_and_refuses_as_before() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = legacy_module()
    plugin = module.provider  # type: ignore[attr-defined]
    provider = Providers.from_plugins({"legacy": plugin}).get("legacy")
    package = find_package(EXAMPLES, "kustomize/base")
    config = configuration.configure(EXAMPLES, package, provider, ANSWERS)
    (document,) = generation.generate(config, provider).documents
    assert document["metadata"] == {
        "name": "base",
        "namespace": "shop",
        "labels": {"team": "payments"},
    }
    refused = configuration.configure(EXAMPLES, package, provider, {**ANSWERS, "team": "nobody"})
    with pytest.raises(UsageError, match="'nobody' owns nothing"):
        generation.generate(refused, provider)


@pytest.mark.slow
def test_an_old_provider_installs_with_pip_and_generates(tmp_path: Path) -> None:
    bin_dir = make_venv(tmp_path / "venv")
    pip(bin_dir, str(ROOT), str(LEGACY))
    listed = gitops(bin_dir, "providers", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {"id": "legacy", "name": "Legacy", "distribution": "gitops-legacy", "version": "0.9.0"}
    ]
    done = gitops(
        bin_dir, *generate_args("legacy", "kustomize/base"), "--set", "team=payments", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["metadata"]["labels"] == {"team": "payments"}
