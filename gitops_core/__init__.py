"""gitops: find what a repository can deploy and write GitOps manifests for it.

The library API is one module per stage, in the order data flows (``docs/architecture.md``):
:mod:`gitops_core.detection` → :mod:`gitops_core.configuration` → :mod:`gitops_core.generation`
→ :mod:`gitops_core.validation` → :mod:`gitops_core.output`, with providers from
:class:`gitops_core.plugins.Providers` and the step-by-step journey in
:mod:`gitops_core.sessions`. Provider authors need :data:`hookimpl`, :mod:`gitops_core.models`,
:mod:`gitops_core.errors`, for declarative providers :mod:`gitops_core.declarative`, and for
their tests :mod:`gitops_core.testing`; ``docs/providers.md`` is their guide (``gitops provider
new ID`` starts one), and :class:`GitOpsGenerator` the hooks a provider written as code has.
"""

from gitops_core.hookspecs import GitOpsGenerator, hookimpl
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
    "GitOpsGenerator",
    "Option",
    "Question",
    "hookimpl",
]
__version__ = "0.1.0"
