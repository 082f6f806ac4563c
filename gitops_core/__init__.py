"""gitops: find what a repository can deploy and write GitOps manifests for it.

The library API: detection (:mod:`gitops_core.detection`), providers
(:class:`~gitops_core.plugins.Providers`), the journey (:mod:`gitops_core.workflow`),
validation (:mod:`gitops_core.validation`) and output (:mod:`gitops_core.output`). Provider
authors need :data:`hookimpl` and, for declarative providers, :mod:`gitops_core.generation`.
"""

from gitops_core.hookspecs import hookimpl
from gitops_core.models import (
    DetectedPackage,
    GeneratedOutput,
    GitOpsConfig,
    Option,
    Question,
)

__all__ = [
    "DetectedPackage",
    "GeneratedOutput",
    "GitOpsConfig",
    "Option",
    "Question",
    "hookimpl",
]
__version__ = "0.1.0"
