"""Every error a user can cause or meet, each with the exit code the command line documents.

Messages speak of the library's own terms (question ids, paths, answers), never of one face's
controls: an error that the user can fix by doing something names that in :attr:`remedy`, and
each face (the command line's flags, the MCP tool's parameters) says it in its own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

#: What the user can do about an error, for each face to phrase: ``answer`` the ids in
#: ``MissingAnswersError.missing``; ``force`` the replacement of a file; ``choose-package``
#: among those found; ``one-package``: generate that package on its own instead of in a set;
#: ``whole-set``: leave out answers meant for a set, or generate the whole set instead.
Remedy = Literal["answer", "force", "choose-package", "one-package", "whole-set"]


class GitOpsError(Exception):
    """A failure with a one-line message meant for the user; never shown with a traceback."""

    exit_code: ClassVar[int] = 2
    remedy: Remedy | None = None


class UsageError(GitOpsError):
    """Bad usage or bad input: an unknown id, a malformed answer, a path outside the tree."""

    exit_code = 2


class AnswerError(UsageError):
    """One or more answers that are not accepted; one line per answer."""


class MissingAnswersError(UsageError):
    """Required questions left without an answer (and without a default that fits)."""

    remedy = "answer"

    def __init__(self, missing: Sequence[str], reason: str | None = None) -> None:
        self.missing = tuple(missing)
        self.reason = reason
        plural = "s" if len(self.missing) > 1 else ""
        because = f" ({reason})" if reason else ""
        super().__init__(f"missing answer{plural} for {', '.join(self.missing)}{because}")


class PackageChoiceError(UsageError):
    """No package, or several, where one is needed; the message lists what was found."""

    remedy = "choose-package"


class PerPackageAnswersError(UsageError):
    """Answers that name one package, given for a whole set."""

    remedy = "one-package"

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = tuple(ids)
        plural = len(ids) > 1
        super().__init__(
            f"{', '.join(ids)} {'are' if plural else 'is'} different for every package and "
            f"cannot be given for a whole set (each package's come from its path); leave "
            f"{'them' if plural else 'it'} out"
        )


class SetOnlyAnswersError(UsageError):
    """Answers to questions asked only for a whole set of packages (``scope: set``), given for
    one package, where they would change nothing."""

    remedy = "whole-set"

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = tuple(ids)
        plural = len(ids) > 1
        super().__init__(
            f"{', '.join(ids)} {'are' if plural else 'is'} answered only for a whole set of "
            "packages, not for one package"
        )


class UnsupportedError(UsageError):
    """Something the chosen provider does not offer (such as generating a whole set)."""


class SessionError(UsageError):
    """An unknown, expired, corrupted or foreign session."""


class QuestionFileError(UsageError):
    """A provider's data file (questions, templates) that does not match its schema; the message
    names the file and the JSON path of the fault."""


class DefinitionError(QuestionFileError):
    """A provider's ``manifests.yaml`` that cannot be used; names the file and the place."""


class InvalidManifestError(GitOpsError):
    """A generated or given manifest does not validate."""

    exit_code = 1


class OverwriteRefusedError(GitOpsError):
    """An existing file with different content would be replaced without ``force``; ``diff``
    shows what would change and ``paths`` names the files."""

    exit_code = 3
    remedy = "force"

    def __init__(self, message: str, diff: str = "", paths: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.diff = diff
        self.paths = tuple(paths)


class WriteError(GitOpsError):
    """The file system refused the write (read-only, full, no permission); nothing changed."""

    exit_code = 2


class ProviderError(GitOpsError):
    """A provider plugin failed to load, raised, or returned something unusable."""

    exit_code = 4

    def __init__(self, distribution: str, message: str) -> None:
        super().__init__(f"provider from {distribution} failed: {message}")
        self.distribution = distribution
