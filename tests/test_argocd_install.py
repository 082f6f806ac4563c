"""The core knows the Argo CD provider only through its distribution's entry point.

With gitops-core and gitops-flux installed from this repository (non-editable, in a fresh virtual
environment) and gitops-argocd not installed, the provider does not exist: nothing in the core
can summon it by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# From this file's place, not a fixed checkout path: the suite runs from any clone.
ROOT = Path(__file__).resolve().parents[1]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH: the source tree must not leak into the environment under test.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_without_gitops_argocd_the_provider_is_not_installed(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    assert made.returncode == 0, made.stderr
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    # A fresh venv has no hatchling, so pip builds both projects in isolation (fetching it).
    installed = run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
         str(ROOT), str(ROOT / "plugins" / "gitops_flux")],
        tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr

    listed = run([str(bin_dir / "gitops"), "providers", "--json"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [(p["id"], p["distribution"]) for p in json.loads(listed.stdout)] == [
        ("flux", "gitops-flux")
    ]

    chart = ROOT / "examples"
    for args in (
        ["generate", str(chart), "--provider", "argocd", "--package", "charts/podinfo",
         "--set", "gitRepoUrl=https://github.com/acme/shop.git",
         "--set", "destinationNamespace=shop", "-o", "-"],
        ["questions", "--provider", "argocd", "--json"],
    ):  # fmt: skip
        refused = run([str(bin_dir / "gitops"), *args], tmp_path)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        # With --json the error is a JSON object on stdout as well; without, stdout is empty.
        if "--json" in args:
            assert json.loads(refused.stdout)["exitCode"] == 2
        else:
            assert refused.stdout == ""
        (line,) = refused.stderr.splitlines()
        assert "'argocd' is not installed" in line
        assert "(installed: flux)" in line and "pip install" not in line
