"""One cattrs converter for every model's plain-data form (JSON, YAML, session files).

Keys are camelCase, as in the question and provider files, ``--json`` output, sessions and the
MCP tool (``max_length`` ↔ ``maxLength``, ``in_`` ↔ ``in``). Structuring refuses unknown keys and
values outside a ``Literal``; :func:`structure` turns cattrs' errors into one line that names
the source and the JSON path of each fault. Unstructuring leaves out fields that hold their
default, so optional fields stay absent rather than ``null``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from gitops_core.errors import GitOpsError, UsageError

__all__ = ["camel", "converter", "structure", "unstructure"]

T = TypeVar("T")


def camel(name: str) -> str:
    """``max_length`` → ``maxLength``; a trailing ``_`` (``in_``, a Python keyword) is dropped."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _renames(cls: type[Any]) -> dict[str, Any]:
    return {a.name: override(rename=camel(a.name)) for a in attrs.fields(cls)}


@functools.cache
def converter() -> cattrs.Converter:
    """The converter, built on first use (it is not needed to start the command line)."""
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook_factory(
        attrs.has,
        lambda cls: make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=True, **_renames(cls)
        ),
    )
    conv.register_unstructure_hook_factory(
        attrs.has,
        lambda cls: make_dict_unstructure_fn(
            cls, conv, _cattrs_omit_if_default=True, **_renames(cls)
        ),
    )
    # A question's default: the question schema has checked its type already.
    conv.register_structure_hook(
        str | bool | tuple[str, ...] | None,
        lambda value, _: tuple(value) if isinstance(value, list) else value,
    )
    return conv


def structure(
    data: object,
    cls: type[T],
    source: str,
    error: Callable[[str], GitOpsError] = UsageError,
) -> T:
    """``data`` as a ``cls``, or ``error("SOURCE: $.path: problem; …")``."""
    try:
        return converter().structure(data, cls)
    except cattrs.BaseValidationError as exc:
        raise error(f"{source}: {'; '.join(cattrs.transform_error(exc))}") from None
    except (TypeError, ValueError, AttributeError) as exc:  # data of the wrong shape at the top
        raise error(f"{source}: {exc}") from None


def unstructure(value: object) -> Any:
    """Plain data (dicts, lists, strings, numbers) for ``value``."""
    return converter().unstructure(value)
