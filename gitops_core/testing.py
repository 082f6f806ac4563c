"""Helpers for testing a provider: load it as ``gitops`` does, generate for a sample package.

::

    from gitops_core.testing import generate, load_provider

    def test_the_entry_point_loads_the_provider() -> None:
        assert load_provider("fleet").name == "Rancher Fleet"

    def test_a_package_gets_a_valid_gitrepo(tmp_path: Path) -> None:
        output = generate(load_provider("fleet"), tmp_path, {"fleetNamespace": "fleet-default"})
        (document,) = output.documents
        assert document["kind"] == "GitRepo"

The helpers run the stage functions every face of ``gitops`` runs (detect, configure,
generate, validate), so what passes here passes for users: the provider's hooks are checked as
on loading (a misspelt hook, a missing one), answers are coerced and checked, and every document
is validated against the provider's schemas before the output is returned. Nothing is written.
``docs/providers.md`` ("Test it") shows them in use. This module imports no test framework.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_core.models import DetectedPackage, GeneratedOutput, PackageType
from gitops_core.plugins import Provider, Providers, load_plugin

if TYPE_CHECKING:
    from gitops_core.bundle import BundleResult
    from gitops_core.git import GitFacts

__all__ = [
    "SAMPLE_ANSWERS",
    "generate",
    "generate_all",
    "load_provider",
    "provider_from",
    "sample_package",
]

#: Answers a sample package needs that only a Git checkout (or the user) would give: used for
#: the questions that have no other default, never over the answers a test gives.
SAMPLE_ANSWERS: Mapping[str, str] = {
    "gitRepoUrl": "https://github.com/example/app.git",
    "targetRevision": "main",
    "destinationNamespace": "app",
}

_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: {name}
          image: nginx:1.27
"""


def load_provider(provider_id: str) -> Provider:
    """The installed provider ``provider_id``, found through its entry point and loaded as
    ``gitops`` loads it: raises :class:`~gitops_core.errors.ProviderError` with the message
    users would see (a missing data file, a misspelt hook, an id that is not the entry
    point's name)."""
    return Providers.discover().get(provider_id)


def provider_from(plugin: object, distribution: str = "<test>") -> Provider:
    """A provider from its plugin object (a ``DeclarativeProvider``, a class instance or a
    module), checked and registered as an installed one would be, without installing it."""
    return load_plugin(plugin, distribution)


def sample_package(
    root: Path, package_type: PackageType = "raw-manifests", name: str = "app"
) -> str:
    """Write a small package of ``package_type`` (one Deployment; for ``kustomize`` with a
    ``kustomization.yaml``, for ``helm`` as a chart's template) into ``root/name``; returns its
    path relative to ``root`` (what ``--package`` takes)."""
    folder = root / name
    files: dict[str, str] = {}
    deployment = _DEPLOYMENT.format(name=name)
    if package_type == "helm":
        files["Chart.yaml"] = f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
        files["values.yaml"] = "replicas: 1\n"
        files["templates/deployment.yaml"] = deployment
    elif package_type == "kustomize":
        files["kustomization.yaml"] = "resources:\n  - deployment.yaml\n"
        files["deployment.yaml"] = deployment
    else:
        files["deployment.yaml"] = deployment
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    return name


def generate(
    provider: Provider | object,
    root: Path,
    answers: Mapping[str, object] | None = None,
    *,
    package: str | None = None,
    package_type: PackageType = "raw-manifests",
) -> GeneratedOutput:
    """Configure, generate and validate one package under ``root`` (a test's ``tmp_path``).

    ``package`` is a package folder of ``root`` (relative); without it a sample package of
    ``package_type`` is written there first (:func:`sample_package`). ``answers`` are given as
    ``--set`` gives them (strings, or JSON-like values); :data:`SAMPLE_ANSWERS` fill what has
    no default. ``provider`` is a loaded :class:`Provider` or a plugin object. Raises what
    ``gitops generate`` would report: :class:`~gitops_core.errors.UsageError` (exit 2) for a
    refused answer, :class:`~gitops_core.errors.InvalidManifestError` (exit 1) for a document
    its schema refuses, :class:`~gitops_core.errors.ProviderError` (exit 4).
    """
    from gitops_core.configuration import configure
    from gitops_core.detection import find_package
    from gitops_core.generation import generate as generate_one
    from gitops_core.git import COMMITTED_OBJECTS, git_facts

    loaded = provider if isinstance(provider, Provider) else provider_from(provider)
    if package is None:
        package = sample_package(root, package_type)
    found = find_package(root, package)
    facts = git_facts(root, grep=COMMITTED_OBJECTS)
    provided = _with_samples(root, found, loaded, facts, answers or {})
    config = configure(root, found, loaded, provided, facts=facts)
    return generate_one(config, loaded)


def generate_all(
    provider: Provider | object,
    root: Path,
    answers: Mapping[str, object] | None = None,
    *,
    package_types: Sequence[PackageType] = ("raw-manifests", "kustomize"),
) -> BundleResult:
    """``generate --all`` for sample packages (one of each of ``package_types``, named after
    their type) under ``root``, into ``root/gitops-<id>``: the validated
    :class:`gitops_core.bundle.BundleResult`, not written."""
    from gitops_core.bundle import generate_all as generate_set

    loaded = provider if isinstance(provider, Provider) else provider_from(provider)
    for package_type in package_types:
        sample_package(root, package_type, name=package_type)
    given = dict(answers or {})
    for question_id in ("gitRepoUrl", "destinationNamespace"):
        given.setdefault(question_id, SAMPLE_ANSWERS[question_id])
    return generate_set(root, loaded, given, root / f"gitops-{loaded.id}")


def _with_samples(
    root: Path,
    package: DetectedPackage,
    provider: Provider,
    facts: GitFacts,
    answers: Mapping[str, object],
) -> dict[str, object]:
    """``answers``, plus a sample answer for each question that would have none."""
    from gitops_core.configuration import prepare

    prepared = prepare(root, package, provider, facts)
    questions = {q.id: q for q in prepared.questions}
    provided = dict(answers)
    for question_id, value in SAMPLE_ANSWERS.items():
        question = questions.get(question_id)
        if question is None or question_id in provided or question_id in prepared.defaults:
            continue
        if question.default is None:
            provided[question_id] = value
    return provided
