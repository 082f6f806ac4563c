"""Names for the objects of packages: DNS-1123 labels, unique across a repository's packages.

A package's objects are named after the package (a chart's name, a folder's) when no other
package of the repository has that name; packages that share one (many overlays are called
``base`` or ``prod``, two charts may both be ``helm-guestbook``) are named after their paths
instead (``kustomize/overlays/prod`` → ``kustomize-overlays-prod``), so that applying one never
replaces another's objects. One package deployed alone and the same package in a
``generate --all`` set get the same name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

from gitops_core.checks import to_dns1123_label
from gitops_core.models import DetectedPackage

__all__ = ["MAX_NAME", "label", "object_names", "package_names", "source_name"]

MAX_NAME = 63
_HASH_LENGTH = 8


def _hashed(label: str, basis: str, salt: int) -> str:
    import hashlib  # (names clash rarely; hashlib costs a few ms of every start)

    digest = hashlib.sha256(f"{basis}\0{salt}".encode()).hexdigest()[:_HASH_LENGTH]
    stem = label[: MAX_NAME - _HASH_LENGTH - 1].rstrip("-")
    return f"{stem}-{digest}" if stem else f"p-{digest}"


def label(basis: str) -> str:
    """``basis`` as a DNS-1123 label; cut with a hash of the whole when it is too long."""
    text = to_dns1123_label(basis, max_length=10 * MAX_NAME)
    return text if len(text) <= MAX_NAME else _hashed(text, basis, 0)


def package_names(bases: Sequence[str], reserved: Collection[str] = ()) -> list[str]:
    """Unique DNS-1123 labels (≤ 63) for ``bases``, none of them in ``reserved``.

    A basis whose label no other basis (nor ``reserved``) shares keeps it; the others get their
    label ending with a hash of their own basis, so none is favoured by the order of the set.
    """
    natural = [label(basis) for basis in bases]
    counts = Counter(natural)
    taken = set(reserved)
    names: list[str | None] = [None] * len(bases)
    for index, text in enumerate(natural):
        if text and counts[text] == 1 and text not in taken:
            names[index] = text
    taken.update(name for name in names if name)
    for index in sorted((i for i, n in enumerate(names) if n is None), key=lambda i: bases[i]):
        salt = 0
        while (name := _hashed(natural[index], bases[index], salt)) in taken:
            salt += 1  # a hash collision (or a path spelling another's hashed name)
        names[index] = name
        taken.add(name)
    return [name for name in names if name]


def object_names(
    packages: Sequence[DetectedPackage], reserved: Collection[str] = ()
) -> list[str]:
    """The object name of each of ``packages`` (all of a repository's, or a set's)."""
    natural = [to_dns1123_label(package.name, MAX_NAME) for package in packages]
    counts = Counter(natural)
    bases = [
        package.name
        if package.path == "." or (own and counts[own] == 1 and own not in reserved)
        else package.path
        for package, own in zip(packages, natural, strict=True)
    ]
    return package_names(bases, reserved)


def source_name(git_url: str) -> str:
    """The repository's name from its URL's last path segment (``…/shop.git`` → ``shop``)."""
    segment = git_url.rstrip("/").rpartition("/")[2].rpartition(":")[2]
    segment = segment.removesuffix(".git")
    return to_dns1123_label(segment, MAX_NAME) or "repository"
