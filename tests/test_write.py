"""The writer never loses a file: atomic replace, no silent overwrite, nothing half-written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_core.errors import OverwriteRefusedError, UsageError
from gitops_core.output import write_file, write_files


def test_creates_parent_folders_and_reports_created(tmp_path: Path) -> None:
    target = tmp_path / "out" / "flux.yaml"
    result = write_file(target, "a: 1\n")
    assert result.status == "created"
    assert target.read_text() == "a: 1\n"


def test_identical_content_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "f.yaml"
    target.write_text("a: 1\n")
    before = target.stat().st_mtime_ns
    assert write_file(target, "a: 1\n").status == "unchanged"
    assert target.stat().st_mtime_ns == before


def test_different_content_is_refused_without_force_with_a_diff(tmp_path: Path) -> None:
    target = tmp_path / "f.yaml"
    target.write_text("a: 1\n")
    with pytest.raises(OverwriteRefusedError) as caught:
        write_file(target, "a: 2\n")
    assert caught.value.exit_code == 3
    assert "-a: 1" in caught.value.diff and "+a: 2" in caught.value.diff
    assert target.read_text() == "a: 1\n"


def test_force_replaces_and_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.yaml"
    target.write_text("a: 1\n")
    os.chmod(target, 0o640)
    result = write_file(target, "a: 2\n", force=True)
    assert result.status == "replaced"
    assert target.read_text() == "a: 2\n"
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_folder_as_target_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        write_file(tmp_path, "x")


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "f.yaml"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_file(target, "new \udcff\n", force=True)  # a lone surrogate cannot be encoded
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.yaml"]


def test_a_set_is_refused_whole_when_one_file_differs(tmp_path: Path) -> None:
    from gitops_core.output import write_files

    (tmp_path / "b.yaml").write_text("mine\n")
    items = [
        (tmp_path / "a.yaml", "a\n"),
        (tmp_path / "b.yaml", "b\n"),
        (tmp_path / "c.yaml", "c\n"),
    ]
    with pytest.raises(
        OverwriteRefusedError, match=r"b.yaml exists with different content; nothing was written\Z"
    ) as refused:
        write_files(items)
    assert refused.value.paths == (str(tmp_path / "b.yaml"),)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.yaml"]
    results = write_files(items, force=True)
    assert [r.status for r in results] == ["created", "replaced", "created"]
    assert [r.status for r in write_files(items)] == ["unchanged"] * 3
    assert (tmp_path / "b.yaml").read_text() == "b\n"


def test_a_set_that_fails_while_staging_leaves_no_temporary_file(tmp_path: Path) -> None:
    from gitops_core.output import write_files

    items = [(tmp_path / "a.yaml", "a\n"), (tmp_path / "b.yaml", "bad \udcff\n")]
    with pytest.raises(UnicodeEncodeError):
        write_files(items)
    assert list(tmp_path.iterdir()) == []


def test_new_files_get_the_umask_mode_and_relative_paths_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o027)
    try:
        results = write_files(
            [(Path("f.yaml"), "a: 1\n"), (Path("sub/g.yaml"), "b\n"), (Path("sub/h.yaml"), "c\n")]
        )
    finally:
        os.umask(old)
    assert [r.status for r in results] == ["created"] * 3
    for name in ("f.yaml", "sub/g.yaml", "sub/h.yaml"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["f.yaml", "g.yaml", "h.yaml", "sub"]
    assert (tmp_path / "sub/h.yaml").read_bytes() == b"c\n"


def test_text_is_written_as_utf_8_bytes_unchanged(tmp_path: Path) -> None:
    text = "a: 'é\r\n'\r\nb: ✓\n" * 40_000  # more than one write call's worth
    write_file(tmp_path / "f.yaml", text)
    assert (tmp_path / "f.yaml").read_bytes() == text.encode("utf-8")
