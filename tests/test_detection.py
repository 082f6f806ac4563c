"""Package detection on fixture trees built in tmp_path: one test per rule, odd files included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_core.detection import _files as files_module
from gitops_core.detection import analyze, detect
from gitops_core.errors import UsageError
from gitops_core.models import DetectedPackage

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"


def tree(root: Path, layout: Mapping[str, str | bytes]) -> Path:
    """Write ``layout`` (relative path -> content; a trailing ``/`` makes an empty folder)."""
    for rel, content in layout.items():
        target = root / rel
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
    return root


def found(root: str | Path) -> dict[str, tuple[str, str, str]]:
    """path -> (type, name, confidence) of everything detected under ``root``."""
    return {p.path: (p.type, p.name, p.confidence) for p in detect(root)}


def only(root: Path) -> DetectedPackage:
    (package,) = detect(root)
    return package


# --- Helm --------------------------------------------------------------------------------------


def test_chart_is_named_by_chart_yaml_and_lists_its_values_files(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "charts/web/Chart.yaml": "apiVersion: v2\nname: frontend\nversion: 1.0.0\n",
            "charts/web/values.yaml": "replicas: 1\n",
            "charts/web/values-prod.yaml": "replicas: 3\n",
            "charts/web/values.schema.json": "{}",
            "charts/web/README.md": "# web\n",
        },
    )
    assert detect(tmp_path) == [
        DetectedPackage(
            path="charts/web",
            type="helm",
            name="frontend",
            confidence="high",
            files=("values.yaml", "values-prod.yaml"),
        )
    ]


def test_everything_below_a_chart_belongs_to_it(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "app/Chart.yaml": "apiVersion: v2\nname: app\n",
            "app/templates/deployment.yaml": DEPLOYMENT,
            "app/templates/tests/pod.yaml": CONFIGMAP,
            "app/crds/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CRD\n",
            "app/charts/redis/Chart.yaml": "apiVersion: v2\nname: redis\n",
            "app/charts/redis/templates/kustomization.yaml": "resources: []\n",
            "app/examples/kustomization.yaml": "resources: []\n",
            "app/examples/raw/cm.yaml": CONFIGMAP,
        },
    )
    assert found(tmp_path) == {"app": ("helm", "app", "high")}


def test_chart_without_a_name_is_named_after_its_folder(tmp_path: Path) -> None:
    tree(tmp_path, {"podinfo/Chart.yaml": "apiVersion: v2\nversion: 1.0.0\n"})
    package = only(tmp_path)
    assert (package.name, package.confidence) == ("podinfo", "low")
    assert package.notes == ("Chart.yaml has no name; named after its folder",)


@pytest.mark.parametrize(
    ("content", "note"),
    [
        ("name: [unclosed\n", "Chart.yaml is not valid YAML; named after its folder"),
        ("- a\n- b\n", "Chart.yaml is not a mapping; named after its folder"),
        (b"\xff\xfe\x00n\x00a", "Chart.yaml is binary data; named after its folder"),
    ],
)
def test_unreadable_chart_yaml_still_marks_a_chart(
    tmp_path: Path, content: str | bytes, note: str
) -> None:
    tree(tmp_path, {"broken/Chart.yaml": content, "broken/templates/cm.yaml": CONFIGMAP})
    assert only(tmp_path) == DetectedPackage(
        path="broken", type="helm", name="broken", confidence="low", notes=(note,)
    )


def test_library_chart_is_not_deployable_and_owns_its_subtree(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "common/Chart.yaml": "apiVersion: v2\nname: common\ntype: library\n",
            "common/templates/_helpers.tpl": '{{- define "x" }}{{ end }}\n',
            "common/examples/cm.yaml": CONFIGMAP,
        },
    )
    assert detect(tmp_path) == []


def test_unknown_chart_type_is_deployable_with_a_note(tmp_path: Path) -> None:
    tree(tmp_path, {"c/Chart.yaml": "apiVersion: v2\nname: c\ntype: plugin\n"})
    package = only(tmp_path)
    assert package.confidence == "low"
    assert package.notes == ("Chart.yaml has an unknown type 'plugin'; taken as an application",)


def test_chart_with_crlf_and_bom_is_read(tmp_path: Path) -> None:
    tree(tmp_path, {"c/Chart.yaml": b"\xef\xbb\xbfapiVersion: v2\r\nname: crlf-chart\r\n"})
    assert found(tmp_path) == {"c": ("helm", "crlf-chart", "high")}


# --- Kustomize ---------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_each_kustomization_file_name_marks_a_kustomization(tmp_path: Path, marker: str) -> None:
    tree(tmp_path, {f"deploy/{marker}": "resources:\n  - cm.yaml\n", "deploy/cm.yaml": CONFIGMAP})
    assert only(tmp_path) == DetectedPackage(
        path="deploy", type="kustomize", name="deploy", confidence="high", files=(marker,)
    )


def test_bases_and_overlays_are_all_listed_but_components_are_not(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "app/base/kustomization.yaml": "resources: [deployment.yaml]\n",
            "app/base/deployment.yaml": DEPLOYMENT,
            "app/overlays/dev/kustomization.yaml": "resources: [../../base]\n",
            "app/overlays/prod/kustomization.yaml": (
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                "resources: [../../base]\ncomponents: [../../components/tls]\n"
            ),
            "app/components/tls/kustomization.yaml": (
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
            ),
        },
    )
    assert found(tmp_path) == {
        "app/base": ("kustomize", "base", "high"),
        "app/overlays/dev": ("kustomize", "dev", "high"),
        "app/overlays/prod": ("kustomize", "prod", "high"),
    }


def test_folders_below_a_kustomization_are_judged_on_their_own(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "deploy/kustomization.yaml": "resources: [manifests/cm.yaml]\n",
            "deploy/manifests/cm.yaml": CONFIGMAP,
            "deploy/overlays/prod/kustomization.yaml": "resources: [../..]\n",
        },
    )
    assert found(tmp_path) == {
        "deploy": ("kustomize", "deploy", "high"),
        "deploy/manifests": ("raw-manifests", "manifests", "medium"),
        "deploy/overlays/prod": ("kustomize", "prod", "high"),
    }


@pytest.mark.parametrize(
    ("layout", "note"),
    [
        (
            {"kustomization.yaml": "", "kustomization.yml": ""},
            "both kustomization.yaml and kustomization.yml: kustomize refuses to build it",
        ),
        ({"kustomization.yaml": "kind: [Kustom\n"}, "kustomization.yaml is not valid YAML"),
        ({"kustomization.yaml": "- a\n"}, "kustomization.yaml is not a mapping"),
        (
            {"Kustomization": "kind: ConfigMap\n"},
            "Kustomization has an unexpected kind 'ConfigMap'",
        ),
    ],
)
def test_odd_kustomizations_are_listed_with_a_note(
    tmp_path: Path, layout: dict[str, str], note: str
) -> None:
    tree(tmp_path / "k", layout)
    package = only(tmp_path)
    assert (package.type, package.confidence, package.notes) == ("kustomize", "low", (note,))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v2\nname: web\ntype: application\n", {"name": "web", "type": "application"}),
        ("# header\n\nname: 'web'  # quoted\r\ndependencies:\n  - name: db\n", {"name": "web"}),
        ('version: 1\nname: "my.chart"\n', {"name": "my.chart"}),
        ("description: x\n", {}),
        ("", None),
        ("---\nname: web\n", None),
        ('"name": web\n', None),
        ("<<: *base\nname: web\n", None),
        ("? name\n: web\n", None),
        ("- name: web\n", None),
        ("{name: web}\n", None),
        ("name: web\nname: api\n", None),
        ("name: yes\n", None),
        ("name: 1.0\n", None),
        ("name: &n web\n", None),
        ("name: !!str web\n", None),
        ("name:\n  web\n", None),
        ("name: web\n  continued\n", None),
        ("name: web#not-a-comment\n", None),
        ('name: "esc\\"aped"\n', None),
    ],
)
def test_the_top_level_line_scan_is_sure_or_says_so(
    text: str, expected: dict[str, str] | None
) -> None:
    assert files_module.scan_top_level(text, ("name", "type")) == expected


def test_markers_are_not_linted(tmp_path: Path) -> None:
    # The scan tells name and kind without a parse; deploying reports the broken YAML.
    tree(
        tmp_path,
        {
            "c/Chart.yaml": "name: c\ndependencies: [\n",
            "k/kustomization.yaml": "resources: [\n",
        },
    )
    assert found(tmp_path) == {"c": ("helm", "c", "high"), "k": ("kustomize", "k", "high")}


def test_empty_kustomization_is_a_kustomization(tmp_path: Path) -> None:
    tree(tmp_path, {"k/kustomization.yaml": "# nothing yet\n"})
    assert found(tmp_path) == {"k": ("kustomize", "k", "high")}


def test_chart_with_a_kustomization_is_kustomize_like_argo_cd_builds_it(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "kustomized-helm/Chart.yaml": "apiVersion: v2\nname: guestbook\n",
            "kustomized-helm/values.yaml": "a: 1\n",
            "kustomized-helm/kustomization.yaml": "resources: [all.yaml]\n",
            "kustomized-helm/templates/kustomization.yaml": "resources: []\n",
        },
    )
    package = only(tmp_path)
    assert (package.path, package.type, package.name, package.confidence) == (
        "kustomized-helm",
        "kustomize",
        "guestbook",
        "low",
    )
    assert package.files == ("kustomization.yaml", "values.yaml")
    assert "both Chart.yaml and kustomization.yaml" in package.notes[0]


# --- Raw manifests -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(DEPLOYMENT, id="plain"),
        pytest.param("---\n" + DEPLOYMENT, id="leading-marker"),
        pytest.param("---\n---\n# only a comment\n---\n" + DEPLOYMENT, id="empty-documents"),
        pytest.param("%YAML 1.2\n---\n" + DEPLOYMENT + "...\n", id="directive-and-end"),
        pytest.param(DEPLOYMENT + "---\n" + CONFIGMAP, id="multi-document"),
        pytest.param(
            "# Copyright header\n# spanning lines\n\n" + DEPLOYMENT + "spec: {}  # trailing\n",
            id="comments",
        ),
        pytest.param(DEPLOYMENT.replace("\n", "\r\n"), id="crlf"),
        pytest.param("\ufeff" + DEPLOYMENT, id="bom"),
        pytest.param('"apiVersion": "v1"\n\'kind\': ConfigMap\n', id="quoted-keys"),
        pytest.param("{apiVersion: v1, kind: ConfigMap}\n", id="flow-style"),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n",
            id="yaml-list-kind",
        ),
        pytest.param(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  project: x\n",
            id="custom-resource",
        ),
    ],
)
def test_yaml_manifests_make_a_raw_manifest_folder(tmp_path: Path, content: str) -> None:
    tree(tmp_path, {"manifests/app.yaml": content})
    assert only(tmp_path) == DetectedPackage(
        path="manifests", type="raw-manifests", name="manifests", confidence="medium"
    )


@pytest.mark.parametrize(
    "document",
    [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}},
        {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod"}]},
    ],
)
def test_json_manifests_make_a_raw_manifest_folder(
    tmp_path: Path, document: dict[str, object]
) -> None:
    tree(tmp_path, {"json/service.json": json.dumps(document, indent=2)})
    assert found(tmp_path) == {"json": ("raw-manifests", "json", "medium")}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("list.json", json.dumps([{"apiVersion": "v1", "kind": "Pod"}])),
        ("list.yaml", "- apiVersion: v1\n  kind: Pod\n"),
    ],
)
def test_a_bare_list_of_objects_counts_with_a_note(tmp_path: Path, name: str, content: str) -> None:
    tree(tmp_path, {f"m/{name}": content})
    package = only(tmp_path)
    assert package.confidence == "low"
    assert package.notes == (
        f"{name}: a list of objects, not one object or a v1 List; kubectl does not apply it as is",
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("ci.yaml", "stages: [build]\nbuild:\n  script: make\n", id="ci"),
        pytest.param("config.json", '{"name": "x", "kind": 3}', id="json-config"),
        pytest.param(
            "schema.json",
            json.dumps({"properties": {"apiVersion": {"type": "string"}, "kind": {}}}),
            id="json-schema-nested-keys",
        ),
        pytest.param(
            "crd-schema.yaml",
            "properties:\n  apiVersion:\n    type: string\n  kind:\n    type: string\n",
            id="yaml-nested-keys",
        ),
        pytest.param("numbers.yaml", "apiVersion: 1\nkind: 2\n", id="non-string-values"),
        pytest.param("empty.yaml", "apiVersion:\nkind: ConfigMap\n", id="empty-api-version"),
        pytest.param("only-kind.yaml", "kind: ConfigMap\n", id="no-api-version"),
        pytest.param("second.yaml", "name: x\n---\n" + CONFIGMAP, id="first-document-decides"),
        pytest.param(
            "skaffold.yaml", "apiVersion: skaffold/v4beta6\nkind: Config\n", id="skaffold"
        ),
        pytest.param(
            "kind.yaml", "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\n", id="kind-cluster"
        ),
        pytest.param("kubeconfig.yaml", "apiVersion: v1\nkind: Config\n", id="kubeconfig"),
        pytest.param(
            "kubelet.yaml",
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
            id="component-config",
        ),
        pytest.param(
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\n",
            id="backstage",
        ),
        pytest.param("deploy.jsonnet", '{apiVersion: "v1", kind: "Pod"}', id="jsonnet"),
        pytest.param("notes.txt", CONFIGMAP, id="other-extension"),
    ],
)
def test_other_files_make_no_package(tmp_path: Path, name: str, content: str) -> None:
    tree(tmp_path, {f"folder/{name}": content})
    assert detect(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "content", "note"),
    [
        (
            "a-template.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
            "a-template.yaml: skipped, not valid YAML (a template?)",
        ),
        ("a-binary.yaml", b"apiVersion\0kind\0\x89PNG", "a-binary.yaml: skipped, binary data"),
        (
            "a-latin1.yaml",
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: caf\xe9\n".encode("latin-1"),
            "a-latin1.yaml: skipped, not UTF-8 text",
        ),
        (
            "a-broken.json",
            '{"apiVersion": "v1", "kind": "Pod",',
            "a-broken.json: skipped, not valid YAML (a template?)",
        ),
    ],
)
def test_unparseable_files_are_skipped_with_a_note(
    tmp_path: Path, name: str, content: str | bytes, note: str
) -> None:
    tree(tmp_path, {f"m/{name}": content, "m/b-good.yaml": CONFIGMAP})
    package = only(tmp_path)
    assert (package.type, package.confidence, package.notes) == ("raw-manifests", "low", (note,))
    tree(tmp_path, {f"templates-only/{name}": content})
    assert [p.path for p in detect(tmp_path)] == ["m"]


def test_sniffing_stops_at_the_first_file_that_proves_the_folder(tmp_path: Path) -> None:
    tree(tmp_path, {"m/a.yaml": CONFIGMAP, "m/z-template.yaml": "kind: {{ x }}\napiVersion: v1\n"})
    assert only(tmp_path).notes == ()


def test_jsonnet_beside_manifests_is_noted(tmp_path: Path) -> None:
    tree(tmp_path, {"m/cm.yaml": CONFIGMAP, "m/app.jsonnet": "{}"})
    assert only(tmp_path).notes == (
        "has .jsonnet files: Argo CD evaluates them, Flux and kubectl ignore them",
    )


def test_uppercase_extensions_count(tmp_path: Path) -> None:
    tree(tmp_path, {"m/CM.YAML": CONFIGMAP})
    assert found(tmp_path) == {"m": ("raw-manifests", "m", "medium")}


def _write_huge(path: Path, head: str, filler: str, tail: str, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as stream:
        stream.write(head)
        chunk = filler * ((1 << 20) // len(filler))
        written = len(head)
        while written < size:
            stream.write(chunk)
            written += len(chunk)
        stream.write(tail)


@pytest.fixture
def read_bytes_counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every byte count that detection asks ``os.read`` for."""
    asked: list[int] = []
    real_read = os.read

    def read(fd: int, size: int) -> bytes:
        asked.append(size)
        return real_read(fd, size)

    monkeypatch.setattr("gitops_core.detection._files.os.read", read)
    yield asked


