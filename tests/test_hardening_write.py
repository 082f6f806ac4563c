"""Faults while writing: the old file is intact or the new one complete, never a mix.

Faults are real: a tmpfs that is full or read-only (root only; skipped otherwise), RLIMIT_FSIZE,
SIGKILL in the middle of a large write, and two processes replacing the same file at once.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, CliRunner, args_for, only_line

from gitops_core.detection import detect
from gitops_core.output import WriteError, write_file

OLD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system, mounted for the test."""
    where = tmp_path / "mnt"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def test_a_full_disk_leaves_the_old_file_and_no_temporary_file(tiny_tmpfs: Path) -> None:
    target = tiny_tmpfs / "flux.yaml"
    target.write_text(OLD)
    with pytest.raises(WriteError) as caught:
        write_file(target, "x" * 200_000, force=True)
    assert str(caught.value) == (
        f"{target}: cannot write (No space left on device); the existing file is unchanged"
    )
    assert caught.value.exit_code == 2
    assert target.read_text() == OLD
    assert leftovers(tiny_tmpfs) == []


def test_a_read_only_target_is_one_line_through_the_cli(tiny_tmpfs: Path, cli: CliRunner) -> None:
    target = tiny_tmpfs / "flux.yaml"
    target.write_text(OLD)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_tmpfs)], check=True)
    done = cli(
        "generate",
        str(EXAMPLES),
        "--provider",
        "flux",
        *args_for("charts/podinfo"),
        "-o",
        str(target),
        "--force",
    )
    assert done.returncode == 2, done.stderr
    assert only_line(done.stderr) == (
        f"gitops: error: {target}: cannot write (Read-only file system); "
        "the existing file is unchanged"
    )
    assert target.read_text() == OLD
    with pytest.raises(WriteError, match="nothing was written"):
        write_file(tiny_tmpfs / "new" / "argocd.yaml", OLD)


WRITER = textwrap.dedent(
    """
    import signal, sys
    from pathlib import Path
    from gitops_core.errors import GitOpsError
    from gitops_core.output import write_file
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past RLIMIT_FSIZE fails with EFBIG
    path, size, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    content = (sys.argv[4] * (size // len(sys.argv[4]) + 1))[:size]
    for _ in range(rounds):
        try:
            write_file(path, content, force=True)
        except GitOpsError as error:
            print(error, file=sys.stderr)
            sys.exit(error.exit_code)
    """
)


def writer(
    target: Path, size: int, rounds: int, fill: str, *, fsize: int | None = None
) -> subprocess.Popen[str]:
    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), str(size), str(rounds), fill],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
    )


def test_a_file_size_limit_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "flux.yaml"
    target.write_text(OLD)
    process = writer(target, 1 << 20, 1, "new\n", fsize=64 << 10)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.strip() == (
        f"{target}: cannot write (File too large); the existing file is unchanged"
    )
    assert target.read_text() == OLD
    assert leftovers(tmp_path) == []


def test_a_writer_killed_mid_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "flux.yaml"
    target.write_text(OLD)
    killed_mid_write = 0
    for _ in range(2):
        process = writer(target, 48 << 20, 1, "spec: {}\n")
        deadline = time.monotonic() + 30
        # Kill as soon as the temporary file has data in it: the rename has not happened yet.
        while time.monotonic() < deadline and process.poll() is None:
            temporary = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            if temporary and temporary[0].stat().st_size > 0:
                process.send_signal(signal.SIGKILL)
                killed_mid_write += 1
                break
            time.sleep(0.0005)
        process.wait(timeout=30)
        assert target.read_text() == OLD  # never a mix, never empty
    assert killed_mid_write >= 1
    # The litter is a hidden *.tmp file: not a package, not a manifest, and no obstacle.
    assert all(name.startswith(".flux.yaml.") for name in leftovers(tmp_path))
    assert [p.path for p in detect(tmp_path)] == ["."]  # only flux.yaml itself
    assert write_file(target, "kind: New\n", force=True).status == "replaced"
    assert target.read_text() == "kind: New\n"


def test_two_writers_at_once_leave_one_complete_version(tmp_path: Path) -> None:
    target = tmp_path / "flux.yaml"
    size = 256 << 10
    versions = {("a: 1\n" * size)[:size], ("b: 22\n" * size)[:size]}
    processes = [writer(target, size, 200, fill) for fill in ("a: 1\n", "b: 22\n")]
    reads = 0
    while any(p.poll() is None for p in processes):
        if target.exists():
            assert target.read_text() in versions  # each read sees one whole version
            reads += 1
    for process in processes:
        assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    assert target.read_text() in versions
    assert reads > 0
    assert leftovers(tmp_path) == []
