"""A progress line for long runs (a big repository's scan, ``generate --all``).

It shows on stderr only when stderr is a terminal (never in a pipe, a file or CI logs), only
once the run has taken longer than a moment, at most a few times a second, and it is erased
when the run ends, so what the command prints is the same with or without it.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from types import TracebackType
from typing import TextIO

#: A run shorter than this shows no progress at all.
DELAY = 0.5
#: At most this often the line is redrawn.
INTERVAL = 0.1


class Progress:
    """Call it with what is being done; use it as a context manager to erase the line."""

    def __init__(self, stream: TextIO | None = None, *, delay: float = DELAY) -> None:
        self.stream = stream if stream is not None else sys.stderr
        try:
            terminal = self.stream.isatty()
        except (AttributeError, ValueError):  # a closed or fake stream
            terminal = False
        self.enabled = terminal and os.environ.get("TERM") != "dumb"
        self.start = time.monotonic()
        self.delay = delay
        self.last = 0.0
        self.shown = False

    def __call__(self, text: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last < INTERVAL:
            return
        self.last = now
        width = shutil.get_terminal_size((80, 24)).columns - 1
        line = f"gitops: {text}…"
        if len(line) > width:
            line = line[: max(width - 1, 0)] + "…"
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        """Erase the line (if it was ever shown)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.done()