@pytest.mark.parametrize(
    ("name", "head", "filler", "tail"),
    [
        pytest.param(
            "configmap.yaml", CONFIGMAP + "  big: |\n", "    0123456789abcdef\n", "", id="yaml"
        ),
        pytest.param(
            "configmap.json",
            '{"apiVersion": "v1", "metadata": {"name": "x", "labels": {"kind": "{"}},'
            ' "kind": "ConfigMap", "data": {"big": "',
            "0123456789abcdef",
            '"}}',
            id="json",
        ),
        pytest.param(
            "list.json",
            '[{"apiVersion": "v1", "kind": "ConfigMap", "data": {"big": "',
            "0123456789abcdef",
            '"}}]',
            id="json-array",
        ),
    ],
)
def test_a_50_mb_manifest_is_found_without_reading_it_whole(
    tmp_path: Path, read_bytes_counter: list[int], name: str, head: str, filler: str, tail: str
) -> None:
    _write_huge(tmp_path / "big" / name, head, filler, tail, 50 << 20)
    tracemalloc.start()
    try:
        packages = detect(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(p.path, p.type) for p in packages] == [("big", "raw-manifests")]
    assert packages[0].confidence == ("low" if name == "list.json" else "medium")
    assert sum(read_bytes_counter) <= 64 << 10
    assert peak < 4 << 20


