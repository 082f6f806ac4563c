"""Errors a user can cause or meet, each with the CLI exit code documented in SPEC §4."""

from __future__ import annotations


class GitOpsError(Exception):
    """A failure with a one-line message meant for the user; never shown with a traceback."""

    exit_code = 2


class UsageError(GitOpsError):
    """Bad usage or bad input: an unknown id, a malformed answer, a path outside the tree."""

    exit_code = 2


class InvalidManifestError(GitOpsError):
    """A generated or given manifest does not validate."""

    exit_code = 1


class OverwriteRefusedError(GitOpsError):
    """An existing file with different content would be replaced without ``force``."""

    exit_code = 3

    def __init__(self, message: str, diff: str = "") -> None:
        super().__init__(message)
        self.diff = diff


class ProviderError(GitOpsError):
    """A provider plugin failed to load, raised, or returned something unusable."""

    exit_code = 4

    def __init__(self, distribution: str, message: str) -> None:
        super().__init__(f"provider from {distribution} failed: {message}")
        self.distribution = distribution
