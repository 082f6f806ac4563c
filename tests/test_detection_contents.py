"""What a package's manifests declare (``package_contents``), read alone or with the cache a
set shares: the same answers, each file read once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from gitops_core.detection import contents as contents_module
from gitops_core.detection import detect
from gitops_core.detection._files import read_prefix
from gitops_core.detection.contents import ContentsCache, PackageContents, package_contents
from gitops_core.detection.kustomize import kustomization_text


def kustomization(*resources: str, extra: str = "") -> str:
    listed = "".join(f"  - {resource}\n" for resource in resources)
    head = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    return f"{head}{extra}resources:\n{listed}"


def configmap(name: str, namespace: str | None = None) -> str:
    where = f"  namespace: {namespace}\n" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{where}data:\n  a: b\n"


LAYOUT: Mapping[str, str] = {
    "app/base/kustomization.yaml": kustomization("cm.yaml", "ns.yaml", "../../outside.yaml"),
    "app/base/cm.yaml": configmap("settings"),
    "app/base/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n",
    "app/overlays/dev/kustomization.yaml": kustomization("../../base", extra="namespace: dev\n"),
    "app/overlays/prod/kustomization.yaml": kustomization("../../base", "extra.yaml"),
    "app/overlays/prod/extra.yaml": configmap("extra", "prod"),
    "app/overlays/gen/kustomization.yaml": kustomization(
        "../../base", extra="configMapGenerator:\n  - name: x\n"
    ),
    "app/overlays/gone/kustomization.yaml": kustomization("../../base", "missing.yaml"),
    "raw/a.yaml": configmap("a", "one") + "---\n" + configmap("b", "two"),
    "raw/flow.yaml": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"}}\n',
    "raw/sub/c.yaml": configmap("c", "one"),
    "raw/nested/kustomization.yaml": kustomization("c.yaml"),
    "raw/nested/c.yaml": configmap("c"),
}


def write(root: Path, layout: Mapping[str, str]) -> Path:
    for rel, text in layout.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def alone_and_shared(root: Path) -> tuple[dict[str, PackageContents], dict[str, PackageContents]]:
    packages = detect(root)
    alone = {package.path: package_contents(root, package) for package in packages}
    cache = ContentsCache()
    shared = {package.path: package_contents(root, package, cache) for package in packages}
    return alone, shared


def test_a_shared_cache_gives_what_each_package_reads_alone(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", LAYOUT)
    (tmp_path / "outside.yaml").write_text(configmap("outside", "elsewhere"), encoding="utf-8")
    alone, shared = alone_and_shared(root)
    assert shared == alone
    assert alone["app/base"].namespace_objects == ("team",)
    assert alone["app/base"].unnamespaced  # outside the tree: unknown
    assert alone["app/overlays/dev"].declared_namespace == "dev"
    assert alone["app/overlays/gen"].unnamespaced  # generated objects
    assert alone["app/overlays/gone"].unnamespaced  # a file that is not there
    assert alone["raw"].namespaces == ("one", "two")
    assert alone["raw"].unnamespaced  # the flow-style ConfigMap carries none
    assert alone["raw"].nested == ("nested",)


def test_a_shared_cache_reads_a_base_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "repo", LAYOUT)
    packages = detect(root)
    opened: list[str] = []
    real = read_prefix

    def counting(path: str, limit: int) -> tuple[bytes, bool]:
        opened.append(path)
        return real(path, limit)

    monkeypatch.setattr(contents_module, "read_prefix", counting)
    cache = ContentsCache()
    for package in packages:
        package_contents(root, package, cache)
    assert len(opened) == len(set(opened))
    assert str(root / "app/base/cm.yaml") in opened


@pytest.mark.parametrize(("files", "size"), [(2, 1 << 30), (3, 1 << 30), (100, 200), (100, 400)])
def test_each_package_keeps_its_own_bounds_with_a_shared_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: int, size: int
) -> None:
    monkeypatch.setattr(contents_module, "MAX_FILES", files)
    monkeypatch.setattr(contents_module, "MAX_BYTES", size)
    root = write(tmp_path / "repo", LAYOUT)
    alone, shared = alone_and_shared(root)
    assert shared == alone


def test_detection_hands_over_the_kustomizations_it_read_whole(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", LAYOUT)
    (root / "bad").mkdir()
    (root / "bad/kustomization.yaml").write_bytes(b"resources:\n  - \xff\n")  # not UTF-8
    (root / "empty").mkdir()
    (root / "empty/kustomization.yaml").write_text("", encoding="utf-8")
    texts: dict[str, str] = {}
    packages = detect(root, kustomizations=texts)
    folders = {str(root / p.path) for p in packages if p.type == "kustomize"}
    assert set(texts) == folders - {str(root / "bad")}
    for folder, text in texts.items():
        assert text == kustomization_text(folder)
    cache = ContentsCache(texts=dict(texts))
    shared = {package.path: package_contents(root, package, cache) for package in packages}
    assert shared == {package.path: package_contents(root, package) for package in packages}
    assert not cache.texts  # each one taken


def test_what_flux_must_do_before_applying_is_read_with_the_objects(tmp_path: Path) -> None:
    sops = (
        configmap("s", "one").replace("ConfigMap", "Secret").replace("a: b", "a: ENC[AES256_GCM,x]")
        + "sops:\n  mac: ENC[AES256_GCM,data:x]\n  lastmodified: '2024-01-01T00:00:00Z'\n"
    )
    root = write(
        tmp_path,
        {
            "k/kustomization.yaml": kustomization("../base", "vars.yaml"),
            "k/vars.yaml": configmap("v", "one").replace("a: b", 'a: "${A} ${B:=x} $${C}"\n# ${D}'),
            "base/kustomization.yaml": kustomization("secret.sops.yaml", "hook.yaml"),
            "base/secret.sops.yaml": sops,
            "base/hook.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: m-\n"
            "  namespace: one\n",
            "raw/a.yaml": configmap("a", "one"),
            "raw/helmfile.d/apps.yaml": "releases:\n  - name: x\n    namespace: kube-system\n",
            "raw/values.yaml": "{replicas: 2}\n",
        },
    )
    alone, shared = alone_and_shared(root)
    assert alone == shared
    k = alone["k"]
    assert k.sops_files == ("base/secret.sops.yaml",)
    assert k.generate_name == ("base/hook.yaml",)
    assert k.variables == ("A", "B")
    assert k.namespaces == ("one",) and not k.unnamespaced
    raw = alone["raw"]
    # Neither a helmfile nor a values file is an object without a namespace.
    assert raw.not_objects == ("raw/helmfile.d/apps.yaml", "raw/values.yaml")
    assert raw.declared_namespace == "one"
    assert raw.sops_files == raw.generate_name == raw.variables == ()
