"""Deprecated: the journey's functions now live in the module of their stage.

``find_package`` is in :mod:`gitops_core.detection`; ``configure``, ``question_list`` and
``default_answers`` in :mod:`gitops_core.configuration`; ``generate`` in
:mod:`gitops_core.generation`; ``MissingAnswersError`` in :mod:`gitops_core.errors`. The old
names still work here, with a DeprecationWarning, until 0.2.
"""

from __future__ import annotations

from gitops_core._deprecation import forward

__getattr__ = forward(
    __name__,
    {
        "find_package": "gitops_core.detection",
        "configure": "gitops_core.configuration",
        "question_list": "gitops_core.configuration",
        "default_answers": "gitops_core.configuration",
        "generate": "gitops_core.generation",
        "MissingAnswersError": "gitops_core.errors",
    },
)
