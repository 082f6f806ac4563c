"""The real ``gitops`` command in a subprocess: output shapes, answers, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import EXAMPLES, SOURCE_PATH, CliRunner, args_for, git, only_line

from gitops_core.resources import schema_dir


def test_providers_lists_flux_with_its_distribution(cli: CliRunner) -> None:
    done = cli("providers", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["id"]: row for row in json.loads(done.stdout)}
    assert rows["flux"] == {
        "id": "flux",
        "name": "Flux",
        "distribution": "gitops-flux",
        "version": "0.1.0",
    }


SPEC_KEYS = ("path", "type", "name", "confidence")


def test_detect_json_has_the_spec_shape(cli: CliRunner) -> None:
    done = cli("detect", str(EXAMPLES), "--json")
    assert done.returncode == 0, done.stderr
    packages = json.loads(done.stdout)
    # SPEC §4: these keys first; extra keys (notes, the package's notable files) may follow.
    assert all(list(p)[:4] == list(SPEC_KEYS) for p in packages)
    assert packages[0]["files"] == ["values.yaml"]
    assert [{key: p[key] for key in SPEC_KEYS} for p in packages] == [
        {"path": "charts/podinfo", "type": "helm", "name": "podinfo", "confidence": "high"},
        {"path": "kustomize/base", "type": "kustomize", "name": "base", "confidence": "high"},
        {
            "path": "kustomize/overlays/production",
            "type": "kustomize",
            "name": "production",
            "confidence": "high",
        },
        {
            "path": "manifests/guestbook",
            "type": "raw-manifests",
            "name": "guestbook",
            "confidence": "medium",
        },
    ]


def test_questions_json_is_valid_against_the_question_schema(cli: CliRunner) -> None:
    done = cli("questions", "--provider", "flux", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    schema = json.loads((schema_dir("gitops_core", "") / "question.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    ids = [q["id"] for q in data["questions"]]
    assert ids[:4] == ["gitRepoUrl", "gitRepoPath", "targetRevision", "destinationNamespace"]
    assert ids[-1] == "outputPath"
    assert {"fluxNamespace", "reconcileInterval", "prune"} <= set(ids)


def test_generate_to_stdout_prints_valid_multi_document_yaml(cli: CliRunner) -> None:
    done = cli(
        "generate", str(EXAMPLES), "--provider", "flux", *args_for("charts/podinfo"), "-o", "-"
    )
    assert done.returncode == 0, done.stderr
    assert [d["kind"] for d in yaml.safe_load_all(done.stdout)] == ["GitRepository", "HelmRelease"]
    checked = cli("validate", "-", stdin=done.stdout)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_generate_writes_output_path_and_refuses_to_overwrite(
    cli: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "flux.yaml"
    first = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        *args_for("manifests/guestbook"),
        "-o",
        str(target),
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(
        f"wrote {target} (Flux GitRepository + Kustomization for guestbook)"
    )
    again = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        *args_for("manifests/guestbook"),
        "-o",
        str(target),
    )
    assert again.returncode == 0 and again.stdout.startswith("unchanged:")
    target.write_text("# hand edits\n")
    refused = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        *args_for("manifests/guestbook"),
        "-o",
        str(target),
    )
    assert refused.returncode == 3
    assert (
        only_line(refused.stderr)
        == f"gitops: error: {target} exists with different content; use --force to replace it"
    )
    assert target.read_text() == "# hand edits\n"
    forced = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        *args_for("manifests/guestbook"),
        "-o",
        str(target),
        "--force",
    )
    assert forced.returncode == 0 and "kind: Kustomization" in target.read_text()


def test_output_path_answer_is_used_relative_to_the_working_directory(
    cli: CliRunner, tmp_path: Path
) -> None:
    done = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        *args_for("charts/podinfo"),
        "--set",
        "outputPath=deploy/podinfo.yaml",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (
        (tmp_path / "deploy" / "podinfo.yaml")
        .read_text()
        .startswith("---\napiVersion: source.toolkit")
    )


def test_set_wins_over_the_answers_file_which_wins_over_defaults(
    cli: CliRunner, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "destinationNamespace: from-file\nreconcileInterval: 10m\nprune: false\n"
        "gitRepoUrl: https://github.com/acme/shop.git\n"
    )
    done = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        "--package",
        "kustomize/base",
        "--answers",
        str(answers),
        "--set",
        "destinationNamespace=from-set",
        "-o",
        "-",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    kustomization = result["documents"][-1]
    assert kustomization["spec"]["targetNamespace"] == "from-set"
    assert kustomization["spec"]["interval"] == "10m"
    assert kustomization["spec"]["prune"] is False
    assert result["package"] == {
        "path": "kustomize/base",
        "type": "kustomize",
        "name": "base",
        "confidence": "high",
        "files": ["kustomization.yaml"],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--provider", "nope", *args_for("charts/podinfo")), "provider 'nope' is not installed"),
        (
            ("--provider", "flux", *args_for("charts/podinfo", "--set", "colour=red")),
            "unknown question id colour; known: gitRepoUrl, ",
        ),
        (
            ("--provider", "flux", *args_for("charts/podinfo", "--set", "reconcileInterval=1d")),
            "reconcileInterval: '1d' is not accepted; expected a duration such as 30s, 5m or 1h30m",
        ),
        (
            (
                "--provider",
                "flux",
                *args_for("charts/podinfo", "--set", "gitRepoUrl=ftp://host/repo"),
            ),
            "gitRepoUrl: 'ftp://host/repo' is not a Git URL; expected an https://",
        ),
        (
            ("--provider", "flux", *args_for("../../outside")),
            "package path '../../outside' is outside ",
        ),
        (
            ("--provider", "flux", *args_for("charts/podinfo", "--set", "noequals")),
            "--set 'noequals': expected ID=VALUE",
        ),
        (
            (
                "--provider",
                "flux",
                *args_for("charts/podinfo", "--set", "destinationNamespace=Prod_NS"),
            ),
            "destinationNamespace: 'Prod_NS' is not accepted; expected a DNS-1123 label",
        ),
        (
            (
                "--provider",
                "flux",
                *args_for("charts/podinfo", "--set", "gitRepoPath=../elsewhere"),
            ),
            "gitRepoPath: '../elsewhere' climbs out of the repository",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cli: CliRunner, args: tuple[str, ...], message: str
) -> None:
    done = cli("generate", str(EXAMPLES), *args, "-o", "-")
    assert done.returncode == 2, done.stderr
    assert only_line(done.stderr).startswith(f"gitops: error: {message}"), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_name_that_cannot_become_dns_1123_is_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "日本").mkdir()
    (tmp_path / "日本" / "kustomization.yaml").write_text("resources: []\n")
    done = cli("generate", str(tmp_path), "--provider", "flux", *args_for("日本"), "-o", "-")
    assert done.returncode == 2
    assert only_line(done.stderr) == (
        "gitops: error: missing answer for resourceName (package name '日本' cannot become a "
        "DNS-1123 name): give it with --set resourceName=VALUE or --answers FILE"
    )


def test_credentials_in_the_url_are_refused_and_never_printed(cli: CliRunner) -> None:
    done = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        *args_for("charts/podinfo", "--set", "gitRepoUrl=https://bob:hunter2@github.com/a/b.git"),
        "-o",
        "-",
    )
    assert done.returncode == 2
    assert "hunter2" not in done.stderr + done.stdout
    assert "secretRef" in only_line(done.stderr)


def test_every_missing_required_answer_is_named(cli: CliRunner, tmp_path: Path) -> None:
    done = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        "--package",
        "charts/podinfo",
        "-o",
        "-",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert only_line(done.stderr) == (
        "gitops: error: missing answers for gitRepoUrl, destinationNamespace: "
        "give them with --set ID=VALUE or --answers FILE"
    )


def test_several_packages_without_package_lists_them(cli: CliRunner) -> None:
    done = cli("generate", str(EXAMPLES), "--provider", "flux", "-o", "-")
    assert done.returncode == 2
    assert only_line(done.stderr) == (
        "gitops: error: 4 packages found: charts/podinfo (helm), "
        "kustomize/base (kustomize), kustomize/overlays/production (kustomize), "
        "manifests/guestbook (raw-manifests); point at the package with --package DIR"
    )


def test_defaults_come_from_the_git_checkout(cli: CliRunner, example_repo: Path) -> None:
    git(example_repo, "checkout", "-q", "-b", "release-2")
    git(example_repo, "tag", "v2.0.0")
    # Run from a sub-folder: the path still counts from the repository's top level.
    args = ("generate", ".", "--provider", "flux", "--package", "charts/podinfo",
            "--set", "destinationNamespace=shop", "-o", "-")  # fmt: skip
    done = cli(*args, cwd=example_repo / "deploy")
    assert done.returncode == 0, done.stderr
    source, release = yaml.safe_load_all(done.stdout)
    assert source["spec"]["url"] == "ssh://git@github.com/acme/shop.git"
    assert source["spec"]["ref"] == {"branch": "release-2"}
    assert release["spec"]["chart"]["spec"]["chart"] == "./deploy/charts/podinfo"
    tagged = cli(*args, "--set", "targetRevision=v2.0.0", cwd=example_repo / "deploy")
    assert next(yaml.safe_load_all(tagged.stdout))["spec"]["ref"] == {"tag": "v2.0.0"}


def test_a_token_in_origin_never_becomes_a_default(cli: CliRunner, example_repo: Path) -> None:
    git(
        example_repo,
        "remote",
        "set-url",
        "origin",
        "https://x-access-token:ghp_secret@github.com/acme/shop.git",
    )
    done = cli(
        "generate",
        ".",
        "--provider",
        "flux",
        "--package",
        "deploy/charts/podinfo",
        "--set",
        "destinationNamespace=shop",
        "-o",
        "-",
        cwd=example_repo,
    )
    assert done.returncode == 0, done.stderr
    assert "ghp_secret" not in done.stdout + done.stderr
    assert (
        next(yaml.safe_load_all(done.stdout))["spec"]["url"] == "https://github.com/acme/shop.git"
    )


def test_validate_reports_one_line_per_problem(cli: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: app, namespace: flux-system}\n"
        "spec: {interval: 5m, sourceRef: {kind: GitRepository, name: app}, pathh: ./x}\n"
    )
    done = cli("validate", str(bad))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert f"{bad}#0 Kustomization/app: spec.prune: 'prune' is a required property" in lines[
        0
    ] + "".join(lines)
    assert any("spec.pathh" in line or "pathh" in line for line in lines)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata: {name: app, namespace: flux-system}\n"
            "spec: {interval: 5m, prune: true, sourceRef: {kind: GitRepository, name: app},"
            " targetNamspace: x}\n",
            "#0 Kustomization/app: spec.targetNamspace: unknown field 'targetNamspace'",
        ),
        (
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            "metadata: {name: app, namespace: flux-system}\n"
            "spec: {interval: 5m, sourceRef: {kind: GitRepository, name: app}}\n",
            "#0 Kustomization/app: spec.prune: 'prune' is a required property",
        ),
        (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
            "metadata: {name: app, namespace: flux-system}\nspec: {interval: 5m}\n",
            "#0 HelmRelease/app: spec: either chart or chartRef must be set",
        ),
    ],
)
def test_validate_gives_one_clear_line_per_broken_file(
    cli: CliRunner, tmp_path: Path, document: str, expected: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(document)
    done = cli("validate", str(path))
    assert done.returncode == 1
    assert only_line(done.stdout) == f"{path}{expected}"


def test_a_refused_overwrite_shows_the_diff(cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "flux.yaml"
    target.write_text("---\napiVersion: v1\n")
    done = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        *args_for("charts/podinfo"),
        "-o",
        str(target),
    )
    assert done.returncode == 3
    assert f"--- {target} (existing)" in done.stdout and "+kind: HelmRelease" in done.stdout


JOURNEYS = {
    # journey: (packages copied from examples/, --package or None, expected type)
    "1-helm-auto-detected": (["charts/podinfo"], None, "helm"),
    "2-kustomize-auto-detected": (["kustomize/base"], None, "kustomize"),
    "3-multiple-packages-one-picked": (
        ["charts/podinfo", "kustomize/base", "manifests/guestbook"],
        "kustomize/base",
        "kustomize",
    ),
    "4-nothing-detected-path-given": ([], ".deploy", "raw-manifests"),
    "5-raw-manifests": (["manifests/guestbook"], None, "raw-manifests"),
}


@pytest.mark.parametrize("provider", ["argocd", "flux"])
@pytest.mark.parametrize("journey", sorted(JOURNEYS))
def test_prd_journeys_through_the_cli(
    cli: CliRunner, tmp_path: Path, journey: str, provider: str
) -> None:
    import shutil

    packages, chosen, package_type = JOURNEYS[journey]
    project = tmp_path / "project"
    project.mkdir()
    for package in packages:
        shutil.copytree(EXAMPLES / package, project / package)
    if journey.startswith("4-"):
        # Hidden folders are not scanned, so nothing is detected; the user names the folder.
        (project / ".deploy").mkdir()
        shutil.copy(EXAMPLES / "manifests/guestbook/service.yaml", project / ".deploy" / "svc.yml")
        assert json.loads(cli("detect", str(project), "--json").stdout) == []
        no_package = cli("generate", str(project), "--provider", provider, "-o", "-")
        assert no_package.returncode == 2 and "point at the package with --package DIR" in (
            no_package.stderr
        )
    selection = ["--package", chosen] if chosen else []
    done = cli(
        "generate",
        str(project),
        "--provider",
        provider,
        *selection,
        "--set",
        "gitRepoUrl=https://github.com/acme/shop.git",
        "--set",
        "destinationNamespace=shop",
        "--json",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["package"]["type"] == package_type
    written = project / result["outputPath"]
    checked = cli("validate", str(written))
    assert checked.returncode == 0, checked.stdout


def test_a_tag_that_shares_its_name_with_a_branch_is_a_tag(
    cli: CliRunner, example_repo: Path
) -> None:
    git(example_repo, "tag", "v3")
    git(example_repo, "branch", "v3")
    done = cli("generate", ".", "--provider", "flux", "--package", "deploy/charts/podinfo",
               "--set", "destinationNamespace=shop", "--set", "targetRevision=v3", "-o", "-",
               cwd=example_repo)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert next(yaml.safe_load_all(done.stdout))["spec"]["ref"] == {"tag": "v3"}


def test_validate_reports_every_file_even_after_one_that_is_not_yaml(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "dup.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, name: b}\n"
    )
    (tmp_path / "bad.yaml").write_text("a: [\n")
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n")
    done = cli("validate", "dup.yaml", "bad.yaml", "ok.yaml", "missing-name.yaml", cwd=tmp_path)
    assert done.returncode == 2  # a file that cannot be read is bad usage
    (tmp_path / "missing-name.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {}\n")
    done = cli("validate", "dup.yaml", "bad.yaml", "ok.yaml", "missing-name.yaml", cwd=tmp_path)
    assert done.returncode == 1
    dup, bad, missing = done.stdout.splitlines()
    assert dup == "dup.yaml#0 ?/?: (root): not valid YAML at line 3: duplicate key 'name'"
    # The parser's own words may say more (what it was parsing).
    assert bad.startswith(
        "bad.yaml#0 ?/?: (root): not valid YAML at line 2: did not find expected node content"
    )
    assert missing == (
        "missing-name.yaml#0 Namespace/?: metadata.name: 'name' is a required property"
    )


def test_version_names_every_installed_distribution(cli: CliRunner) -> None:
    done = cli("--version")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("gitops-core ")
    assert any(line.startswith("gitops-flux ") and "(provider flux)" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("detcet", "."), "unknown command 'detcet'; did you mean detect? (commands: providers, "),
        (
            ("generate", ".", "--provder", "flux"),
            "unknown option --provder; did you mean --provider? (see gitops generate --help)",
        ),
        (
            ("questions", "--provider", "Flux"),
            "provider 'Flux' is not installed; did you mean flux? (installed: ",
        ),
        (
            ("questions", "--provider", "fluxcd"),
            "provider 'fluxcd' is not installed; did you mean flux? (installed: ",
        ),
        (
            ("generate", str(EXAMPLES), "--provider", "flux", "--package", "charts/podinfo",
             "--set", "reconcileIntrval=1m", "-o", "-"),
            "unknown question id reconcileIntrval (did you mean reconcileInterval?); known: ",
        ),
        (
            ("questions",),
            "the following arguments are required: --provider (see gitops questions --help)",
        ),
        (("detect", "a", "b"), "unexpected argument 'b' (see gitops detect --help)"),
    ],
)  # fmt: skip
def test_a_mistake_is_one_line_naming_what_was_meant(
    cli: CliRunner, args: tuple[str, ...], message: str
) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert only_line(done.stderr).startswith(f"gitops: error: {message}"), done.stderr
    assert "pip install" not in done.stderr and "usage:" not in done.stderr


def test_with_json_an_error_is_also_a_json_object_on_stdout(cli: CliRunner) -> None:
    done = cli("questions", "--provider", "nope", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)
    assert error == {"error": only_line(done.stderr).removeprefix("gitops: error: "), "exitCode": 2}
    assert error["error"].startswith("provider 'nope' is not installed")
    done = cli("generate", str(EXAMPLES), "--provider", "flux", "-o", "-", "--json")
    assert done.returncode == 2 and json.loads(done.stdout)["exitCode"] == 2
    done = cli("detect", "--json", "--nope")  # refused by the parser: JSON too
    assert json.loads(done.stdout)["error"].startswith("unknown option --nope")


def test_detect_prints_an_aligned_table(cli: CliRunner) -> None:
    done = cli("detect", str(EXAMPLES))
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:3] == ["PATH", "TYPE", "NAME"]
    assert rows[0].split()[:3] == ["charts/podinfo", "helm", "podinfo"]
    assert len(rows) == 4
    for column in ("TYPE", "NAME"):  # every row starts its cells where the header's do
        start = header.index(column)
        assert all(row[start - 2 : start] == "  " and row[start] != " " for row in rows)


def test_detect_finding_nothing_says_so_on_stderr_and_exits_0(
    cli: CliRunner, tmp_path: Path
) -> None:
    done = cli("detect", str(tmp_path))
    assert done.returncode == 0 and done.stdout == ""
    assert only_line(done.stderr) == (
        "gitops: no packages found (no Helm chart, Kustomize overlay or Kubernetes manifests) "
        f"under {tmp_path}"
    )
    done = cli("detect", str(tmp_path), "--json")
    assert done.returncode == 0 and json.loads(done.stdout) == []


def test_completion_scripts_and_completions(cli: CliRunner, tmp_path: Path) -> None:
    for shell in ("bash", "zsh", "fish"):
        done = cli("completion", shell)
        assert done.returncode == 0, done.stderr
        assert "gitops" in done.stdout and "_ARGCOMPLETE" in done.stdout

    def complete(line: str) -> list[str]:
        out = tmp_path / "completions"
        done = cli(
            env={
                "_ARGCOMPLETE": "1",
                "_ARGCOMPLETE_SHELL": "bash",
                "COMP_LINE": line,
                "COMP_POINT": str(len(line)),
                "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
                "_ARGCOMPLETE_IFS": "\n",
            },
        )
        assert done.returncode == 0, done.stderr
        return out.read_text().split()

    assert complete("gitops gen") == ["generate"]
    assert {"argocd", "flux"} <= set(complete("gitops generate --provider "))
    assert "reconcileInterval=" in complete("gitops generate --provider flux --set rec")
    packages = complete(f"gitops generate {EXAMPLES} --package ")
    assert "charts/podinfo" in packages


def test_scripted_commands_never_import_the_prompt_or_completion_libraries(
    cli: CliRunner,
) -> None:
    code = (
        "import sys\n"
        "from gitops_core.cli import main\n"
        f"main(['generate', {str(EXAMPLES)!r}, '--provider', 'flux', '--package', "
        "'charts/podinfo', '--set', 'gitRepoUrl=https://github.com/a/b.git', "
        "'--set', 'destinationNamespace=shop', '-o', '-'])\n"
        "heavy = ('prompt_toolkit', 'questionary', 'argcomplete', 'mcp', 'pydantic')\n"
        "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SOURCE_PATH},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "LOADED []"
