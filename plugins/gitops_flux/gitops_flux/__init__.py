"""The Flux provider: a GitRepository plus a HelmRelease (charts) or a Kustomization.

Mostly data (``questions.yaml``, ``manifests.yaml``); the functions below say what templates
cannot: Flux's URL and ref rules and the objects' names.
"""

from __future__ import annotations

import re

from gitops_core.declarative import Context, DeclarativeProvider, object_name
from gitops_core.models import Value

_SCP_LIKE = re.compile(r"(?P<user>[^@/:\s]+@)?(?P<host>[^@/:\s]+):(?P<path>[^\s]+)\Z")
_SHA = re.compile(r"[0-9a-fA-F]{40}\Z")
_VERSION = r"v?(?:\d+|[xX*])(?:\.(?:\d+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
_OPERATOR = r"(?:\^|~>|~|>=|<=|>|<|!=|=)"
_TERM = rf"{_OPERATOR}?\s*{_VERSION}"
_CONSTRAINT = re.compile(rf"\s*{_TERM}(?:(?:\s*,\s*|\s*\|\|\s*|\s+-\s+|\s+){_TERM})*\s*\Z")


def git_url(context: Context) -> str:
    """Flux clones only http(s):// and ssh:// URLs: scp-like ``git@host:org/repo`` becomes ssh://."""
    url = str(context.answer("gitRepoUrl"))
    match = _SCP_LIKE.match(url)
    if "://" in url or match is None:
        return url
    converted = f"ssh://{match['user'] or ''}{match['host']}/{match['path'].lstrip('/')}"
    context.note(f"Flux needs ssh:// URLs; {url} is written as {converted}")
    return converted


def is_semver_range(revision: str) -> bool:
    """A Masterminds semver constraint with an operator, wildcard, or range (not a bare version)."""
    if not _CONSTRAINT.match(revision):
        return False
    if re.search(_OPERATOR, revision) or "||" in revision or " - " in revision:
        return True
    return any(part in {"x", "X", "*"} for part in re.split(r"[.\s,v-]", revision))


def git_ref(context: Context) -> dict[str, Value]:
    """``spec.ref`` from targetRevision, first match wins: commit, name, tag, semver, branch."""
    revision = str(context.answer("targetRevision"))
    if _SHA.match(revision):
        return {"commit": revision}
    if revision.startswith("refs/"):
        return {"name": revision}
    if revision in context.config.facts.get("tags", ()):
        return {"tag": revision}
    if is_semver_range(revision):
        return {"semver": revision}
    return {"branch": revision}


def source_name(context: Context) -> str:
    """The GitRepository's name: the package's own, or with --all the one the set shares."""
    if context.bundle is not None:
        return context.bundle.source
    return object_name(context, "resourceName")


def source_path(context: Context) -> str:
    """The package path as Flux and kustomize write it: ``./charts/app``, ``./`` for the root."""
    return _flux_style(context.config.shared["gitRepoPath"])


def bundle_path(context: Context) -> str | None:
    """The ``--all`` output folder as Flux and kustomize write paths; None outside ``--all``."""
    return None if context.bundle is None else _flux_style(context.bundle.folder)


def _flux_style(path: str) -> str:
    return "./" if path == "." else f"./{path}"


provider = DeclarativeProvider(
    "gitops_flux",
    functions={
        "name": lambda context: object_name(context, "resourceName"),
        "sourceName": source_name,
        "bundlePath": bundle_path,
        "gitUrl": git_url,
        "gitRef": git_ref,
        "sourcePath": source_path,
    },
    schemas="flux",
)
