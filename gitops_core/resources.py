"""Where a distribution's data files are, installed from a wheel or run from a source checkout.

Wheels carry the top-level ``schemas/<name>`` folder inside the package as ``_schemas``. In a
source checkout (an editable install, or the tests) the package has no ``_schemas`` and the
top-level ``schemas/<name>`` folder beside the package's project is used instead.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path


def schema_dir(package: str, name: str) -> Traversable:
    """The folder holding ``package``'s schemas: ``<package>/_schemas`` from a wheel, else the
    source tree's ``schemas/<name>`` (``name`` is ``""`` for the core, whose folder is
    ``schemas/`` itself)."""
    shipped = files(package) / "_schemas"
    if shipped.is_dir():
        return shipped
    here = Path(str(files(package)))
    for parent in here.parents:
        candidate = parent / "schemas" / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no schemas for {package}: neither {shipped} nor schemas/{name} exist")