def test_a_huge_file_that_is_not_a_manifest_is_cheap_too(
    tmp_path: Path, read_bytes_counter: list[int]
) -> None:
    _write_huge(
        tmp_path / "data" / "dump.json", '{"rows": [', '"apiVersion kind",', '""]}', 8 << 20
    )
    assert detect(tmp_path) == []
    assert sum(read_bytes_counter) <= 64 << 10


# --- What is not scanned -----------------------------------------------------------------------


def test_hidden_dependency_and_virtualenv_folders_are_not_scanned(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            ".github/workflows/kustomization.yaml": "resources: []\n",
            ".git/objects/cm.yaml": CONFIGMAP,
            "web/node_modules/pkg/Chart.yaml": "name: pkg\n",
            "go/vendor/k8s.io/api/cm.yaml": CONFIGMAP,
            "py/__pycache__/cm.yaml": CONFIGMAP,
            "py/env/pyvenv.cfg": "home = /usr/bin\n",
            "py/env/lib/site-packages/chart/Chart.yaml": "name: vendored\n",
            "deploy/cm.yaml": CONFIGMAP,
        },
    )
    assert list(found(tmp_path)) == ["deploy"]


def test_the_given_folder_is_scanned_whatever_its_name(tmp_path: Path) -> None:
    root = tree(tmp_path / ".deploy", {"cm.yaml": CONFIGMAP, "vendor/cm.yaml": CONFIGMAP})
    assert found(root) == {".": ("raw-manifests", ".deploy", "medium")}


