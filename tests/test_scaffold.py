"""``gitops provider new``: a provider distribution that works as written (its own test runs in
a fresh virtual environment in tests/test_provider_guide.py)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
import yaml

from gitops_core.cli import main
from gitops_core.errors import UsageError
from gitops_core.scaffold import TEMPLATE, new_provider, provider_files, provider_names
from gitops_core.testing import generate, provider_from

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dev dependency group brings tomli there
    import tomli as tomllib


def test_every_name_derives_from_the_id() -> None:
    names = provider_names("my-tool")
    assert (names.id, names.name, names.package, names.distribution) == (
        "my-tool",
        "My Tool",
        "gitops_my_tool",
        "gitops-my-tool",
    )
    from gitops_core import __version__

    major, minor = __version__.split(".")[:2]
    assert names.core_requirement == f"gitops-core>={major}.{minor},<{major}.{int(minor) + 1}"


@pytest.mark.parametrize("provider_id", ["Fleet", "my_tool", "-x", "1fleet", "a--b", "x" * 41, ""])
def test_an_id_that_cannot_name_an_entry_point_and_a_package_is_refused(provider_id: str) -> None:
    with pytest.raises(UsageError, match="is not accepted; expected lowercase letters"):
        provider_names(provider_id)


@pytest.mark.parametrize("name", ['Say "hi"', "back\\slash", "{{id}}", "two\nlines", " ", "x" * 61])
def test_a_display_name_that_would_break_a_file_is_refused(name: str) -> None:
    with pytest.raises(UsageError, match=r"provider name .* is not accepted"):
        provider_names("fleet", name)


def test_the_files_are_complete_and_every_placeholder_is_filled() -> None:
    files = provider_files(provider_names("fleet", "Rancher Fleet"))
    assert sorted(files) == [
        "README.md",
        "gitops_fleet/__init__.py",
        "gitops_fleet/manifests.yaml",
        "gitops_fleet/questions.yaml",
        "gitops_fleet/schemas/core_v1_configmap.json",
        "pyproject.toml",
        "tests/test_gitops_fleet.py",
    ]
    assert not [name for name, text in files.items() if "{{" in text]
    project = tomllib.loads(files["pyproject.toml"])
    assert project["build-system"]["build-backend"] == "hatchling.build"
    assert project["project"]["entry-points"]["gitops_core"] == {"fleet": "gitops_fleet:provider"}
    manifests = yaml.safe_load(files["gitops_fleet/manifests.yaml"])
    assert manifests["provider"] == {
        "id": "fleet",
        "name": "Rancher Fleet",
        "filename": "fleet-deploy.yaml",
    }
    assert len(yaml.safe_load(files["gitops_fleet/questions.yaml"])["questions"]) == 1
    assert len(manifests["documents"]) == 1
    assert all(".tmpl" not in name for name in files)
    assert (TEMPLATE / "package" / "schemas" / "core_v1_configmap.json").is_file()


def test_the_new_provider_generates_a_valid_document(tmp_path: Path) -> None:
    folder, written = new_provider("scaffolded", tmp_path / "gitops-scaffolded")
    assert {w.status for w in written} == {"created"}
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module("gitops_scaffolded")
    finally:
        sys.path.remove(str(folder))
    provider = provider_from(module.provider, "gitops-scaffolded")
    output = generate(provider, tmp_path / "repo", {"team": "payments"}, package_type="helm")
    (document,) = output.documents
    assert document["kind"] == "ConfigMap"
    assert document["metadata"]["labels"] == {"team": "payments"}
    assert output.filename == "scaffolded-deploy.yaml"


def test_the_command_writes_the_distribution_and_says_what_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["provider", "new", "fleet", "--name", "Rancher Fleet"]) == 0
    out, err = capsys.readouterr()
    assert out == "gitops-fleet/: the Rancher Fleet provider, gitops-fleet (7 created)\n"
    assert err == "next: pip install -e gitops-fleet pytest && pytest gitops-fleet\n"
    assert (tmp_path / "gitops-fleet" / "gitops_fleet" / "manifests.yaml").is_file()
    # Again: nothing changes; then with another name: refused without --force (exit 3).
    assert main(["provider", "new", "fleet", "--name", "Rancher Fleet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {f["status"] for f in report["files"]} == {"unchanged"}
    assert report["package"] == "gitops_fleet"
    assert main(["provider", "new", "fleet", "--name", "Fleet"]) == 3
    assert "use --force to replace them" in capsys.readouterr().err
    assert main(["provider", "new", "fleet", "--name", "Fleet", "--force"]) == 0
    assert "Fleet provider for gitops" in (tmp_path / "gitops-fleet" / "pyproject.toml").read_text()


def test_a_bad_id_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["provider", "new", "Fleet", "--dir", "x"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("gitops: error: provider id 'Fleet' is not accepted")
    assert not (tmp_path / "x").exists()
