"""The cache of checked provider files (gitops_core.cache): what it keeps, and what it never
serves — a changed file, a file changed just now, a failed check, an entry others may write."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from gitops_core import cache
from gitops_core.errors import QuestionFileError
from gitops_core.questions import load_package_questions


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("GITOPS_CACHE_DIR", str(where))
    return where


def settled(path: Path, text: str) -> Path:
    """``path`` holding ``text``, last changed a minute ago (past the racy window)."""
    path.write_text(text, encoding="utf-8")
    old = time.time() - 60
    os.utime(path, (old, old))
    return path


class Counting:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> tuple[str, int]:
        self.calls.append(text)
        return (text.upper(), len(self.calls))


def test_a_settled_file_is_read_once(tmp_path: Path, folder: Path) -> None:
    source = settled(tmp_path / "q.yaml", "a: 1\n")
    build = Counting()
    first = cache.cached(source, "test", build)
    again = cache.cached(source, "test", build)
    assert first == again == ("A: 1\n", 1)
    assert build.calls == ["a: 1\n"]
    (entry,) = folder.glob("*.pickle")
    assert entry.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700


def test_a_changed_file_is_read_again_and_replaces_its_entry(tmp_path: Path, folder: Path) -> None:
    source = settled(tmp_path / "q.yaml", "a: 1\n")
    build = Counting()
    cache.cached(source, "test", build)
    settled(source, "b: 22\n")
    assert cache.cached(source, "test", build) == ("B: 22\n", 2)
    assert len(list(folder.glob("*.pickle"))) == 1


def test_a_file_changed_just_now_is_never_kept(tmp_path: Path, folder: Path) -> None:
    source = tmp_path / "q.yaml"
    source.write_text("a: 1\n", encoding="utf-8")
    build = Counting()
    cache.cached(source, "test", build)
    source.write_text("b: 2\n", encoding="utf-8")  # same size, maybe the same mtime
    assert cache.cached(source, "test", build) == ("B: 2\n", 2)
    assert not list(folder.glob("*.pickle"))


def test_a_failed_check_is_not_kept(tmp_path: Path, folder: Path) -> None:
    source = settled(tmp_path / "q.yaml", "a: 1\n")

    def failing(text: str) -> str:
        raise QuestionFileError("bad")

    for _ in range(2):
        with pytest.raises(QuestionFileError):
            cache.cached(source, "test", failing)
    assert not folder.exists() or not list(folder.glob("*.pickle"))


def test_changed_code_or_another_kind_is_a_different_entry(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = settled(tmp_path / "q.yaml", "a: 1\n")
    build = Counting()
    cache.cached(source, "test", build)
    cache.cached(source, "other", build)
    assert len(build.calls) == 2
    monkeypatch.setattr(cache, "_code_stamp", lambda: "a newer gitops_core")
    cache.cached(source, "test", build)
    assert len(build.calls) == 3


@pytest.mark.parametrize("damage", ["truncated", "writable by others", "another key"])
def test_an_entry_that_cannot_be_trusted_is_rebuilt(
    tmp_path: Path, folder: Path, damage: str
) -> None:
    source = settled(tmp_path / "q.yaml", "a: 1\n")
    build = Counting()
    cache.cached(source, "test", build)
    (entry,) = folder.glob("*.pickle")
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:10])
    elif damage == "writable by others":
        entry.chmod(0o666)
    else:  # a checksum collision: the name matches, the key inside does not
        import pickle

        entry.write_bytes(pickle.dumps(("some other key", ("X", 99))))
    assert cache.cached(source, "test", build) == ("A: 1\n", 2)


def test_turned_off_or_unwritable_the_cache_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = settled(tmp_path / "q.yaml", "a: 1\n")
    monkeypatch.setenv("GITOPS_CACHE_DIR", "")
    build = Counting()
    assert cache.cached(source, "test", build) == ("A: 1\n", 1)
    assert cache.cached(source, "test", build) == ("A: 1\n", 2)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("GITOPS_CACHE_DIR", str(blocked))
    assert cache.cached(source, "test", build) == ("A: 1\n", 3)
    with pytest.raises(FileNotFoundError):
        cache.cached(tmp_path / "missing.yaml", "test", build)


def test_a_provider_question_file_edited_is_seen_at_once(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "cachedprovider"
    package.mkdir()
    (package / "__init__.py").write_text("")
    question = "questions:\n  - id: {id}\n    question: Which?\n"
    settled(package / "questions.yaml", question.format(id="first"))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert [q.id for q in load_package_questions("cachedprovider")] == ["first"]
        assert list(folder.glob("*.pickle"))
        (package / "questions.yaml").write_text(question.format(id="other"))
        assert [q.id for q in load_package_questions("cachedprovider")] == ["other"]
        (package / "questions.yaml").write_text("questions: [{id: 1}]\n")
        with pytest.raises(QuestionFileError):
            load_package_questions("cachedprovider")
    finally:
        sys.modules.pop("cachedprovider", None)
