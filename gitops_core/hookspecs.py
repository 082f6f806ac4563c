"""The contract between the core and a provider: the ``GitOpsGenerator`` hook specifications.

A provider is a module (or object) registered under the ``gitops_core`` entry-point group, its
entry-point name being the provider id. It implements every hook below with ``@hookimpl``;
``gitops_generate_all`` is optional (without it, ``generate --all`` reports the provider).
The core calls each provider's own implementations one at a time (see
``gitops_core.plugins``), so a provider that raises never hides the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

from gitops_core.models import GeneratedOutput, GitOpsConfig, Question

if TYPE_CHECKING:
    from gitops_core.models import Bundle, BundleOutput

_spec = pluggy.HookspecMarker("gitops_core")
hookimpl = pluggy.HookimplMarker("gitops_core")


class GitOpsGenerator:
    """What a provider contributes."""

    @_spec
    def gitops_provider_id(self) -> str:  # type: ignore[empty-body]
        """The provider id, equal to the entry-point name (``flux``, ``argocd``)."""

    @_spec
    def gitops_provider_name(self) -> str:  # type: ignore[empty-body]
        """The display name (``Flux``, ``Argo CD``)."""

    @_spec
    def gitops_questions(self) -> Sequence[Question]:  # type: ignore[empty-body]
        """The provider's own questions, asked after the shared ones."""

    @_spec
    def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:  # type: ignore[empty-body]
        """The manifests for one package, from its coerced answers."""

    @_spec
    def gitops_generate_all(  # type: ignore[empty-body]
        self, configs: Sequence[GitOpsConfig], bundle: Bundle
    ) -> BundleOutput:
        """The files for a set of packages deployed from one folder (``generate --all``).

        ``bundle`` says what the core fixed for the set (see :class:`gitops_core.bundle.Bundle`):
        one file per config named ``bundle.names[i] + ".yaml"`` whose objects are named
        ``bundle.names[i]``, plus the shared files and the entry point that deploys the folder.
        """

    @_spec
    def gitops_schema_dirs(self) -> Sequence[Path]:  # type: ignore[empty-body]
        """Folders of JSON Schemas (``<group>_<version>_<kind>.json``) for the kinds it emits."""

    @_spec
    def gitops_shared_defaults(self) -> Mapping[str, object]:  # type: ignore[empty-body]
        """Defaults for shared questions that the repository cannot supply (``targetRevision``)."""
