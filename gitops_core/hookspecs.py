"""The contract between the core and a provider: the ``GitOpsGenerator`` hook specifications.

A provider is a module or object registered under the ``gitops_core`` entry-point group, its
entry-point name being the provider id. It implements hooks below with ``@hookimpl``: the four
required ones, and those optional ones whose capability it has. ``docs/providers.md`` documents
each hook, with the declarative kit that implements them all from data files.

The core loads each provider into a plugin manager of its own and calls its hooks through
pluggy (``pm.hook.<name>``, see :mod:`gitops_core.plugins`), so a provider that raises never
hides the others. On loading, an ``@hookimpl`` whose name is not a hook below (a misspelt
``gitops_generat``) or whose arguments are not the hook's fails the provider, named with its
distribution, before any of its hooks runs.

:class:`GitOpsGenerator` is also a :class:`typing.Protocol`: a provider class that derives from
it has its hooks' signatures checked by mypy, and a class missing a required hook cannot be
instantiated (``Cannot instantiate abstract class``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pluggy

from gitops_core.models import GeneratedOutput, GitOpsConfig, Question

if TYPE_CHECKING:
    from gitops_core.models import Bundle, BundleOutput

__all__ = ["OPTIONAL_HOOKS", "REQUIRED_HOOKS", "GitOpsGenerator", "hookimpl"]

_spec = pluggy.HookspecMarker("gitops_core")
hookimpl = pluggy.HookimplMarker("gitops_core")

#: Hooks every provider implements; a provider missing one fails when it is loaded.
REQUIRED_HOOKS = (
    "gitops_provider_id",
    "gitops_provider_name",
    "gitops_questions",
    "gitops_generate",
)
#: Capabilities: without the hook, the core uses the documented fallback.
OPTIONAL_HOOKS = (
    "gitops_shared_defaults",
    "gitops_schema_dirs",
    "gitops_narrowed_questions",
    "gitops_generate_all",
)


class GitOpsGenerator(Protocol):
    """What a provider contributes. Every hook is called with keyword arguments, on the
    provider alone, and returns one value (``firstresult``).

    Required hooks have no body here; the optional ones' bodies say what the core does for a
    provider that does not implement them (they are never called themselves).
    """

    @_spec(firstresult=True)
    def gitops_provider_id(self) -> str:
        """The provider id, equal to the entry-point name (``flux``, ``argocd``)."""

    @_spec(firstresult=True)
    def gitops_provider_name(self) -> str:
        """The display name (``Flux``, ``Argo CD``)."""

    @_spec(firstresult=True)
    def gitops_questions(self) -> Sequence[Question]:
        """The provider's own questions, asked after the shared ones (before ``outputPath``)."""

    @_spec(firstresult=True)
    def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:
        """The manifests for one package, from its coerced answers and facts.

        Raise :class:`gitops_core.errors.UsageError` to refuse an answer (exit 2); any other
        exception is a provider failure (exit 4, naming the distribution).
        """

    @_spec(firstresult=True)
    def gitops_shared_defaults(self) -> Mapping[str, object]:
        """Optional: defaults for shared questions that the repository cannot supply (such as
        ``targetRevision`` outside a checkout, ``outputPath``). Without it: none."""
        return {}

    @_spec(firstresult=True)
    def gitops_schema_dirs(self) -> Sequence[Path]:
        """Optional: folders of JSON Schemas (``<group>_<version>_<kind>.json``) for the kinds
        the provider emits; every document is validated against them. Without it: only the
        core's schemas (``Namespace``)."""
        return []

    @_spec(firstresult=True)
    def gitops_narrowed_questions(self) -> Sequence[Question]:
        """Optional: shared questions as this provider asks them, each with the id of the shared
        question it narrows (new wording, default, an added validator). The core merges each
        into the shared question so that it never accepts more than the shared one. Without
        it: the shared questions as they are."""
        return []

    @_spec(firstresult=True)
    def gitops_generate_all(self, configs: Sequence[GitOpsConfig], bundle: Bundle) -> BundleOutput:
        """Optional: the files for a set of packages deployed from one folder
        (``generate --all``).

        ``bundle`` says what the core fixed for the set (see :class:`gitops_core.models.Bundle`):
        one file per config named ``bundle.names[i] + ".yaml"`` whose objects are named
        ``bundle.names[i]``, plus the shared files and the entry point that deploys the folder.
        Without it (or raising :class:`gitops_core.errors.UnsupportedError`), ``generate --all``
        says the provider does not support sets (exit 2).
        """
        from gitops_core.errors import UnsupportedError

        raise UnsupportedError("this provider does not generate a whole set of packages at once")
