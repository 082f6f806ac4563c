"""Bad providers installed for real: the user sees which distribution is at fault; flux works.

One throwaway distribution, ``gitops-hostile``, registers a provider per fault. It is installed
with pip into a fresh virtual environment beside non-editable installs of gitops-core and
gitops-flux from this checkout, and driven through the installed ``gitops`` command.

"Slow" is not a fault gitops judges: a provider's ``generate`` is computation over answers, and
no time limit would fit every machine. gitops waits for it; Ctrl-C (SIGINT) stops it at once with
"interrupted (Ctrl-C); nothing was written" (exit 130), and nothing is written.
"""

from __future__ import annotations

import json
import signal
import subprocess
import textwrap
import time
import venv
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, args_for, interruptible

pytestmark = pytest.mark.slow

DISTRIBUTION = "gitops-hostile"
FAULTS = ("broken", "raises", "wrongtype", "invalid", "slow", "badname", "misspelt")

PYPROJECT = f"""
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "{DISTRIBUTION}"
version = "6.6.6"
dependencies = ["gitops-core"]

[project.entry-points.gitops_core]
broken = "gitops_hostile.broken:provider"
raises = "gitops_hostile:raises"
wrongtype = "gitops_hostile:wrongtype"
invalid = "gitops_hostile:invalid"
slow = "gitops_hostile:slow"
badname = "gitops_hostile:badname"
misspelt = "gitops_hostile:misspelt"

[tool.hatch.build.targets.wheel]
packages = ["gitops_hostile"]
"""

