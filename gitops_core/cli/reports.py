"""What ``generate --json`` prints, as models that the one converter turns into JSON."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs

from gitops_core.models import DetectedPackage, GeneratedOutput, GitOpsConfig, Value
from gitops_core.output.write import Status


@attrs.frozen(kw_only=True)
class GeneratedReport:
    """One package's manifests; ``outputPath`` and ``status`` are null when printed (``-o -``)."""

    provider: str
    package: DetectedPackage
    answers: Mapping[str, Value]
    output_path: str | None
    status: Status | None
    description: str
    notes: tuple[str, ...]
    documents: tuple[Mapping[str, Value], ...]

    @classmethod
    def of(
        cls,
        provider: str,
        output: GeneratedOutput,
        config: GitOpsConfig,
        path: Path | None = None,
        status: Status | None = None,
    ) -> GeneratedReport:
        return cls(
            provider=provider,
            package=config.package,
            answers=config.answers(),
            output_path=None if path is None else str(path),
            status=status,
            description=output.description,
            notes=output.notes,
            documents=output.documents,
        )


@attrs.frozen(kw_only=True)
class BundleFileReport:
    """One file of a ``generate --all`` set."""

    path: str
    role: str
    status: Status
    description: str
    package: DetectedPackage | None


@attrs.frozen(kw_only=True)
class BundleReport:
    """What ``generate --all --json`` prints."""

    provider: str
    folder: str
    repo_path: str
    entrypoint: str
    notes: tuple[str, ...]
    files: tuple[BundleFileReport, ...]
