"""Hostile trees: detection and ``gitops validate`` never crash, hang or take unbounded memory.

Every case runs the real command in a subprocess with an address-space limit (RLIMIT_AS) and a
timeout, so an alias bomb that expands or a walk that loops fails the test instead of the machine.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import pytest
from conftest import SOURCE_PATH, only_line

from gitops_core.detection import detect

#: Address space for one ``gitops`` process: a few times what a normal run maps (~150 MiB).
MEMORY_LIMIT = 512 << 20
TIMEOUT = 60
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
PYTHONPATH = SOURCE_PATH


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def gitops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, memory-limited; stdout/stderr decoded strictly (they must be UTF-8)."""
    return subprocess.run(
        [sys.executable, "-m", "gitops_core", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="strict",
        env={**os.environ, "PYTHONPATH": PYTHONPATH, **(env or {})},
        preexec_fn=_limit_memory,
        timeout=TIMEOUT,
    )


def detected(root: Path, **env: str) -> tuple[dict[str, dict[str, Any]], str]:
    """``gitops detect --json`` as {path: package}, and stderr; fails on any crash."""
    done = gitops("detect", "--json", str(root), env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return {p["path"]: p for p in json.loads(done.stdout)}, done.stderr


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def alias_bomb(levels: int = 9) -> str:
    """Billion laughs: ``levels`` anchors, each ten aliases of the one before."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_symlink_loops_and_dangling_links_are_ignored(tmp_path: Path) -> None:
    write(tmp_path / "app" / "cm.yaml", CONFIG_MAP)
    (tmp_path / "app" / "self").symlink_to(".")  # a folder link to itself
    (tmp_path / "app" / "up").symlink_to("..")  # a folder link to an ancestor
    (tmp_path / "app" / "x.yaml").symlink_to("y.yaml")  # a file link loop
    (tmp_path / "app" / "y.yaml").symlink_to("x.yaml")
    (tmp_path / "app" / "gone.yaml").symlink_to("nowhere.yaml")  # dangling
    (tmp_path / "app" / "Chart.yaml").symlink_to("Chart.yaml")  # a marker that loops
    (tmp_path / "loop").symlink_to("loop")
    packages, _ = detected(tmp_path)
    assert list(packages) == ["app"]
    assert packages["app"]["type"] == "raw-manifests"


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A folder any user can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="gitops-hardening-"))
    path.chmod(0o755)
    yield path
    for folder, _, _ in os.walk(path):
        os.chmod(folder, 0o755)
    shutil.rmtree(path)


def detect_as_nobody(root: Path) -> subprocess.CompletedProcess[str]:
    """``gitops detect --json`` with permissions that bite: root drops to ``nobody`` once imports
    are done (the interpreter lives under /root, which nobody may read)."""
    if os.geteuid() != 0:
        return gitops("detect", "--json", str(root))
    # Imports are made by one run on a small folder first: the checkout itself may be one
    # nobody may read (a clone in a mktemp -d folder), and commands import some modules late.
    script = (
        "import contextlib, io, logging, os, sys, tempfile\n"
        "import gitops_core.cli\n"
        "with tempfile.TemporaryDirectory() as warm, contextlib.redirect_stdout(io.StringIO()):\n"
        "    with open(os.path.join(warm, 'cm.yaml'), 'w') as out:\n"
        f"        out.write({CONFIG_MAP!r})\n"
        "    gitops_core.cli.main(['detect', '--json', warm])\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "sys.exit(gitops_core.cli.main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, "detect", "--json", str(root)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
        timeout=TIMEOUT,
    )


def test_folders_and_files_it_may_not_read_are_skipped_with_a_note(public_dir: Path) -> None:
    write(public_dir / "app" / "b.yaml", CONFIG_MAP)
    os.chmod(write(public_dir / "app" / "a-secret.yaml", CONFIG_MAP), 0)
    write(public_dir / "locked" / "cm.yaml", CONFIG_MAP)
    for folder, _, _ in os.walk(public_dir):
        os.chmod(folder, 0o755)
    os.chmod(public_dir / "locked", 0)
    done = detect_as_nobody(public_dir)
    assert done.returncode == 0, done.stderr
    packages = {p["path"]: p for p in json.loads(done.stdout)}
    assert list(packages) == ["app"]
    assert packages["app"]["notes"] == [
        "a-secret.yaml: skipped, cannot read it (Permission denied)"
    ]
    assert f"skipped {public_dir / 'locked'}: cannot read folder (Permission denied)" in done.stderr
    # The folder the user names must be readable: one line, exit 2.
    refused = detect_as_nobody(public_dir / "locked")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"gitops: error: {public_dir / 'locked'}: cannot read folder (Permission denied)"
    )


def test_names_that_are_not_utf8_are_skipped_and_never_reach_the_output(tmp_path: Path) -> None:
    base = os.fsencode(tmp_path)
    os.makedirs(base + b"/bad\xff/sub")
    write(Path(os.fsdecode(base + b"/bad\xff/sub/cm.yaml")), CONFIG_MAP)
    write(Path(os.fsdecode(base + b"/app/\xfe.yaml")), b"apiVersion: v1\nkind: ConfigMap\n\xff\n")
    write(Path(os.fsdecode(base + b"/app/values\xfe.yaml")), CONFIG_MAP)
    write(tmp_path / "app" / "cm.yaml", CONFIG_MAP)
    # A strict UTF-8 stdout (en_US.UTF-8 and most terminals) would fail on a lone surrogate.
    packages, stderr = detected(tmp_path, PYTHONIOENCODING="utf-8:strict")
    assert packages == {
        "app": {
            "path": "app",
            "type": "raw-manifests",
            "name": "app",
            "confidence": "medium",
            "managedBy": [],
        }
    }
    assert f"skipped {tmp_path}/bad\\xff: its name is not valid UTF-8" in stderr
    assert f"skipped {tmp_path}/app/\\xfe.yaml: its name is not valid UTF-8" in stderr


def test_a_50_mb_manifest_is_found_without_reading_it(tmp_path: Path) -> None:
    line = "  key-%07d: " + "x" * 80 + "\n"
    with _open(tmp_path / "big" / "configmap.yaml") as handle:
        handle.write(CONFIG_MAP + "data:\n")
        handle.writelines(line % i for i in range(50 * 1024 * 1024 // len(line % 0)))
    # 50 MB of YAML that is not a manifest (apiVersion far past the bound) is not read either.
    with _open(tmp_path / "data" / "values.yaml") as handle:
        handle.writelines(line % i for i in range(50 * 1024 * 1024 // len(line % 0)))
        handle.write("apiVersion: v1\nkind: ConfigMap\n")
    assert (tmp_path / "big" / "configmap.yaml").stat().st_size >= 50 * 1024 * 1024
    started = time.perf_counter()
    packages, _ = detected(tmp_path)
    assert time.perf_counter() - started < 10
    assert list(packages) == ["big"]


def _open(path: Path) -> TextIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8")


BOMB_CASES = {
    # A manifest whose first document is a bomb: parsed (aliases share one object), not expanded.
    "raw/cm.yaml": CONFIG_MAP + "data:\n  " + alias_bomb().replace("\n", "\n  ") + "\n",
    # Marker files whose checked keys are bombs: the note quotes a bounded part of the value.
    "chart/Chart.yaml": alias_bomb() + "name: chart\ntype: *a8\n",
    "kust/kustomization.yaml": alias_bomb() + "kind: *a8\n",
    # Nesting far beyond Python's recursion limit, in JSON and in YAML.
    "json/deep.json": '{"apiVersion": "v1", "kind": "ConfigMap", "x": '
    + "[" * 5000
    + "]" * 5000
    + "}",
    "yaml/deep.yaml": CONFIG_MAP + "x: " + "[" * 5000 + "]" * 5000 + "\n",
    "chart2/Chart.yaml": "name: deep\nx: " + "[" * 200_000 + "]" * 200_000 + "\n",
}


def test_yaml_bombs_do_not_blow_up_detection(tmp_path: Path) -> None:
    for name, text in BOMB_CASES.items():
        write(tmp_path / name, text)
    write(tmp_path / "json" / "z.yaml", CONFIG_MAP)
    packages, _ = detected(tmp_path)
    assert sorted(packages) == ["chart", "chart2", "json", "kust", "raw"]
    assert packages["raw"]["type"] == "raw-manifests"
    assert packages["chart2"]["name"] == "deep"
    (chart_note,) = packages["chart"]["notes"]
    (kust_note,) = packages["kust"]["notes"]
    assert chart_note.startswith("Chart.yaml has an unknown type [[[")
    assert kust_note.startswith("kustomization.yaml has an unexpected kind [[[")
    assert len(chart_note) < 300 and len(kust_note) < 300


def test_generate_for_a_package_holding_a_bomb_stays_bounded(tmp_path: Path) -> None:
    write(tmp_path / "raw" / "cm.yaml", BOMB_CASES["raw/cm.yaml"])
    done = gitops(
        "generate",
        str(tmp_path),
        "--provider",
        "flux",
        "--set",
        "gitRepoUrl=https://github.com/acme/shop.git",
        "--set",
        "destinationNamespace=shop",
        "-o",
        "-",
    )
    assert done.returncode == 0, done.stderr
    assert "kind: Kustomization" in done.stdout


@pytest.mark.parametrize("where", ["kind", "spec"])
def test_validate_refuses_an_alias_bomb_in_bounded_memory(tmp_path: Path, where: str) -> None:
    bomb = alias_bomb()
    if where == "kind":
        text = bomb + "apiVersion: v1\nkind: *a8\n"
    else:
        text = bomb + (
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
            "metadata: {name: x, namespace: y}\nspec:\n  interval: 5m\n"
            "  chart: {spec: {chart: c, sourceRef: {kind: GitRepository, name: x}}}\n"
            "  dependsOn: *a8\n"
        )
    done = gitops("validate", str(write(tmp_path / "bomb.yaml", text)))
    # As Go's decoder: "yaml: document contains excessive aliasing": one line, an invalid file.
    assert done.returncode == 1
    assert "alias" in only_line(done.stdout) and not done.stderr


def test_binary_and_utf16_files_named_yaml_are_skipped_with_a_note(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 64
    write(tmp_path / "app" / "a-binary.yaml", b"apiVersion: v1\nkind: ConfigMap\n\0" + blob)
    write(tmp_path / "app" / "b-utf16.yaml", CONFIG_MAP.encode("utf-16"))
    write(tmp_path / "app" / "c-latin1.yaml", "apiVersion: v1\nkind: Caf\xe9\n".encode("latin-1"))
    write(tmp_path / "app" / "d.yaml", CONFIG_MAP)
    write(tmp_path / "only-binary" / "x.yaml", blob)
    write(tmp_path / "only-utf16" / "x.yaml", CONFIG_MAP.encode("utf-16-be"))
    write(tmp_path / "only-utf16-bom" / "x.yaml", CONFIG_MAP.encode("utf-16"))
    packages, _ = detected(tmp_path)
    assert list(packages) == ["app"]
    assert packages["app"]["notes"] == [
        "a-binary.yaml: skipped, binary data",
        "b-utf16.yaml: skipped, UTF-16 text (save it as UTF-8)",
        "c-latin1.yaml: skipped, not UTF-8 text",
    ]


def test_ten_thousand_files_in_one_folder(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(10_000):
        (folder / f"f{i:05d}.yaml").write_text(f"key: {i}\nkind: not-a-manifest\n")
    (folder / "zz.yaml").write_text(CONFIG_MAP)
    started = time.perf_counter()
    packages, _ = detected(tmp_path)
    assert time.perf_counter() - started < 15
    assert list(packages) == ["many"]


def test_paths_4000_characters_deep(tmp_path: Path) -> None:
    """Down to PATH_MAX (4096) packages are found; below it the walk notes what it skipped."""
    parent = os.open(tmp_path, os.O_RDONLY)
    found_at = None
    try:
        for level in range(45):  # 45 levels of 100 characters: ~4,500 characters
            name = f"d{level:02d}".ljust(99, "x")
            os.mkdir(name, dir_fd=parent)
            child = os.open(name, os.O_RDONLY, dir_fd=parent)
            os.close(parent)
            parent = child
            if level in (38, 44):
                descriptor = os.open("cm.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=parent)
                os.write(descriptor, CONFIG_MAP.encode())
                os.close(descriptor)
                found_at = found_at or level
    finally:
        os.close(parent)
    packages, stderr = detected(tmp_path)
    (path,) = packages
    assert path.count("/") == found_at and len(path) > 3800
    assert "cannot read folder (File name too long)" in stderr


def test_the_library_call_sees_the_same_as_the_command(tmp_path: Path) -> None:
    for name, text in BOMB_CASES.items():
        write(tmp_path / name, text)
    (tmp_path / "loop").symlink_to("loop")
    assert [p.path for p in detect(tmp_path)] == ["chart", "chart2", "kust", "raw"]
