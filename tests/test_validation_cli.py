"""``gitops validate``: files, folders, stdin, ``--crd``, exit codes, one line per problem."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import CliRunner, only_line

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "validation"
REPO = FIXTURES / "flux-repo"
BROKEN = FIXTURES / "flux-repo-broken"
FLUX_KINDS = {
    "GitRepository", "HelmRepository", "OCIRepository", "Bucket", "HelmChart", "HelmRelease",
    "Kustomization", "Provider", "Alert", "Receiver", "ImageRepository", "ImagePolicy",
    "ImageUpdateAutomation", "ArtifactGenerator",
}  # fmt: skip

WIDGETS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                replicas: {type: integer}
                hosts:
                  type: array
                  x-kubernetes-list-type: set
                  items: {type: string}
              x-kubernetes-validations:
                - rule: self.replicas <= 5
                  messageExpression: "'at most 5 replicas, not ' + string(self.replicas)"
                - rule: self.hosts.all(h, h.endsWith('.example.com'))
                  message: hosts must be in example.com
"""


def test_a_realistic_flux_repository_passes(cli: CliRunner) -> None:
    result = cli("validate", str(REPO))
    assert result.returncode == 0, result.stdout + result.stderr
    # kustomization.yaml (Kustomize's build file) and a Helm values file are no objects
    assert only_line(result.stdout) == (
        "20 documents in 7 files valid; not checked: 1 kustomization.yaml, "
        "1 file without Kubernetes objects"
    )
    kinds = {
        line.split(":", 1)[1].strip()
        for path in REPO.rglob("*.yaml")
        for line in path.read_text().splitlines()
        if line.startswith("kind:")
    }
    assert kinds >= FLUX_KINDS  # every Flux kind is in it
    assert "&remediation" in (REPO / "infrastructure/controllers/ingress-nginx.yaml").read_text()


def test_a_broken_flux_repository_names_each_problem(cli: CliRunner) -> None:
    result = cli("validate", str(BROKEN))
    assert result.returncode == 1, result.stderr
    lines = [line.removeprefix(f"{BROKEN}/") for line in result.stdout.splitlines()]
    assert lines == [
        "apps/podinfo/bucket.yaml#0 Bucket/backups: spec: 'ldap' is the only supported STS "
        "provider for the 'generic' Bucket provider",
        "apps/podinfo/bucket.yaml#1 HelmRepository/timeout: spec.interval: inf cannot be sent "
        "to the API server: JSON has no NaN or infinity",
        "apps/podinfo/release.yaml#0 ?/?: (root): not valid YAML at line 19: duplicate key "
        "'replicaCount'",
        "clusters/legacy.yaml#0 HelmRelease/legacy: kind: helm.toolkit.fluxcd.io/v2beta1 "
        "HelmRelease is deprecated, and no longer served since Flux 2.7: move to "
        "helm.toolkit.fluxcd.io/v2",
        "clusters/sync.yaml#0 GitRepository/flux-system: metadata.labels[example.org/"
        "a-label-name-that-is-much-too-long-for-kubernetes-to-accept-as-a-key]: key "
        "'example.org/a-label-name-that-is-much-too-long-for-kubernetes-to-accept-as-a-key': "
        "name part must be no more than 63 characters",
        "clusters/sync.yaml#0 GitRepository/flux-system: spec.ref.branch: true is not of type "
        "'string' (YAML reads y/yes/on/true and n/no/off/false as booleans: quote the value)",
        "clusters/sync.yaml#0 GitRepository/flux-system: spec.url: "
        "'git@github.com:example/home-ops.git' does not match '^(http|https|ssh)://.*$'",
        "clusters/sync.yaml#1 Kustomization/apps: metadata.resourceVersion: resourceVersion "
        "should not be set on objects to be created",
        "clusters/sync.yaml#1 Kustomization/apps: spec.prune: 'prune' is a required property",
        "clusters/sync.yaml#1 Kustomization/apps: spec.prunee: unknown field 'prunee'",
    ]
    # what was not checked goes to stderr, so that stdout holds the problems alone
    assert only_line(result.stderr) == (
        "gitops: 10 problems in 4 files checked; not checked: 1 template that is not YAML "
        "before rendering"
    )


