"""Checks shared by answer and manifest validation, made as the Kubernetes API server makes them."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
)
# The pattern every Flux interval uses (see the CRDs): Go durations without us/ns or a sign.
_GO_DURATION = re.compile(r"([0-9]+(\.[0-9]+)?(ms|s|m|h))+\Z")


def is_dns1123_label(value: str) -> bool:
    """A namespace or label name: at most 63 lower-case alphanumerics or '-', alphanumeric ends."""
    return len(value) <= 63 and _DNS1123_LABEL.match(value) is not None


def is_dns1123_subdomain(value: str) -> bool:
    """An object name: at most 253 characters, dot-separated DNS-1123 labels."""
    return len(value) <= 253 and _DNS1123_SUBDOMAIN.match(value) is not None


def is_go_duration(value: str) -> bool:
    """A duration the Flux CRDs accept (``1m``, ``1h30m``, ``1.5h``; not ``1d`` nor ``1m\\n``),
    and longer than zero: a ``0s`` interval would mean "never look again"."""
    return _GO_DURATION.match(value) is not None and any(c in "123456789" for c in value)


@functools.lru_cache(maxsize=512)
def go_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Kubernetes (Go RE2) pattern so that it anchors as Go anchors it.

    In Go, ``$`` outside multi-line mode matches only at the very end of the text; in Python it
    also matches before a final newline, so ``"1m\\n"`` would pass ``^...$``. Unescaped ``$``
    outside character classes becomes ``\\Z``, and Go's ``\\z`` becomes ``\\Z``.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("\\Z" if nxt == "z" and not in_class else char + nxt)
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            # A ']' right after '[' or '[^' is a literal member of the class.
            lead = "[^" if pattern.startswith("[^", i) else "["
            out.append(lead)
            i += len(lead)
            if i < len(pattern) and pattern[i] == "]":
                out.append("]")
                i += 1
            continue
        elif char == "$":
            out.append("\\Z")
            i += 1
            continue
        out.append(char)
        i += 1
    return re.compile("".join(out))


def go_search(pattern: str, value: str) -> bool:
    """``regexp.MatchString`` semantics: unanchored search with Go's ``$``."""
    return go_regex(pattern).search(value) is not None


def to_dns1123_label(value: str, max_length: int = 63) -> str:
    """The closest DNS-1123 label to ``value`` (``My_App.v2`` → ``my-app-v2``); ``""`` if none.

    Accents are dropped (``café`` → ``cafe``), runs of other characters become one ``-``, and the
    result is cut to ``max_length`` without a trailing ``-``.
    """
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    label = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return label[:max_length].rstrip("-")


def inside(root: Path, target: Path) -> bool:
    """Whether ``target`` is ``root`` or below it (both resolved)."""
    return target == root or root in target.parents


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` was most likely meant to be: the same but for case, or a close
    spelling (difflib); None when nothing is close."""
    known = list(candidates)
    for candidate in known:
        if candidate.lower() == word.lower():
            return candidate
    lowered = {candidate.lower(): candidate for candidate in known}
    import difflib  # only for a mistyped id

    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None
