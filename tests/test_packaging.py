"""Real installs into fresh virtual environments: third-party providers and non-editable wheels."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, ROOT, args_for

pytestmark = pytest.mark.slow


def make_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(where)
    return where / "bin"


def pip(bin_dir: Path, *args: str) -> None:
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *args], check=True, timeout=600
    )


def gitops(bin_dir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # Run from a neutral folder so that nothing from the source tree can be imported by accident.
    return subprocess.run(
        [str(bin_dir / "gitops"), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def generate_args(provider: str, package: str) -> list[str]:
    return ["generate", str(EXAMPLES), "--provider", provider, *args_for(package), "-o", "-"]


def test_a_third_party_provider_installs_with_pip_and_generates(tmp_path: Path) -> None:
    bin_dir = make_venv(tmp_path / "venv")
    pip(bin_dir, str(ROOT), str(ROOT / "tests" / "example_provider"))
    listed = gitops(bin_dir, "providers", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {"id": "example", "name": "Example", "distribution": "gitops-example", "version": "1.0.0"}
    ]
    done = gitops(
        bin_dir,
        *generate_args("example", "kustomize/base"),
        "--set",
        "team=payments",
        "--set",
        "targetRevision=v1",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "base", "namespace": "shop", "labels": {"team": "payments"}},
        "data": {
            "repository": "https://github.com/acme/shop.git",
            "path": "examples/kustomize/base",
            "revision": "v1",
            "type": "kustomize",
        },
    }


def test_built_wheels_ship_schemas_and_questions(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    projects = [ROOT, ROOT / "plugins" / "gitops_flux", ROOT / "plugins" / "gitops_argocd"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            *map(str, projects),
        ],
        check=True,
        timeout=600,
    )
    names = sorted(p.name.split("-")[0] for p in wheels.glob("*.whl"))
    assert names == ["gitops_argocd", "gitops_core", "gitops_flux"]
    bin_dir = make_venv(tmp_path / "venv")
    pip(bin_dir, *map(str, wheels.glob("*.whl")))
    site = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import gitops_flux, gitops_core; "
            "print(gitops_flux.__file__); print(gitops_core.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.split()
    assert all("site-packages" in path for path in site)  # really the wheels, not the checkout
    assert (
        Path(site[0]).parent / "_schemas" / "source.toolkit.fluxcd.io_v1_gitrepository.json"
    ).is_file()
    assert (Path(site[1]).parent / "_schemas" / "question.schema.json").is_file()
    for provider, package in [
        ("flux", "charts/podinfo"),
        ("flux", "manifests/guestbook"),
        ("argocd", "kustomize/overlays/production"),
    ]:
        done = gitops(bin_dir, *generate_args(provider, package), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        out = tmp_path / f"{provider}.yaml"
        out.write_text(done.stdout)
        checked = gitops(bin_dir, "validate", str(out), cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    questions = gitops(bin_dir, "questions", "--provider", "flux", "--json", cwd=tmp_path)
    assert "reconcileInterval" in questions.stdout