def test_symlinked_folders_are_not_followed_and_links_do_no_harm(tmp_path: Path) -> None:
    tree(tmp_path, {"real/cm.yaml": CONFIGMAP, "shared/Chart.yaml": "name: shared\n"})
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "real" / "self.yaml").symlink_to(tmp_path / "real" / "self.yaml")
    (tmp_path / "dangling").mkdir()
    (tmp_path / "dangling" / "Chart.yaml").symlink_to(tmp_path / "missing.yaml")
    (tmp_path / "dangling" / "gone").symlink_to(tmp_path / "missing", target_is_directory=True)
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "cm.yaml").symlink_to(tmp_path / "real" / "cm.yaml")
    assert found(tmp_path) == {
        "linked": ("raw-manifests", "linked", "medium"),
        "real": ("raw-manifests", "real", "medium"),
        "shared": ("helm", "shared", "high"),
    }


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_called_yaml_is_never_opened(tmp_path: Path) -> None:
    tree(tmp_path, {"m/cm.yaml": CONFIGMAP})
    os.mkfifo(tmp_path / "m" / "a-pipe.yaml")
    os.mkfifo(tmp_path / "m" / "Chart.yaml")
    assert found(tmp_path) == {"m": ("raw-manifests", "m", "medium")}


def test_an_unreadable_folder_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Tests often run as root, which reads any folder: make scandir refuse one instead.
    tree(tmp_path, {"locked/cm.yaml": CONFIGMAP, "open/cm.yaml": CONFIGMAP})
    locked = str(tmp_path / "locked")
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if path == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr("gitops_core.detection._scan.os.scandir", scandir)
    assert list(found(tmp_path)) == ["open"]
    assert f"skipped {locked}: cannot read folder (Permission denied)" in caplog.text


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_is_skipped_for_real(tmp_path: Path) -> None:
    tree(tmp_path, {"locked/cm.yaml": CONFIGMAP, "open/cm.yaml": CONFIGMAP})
    (tmp_path / "locked").chmod(0)
    try:
        assert list(found(tmp_path)) == ["open"]
        with pytest.raises(UsageError, match="cannot read folder"):
            detect(tmp_path / "locked")
    finally:
        (tmp_path / "locked").chmod(0o755)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_manifest_is_noted(tmp_path: Path) -> None:
    tree(tmp_path, {"m/a.yaml": CONFIGMAP, "m/b.yaml": CONFIGMAP})
    (tmp_path / "m" / "a.yaml").chmod(0)
    assert only(tmp_path).notes == ("a.yaml: skipped, cannot read it (Permission denied)",)


