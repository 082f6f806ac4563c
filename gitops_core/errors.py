"""Errors a user can cause or meet, each with the CLI exit code documented in SPEC §4."""

from __future__ import annotations

from collections.abc import Sequence


class GitOpsError(Exception):
    """A failure with a one-line message meant for the user; never shown with a traceback."""

    exit_code = 2


class UsageError(GitOpsError):
    """Bad usage or bad input: an unknown id, a malformed answer, a path outside the tree."""

    exit_code = 2


class PerPackageAnswersError(UsageError):
    """Answers that name one package, given for a whole set."""

    def __init__(self, ids: Sequence[str]) -> None:
        plural = len(ids) > 1
        super().__init__(
            f"{', '.join(ids)} {'are' if plural else 'is'} different for every package and "
            f"cannot be given with --all (each package's come from its path); leave "
            f"{'them' if plural else 'it'} out, or generate that package alone with --package"
        )


class QuestionFileError(UsageError):
    """A provider's data file (questions, templates) that does not match its schema; the message
    names the file and the JSON path of the fault."""


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
