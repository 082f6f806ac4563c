"""Real installs into fresh virtual environments: third-party providers and non-editable wheels;
and what the built distributions declare: licence, classifiers, version, readme."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, ROOT, args_for

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dev dependency group brings tomli there
    import tomli as tomllib


@dataclass(frozen=True)
class Distribution:
    name: str
    project: Path  #: the folder holding its pyproject.toml
    package: str  #: the import name
    version_source: Path  #: hatchling's dynamic version: the one place the version is written
    schemas: str  #: the top-level schemas/ folder whose JSON files its wheel ships


def plugin(name: str) -> Distribution:
    project = ROOT / "plugins" / f"gitops_{name}"
    package = f"gitops_{name}"
    return Distribution(
        f"gitops-{name}", project, package, project / package / "_version.py", f"schemas/{name}"
    )


CORE = Distribution(
    "gitops-core", ROOT, "gitops_core", ROOT / "gitops_core" / "__init__.py", "schemas/kubernetes"
)
DISTRIBUTIONS = [CORE, plugin("flux"), plugin("argocd")]
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
CLASSIFIERS = {
    "Development Status :: 3 - Alpha",
    "Intended Audience :: Developers",
    "Intended Audience :: System Administrators",
    "Operating System :: MacOS",
    "Operating System :: POSIX",
    "Operating System :: POSIX :: Linux",
    "Topic :: Software Development :: Code Generators",
    "Topic :: System :: Systems Administration",
    "Typing :: Typed",
    *(f"Programming Language :: Python :: {version}" for version in PYTHONS),
}
LICENSE = ROOT / "LICENSE"


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


def pyproject(folder: Path) -> dict[str, Any]:
    with (folder / "pyproject.toml").open("rb") as file:
        return dict(tomllib.load(file))


def source_version(source: Path) -> str:
    found = re.findall(r'^__version__ = "([^"]+)"$', source.read_text(), re.MULTILINE)
    assert len(found) == 1, f"{source}: {found}"
    return str(found[0])


@pytest.fixture(scope="module")
def source_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels straight from the source folders, as ``pip install plugins/gitops_flux`` builds."""
    into = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(into)]
        + [str(dist.project) for dist in DISTRIBUTIONS],
        check=True,
        timeout=600,
    )
    return into


@pytest.fixture(scope="module")
def sdist_builds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build`` of each: the sdist, then a wheel built from that sdist (PyPI's route)."""
    into = tmp_path_factory.mktemp("dist")
    for dist in DISTRIBUTIONS:
        done = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(into), str(dist.project)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return into


def wheel_of(folder: Path, dist: Distribution) -> Path:
    (wheel,) = folder.glob(f"{dist.package}-*.whl")
    return wheel


def read_metadata(wheel: Path) -> tuple[Message, set[str]]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata,) = (name for name in names if name.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(metadata).decode()), names


def test_one_python_range_everywhere() -> None:
    for project in [*(dist.project for dist in DISTRIBUTIONS), ROOT / "tests" / "example_provider"]:
        assert pyproject(project)["project"]["requires-python"] == ">=3.10", project
    tools = pyproject(ROOT)["tool"]
    assert tools["mypy"]["python_version"] == PYTHONS[0]
    assert tools["ruff"]["target-version"] == "py" + PYTHONS[0].replace(".", "")


def test_one_version_source_per_distribution() -> None:
    for dist in DISTRIBUTIONS:
        config = pyproject(dist.project)
        assert "version" not in config["project"], dist.name
        assert config["project"]["dynamic"] == ["version"], dist.name
        path = config["tool"]["hatch"]["version"]["path"]
        assert dist.project / path == dist.version_source, dist.name
        assert re.fullmatch(r"\d+\.\d+\.\d+", source_version(dist.version_source)), dist.name


def test_every_distribution_declares_the_apache_license() -> None:
    text = LICENSE.read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    for dist in DISTRIBUTIONS:
        config = pyproject(dist.project)["project"]
        assert config["license"] == "Apache-2.0", dist.name
        assert config["license-files"] == ["LICENSE"], dist.name
        # A distribution's files must lie in its folder: the plugins keep an identical copy.
        assert (dist.project / "LICENSE").read_bytes() == LICENSE.read_bytes(), dist.name


def test_plugin_readmes_name_every_question() -> None:
    """Each plugin's README (its PyPI page) lists the provider id and the questions it asks."""
    for dist in DISTRIBUTIONS[1:]:
        readme = (dist.project / "README.md").read_text()
        data = yaml.safe_load((dist.project / dist.package / "questions.yaml").read_text())
        ids = [question["id"] for question in data["questions"]]
        missing = [name for name in ids if f"`{name}`" not in readme]
        assert not missing, f"{dist.project / 'README.md'} does not mention {missing}"
        provider = dist.package.removeprefix("gitops_")
        assert f"provider id `{provider}`" in readme, dist.name