# --- Output: order, paths, names ---------------------------------------------------------------


def test_output_is_sorted_by_path_with_slashes_and_dot_for_the_root(tmp_path: Path) -> None:
    root = tree(
        tmp_path / "my-repo",
        {
            "cm.yaml": CONFIGMAP,
            "z/cm.yaml": CONFIGMAP,
            "a-b/cm.yaml": CONFIGMAP,
            "a/b/c/kustomization.yaml": "",
            "a/Chart.yaml": "name: a-chart\n",  # owns a/b/c
            "m/n/Chart.yaml": "name: deep\n",
        },
    )
    packages = detect(root)
    assert [(p.path, p.name) for p in packages] == [
        (".", "my-repo"),
        ("a", "a-chart"),
        ("a-b", "a-b"),
        ("m/n", "deep"),
        ("z", "z"),
    ]
    assert [p.path for p in packages] == sorted(p.path for p in packages)


def test_root_given_with_a_trailing_separator_or_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree(tmp_path / "repo", {"cm.yaml": CONFIGMAP})
    monkeypatch.chdir(tmp_path / "repo")
    assert found(Path(".")) == {".": ("raw-manifests", "repo", "medium")}
    assert found(str(tmp_path / "repo") + os.sep) == {".": ("raw-manifests", "repo", "medium")}


