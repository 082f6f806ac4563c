"""Writing files without ever losing one: temporary file + rename, no silent overwrite."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path
from typing import Literal

import attrs

from gitops_core.errors import GitOpsError, OverwriteRefusedError, UsageError

Status = Literal["created", "replaced", "unchanged"]

#: Existing files larger than this are not read to compare or diff (a manifest never is).
MAX_COMPARE_BYTES = 16 * 1024 * 1024


class WriteError(GitOpsError):
    """The file system refused the write (read-only, full, no permission); nothing changed."""

    exit_code = 2


@attrs.frozen
class WriteResult:
    path: Path
    status: Status
    diff: str = ""


def diff_text(old: str, new: str, path: Path) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{path} (existing)",
            tofile=f"{path} (new)",
        )
    )


def _read_existing(path: Path) -> str | None:
    if not path.exists():
        return None
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name")
    if path.stat().st_size > MAX_COMPARE_BYTES:
        return ""  # certainly different from a generated manifest
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""


def write_file(path: Path, content: str, *, force: bool = False) -> WriteResult:
    """Write ``content`` to ``path`` atomically.

    An identical existing file is left alone; a different one is replaced only with ``force``
    (else :class:`OverwriteRefusedError`, whose ``diff`` shows what would change). Readers see
    either the old file or the complete new one, never a mix. A write the file system refuses
    (read-only, full) is a one-line :class:`WriteError` and leaves no temporary file behind.
    """
    try:
        return _write(path, content, force)
    except OSError as exc:
        state = "the existing file is unchanged" if os.path.exists(path) else "nothing was written"
        raise WriteError(f"{path}: cannot write ({exc.strerror or exc}); {state}") from exc


def _write(path: Path, content: str, force: bool) -> WriteResult:
    existing = _read_existing(path)
    if existing == content:
        return WriteResult(path, "unchanged")
    diff = diff_text(existing, content, path) if existing is not None else ""
    if existing is not None and not force:
        raise OverwriteRefusedError(
            f"{path} exists with different content; use --force to replace it", diff
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if existing is not None:
            os.chmod(temp_name, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp_name, 0o666 & ~umask)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return WriteResult(path, "replaced" if existing is not None else "created", diff)
