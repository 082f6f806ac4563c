"""A provider as the 0.1.0 documentation taught: imports from gitops_core.generation."""

from gitops_core.errors import UsageError
from gitops_core.generation import Context, DeclarativeProvider, object_name


def team(context: Context) -> str:
    value = str(context.answer("team"))
    if value == "nobody":
        raise UsageError("team: 'nobody' owns nothing; name a team")
    return value


provider = DeclarativeProvider(
    "gitops_legacy",
    functions={"name": lambda context: object_name(context, "resourceName"), "team": team},
    schemas="legacy",
)
