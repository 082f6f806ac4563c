"""The generate stage: a provider turns a package's config into manifests, which are validated.

:func:`generate` is what every face calls for one package (``generate --all`` goes through
:func:`gitops_core.bundle.generate_all`); nothing it returns is invalid, because the one
validation step (:func:`gitops_core.validation.check_outputs`) runs before it returns.

Until 0.2 this module also held the declarative provider kit, now
:mod:`gitops_core.declarative`; its names are still found here, with a DeprecationWarning.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import attrs

from gitops_core._deprecation import forward
from gitops_core.models import GeneratedOutput, GitOpsConfig

if TYPE_CHECKING:
    from gitops_core.plugins import Provider

__all__ = ["generate"]


def generate(config: GitOpsConfig, provider: Provider) -> GeneratedOutput:
    """The provider's manifests for ``config``, validated (else :class:`InvalidManifestError`).

    Raises :class:`~gitops_core.errors.SetOnlyAnswersError` when ``config`` was given an answer
    to a question asked only for a whole set (``scope: set``): one package's manifests would
    silently ignore it.
    """
    from gitops_core.questions import check_one_package_answers
    from gitops_core.validation import check_outputs

    answers = config.answers()
    check_one_package_answers(
        (*provider.shared_questions(), *provider.questions()),
        {key: answers.get(key) for key in config.given},
    )
    output = provider.generate(config)
    check_outputs([output], provider)
    owners = ownership_notes(config)
    return attrs.evolve(output, notes=(*owners, *output.notes)) if owners else output


def ownership_notes(config: GitOpsConfig) -> tuple[str, ...]:
    """What ``generate --all`` would leave the package out for, said when it is generated
    alone: Flux's own installation, and a package that the repository's Flux or Argo CD objects
    deploy already (other than the file this run writes), with the same words."""
    package = config.package
    output = os.path.normpath(str(config.shared.get("outputPath") or ""))
    managers = [m for m in package.managed_by if os.path.normpath(m) != output]
    if package.role != "flux-installation" and not managers:
        return ()
    from gitops_core.bundle import ROLE_DETAIL  # the words generate --all gives

    by = f"deployed already by {', '.join(managers)}" if managers else ""
    if package.role == "flux-installation":
        also = f", {by}" if by else ""
        return (
            f"{package.path} is {ROLE_DETAIL['flux-installation']}{also}: deleting the "
            "generated object, with pruning on, would uninstall Flux; generate --all leaves "
            "it out",
        )
    return (
        f"{package.path} is {by}; a second owner makes both reconcile (and prune) the same "
        "objects; generate --all leaves it out",
    )


# The declarative kit's names as 0.1.0 documented them here.
_OLD_KIT = "BundleContext Context DeclarativeProvider DefinitionError Function object_name"
__getattr__ = forward(__name__, dict.fromkeys(_OLD_KIT.split(), "gitops_core.declarative"))
