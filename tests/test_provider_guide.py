"""docs/providers.md, followed to the letter: its walkthrough builds a provider for Rancher
Fleet from the template, adds a document for a kind whose CRD uses ``matches()`` and
``duration()`` (the CRD below stands for the one the guide says to download), converts the CRD
with the documented command, installs with pip into a fresh virtual environment, runs the
provider's tests, generates and validates. Every command and file is taken from the guide.
Then the same provider with a misspelt hook is named, with its distribution, and the wheel
carries the data files.

The README's snippets are checked against what the template writes (fast tests below).
"""

from __future__ import annotations

import re
import subprocess
import time
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from gitops_core.scaffold import provider_files, provider_names

GUIDE = ROOT / "docs" / "providers.md"
WALKTHROUGH = "## Walkthrough: a provider for Rancher Fleet"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FILE_COMMENT = re.compile(r"# (\S+\.\w+)\n")

#: An excerpt of Fleet's GitRepo CRD (fleet.cattle.io/v1alpha1), with the rules of the kind
#: the converter must keep: a regex (matches()) and bounds on a duration (duration()).
FLEET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gitrepos.fleet.cattle.io
spec:
  group: fleet.cattle.io
  names: {kind: GitRepo, listKind: GitRepoList, plural: gitrepos, singular: gitrepo}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              required: [repo]
              x-kubernetes-validations:
                - rule: "!(has(self.branch) && has(self.revision))"
                  message: branch and revision are exclusive
              properties:
                repo:
                  type: string
                  x-kubernetes-validations:
                    - rule: "self.matches('^(https?|ssh)://')"
                      message: repo must be an http(s):// or ssh:// URL
                branch: {type: string, nullable: true}
                revision: {type: string, nullable: true}
                paths:
                  type: array
                  nullable: true
                  items: {type: string}
                targetNamespace: {type: string, nullable: true}
                clientSecretName: {type: string, nullable: true}
                pollingInterval:
                  type: string
                  nullable: true
                  x-kubernetes-validations:
                    - rule: "duration(self) >= duration('15s') && duration(self) <= duration('24h')"
                      message: pollingInterval must be between 15s and 24h
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
"""


@dataclass(frozen=True)
class Step:
    kind: str  #: "run" (a console line), "file" (a file to write) or "expect" (an output)
    text: str
    path: str = ""


def walkthrough() -> list[Step]:
    """The walkthrough's commands and files, in the order the guide gives them."""
    guide = GUIDE.read_text(encoding="utf-8")
    start = guide.index(WALKTHROUGH)
    end = guide.index("\n## ", start + len(WALKTHROUGH))
    steps: list[Step] = []
    for match in FENCE.finditer(guide[start:end]):
        language, body = match.groups()
        if language == "console":
            steps += [Step("run", line[2:]) for line in body.splitlines() if line.startswith("$ ")]
            continue
        first, _, rest = body.partition("\n")
        named = FILE_COMMENT.fullmatch(first + "\n")
        if named is not None:
            steps.append(Step("file", body, named[1]))
        elif first.endswith(", as written"):
            steps.append(Step("expect", rest, first[2:].removesuffix(", as written")))
    return steps


def test_the_walkthrough_is_runnable_as_written() -> None:
    steps = walkthrough()
    commands = [s.text for s in steps if s.kind == "run"]
    assert commands[0] == 'gitops provider new fleet --name "Rancher Fleet"'
    assert any(
        c.startswith("python -m gitops_core.validation.convert fleet-crds.yaml") for c in commands
    )
    assert [s.path for s in steps if s.kind == "file"] == [
        "gitops-fleet/gitops_fleet/questions.yaml",
        "gitops-fleet/gitops_fleet/manifests.yaml",
        "gitops-fleet/gitops_fleet/__init__.py",
        "gitops-fleet/tests/test_gitops_fleet.py",
        "demo/guestbook/deployment.yaml",
    ]
    assert [s.path for s in steps if s.kind == "expect"] == ["fleet-gitrepo.yaml"]


def section(document: Path, heading: str) -> str:
    text = document.read_text(encoding="utf-8")
    start = text.index(heading)
    return text[start : text.find("\n## ", start + len(heading))]


def test_the_snippets_of_the_guide_and_the_readme_are_what_the_template_writes() -> None:
    files = provider_files(provider_names("mytool", "My Tool"))
    for text in (
        section(GUIDE, "## Start from the template"),
        section(ROOT / "README.md", "## Write a provider"),
    ):
        blocks = {language: body for language, body in FENCE.findall(text)}
        assert blocks["toml"] == files["pyproject.toml"]
        commands = [line for line in blocks["console"].splitlines() if line.startswith("$ ")]
        assert commands[:3] == [
            '$ gitops provider new mytool --name "My Tool"',
            "$ pip install -e ./gitops-mytool pytest",
            "$ pytest gitops-mytool",
        ]
    guide = section(GUIDE, "## Start from the template")
    assert files["gitops_mytool/__init__.py"].split('"""\n\n', 1)[1] in guide


