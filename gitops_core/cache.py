"""What reading a provider's data files produced, kept between runs.

Every command reads the provider's ``questions.yaml`` and ``manifests.yaml`` (and the shared
questions), checks them against their JSON Schema and structures them with cattrs: about a
tenth of a ``gitops generate``, for files that change only when a provider is upgraded or
edited. :func:`cached` keeps the checked result per file, keyed as Python keys its bytecode
cache (the file's modification time and size), plus the version and modification times of
the code that reads it. A changed file, or changed code, is read and checked afresh; files
that fail their checks, or changed in the last two seconds, are not kept.

The cache lives in ``$GITOPS_CACHE_DIR``, else ``$XDG_CACHE_HOME/gitops`` or
``~/.cache/gitops``; ``GITOPS_CACHE_DIR=`` (empty) turns it off. Entries are pickles, so a
file is loaded only if it belongs to the current user and nobody else may write it (as ssh
treats its keys); anything unreadable is rebuilt, and a cache that cannot be written is
simply not kept.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import stat
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import gitops_core

T = TypeVar("T")

_RACY_NS = 2_000_000_000
#: The modules and files whose content decides what a cached entry holds (and the question
#: schema, found where the package's schemas are).
_READERS = (
    "models.py",
    "declarative.py",
    "serialization.py",
    "questions/__init__.py",
    "questions/shared.yaml",
)


def cache_dir() -> Path | None:
    """Where entries are kept; None when the cache is turned off."""
    chosen = os.environ.get("GITOPS_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gitops"


@functools.cache
def _code_stamp() -> str:
    from gitops_core.resources import schema_dir

    here = Path(gitops_core.__file__).parent
    readers = [here / name for name in _READERS]
    with contextlib.suppress(FileNotFoundError):  # what question files are checked against
        readers.append(schema_dir("gitops_core", "") / "question.schema.json")
    stamps = [gitops_core.__version__]
    for path in readers:
        try:
            info = os.stat(path)
        except OSError:
            continue
        stamps.append(f"{path.name}:{info.st_mtime_ns}:{info.st_size}")
    return "|".join(stamps)


def cached(path: Path, kind: str, build: Callable[[str], T]) -> T:
    """``build(text of path)``, or what it returned for this same file before.

    ``kind`` names what ``build`` makes (one file may be read in more than one way).
    """
    folder = cache_dir()
    try:
        info = os.stat(path)
    except OSError:
        folder = None  # a missing file fails below as it would without a cache
    if folder is None:
        return build(path.read_text(encoding="utf-8"))
    where = f"{zlib.crc32(f'{kind}:{os.path.abspath(path)}'.encode()):08x}"
    key = f"{kind}:{os.path.abspath(path)}:{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"
    key += f":{_code_stamp()}"
    entry = folder / f"{where}-{zlib.crc32(key.encode()):08x}.pickle"
    found = _load(entry, key)
    if found is not None:
        return cast(T, found[0])  # (what build returned for this key)
    value = build(path.read_text(encoding="utf-8"))
    # A file changed within the clock's granularity of its last change could keep its
    # modification time: not kept until it is older than that (git's "racy" files).
    if time.time_ns() - info.st_mtime_ns > _RACY_NS:
        _store(folder, entry, where, (key, value))
    return value


def _load(entry: Path, key: str) -> tuple[object] | None:
    try:
        with open(entry, "rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            found = pickle.load(handle)
    except Exception:  # missing, truncated, or made by code that has changed since
        return None
    # The file's name is only a checksum of the key: the key itself must match.
    if isinstance(found, tuple) and len(found) == 2 and found[0] == key:
        return (found[1],)
    return None


def _store(folder: Path, entry: Path, where: str, value: object) -> None:
    import tempfile

    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for old in folder.glob(f"{where}-*.pickle"):  # the same file's earlier versions
            old.unlink(missing_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a read-only home, a full disk, a value pickle cannot keep: no cache, same result
