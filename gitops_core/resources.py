"""Where a distribution's data files are, installed from a wheel or run from a source checkout.

Wheels carry the top-level ``schemas/<name>`` folder inside the package as ``_schemas``. In a
source checkout (an editable install, or the tests) the package has no ``_schemas`` and the
top-level ``schemas/<name>`` folder beside the package's project is used instead.

Packages are found on the file system from their ``__file__`` rather than through
``importlib.resources``, whose import alone costs more than a whole ``gitops detect`` (zip
imports are not supported).
"""

from __future__ import annotations

import importlib
from pathlib import Path


def package_dir(package: str) -> Path:
    """The folder of an importable package (imported if it is not yet)."""
    module = importlib.import_module(package)
    if module.__file__ is None:
        raise FileNotFoundError(f"{package} is not a package on the file system")
    return Path(module.__file__).parent


def schema_dir(package: str, name: str) -> Path:
    """The folder holding ``package``'s schemas: ``<package>/_schemas`` from a wheel, else the
    source tree's ``schemas/<name>`` (``name`` is ``""`` for the core, whose folder is
    ``schemas/`` itself)."""
    here = package_dir(package)
    shipped = here / "_schemas"
    if shipped.is_dir():
        return shipped
    for parent in here.parents:
        candidate = parent / "schemas" / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no schemas for {package}: neither {shipped} nor schemas/{name} exist")