def test_json_report(cli: CliRunner) -> None:
    result = cli("validate", str(BROKEN / "clusters"), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["files"] == 2
    assert {p["kind"] for p in report["problems"]} == {
        "GitRepository",
        "Kustomization",
        "HelmRelease",
    }


def test_a_missing_path_is_bad_usage_in_one_line(cli: CliRunner) -> None:
    result = cli("validate", "no-such-folder")
    assert result.returncode == 2
    assert only_line(result.stderr) == "gitops: error: no-such-folder: no such file or folder"
    assert "Errno" not in result.stderr and "Traceback" not in result.stderr


def test_stdin(cli: CliRunner) -> None:
    text = (REPO / "clusters/production/flux-system/gotk-sync.yaml").read_text()
    result = cli("validate", "-", stdin=text)
    assert (result.returncode, only_line(result.stdout)) == (0, "2 documents in 1 file valid")


def test_named_files_are_always_checked(cli: CliRunner) -> None:
    # A file given by name is checked even when it holds no Kubernetes object.
    result = cli("validate", str(REPO / "apps/podinfo/values.yaml"))
    assert result.returncode == 1
    assert "'apiVersion' is a required property" in result.stdout


def test_crds_given_at_run_time(cli: CliRunner, tmp_path: Path) -> None:
    crds = tmp_path / "crds"
    crds.mkdir()
    (crds / "widgets.yaml").write_text(WIDGETS)
    (crds / "README.md").write_text("not a CRD")
    manifest = tmp_path / "widget.yaml"
    manifest.write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
        "spec: {replicas: 7, hosts: [a.example.com, a.example.com, b.example.org]}\n"
    )
    env = {"GITOPS_CACHE_DIR": str(tmp_path / "cache")}
    without = cli("validate", str(manifest), env=env)
    assert without.returncode == 1
    assert "no schema for example.com/v1 Widget" in without.stdout
    for _ in range(2):  # converted once, then read from the cache
        result = cli("validate", str(manifest), "--crd", str(crds), env=env)
        assert result.returncode == 1, result.stderr
        assert result.stdout.splitlines() == [
            f"{manifest}#0 Widget/w: spec: at most 5 replicas, not 7",
            f"{manifest}#0 Widget/w: spec: hosts must be in example.com",
            f'{manifest}#0 Widget/w: spec.hosts[1]: Duplicate value: "a.example.com" '
            "(x-kubernetes-list-type set: each value may appear once; first at [0])",
        ]
    assert len(list((tmp_path / "cache" / "crd-schemas").glob("*.json"))) == 1
    uncached = cli("validate", str(manifest), "--crd", str(crds), env={"GITOPS_CACHE_DIR": ""})
    assert uncached.stdout == result.stdout


def test_a_crd_that_does_not_convert_is_bad_usage(cli: CliRunner, tmp_path: Path) -> None:
    crd = tmp_path / "bad.yaml"
    crd.write_text(WIDGETS.replace("self.replicas <= 5", "self.replicas <="))
    result = cli("validate", str(REPO), "--crd", str(crd), env={"GITOPS_CACHE_DIR": str(tmp_path)})
    assert result.returncode == 2
    line = only_line(result.stderr)
    assert line.startswith(f"gitops: error: --crd {crd}: bad.yaml: Widget v1: .spec: CEL rule")
    empty = tmp_path / "empty.yaml"
    empty.write_text("kind: ConfigMap\n")
    result = cli(
        "validate", str(REPO), "--crd", str(empty), env={"GITOPS_CACHE_DIR": str(tmp_path)}
    )
    assert (result.returncode, only_line(result.stderr)) == (
        2,
        f"gitops: error: --crd {empty}: no CustomResourceDefinition in this file",
    )
