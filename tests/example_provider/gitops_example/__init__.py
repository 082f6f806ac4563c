"""An example provider: data files plus one function."""

from gitops_core.declarative import DeclarativeProvider, object_name

provider = DeclarativeProvider(
    "gitops_example",
    functions={"name": lambda context: object_name(context, "resourceName")},
    schemas="example",
)
