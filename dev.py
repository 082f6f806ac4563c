#!/usr/bin/env python3
"""Set up a virtual environment and run the demo, the checks or the benchmarks.

    python3 dev.py demo    # install, then detect and generate for the bundled example
    python3 dev.py test    # install, then ruff, mypy (strict) and the whole test suite
    python3 dev.py bench   # install, then the benchmarks (writes docs/benchmarks.md)

Needs only Python 3.10+ and access to PyPI. The environment lives in .venv and is reinstalled
only when a pyproject.toml or a version changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
PROJECTS = [ROOT, ROOT / "plugins" / "gitops_flux", ROOT / "plugins" / "gitops_argocd"]
# Each distribution's one version source (hatchling's dynamic version), in PROJECTS' order.
VERSION_SOURCES = [
    ROOT / "gitops_core" / "__init__.py",
    ROOT / "plugins" / "gitops_flux" / "gitops_flux" / "_version.py",
    ROOT / "plugins" / "gitops_argocd" / "gitops_argocd" / "_version.py",
]
EXAMPLE_URL = "https://github.com/example/gitops-demo.git"


def run(*command: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(c) for c in command), flush=True)
    return subprocess.run([str(c) for c in command], cwd=ROOT, check=check).returncode


def setup() -> None:
    """Create .venv and install the three distributions (editable) with the development tools.

    The tools are the root pyproject.toml's ``dev`` dependency group (PEP 735), which pip reads
    from 25.1 on: a fresh venv's own pip may be older, so pip is upgraded first.
    """
    stamp = VENV / ".installed"
    # An editable install records the version it was built with: a new version reinstalls too.
    parts = [(p / "pyproject.toml").read_bytes() for p in PROJECTS]
    for source in VERSION_SOURCES:
        lines = source.read_bytes().splitlines()
        parts += [line for line in lines if line.startswith(b"__version__")]
    digest = hashlib.sha256(b"\n".join(parts)).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip>=25.1")
    editable = [arg for p in PROJECTS for arg in ("-e", str(p))]
    group = f"{ROOT / 'pyproject.toml'}:dev"
    run(PYTHON, "-m", "pip", "install", "--quiet", *editable, "--group", group)
    stamp.write_text(digest)


def demo() -> int:
    gitops = BIN / "gitops"
    run(gitops, "providers")
    run(gitops, "detect", "examples")
    for package in ("charts/podinfo", "kustomize/overlays/production", "manifests/guestbook"):
        for provider in ("flux", "argocd"):
            print(f"\n# {provider}: examples/{package}", flush=True)
            run(
                gitops,
                "generate",
                "examples",
                "--provider",
                provider,
                "--package",
                package,
                "--set",
                f"gitRepoUrl={EXAMPLE_URL}",
                "--set",
                "destinationNamespace=demo",
                "--defaults",
                "-o",
                "-",
            )
    return 0


def test() -> int:
    run(PYTHON, "-m", "ruff", "check", ".")
    run(PYTHON, "-m", "mypy")
    return run(PYTHON, "-m", "pytest", *sys.argv[2:], check=False)


def bench() -> int:
    return run(PYTHON, "-m", "benchmarks", *sys.argv[2:], check=False)


def main() -> int:
    commands = {"demo": demo, "test": test, "bench": bench}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    try:
        setup()
        return commands[sys.argv[1]]()
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
