"""The generate stage: a provider turns a package's config into manifests, which are validated.

:func:`generate` is what every face calls for one package (``generate --all`` goes through
:func:`gitops_core.bundle.generate_all`); nothing it returns is invalid, because the one
validation step (:func:`gitops_core.validation.check_outputs`) runs before it returns.

Until 0.2 this module also held the declarative provider kit, now
:mod:`gitops_core.declarative`; its names are still found here, with a DeprecationWarning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    return output


# The declarative kit's names as 0.1.0 documented them here.
_OLD_KIT = "BundleContext Context DeclarativeProvider DefinitionError Function object_name"
__getattr__ = forward(__name__, dict.fromkeys(_OLD_KIT.split(), "gitops_core.declarative"))
