"""CRDs given at run time (``gitops validate --crd``): converted on the fly, cached by content.

The conversion is the vendored schemas' (:mod:`gitops_core.validation.convert`), so a CRD given
here is judged exactly as a vendored one. Converted schemas are kept in gitops' cache folder
(``crd-schemas`` in :func:`gitops_core.cache.cache_dir`: ``$GITOPS_CACHE_DIR``, else
``$XDG_CACHE_HOME/gitops`` or ``~/.cache/gitops``) under the hash of
the CRD file's bytes and of the converter, so a large CRD (Argo CD's ApplicationSet is 1.4 MB)
is converted once, not on every run; an unwritable cache only costs the conversion.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gitops_core.errors import UsageError

__all__ = ["cache_dir", "crd_files", "schemas_from_crds"]

_SUFFIXES = (".yaml", ".yml", ".json")


def cache_dir() -> Path | None:
    """The folder for converted schemas, in gitops' cache (:func:`gitops_core.cache.cache_dir`:
    ``$GITOPS_CACHE_DIR``, else the user's); None when the cache is turned off."""
    from gitops_core.cache import cache_dir as gitops_cache

    folder = gitops_cache()
    return None if folder is None else folder / "crd-schemas"


def crd_files(given: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """(file, named): each given file, and the ``.yaml`` / ``.yml`` / ``.json`` files in each
    given folder (recursively, sorted); ``named`` is False for files found in a folder."""
    for path in given:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.suffix in _SUFFIXES and found.is_file():
                    yield found, False
        elif path.exists():
            yield path, True
        else:
            raise UsageError(f"--crd {path}: no such file or folder")


def _converter_digest() -> str:
    from gitops_core.validation import convert

    source = Path(convert.__file__).read_bytes() + Path(__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def _cached(key: str) -> dict[str, Any] | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        found: dict[str, Any] = json.loads((folder / f"{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return found


def _store(key: str, schemas: dict[str, Any]) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=folder, suffix=".tmp", delete=False
        ) as stream:
            json.dump(schemas, stream, sort_keys=True)
        os.replace(stream.name, folder / f"{key}.json")
    except OSError:
        pass  # no cache: the next run converts again


def schemas_from_crds(given: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """Schemas by file name for every CRD in ``given`` (files or folders of them).

    Raises UsageError (one line naming the file) for a file that cannot be read or converted,
    and for a named file that holds no CRD; files in a folder without a CRD are skipped.
    """
    from gitops_core.validation.convert import ConversionError, convert_text

    digest = _converter_digest()
    schemas: dict[str, dict[str, Any]] = {}
    origins: dict[str, Path] = {}
    for path, named in crd_files(given):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"--crd {path}: cannot read: {exc.strerror or exc}") from None
        key = hashlib.sha256(data + digest.encode()).hexdigest()
        converted = _cached(key)
        if converted is None:
            try:
                converted = convert_text(data.decode("utf-8"), path.name)
            except UnicodeDecodeError:
                raise UsageError(f"--crd {path}: not UTF-8 text") from None
            except ConversionError as exc:
                raise UsageError(f"--crd {path}: {' '.join(str(exc).split())}") from None
            _store(key, converted)
        if not converted and named:
            raise UsageError(f"--crd {path}: no CustomResourceDefinition in this file")
        for name, schema in converted.items():
            if name in schemas:
                raise UsageError(f"--crd {path}: {name} is also defined by {origins[name]}")
            schemas[name] = schema
            origins[name] = path
    return schemas