MODULE = '''
"""One provider per fault; each is a Hostile whose id says what goes wrong."""

import os
import time

from gitops_core import hookimpl
from gitops_core.models import GeneratedOutput
from gitops_core.output import render_documents


class Hostile:
    def __init__(self, provider_id):
        self.provider_id = provider_id

    @hookimpl
    def gitops_provider_id(self):
        return self.provider_id

    @hookimpl
    def gitops_provider_name(self):
        if self.provider_id == "badname" and os.environ.get("HOSTILE_BADNAME"):
            raise RuntimeError("no name today")
        return "Hostile " + self.provider_id

    @hookimpl
    def gitops_questions(self):
        return []

    @hookimpl
    def gitops_schema_dirs(self):
        return []

    @hookimpl
    def gitops_shared_defaults(self):
        return {"targetRevision": "main", "outputPath": "./hostile.yaml"}

    @hookimpl
    def gitops_generate(self, config):
        name = "Not_A_Name" if self.provider_id == "invalid" else config.package.name
        if self.provider_id == "raises":
            raise RuntimeError("boom")
        if self.provider_id == "wrongtype":
            return {"apiVersion": "v1", "kind": "Namespace"}
        if self.provider_id == "slow":
            time.sleep(float(os.environ.get("HOSTILE_SLEEP", "3600")))
        documents = ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},)
        return GeneratedOutput(
            documents=documents,
            manifests=render_documents(documents),
            filename="hostile.yaml",
            description="a Namespace",
        )


raises, wrongtype, invalid, slow, badname = map(
    Hostile, ["raises", "wrongtype", "invalid", "slow", "badname"]
)


class Misspelt(Hostile):
    @hookimpl
    def gitops_generat(self, config):
        raise AssertionError("never called: the provider does not load")


misspelt = Misspelt("misspelt")
'''


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One virtual environment for the module: core + flux from this checkout, and the hostile."""
    where = tmp_path_factory.mktemp("hostile")
    project = where / "gitops-hostile"
    (project / "gitops_hostile").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "gitops_hostile" / "__init__.py").write_text(textwrap.dedent(MODULE))
    (project / "gitops_hostile" / "broken.py").write_text("import kubernetes_magic  # noqa\n")
    venv.EnvBuilder(with_pip=True).create(where / "venv")
    bin_dir = where / "venv" / "bin"
    subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            str(ROOT),
            str(ROOT / "plugins" / "gitops_flux"),
            str(project),
        ],
        check=True,
        timeout=600,
    )
    return bin_dir


def gitops(
    bin_dir: Path, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "gitops"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=120,
    )


def generate_args(provider: str) -> list[str]:
    return ["generate", str(EXAMPLES), "--provider", provider, *args_for("manifests/guestbook")]


def test_providers_lists_the_good_and_names_the_bad_distribution(
    bin_dir: Path, tmp_path: Path
) -> None:
    done = gitops(bin_dir, "providers", "--json", cwd=tmp_path)
    assert done.returncode == 4
    listed = {row["id"]: row["distribution"] for row in json.loads(done.stdout)}
    assert listed["flux"] == "gitops-flux"
    assert {"raises", "wrongtype", "invalid", "slow"} <= set(listed)
    errors = done.stderr.splitlines()
    assert (
        f"gitops: error: provider from {DISTRIBUTION} failed: could not load provider 'broken': "
        "ModuleNotFoundError: No module named 'kubernetes_magic'"
    ) in errors
    assert all(DISTRIBUTION in line for line in errors), errors


@pytest.mark.parametrize(
    ("provider", "problem"),
    [
        ("broken", "could not load provider 'broken': ModuleNotFoundError"),
        ("raises", "gitops_generate raised RuntimeError: boom"),
        ("wrongtype", "gitops_generate returned dict, not GeneratedOutput"),
        (
            "misspelt",
            "provider 'misspelt': unknown hook gitops_generat; did you mean gitops_generate?",
        ),
    ],
)
def test_a_failing_provider_is_exit_4_naming_its_distribution(
    bin_dir: Path, tmp_path: Path, provider: str, problem: str
) -> None:
    done = gitops(bin_dir, *generate_args(provider), "-o", "out.yaml", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"gitops: error: provider from {DISTRIBUTION} failed: {problem}")
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_manifest_is_exit_1_and_nothing_is_written(
    bin_dir: Path, tmp_path: Path
) -> None:
    done = gitops(bin_dir, *generate_args("invalid"), "-o", "out.yaml", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Namespace/Not_A_Name: metadata.name" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_manifest_names_the_distribution(bin_dir: Path, tmp_path: Path) -> None:
    done = gitops(bin_dir, *generate_args("invalid"), "-o", "-", cwd=tmp_path)
    assert DISTRIBUTION in done.stderr


def test_a_provider_whose_name_fails_does_not_hide_the_others(
    bin_dir: Path, tmp_path: Path
) -> None:
    done = gitops(bin_dir, "providers", "--json", cwd=tmp_path, env={"HOSTILE_BADNAME": "1"})
    assert "badname" not in done.stdout and "flux" in done.stdout
    assert f"provider from {DISTRIBUTION} failed: gitops_provider_name raised" in done.stderr


def test_a_slow_provider_is_waited_for_and_ctrl_c_stops_it_cleanly(
    bin_dir: Path, tmp_path: Path
) -> None:
    done = gitops(
        bin_dir, *generate_args("slow"), "-o", "-", cwd=tmp_path, env={"HOSTILE_SLEEP": "1.5"}
    )
    assert done.returncode == 0, done.stderr
    assert "kind: Namespace" in done.stdout
    process = subprocess.Popen(
        [str(bin_dir / "gitops"), *generate_args("slow"), "-o", "out.yaml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        preexec_fn=interruptible,
    )
    time.sleep(2)  # well into the provider's sleep
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 130
    assert stderr.strip() == "gitops: interrupted (Ctrl-C); nothing was written"
    assert list(tmp_path.iterdir()) == []


def test_flux_keeps_working_beside_the_bad_providers(bin_dir: Path, tmp_path: Path) -> None:
    done = gitops(bin_dir, *generate_args("flux"), "-o", "flux.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    checked = gitops(bin_dir, "validate", "flux.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    # The provider that cannot load is a warning here: validation needs only the others' schemas.
    assert f"gitops: warning: provider from {DISTRIBUTION} failed" in checked.stderr
