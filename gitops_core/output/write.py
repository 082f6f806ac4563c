"""The write stage: files written without ever losing one (temporary file + rename), never
replacing a different file silently, and never outside the folder the caller confines it to.

:func:`write_outputs` is the one place generated manifests are written, for every face.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, NamedTuple

import attrs

from gitops_core.checks import inside
from gitops_core.errors import OverwriteRefusedError, UsageError, WriteError

__all__ = ["Status", "WriteError", "WriteResult", "write_file", "write_files", "write_outputs"]

Status = Literal["created", "replaced", "unchanged"]

#: Existing files larger than this are not read to compare or diff (a manifest never is).
MAX_COMPARE_BYTES = 16 * 1024 * 1024


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


#: What Path.exists() takes for "no such file" (a component that is no folder, a link loop).
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _read_existing(path: Path) -> tuple[str | None, int]:
    """The current text of ``path`` (None when there is no file) and its permission bits."""
    try:
        status = os.stat(path)
    except OSError as error:
        if error.errno in _ABSENT:
            return None, 0
        raise
    except ValueError:  # a NUL in the name: no such file either
        return None, 0
    if stat.S_ISDIR(status.st_mode):
        raise UsageError(f"{path} is a folder; give a file name")
    mode = status.st_mode & 0o7777
    if status.st_size > MAX_COMPARE_BYTES:
        return "", mode  # certainly different from a generated manifest
    try:
        return path.read_text(encoding="utf-8"), mode
    except UnicodeDecodeError:
        return "", mode


class _Plan(NamedTuple):
    """A write decided on: ``existing`` is the current text (None when there is no file),
    ``mode`` its permission bits."""

    path: Path
    content: str
    existing: str | None
    diff: str
    mode: int = 0


def _plan(path: Path, content: str) -> _Plan | WriteResult:
    existing, mode = _read_existing(path)
    if existing == content:
        return WriteResult(path, "unchanged")
    diff = diff_text(existing, content, path) if existing is not None else ""
    return _Plan(path, content, existing, diff, mode)


#: How a temporary file is opened: created here and now, never through a link (as mkstemp).
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_CREATE |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
#: Random names to try before giving up (32 random bits each: one clash is already unlikely).
_ATTEMPTS = 100


class _Stager:
    """Writes new contents beside their targets (``.<name>.<random>.tmp``), for one write
    call: each folder is made once, the umask read once."""

    def __init__(self) -> None:
        self.folders: set[str] = set()
        umask = os.umask(0)
        os.umask(umask)
        self.new_mode = 0o666 & ~umask

    def stage(self, plan: _Plan, *, sync: bool) -> str:
        """Write ``plan``'s content beside its target; returns the temporary file's name."""
        folder, name = os.path.split(plan.path)
        folder = folder or os.curdir
        if folder not in self.folders:
            os.makedirs(folder, exist_ok=True)
            self.folders.add(folder)
        data = plan.content.encode("utf-8")
        for _ in range(_ATTEMPTS):
            temp_name = os.path.join(folder, f".{name}.{os.urandom(4).hex()}.tmp")
            try:
                descriptor = os.open(temp_name, _CREATE, 0o600)
            except FileExistsError:
                continue
            break
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary file name", folder)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(descriptor, view) :]
                if sync:
                    os.fsync(descriptor)
                os.fchmod(descriptor, plan.mode if plan.existing is not None else self.new_mode)
            finally:
                os.close(descriptor)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise
        return temp_name


def _commit(plan: _Plan, temp_name: str) -> WriteResult:
    os.replace(temp_name, plan.path)
    return WriteResult(plan.path, "replaced" if plan.existing is not None else "created", plan.diff)


def _refusal(plans: list[_Plan], *, of_a_set: bool = False) -> OverwriteRefusedError:
    diff = "".join(p.diff for p in plans)
    paths = [str(p.path) for p in plans]
    # In a set, say that the files that could have been written were not either.
    nothing = "; nothing was written" if of_a_set else ""
    if len(plans) == 1:
        message = f"{paths[0]} exists with different content{nothing}"
    else:
        more = f" and {len(plans) - 3} more" if len(plans) > 3 else ""
        message = (
            f"{len(plans)} files exist with different content "
            f"({', '.join(paths[:3])}{more}){nothing}"
        )
    return OverwriteRefusedError(message, diff, paths)


def _os_error(path: Path, exc: OSError) -> WriteError:
    state = "the existing file is unchanged" if os.path.exists(path) else "nothing was written"
    return WriteError(f"{path}: cannot write ({exc.strerror or exc}); {state}")


def write_file(path: Path, content: str, *, force: bool = False) -> WriteResult:
    """Write ``content`` to ``path`` atomically.

    An identical existing file is left alone; a different one is replaced only with ``force``
    (else :class:`OverwriteRefusedError`, whose ``diff`` shows what would change). Readers see
    either the old file or the complete new one, never a mix. A write the file system refuses
    (read-only, full) is a one-line :class:`WriteError` and leaves no temporary file behind.
    """
    try:
        plan = _plan(path, content)
        if isinstance(plan, WriteResult):
            return plan
        if plan.existing is not None and not force:
            raise _refusal([plan])
        return _commit(plan, _Stager().stage(plan, sync=True))
    except OSError as exc:
        raise _os_error(path, exc) from exc


def write_files(items: Sequence[tuple[Path, str]], *, force: bool = False) -> list[WriteResult]:
    """Write many files, each atomically, deciding for all of them first.

    Without ``force``, one existing different file refuses the whole set before anything is
    written. The new contents are staged beside their targets, flushed to disk with one
    ``sync`` (not one ``fsync`` per file: thousands of those dominated ``generate --all``),
    then renamed into place.
    """
    results: list[WriteResult | None] = []
    plans: list[tuple[int, _Plan]] = []
    path = Path()
    try:
        for index, (path, content) in enumerate(items):
            plan = _plan(path, content)
            results.append(plan if isinstance(plan, WriteResult) else None)
            if isinstance(plan, _Plan):
                plans.append((index, plan))
        refused = [plan for _, plan in plans if plan.existing is not None]
        if refused and not force:
            raise _refusal(refused, of_a_set=True)
        staged: list[str] = []
        try:
            stager = _Stager()
            for _, plan in plans:
                path = plan.path
                staged.append(stager.stage(plan, sync=False))
            os.sync()
        except BaseException:
            for temp_name in staged:
                with contextlib.suppress(OSError):
                    os.unlink(temp_name)
            raise
        for (index, plan), temp_name in zip(plans, staged, strict=True):
            path = plan.path
            results[index] = _commit(plan, temp_name)
    except OSError as exc:
        raise _os_error(path, exc) from exc
    return [result for result in results if result is not None]


def write_outputs(
    items: Sequence[tuple[Path, str]], *, force: bool = False, within: Path | None = None
) -> list[WriteResult]:
    """Write generated files (manifests, and what goes with them): the write stage.

    Relative paths are relative to the current folder. With ``within``, every target must lie
    inside that folder, or nothing is written: the faces that act for someone else (sessions,
    the MCP tool) confine writes to the project; the command line writes where its user says.
    Then as :func:`write_file` for one file, :func:`write_files` for several.
    """
    if within is None:
        targets = [(Path(os.path.abspath(path)), content) for path, content in items]
    else:
        # Confined: symlinks resolved, so that none leads out of the folder.
        targets = [(Path(path).resolve(), content) for path, content in items]
        root = within.resolve()
        for target, _ in targets:
            if not inside(root, target):
                raise UsageError(f"{target} is outside {root}; files are written only inside it")
    if len(targets) == 1:
        return [write_file(*targets[0], force=force)]
    return write_files(targets, force=force)
