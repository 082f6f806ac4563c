"""What each command was told, typed: argparse's namespace becomes one of these.

They are named tuples, not attrs classes: every start of the command defines all of them, and
a named tuple costs a tenth of an attrs class to define. Lists from argparse become tuples in
:class:`Command`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T", bound=tuple[object, ...])


class ProvidersOptions(NamedTuple):
    json: bool


class DetectOptions(NamedTuple):
    path: str
    json: bool
    #: Only packages of these types; none whose path matches an ``exclude`` glob.
    type: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class QuestionsOptions(NamedTuple):
    provider: str
    json: bool


class GenerateOptions(NamedTuple):
    path: str
    provider: str | None
    package: str | None
    all: bool
    exclude: tuple[str, ...]
    set: tuple[str, ...]
    answers: str | None
    defaults: bool
    output: str | None
    force: bool
    save_answers: str | None
    json: bool
    #: With ``--all``: only packages matching these globs; deploy those left out for these
    #: reasons anyway; list what would be written and left out, writing nothing.
    only: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    dry_run: bool = False


class ValidateOptions(NamedTuple):
    files: tuple[str, ...]
    crds: tuple[str, ...]
    allow_unknown_kinds: bool
    json: bool


class McpOptions(NamedTuple):
    json: bool


class CompletionOptions(NamedTuple):
    shell: str
    json: bool


class ProviderNewOptions(NamedTuple):
    id: str
    display_name: str | None
    dir: str | None
    force: bool
    json: bool


class Command(Generic[T]):
    """A subcommand: the options it takes and the function that runs it."""

    def __init__(self, options: Callable[..., T], run: Callable[[T], int]) -> None:
        self.options = options
        self.run = run

    def __call__(self, namespace: argparse.Namespace) -> int:
        given = vars(namespace)
        # (a named tuple class's _fields: mypy knows T only as some tuple)
        fields: tuple[str, ...] = getattr(self.options, "_fields")  # noqa: B009
        return self.run(self.options(**{name: _frozen(given[name]) for name in fields}))


def _frozen(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value
