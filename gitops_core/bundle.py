"""Every package at once (``generate --all``): one folder, a file per package, one entry point.

The core decides what must hold across the set and the provider renders it:

* **names** — each package's objects and file are named after the package's path (relative to the
  scanned folder: ``kustomize/overlays/prod`` → ``kustomize-overlays-prod``), because in a
  monorepo many packages share a name (``base``, ``prod``). A name depends only on its own
  path, so adding a package never renames another's objects, which would make a controller
  delete and recreate them. Names are DNS-1123 labels of at most 63 characters; a longer path is
  cut and ends with a hash of the whole path, and paths that would give the same label (or the
  name of the shared source or entry point) all end with a hash of their own path instead.
* **answers** — given answers apply to every package; ``gitRepoPath`` and ``outputPath`` (and
  answers a provider declares per package, such as an object name) are refused.
* **the provider** — :meth:`Provider.generate_all` gets every package's config and a
  :class:`Bundle` (the folder's path in the repository, the names) and returns a
  :class:`BundleOutput`: one file per package, files shared by the set (Flux's
  ``GitRepository``) and the entry point that deploys the folder.
* **checks** — every file name and every kind + namespace + name is unique, and every document
  is validated, before anything is written; an existing different file is refused (without
  ``force``) before anything is written; each file is written atomically.

The entry point's file is always ``_entrypoint.yaml``: a folder holding one is the output of an
earlier ``--all`` run (of any provider), not a package, and is skipped with a note, as is
anything inside the output folder.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs

from gitops_core.checks import inside
from gitops_core.configuration import configure, repository_names
from gitops_core.detection import CHART_FILE, KUSTOMIZATION_FILES, detect
from gitops_core.errors import PerPackageAnswersError, ProviderError, UsageError
from gitops_core.git import git_facts
from gitops_core.models import (
    ENTRYPOINT_FILE,
    Bundle,
    BundleOutput,
    DetectedPackage,
    GeneratedOutput,
    GitOpsConfig,
    Value,
)
from gitops_core.naming import label, object_names, source_name
from gitops_core.output import WriteResult, write_outputs
from gitops_core.validation import check_outputs

if TYPE_CHECKING:
    from gitops_core.plugins import Provider

__all__ = [
    "Bundle",
    "BundleOutput",
    "BundleResult",
    "generate_all",
    "write_bundle",
]

#: Answers that belong to one package: with ``--all`` each package gets its own.
PER_PACKAGE_ANSWERS = ("gitRepoPath", "outputPath")
#: Files that would turn the folder into something else for kustomize, Flux or Argo CD.
_MARKER_FILES = frozenset({*KUSTOMIZATION_FILES, CHART_FILE})


Role = Literal["package", "shared", "entrypoint"]


@attrs.frozen(kw_only=True)
class BundleFile:
    path: Path
    role: Role
    output: GeneratedOutput
    package: DetectedPackage | None = None


@attrs.frozen(kw_only=True)
class BundleResult:
    """A validated set, ready to write: ``files`` in writing order, the entry point last."""

    folder: Path
    repo_folder: str
    files: tuple[BundleFile, ...]
    configs: tuple[GitOpsConfig, ...]
    notes: tuple[str, ...]
    #: Files the provider's tool needs beside the manifests (``BundleOutput.files``): written
    #: with ``files``, never validated nor applied.
    extra_files: tuple[BundleFile, ...] = ()

    @property
    def entrypoint(self) -> BundleFile:
        return self.files[-1]


# --- the set ----------------------------------------------------------------------------------


def _repo_folder(folder: Path, top_level: Path) -> str:
    if not inside(top_level, folder):
        raise UsageError(
            f"the output folder {folder} is outside the Git repository {top_level}; the entry "
            "point deploys the folder from that repository, so -o DIR must be inside it"
        )
    return folder.relative_to(top_level).as_posix() or "."


def _packages(
    root: Path, folder: Path, notes: list[str], exclude: Sequence[str] = ()
) -> tuple[list[DetectedPackage], list[DetectedPackage]]:
    """Every package detected under ``root``, and those of the set."""
    packages = []
    unused = set(exclude)
    everyone = detect(root)
    for package in everyone:
        matched = {pattern for pattern in exclude if fnmatch.fnmatchcase(package.path, pattern)}
        if matched:
            unused -= matched
            continue
        where = root / package.path
        if inside(folder, where):
            continue
        if package.type == "raw-manifests" and (where / ENTRYPOINT_FILE).is_file():
            notes.append(f"skipped {package.path}: the output of an earlier --all")
            continue
        if package.type != "kustomize" and where in folder.parents:
            # Flux and Argo CD deploy every manifest below a chart or a manifest folder.
            raise UsageError(
                f"the output folder {folder} is inside the {package.type} package "
                f"{package.path!r}, which would then deploy the generated files too; "
                "choose a folder outside it with -o DIR"
            )
        packages.append(package)
    if unused:
        raise UsageError(f"--exclude {', '.join(sorted(unused))}: matches no detected package")
    if not packages:
        raise UsageError(
            f"no Helm chart, Kustomize overlay or Kubernetes manifests found under {root}"
        )
    notes += _built_into(root, packages)
    return everyone, packages


#: A kustomization is a small file; a bigger one is not read for this advice.
_MAX_KUSTOMIZATION_BYTES = 1024 * 1024


# Bare list items ("- ../base") and flow lists ("resources: [../base]") of a kustomization:
# a text scan, not a YAML parse, because parsing 3,000 kustomizations took a fifth of --all.
# It may also see other bare items (files of a generator); only paths that are packages of
# the set count, and the result is advice, so that is harmless.
_LIST_ITEM = re.compile(r"""^[ \t]*-[ \t]+['"]?([^'"\s#]+)['"]?[ \t]*(?:#.*)?$""", re.MULTILINE)
_FLOW_LIST = re.compile(r"^(?:resources|bases|components)[ \t]*:[ \t]*\[([^\]]*)\]", re.MULTILINE)


def _local_references(root: Path, package: DetectedPackage) -> set[str]:
    """The folders (relative to ``root``) a kustomization may build in: its local resources,
    bases and components."""
    folder = root / package.path
    for name in KUSTOMIZATION_FILES:
        try:
            with (folder / name).open("rb") as handle:
                text = handle.read(_MAX_KUSTOMIZATION_BYTES).decode("utf-8", "replace")
            break
        except OSError:
            continue
    else:
        return set()
    entries = _LIST_ITEM.findall(text)
    for flow in _FLOW_LIST.findall(text):
        entries += [item.strip().strip("'\"") for item in flow.split(",")]
    found = set()
    for entry in entries:
        if not entry or "://" in entry or "?" in entry:
            continue  # remote bases are not packages of this repository
        target = os.path.normpath(os.path.join(package.path, entry))
        if not target.startswith(".."):
            found.add(target.replace(os.sep, "/"))
    return found


def _built_into(root: Path, packages: Sequence[DetectedPackage]) -> list[str]:
    """Advice for packages that another package of the set also builds (a Kustomize base under
    its overlays): deploying both applies the same objects twice."""
    paths = {package.path for package in packages}
    users: dict[str, list[str]] = {}
    for package in packages:
        if package.type == "kustomize":
            for target in sorted(_local_references(root, package) & paths):
                users.setdefault(target, []).append(package.path)
    return [
        f"{base} is also built into {', '.join(overlays)}: both are deployed, so the same "
        f"objects are applied twice; leave it out with --exclude {base}"
        for base, overlays in sorted(users.items())
    ]


def generate_all(
    root: Path,
    provider: Provider,
    provided: Mapping[str, object],
    folder: Path,
    exclude: Sequence[str] = (),
) -> BundleResult:
    """Detect, configure, name, generate and validate every package under ``root``.

    ``folder`` receives the files; packages whose path matches an ``exclude`` glob are left
    out. Raises UsageError (bad answers, no packages, a folder outside
    the repository), ProviderError, or InvalidManifestError naming every problem; nothing is
    written here.
    """
    refused = [answer for answer in PER_PACKAGE_ANSWERS if answer in provided]
    if refused:
        raise PerPackageAnswersError(refused)
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder")
    folder = folder.resolve()
    facts = git_facts(root)
    repo_folder = _repo_folder(folder, facts.top_level.resolve() if facts.top_level else root)
    notes: list[str] = []
    everyone, packages = _packages(root, folder, notes, exclude)
    # Every package's manifest goes into the folder: that is the outputPath they share.
    answers = {**provided, "outputPath": str(folder)}
    # (Named by the set below; configure needs the names only for packages deployed alone.)
    names = repository_names(root, everyone)
    configs = tuple(
        configure(root, package, provider, answers, facts=facts, names=names)
        for package in packages
    )
    first = configs[0].shared
    source = source_name(str(first["gitRepoUrl"]))
    entrypoint = (label(repo_folder) if repo_folder != "." else "") or f"{source}-{provider.id}"
    bundle = Bundle(
        folder=repo_folder,
        names=_names(everyone, packages, {source, entrypoint}),
        source=source,
        entrypoint=entrypoint,
        given=frozenset(provided),
    )
    output = provider.generate_all(configs, bundle)
    files = _files(folder, provider, configs, bundle, output)
    check_outputs((item.output for item in files), provider)
    extra = _extra_files(folder, provider, output, files)
    return BundleResult(
        folder=folder,
        repo_folder=repo_folder,
        files=files,
        configs=configs,
        notes=(
            *notes,
            *_notes(files),
            *_strays(folder, files),
            *(f"{item.path} is written too: {item.output.description}" for item in extra),
        ),
        extra_files=extra,
    )


def _names(
    everyone: Sequence[DetectedPackage], packages: Sequence[DetectedPackage], reserved: set[str]
) -> tuple[str, ...]:
    """The set's names, as each package would be named deployed alone (see naming)."""
    names = dict(zip((p.path for p in everyone), object_names(everyone, reserved), strict=True))
    return tuple(names[package.path] for package in packages)


def _strays(folder: Path, files: Iterable[BundleFile]) -> list[str]:
    """Files the entry point would still deploy though this set no longer produces them (a
    package removed or excluded since the last run). Named, never deleted: they may be the
    user's own."""
    if not folder.is_dir():
        return []
    ours = {item.path.name for item in files}
    return [
        f"{folder / name} is not part of this set but stays in the folder, so the entry point "
        "still deploys it; delete it if it is no longer wanted"
        for name in sorted(p.name for p in folder.glob("*.yaml") if p.name not in ours)
    ]


def _files(
    folder: Path,
    provider: Provider,
    configs: Sequence[GitOpsConfig],
    bundle: Bundle,
    output: BundleOutput,
) -> tuple[BundleFile, ...]:
    """The files to write, checked for what the core promises: unique files and objects."""

    def fail(message: str) -> ProviderError:
        return ProviderError(provider.distribution, f"gitops_generate_all: {message}")

    if len(output.packages) != len(configs):
        raise fail(f"returned {len(output.packages)} package files for {len(configs)} packages")
    files = [
        BundleFile(path=folder / out.filename, role="package", output=out, package=config.package)
        for config, out in zip(configs, output.packages, strict=True)
    ]
    files += [
        BundleFile(path=folder / out.filename, role="shared", output=out) for out in output.shared
    ]
    files.append(
        BundleFile(
            path=folder / output.entrypoint.filename, role="entrypoint", output=output.entrypoint
        )
    )
    seen: dict[str, BundleFile] = {}
    owners: dict[tuple[str, str, str], str] = {}
    for item in files:
        name = item.output.filename
        if "/" in name or "\\" in name or name.startswith(".") or name in _MARKER_FILES:
            raise fail(f"file name {name!r} is not a plain file name for the folder")
        if name in seen:
            raise fail(f"two files are both named {name!r}")
        seen[name] = item
        for document in item.output.documents:
            key = _object_key(document)
            if key in owners:
                kind, namespace, object_name = key
                raise fail(
                    f"{owners[key]} and {name} both define {kind} "
                    f"{namespace + '/' if namespace else ''}{object_name}"
                )
            owners[key] = name
    return tuple(files)


def _extra_files(
    folder: Path, provider: Provider, output: BundleOutput, files: Sequence[BundleFile]
) -> tuple[BundleFile, ...]:
    """The provider's files that are not manifests, checked: plain names no manifest has, and
    none a controller would read as a manifest (those go where they are validated)."""
    taken = {item.path.name for item in files}
    extra = []
    for out in output.files:
        name = out.filename
        plain = name not in ("", ".", "..") and "/" not in name and "\\" not in name
        if not plain or name in _MARKER_FILES or name in taken:
            raise ProviderError(
                provider.distribution,
                f"gitops_generate_all: extra file name {name!r} is not a plain file name of "
                "its own for the folder",
            )
        if out.documents or name.lower().endswith((".yaml", ".yml", ".json")):
            raise ProviderError(
                provider.distribution,
                f"gitops_generate_all: extra file {name!r} would be read as a manifest; "
                "manifests go into the package or shared files, where they are validated",
            )
        taken.add(name)
        extra.append(BundleFile(path=folder / name, role="shared", output=out))
    return tuple(extra)


def _object_key(document: Mapping[str, Value]) -> tuple[str, str, str]:
    metadata = document.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    return (
        str(document.get("kind", "")),
        str(metadata.get("namespace", "")),
        str(metadata.get("name", "")),
    )


def _notes(files: Iterable[BundleFile]) -> tuple[str, ...]:
    """Each note once: with its package's path, or how many packages it concerns."""
    packages: dict[str, list[str]] = {}
    for item in files:
        for note in item.output.notes:
            packages.setdefault(note, []).extend([item.package.path] if item.package else [])
    return tuple(
        note
        if not paths
        else f"{paths[0]}: {note}"
        if len(paths) == 1
        else f"{note} ({len(paths)} packages)"
        for note, paths in packages.items()
    )


# --- writing ----------------------------------------------------------------------------------


def write_bundle(result: BundleResult, *, force: bool = False) -> list[WriteResult]:
    """Write every file atomically; without ``force`` an existing different file refuses the
    whole set before anything is written. One result per item of ``result.files``; the extra
    files are written with them."""
    items = [(item.path, item.output.manifests) for item in (*result.files, *result.extra_files)]
    return write_outputs(items, force=force)[: len(result.files)]