def test_development_tools_are_a_dependency_group_not_an_extra() -> None:
    config = pyproject(ROOT)
    extras = config["project"]["optional-dependencies"]
    assert "test" not in extras  # what users install holds no development tools
    assert extras["mcp"] == ["mcp>=2.3,<3"]
    tools = {re.split(r"[<>=;\s]", item)[0] for item in config["dependency-groups"]["dev"]}
    assert {"pytest", "hypothesis", "mypy", "ruff", "build", "mcp"} <= tools


@pytest.mark.slow
@pytest.mark.parametrize("route", ["source_wheels", "sdist_builds"])
def test_built_wheels_declare_license_classifiers_version_and_readme(
    route: str, request: pytest.FixtureRequest
) -> None:
    folder: Path = request.getfixturevalue(route)
    for dist in DISTRIBUTIONS:
        name = dist.name
        wheel = wheel_of(folder, dist)
        metadata, names = read_metadata(wheel)
        assert metadata["Name"] == name
        assert metadata["Version"] == source_version(dist.version_source), name
        assert metadata["Requires-Python"] == ">=3.10", name
        # PEP 639: the SPDX expression and the file, and no licence classifier beside them.
        assert metadata["License-Expression"] == "Apache-2.0", name
        assert metadata.get_all("License-File") == ["LICENSE"], name
        dist_info = f"{dist.package}-{metadata['Version']}.dist-info"
        with zipfile.ZipFile(wheel) as archive:
            assert archive.read(f"{dist_info}/licenses/LICENSE") == LICENSE.read_bytes(), name
        classifiers = set(metadata.get_all("Classifier") or [])
        assert classifiers >= CLASSIFIERS, (name, CLASSIFIERS - classifiers)
        assert not any(c.startswith("License ::") for c in classifiers), name
        assert not any("Windows" in c or "OS Independent" in c for c in classifiers), name
        pythons = [c.rpartition(" :: ")[2] for c in classifiers if re.search(r":: 3\.\d+$", c)]
        assert sorted(pythons, key=lambda v: int(v.split(".")[1])) == PYTHONS, name
        assert f"{dist.package}/py.typed" in names, name  # what "Typing :: Typed" promises
        keywords = set(metadata["Keywords"].split(","))
        assert {"gitops", "kubernetes", "helm", "kustomize"} <= keywords, name
        assert metadata["Description-Content-Type"] == "text/markdown", name
        readme = (dist.project / "README.md").read_text()
        assert str(metadata.get_payload()).strip() == readme.strip(), name
        if dist is CORE:
            extras = metadata.get_all("Provides-Extra") or []
            assert "mcp" in extras and "test" not in extras
        else:
            assert readme.startswith(f"# {name}\n"), name
            assert metadata.get_all("Provides-Extra") is None, name


@pytest.mark.slow
def test_sdists_are_complete(sdist_builds: Path) -> None:
    """Each sdist carries its licence, readme and schemas, so the wheel built from it has them."""
    for dist in DISTRIBUTIONS:
        stem = f"{dist.package}-{source_version(dist.version_source)}"
        with tarfile.open(sdist_builds / f"{stem}.tar.gz") as archive:
            members = {member.name: member for member in archive.getmembers()}
            # Regular files only: a symbolic link would point outside the unpacked sdist.
            assert all(m.isfile() or m.isdir() for m in members.values()), dist.name
            for file, original in [
                ("PKG-INFO", None),
                ("LICENSE", LICENSE),
                ("README.md", dist.project / "README.md"),
            ]:
                content = archive.extractfile(f"{stem}/{file}")
                assert content is not None, (dist.name, file)
                assert original is None or content.read() == original.read_bytes(), dist.name
        in_sdist = {
            path.rpartition("/")[2]
            for path in members
            if path.startswith(f"{stem}/{dist.schemas}/")
        }
        assert in_sdist == {path.name for path in (ROOT / dist.schemas).glob("*.json")}, dist.name
        _, names = read_metadata(wheel_of(sdist_builds, dist))
        in_wheel = {
            name.rpartition("/")[2]
            for name in names
            if name.startswith(f"{dist.package}/_schemas/")
        }
        assert in_sdist <= in_wheel, dist.name


@pytest.mark.slow
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


@pytest.mark.slow
def test_built_wheels_ship_schemas_and_questions(tmp_path: Path, source_wheels: Path) -> None:
    wheels = source_wheels
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