def test_detect_refuses_what_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file.yaml").write_text(CONFIGMAP)
    with pytest.raises(UsageError, match=r"missing: no such folder$"):
        detect(tmp_path / "missing")
    with pytest.raises(UsageError, match=r"file\.yaml: not a folder$"):
        detect(tmp_path / "file.yaml")


def test_an_empty_tree_has_no_packages(tmp_path: Path) -> None:
    assert detect(tmp_path) == []


# --- analyze: the folder the user points at ----------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return tree(
        tmp_path / "repo",
        {
            "charts/web/Chart.yaml": "name: web\n",
            "charts/web/templates/cm.yaml": CONFIGMAP,
            "deploy/kustomization.yaml": "",
            "deploy/components/tls/kustomization.yaml": "kind: Component\n",
            "kubernetes/cm.yaml": CONFIGMAP,
            "docs/index.md": "# docs\n",
        },
    )


def test_analyze_classifies_a_folder_like_detect(repo: Path) -> None:
    for package in detect(repo):
        assert analyze(package.path, root=repo) == package
    assert analyze(repo / "kubernetes", root=repo) == analyze("kubernetes", root=repo)


def test_analyze_returns_none_for_what_detect_would_not_list(repo: Path) -> None:
    assert analyze("docs", root=repo) is None
    assert analyze("deploy/components/tls", root=repo) is None
    assert analyze("charts/web/templates", root=repo) is None


def test_analyze_without_a_root_reports_the_folder_itself(repo: Path) -> None:
    assert analyze(repo / "kubernetes") == DetectedPackage(
        path=".", type="raw-manifests", name="kubernetes", confidence="medium"
    )


def test_analyze_of_the_root_itself(repo: Path) -> None:
    tree(repo, {"cm.yaml": CONFIGMAP})
    assert analyze(".", root=repo) == DetectedPackage(
        path=".", type="raw-manifests", name="repo", confidence="medium"
    )


def test_analyze_refuses_bad_folders(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nowhere: no such folder"):
        analyze("nowhere", root=repo)
    with pytest.raises(UsageError, match="not a folder"):
        analyze("charts/web/Chart.yaml", root=repo)
    with pytest.raises(UsageError, match=r"\.\./\.\.: not inside"):
        analyze("../..", root=repo)
    with pytest.raises(UsageError, match="not inside"):
        analyze(tmp_path, root=repo)


# --- Robustness and import cost ----------------------------------------------------------------


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.one_of(
        st.binary(max_size=512),
        st.lists(
            st.sampled_from(
                [
                    "apiVersion: v1",
                    "kind: Pod",
                    '"apiVersion": "v1",',
                    "---",
                    "...",
                    "- a",
                    "{",
                    "[",
                    "}",
                    "  x: {{ y }}",
                    "# c",
                    "\ufeff",
                    "\r",
                    ": :",
                    "'",
                    '"',
                ]
            ),
            max_size=12,
        ).map("\n".join),
    )
)
def test_sniffing_never_crashes(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    verdict, note = files_module.sniff(str(path), "x.yaml")
    assert isinstance(verdict, files_module.Verdict)
    assert note is None or note.startswith("x.yaml: ")


def test_importing_detection_is_cheap() -> None:
    code = (
        "import sys, gitops_core.detection; "
        "print(sorted(m for m in ('yaml', 'json', 'jsonschema', 'cattrs') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert result.stdout.strip() == "[]"
