"""Reading YAML: always a safe loader (libyaml's when installed), every failure one exception.

The pure-Python loader raises ValueError or OverflowError for an escape such as
``"\\U99999999"`` and recurses once per level of nesting; libyaml reports the first as a
YAMLError. Callers catch :class:`InvalidYAML` alone and name their file in one line.
PyYAML itself is imported on first use, so that importing this module costs nothing.
"""

from __future__ import annotations

from typing import Any


class InvalidYAML(ValueError):
    """Text that is not YAML; the message is one line."""


def safe_load(text: str | bytes) -> Any:
    """The one YAML document in ``text``, as plain data."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise InvalidYAML(" ".join(str(exc).split()) or type(exc).__name__) from None


def safe_load_all(text: str | bytes) -> list[Any]:
    """Every YAML document in ``text``, as plain data."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return list(yaml.load_all(text, Loader=loader))
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        raise InvalidYAML(" ".join(str(exc).split()) or type(exc).__name__) from None
