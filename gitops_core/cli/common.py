"""What the command line's commands share: reading answers, printing JSON, choosing the
provider, suggesting what was meant, and saying an error in the command line's own terms (its
flags)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_core.errors import (
    GitOpsError,
    MissingAnswersError,
    OverwriteRefusedError,
    UsageError,
)

if TYPE_CHECKING:
    from gitops_core.cli.options import GenerateOptions
    from gitops_core.plugins import Provider, Providers

#: Answers files are small; a bigger one is a mistake, not something to load into memory.
MAX_ANSWERS_BYTES = 1024 * 1024


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_error(message: str, exit_code: int, *, as_json: bool) -> None:
    """An error: one ``gitops: error:`` line per line of ``message`` on stderr and, for
    ``--json``, the document ``{"error": ..., "exitCode": ...}`` on stdout as well."""
    for line in message.splitlines() or [""]:
        print(f"gitops: error: {line}", file=sys.stderr)
    if as_json:
        print_json({"error": message, "exitCode": exit_code})


def installed_providers() -> Providers:
    from gitops_core.plugins import Providers

    return Providers.discover()


def chosen_provider(options: GenerateOptions) -> Provider:
    """``--provider``, or the only provider installed."""
    providers = installed_providers()
    if options.provider is not None:
        return providers.get(options.provider)
    ids = providers.ids()
    if len(ids) == 1:
        return providers.get(ids[0])
    raise UsageError(f"choose a provider with --provider: {', '.join(ids) or 'none installed'}")


def parse_set(items: Sequence[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set {item!r}: expected ID=VALUE")
        answers[key.strip()] = value
    return answers


def load_answers_file(name: str) -> dict[str, object]:
    from gitops_core.yamlio import InvalidYAML, safe_load

    path = Path(name)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_ANSWERS_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"--answers {name}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_ANSWERS_BYTES:
        raise UsageError(f"--answers {name}: larger than {MAX_ANSWERS_BYTES} bytes")
    try:
        data = safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, InvalidYAML) as exc:
        raise UsageError(f"--answers {name}: not valid YAML or JSON: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise UsageError(f"--answers {name}: expected a mapping of question id to answer")
    return data


def given_answers(options: GenerateOptions) -> dict[str, object]:
    """``--answers FILE`` overridden by ``--set ID=VALUE``."""
    provided: dict[str, object] = {}
    if options.answers:
        provided.update(load_answers_file(options.answers))
    provided.update(parse_set(options.set))
    return provided


def error_message(exc: GitOpsError) -> str:
    """The error's message with what to do about it, in terms of this command line's flags."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, MissingAnswersError):
        if len(exc.missing) == 1:
            return f"{message}: give it with --set {exc.missing[0]}=VALUE or --answers FILE"
        return f"{message}: give them with --set ID=VALUE or --answers FILE"
    if isinstance(exc, OverwriteRefusedError):
        return f"{message}; use --force to replace {'them' if len(exc.paths) > 1 else 'it'}"
    them = "them" if len(getattr(exc, "ids", ())) > 1 else "it"
    advice = {
        "choose-package": "point at the package with --package DIR",
        "one-package": "generate that package alone with --package instead of --all",
        "whole-set": f"leave {them} out, or generate every package with --all",
    }.get(exc.remedy or "")
    return f"{message}; {advice}" if advice else message
