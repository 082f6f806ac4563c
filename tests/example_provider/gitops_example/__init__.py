"""An example provider: data files (questions.yaml, manifests.yaml, schemas/) plus one
function."""

from __future__ import annotations

from gitops_core.declarative import Context, DeclarativeProvider, object_name


def name(context: Context) -> str:
    """The ConfigMap's name: the resourceName answer, or the package's name as a label."""
    return object_name(context, "resourceName")


provider = DeclarativeProvider("gitops_example", functions={"name": name})
