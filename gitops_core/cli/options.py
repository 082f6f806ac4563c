"""What each command was told, typed: argparse's namespace becomes one of these.

The classes are built on every start of the command, so they skip what they do not need
(slots, equality): each costs a third of a default attrs class to create.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Generic, TypeVar

import attrs
from attrs import AttrsInstance

T = TypeVar("T", bound=AttrsInstance)


@attrs.frozen(kw_only=True, slots=False, eq=False)
class ProvidersOptions:
    json: bool


@attrs.frozen(kw_only=True, slots=False, eq=False)
class DetectOptions:
    path: str
    json: bool
    #: Only packages of these types; none whose path matches an ``exclude`` glob.
    type: tuple[str, ...] = attrs.field(converter=tuple, default=())
    exclude: tuple[str, ...] = attrs.field(converter=tuple, default=())


@attrs.frozen(kw_only=True, slots=False, eq=False)
class QuestionsOptions:
    provider: str
    json: bool


@attrs.frozen(kw_only=True, slots=False, eq=False)
class GenerateOptions:
    path: str
    provider: str | None
    package: str | None
    all: bool
    exclude: tuple[str, ...] = attrs.field(converter=tuple)
    set: tuple[str, ...] = attrs.field(converter=tuple)
    answers: str | None
    defaults: bool
    output: str | None
    force: bool
    save_answers: str | None
    json: bool
    #: With ``--all``: only packages matching these globs; deploy those left out for these
    #: reasons anyway; list what would be written and left out, writing nothing.
    only: tuple[str, ...] = attrs.field(converter=tuple, default=())
    include: tuple[str, ...] = attrs.field(converter=tuple, default=())
    dry_run: bool = False


@attrs.frozen(kw_only=True, slots=False, eq=False)
class ValidateOptions:
    files: tuple[str, ...] = attrs.field(converter=tuple)
    crds: tuple[str, ...] = attrs.field(converter=tuple)
    allow_unknown_kinds: bool
    json: bool


@attrs.frozen(kw_only=True, slots=False, eq=False)
class McpOptions:
    json: bool


@attrs.frozen(kw_only=True, slots=False, eq=False)
class CompletionOptions:
    shell: str
    json: bool


@attrs.frozen(kw_only=True, slots=False, eq=False)
class ProviderNewOptions:
    id: str
    display_name: str | None
    dir: str | None
    force: bool
    json: bool


@attrs.frozen
class Command(Generic[T]):
    """A subcommand: the options it takes and the function that runs it."""

    options: type[T]
    run: Callable[[T], int]

    def __call__(self, namespace: argparse.Namespace) -> int:
        fields = attrs.fields(self.options)
        return self.run(self.options(**{f.name: getattr(namespace, f.name) for f in fields}))