def run(command: str, cwd: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(cwd), "LC_ALL": "C.UTF-8"},
        timeout=600,
    )


@pytest.mark.slow
def test_following_the_guide_builds_installs_generates_and_validates(tmp_path: Path) -> None:
    venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    bin_dir = tmp_path / "venv" / "bin"
    installed = run(
        f"pip install --quiet {ROOT}", tmp_path, bin_dir
    )  # "with gitops-core installed"
    assert installed.returncode == 0, installed.stderr
    work = tmp_path / "work"
    work.mkdir()
    (work / "fleet-crds.yaml").write_text(FLEET_CRD)  # "Save the CRD file Fleet publishes"

    started = time.monotonic()
    expected: dict[str, str] = {}
    for step in walkthrough():
        if step.kind == "file":
            (work / step.path).parent.mkdir(parents=True, exist_ok=True)
            (work / step.path).write_text(step.text)
        elif step.kind == "expect":
            expected[step.path] = step.text
        else:
            done = run(step.text, work, bin_dir)
            assert done.returncode == 0, f"$ {step.text}\n{done.stdout}\n{done.stderr}"
    elapsed = time.monotonic() - started
    print(f"following the walkthrough took {elapsed:.0f} s")

    for name, text in expected.items():
        assert yaml.safe_load((work / name).read_text()) == yaml.safe_load(text)
    schema = work / "gitops-fleet/gitops_fleet/schemas/fleet.cattle.io_v1alpha1_gitrepo.json"
    assert "duration(self)" in schema.read_text() and "self.matches(" in schema.read_text()

    generate = (
        "gitops generate demo --provider fleet --package guestbook --defaults -o - "
        "--set destinationNamespace=guestbook"
    )
    url = "--set gitRepoUrl=https://github.com/acme/demo.git"
    # The CRD's own rules run on what the provider writes: duration() ...
    done = run(f"{generate} {url} --set pollingInterval=48h", work, bin_dir)
    assert done.returncode == 1, done.stderr
    assert "spec.pollingInterval: pollingInterval must be between 15s and 24h" in done.stderr
    # ... and matches(): the shared question accepts scp-like URLs, Fleet's CRD does not.
    done = run(f"{generate} --set gitRepoUrl=git@github.com:acme/demo.git", work, bin_dir)
    assert done.returncode == 1, done.stderr
    assert "spec.repo: repo must be an http(s):// or ssh:// URL" in done.stderr
    # The narrowed shared question refuses what Fleet cannot follow, in one line (exit 2).
    done = run(f"{generate} {url} --set 'targetRevision=>=1.0'", work, bin_dir)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "gitops: error: targetRevision: '>=1.0' does not match; expected a branch, tag or commit "
        "(Fleet cannot follow a semver range such as >=1.0)"
    )

    # The wheel users install carries the data files and the schemas.
    built = run("pip wheel --quiet --no-deps ./gitops-fleet -w dist", work, bin_dir)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("gitops_fleet-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "gitops_fleet/questions.yaml",
        "gitops_fleet/manifests.yaml",
        "gitops_fleet/schemas/fleet.cattle.io_v1alpha1_gitrepo.json",
    } <= names

    # The same provider with a misspelt hook: named, with its distribution, when it loads.
    init = work / "gitops-fleet" / "gitops_fleet" / "__init__.py"
    init.write_text(
        init.read_text()
        + "\n\nfrom gitops_core import hookimpl\n\n\n"
        + "class Fleet(DeclarativeProvider):\n"
        + "    @hookimpl\n"
        + "    def gitops_generat(self, config):\n"
        + "        raise AssertionError\n\n\n"
        + 'provider = Fleet("gitops_fleet", functions=provider.functions)\n'
    )
    problem = (
        "gitops: error: provider from gitops-fleet failed: provider 'fleet': unknown hook "
        "gitops_generat; did you mean gitops_generate?"
    )
    listed = run("gitops providers", work, bin_dir)
    assert listed.returncode == 4
    assert listed.stderr.strip() == problem
    done = run(f"{generate} {url}", work, bin_dir)
    assert done.returncode == 4
    assert done.stderr.strip() == problem
    tested = run("pytest -q gitops-fleet", work, bin_dir)
    assert tested.returncode == 1 and "unknown hook gitops_generat" in tested.stdout
