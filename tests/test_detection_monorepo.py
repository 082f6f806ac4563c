"""Detection on a small build of the benchmark monorepo, and that build's determinism."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import attrs
import pytest

from gitops_core.detection import analyze, detect

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def monorepo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("monorepo", BENCHMARKS / "monorepo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


def digest(root: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        sha.update(path.relative_to(root).as_posix().encode())
        if path.is_file():
            sha.update(path.read_bytes())
    return sha.hexdigest()


def test_detect_finds_exactly_the_packages_of_the_synthetic_monorepo(
    monorepo: ModuleType, tmp_path: Path
) -> None:
    stats = monorepo.build_monorepo(tmp_path, packages=120, seed=7, huge_manifest_mb=1)
    assert len(stats.packages) == 120
    assert set(stats.by_type) == {"helm", "kustomize", "raw-manifests"}
    assert stats.files >= 19 * 120
    packages = detect(tmp_path)
    assert {p.path: p.type for p in packages} == stats.packages
    assert all(p.notes == () for p in packages)
    # The platform's Flux and Argo CD objects deploy these already (Git is not even there: the
    # flux-system GitRepository names the repository).
    assert {p.path for p in packages if p.managed_by} == stats.managed
    assert {p.path: p.role for p in packages if p.role != "workload"} == {
        "platform/flux-system": "flux-installation",
        "platform/clusters/dev": "gitops-config",
        "platform/clusters/prod-us": "gitops-config",
        "platform/clusters/staging": "gitops-config",
    }
    for package in packages[::10]:
        # One folder alone: what it is and what deploys it are the whole tree's to say.
        alone = attrs.evolve(package, role="workload", managed_by=())
        assert analyze(package.path, root=tmp_path) == alone


def test_the_same_seed_builds_the_same_tree(monorepo: ModuleType, tmp_path: Path) -> None:
    first = monorepo.build_monorepo(tmp_path / "a", packages=40, seed=3)
    second = monorepo.build_monorepo(tmp_path / "b", packages=40, seed=3)
    other = monorepo.build_monorepo(tmp_path / "c", packages=40, seed=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")
    assert (first.files, first.bytes, first.packages) == (
        second.files,
        second.bytes,
        second.packages,
    )
    assert other.packages != first.packages or other.bytes != first.bytes
