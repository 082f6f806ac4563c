"""Every package at once (``generate --all``): one folder, a file per package, one entry point.

**What is deployed** (SPEC §4): every detected package that nothing deploys yet. Left out, each
with its reason (:class:`Skipped`), unless the caller includes that reason:

* ``managed`` — Flux or Argo CD objects of the repository already deploy it (its
  ``managed_by``, see :mod:`gitops_core.detection.gitops`);
* ``flux-installation`` — Flux's own installation (``flux-system``, a ``FluxInstance``);
* ``gitops-config`` — a folder holding only Flux or Argo CD objects that deploy this repository
  (an entry point; this tool's own output among them, an earlier ``--all`` folder too);
* ``test-fixture``, ``docs``, ``example`` — by a folder of its path (``testdata/``, ``docs/``...);
* ``base`` — a package a kustomization of the repository builds (its local ``resources``,
  ``bases`` or ``components``): the overlays that build it deploy its objects. A folder of
  plain manifests whose files an overlay renames (``namePrefix``, ``nameSuffix``) is no base:
  the overlay deploys copies under other names (see :func:`_built`).

``only`` globs select packages by path as ``exclude`` globs remove them. Overlays of one base
deployed together are usually environments (dev, staging, prod): they are reported as such
(:class:`Environment`), and each keeps the namespace it declares, which the configure stage
makes its default. When nothing is left to deploy, :class:`NothingToDeploy` (exit code 0) says
so, with what was left out.

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
  :class:`BundleOutput`: one file per package (or none, when the provider deploys the set through
  one generating object in a shared file, such as an Argo CD ApplicationSet), files shared by
  the set (Flux's ``GitRepository``) and the entry point that deploys the folder.
* **checks** — every file name and every kind + namespace + name is unique, and every document
  is validated, before anything is written; an existing different file is refused (without
  ``force``) before anything is written; each file is written atomically.

The entry point's file is always ``_entrypoint.yaml``: a folder holding one is the output of an
earlier ``--all`` run (of any provider), and anything inside the output folder is left out.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Literal

import attrs

from gitops_core.checks import inside
from gitops_core.configuration import configure, repository_names
from gitops_core.detection import CHART_FILE, KUSTOMIZATION_FILES, detect
from gitops_core.detection.contents import ContentsCache, PackageContents, package_contents
from gitops_core.detection.kustomize import renames, resolve
from gitops_core.errors import GitOpsError, PerPackageAnswersError, ProviderError, UsageError
from gitops_core.git import COMMITTED_OBJECTS, GitFacts, git_facts
from gitops_core.models import (
    ENTRYPOINT_FILE,
    Bundle,
    BundleOutput,
    DetectedPackage,
    GeneratedOutput,
    GitOpsConfig,
    Question,
    Value,
)
from gitops_core.naming import label, object_names, source_name
from gitops_core.output import WriteResult, write_outputs
from gitops_core.output.write import MAX_COMPARE_BYTES, Status
from gitops_core.plugins import Provider
from gitops_core.validation import check_outputs

__all__ = [
    "INCLUDE",
    "Bundle",
    "BundleOutput",
    "BundleResult",
    "Environment",
    "NothingToDeploy",
    "Plan",
    "Skipped",
    "generate_all",
    "plan_all",
    "preview",
    "write_bundle",
]

#: Answers that belong to one package: with ``--all`` each package gets its own.
PER_PACKAGE_ANSWERS = ("gitRepoPath", "outputPath")
#: Files that would turn the folder into something else for kustomize, Flux or Argo CD.
_MARKER_FILES = frozenset({*KUSTOMIZATION_FILES, CHART_FILE})

Role = Literal["package", "shared", "entrypoint"]

#: Why a package is left out of a set.
Reason = Literal[
    "managed",
    "flux-installation",
    "gitops-config",
    "test-fixture",
    "docs",
    "example",
    "base",
    "excluded",
    "output",
]
#: What ``include`` may name (``--include``), and the reasons each one lifts.
INCLUDE: Mapping[str, tuple[Reason, ...]] = {
    "managed": ("managed",),
    "bases": ("base",),
    "fixtures": ("test-fixture",),
    "docs": ("docs",),
    "examples": ("example",),
    "gitops-config": ("gitops-config",),
    "flux": ("flux-installation",),
    "all": (
        "managed", "base", "test-fixture", "docs", "example", "gitops-config", "flux-installation",
    ),
}  # fmt: skip
_WHY: Mapping[Reason, str] = {
    "managed": "already deployed by Flux or Argo CD objects of the repository",
    "flux-installation": "Flux's own installation",
    "gitops-config": "only Flux or Argo CD objects that deploy this repository (an entry point)",
    "test-fixture": "test fixtures",
    "docs": "documentation",
    "example": "examples",
    "base": "Kustomize bases that overlays build",
    "excluded": "left out by --exclude or --only",
    "output": "inside the output folder",
}


@attrs.frozen(kw_only=True)
class Skipped:
    """A package left out of the set: ``reason``, and ``detail`` in words (the files that deploy
    it, the overlays that build it)."""

    package: DetectedPackage
    reason: Reason
    detail: str

    @property
    def include(self) -> str | None:
        """The ``include`` word that deploys it anyway (None: the user's own choice)."""
        return next((word for word, why in INCLUDE.items() if self.reason in why), None)


@attrs.frozen(kw_only=True)
class Environment:
    """Overlays of one base deployed together (dev, staging, prod...), each with the namespace
    it is deployed into."""

    base: str
    overlays: tuple[tuple[str, str | None], ...]


@attrs.frozen(kw_only=True)
class Plan:
    """What a set holds before anything is generated: every package detected, those chosen, and
    those left out with their reasons; ``built`` maps each base to the overlays that build it."""

    packages: tuple[DetectedPackage, ...]
    chosen: tuple[DetectedPackage, ...]
    skipped: tuple[Skipped, ...]
    built: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)


class NothingToDeploy(GitOpsError):
    """Every package is deployed already or left out: not a failure (exit code 0)."""

    exit_code: ClassVar[int] = 0

    def __init__(self, root: Path, plan: Plan) -> None:
        counts: dict[Reason, int] = {}
        for item in plan.skipped:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        what = ", ".join(f"{n} {_WHY[reason].split(' (')[0]}" for reason, n in counts.items())
        super().__init__(
            f"nothing to deploy under {root}: every package is deployed already or left out "
            f"({what}); nothing was written"
        )
        self.plan = plan


@attrs.frozen(kw_only=True)
class BundleFile:
    path: Path
    role: Role
    output: GeneratedOutput
    package: DetectedPackage | None = None


@attrs.frozen(kw_only=True)
class BundleResult:
    """A validated set, ready to write: ``files`` in writing order, the entry point last.

    ``skipped``: the packages left out and why; ``environments``: overlays of one base deployed
    together; ``advice``: notes on the set. ``notes`` holds them all in words, for faces that
    only show lines.
    """

    folder: Path
    repo_folder: str
    files: tuple[BundleFile, ...]
    configs: tuple[GitOpsConfig, ...]
    advice: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    environments: tuple[Environment, ...] = ()
    #: Files beside the manifests that the provider's tool needs (never validated nor applied).
    extra_files: tuple[BundleFile, ...] = ()

    @property
    def entrypoint(self) -> BundleFile:
        return self.files[-1]

    @property
    def notes(self) -> tuple[str, ...]:
        return (*skip_notes(self.skipped), *environment_notes(self.environments), *self.advice)


def skip_notes(skipped: Sequence[Skipped], limit: int = 8) -> list[str]:
    """One line per reason: what was left out, and how to deploy it anyway."""
    groups: dict[Reason, list[str]] = {}
    for item in skipped:
        groups.setdefault(item.reason, []).append(item.package.path)
    lines = []
    for reason, paths in groups.items():
        shown = ", ".join(paths[:limit]) + (
            f" and {len(paths) - limit} more" if len(paths) > limit else ""
        )
        word = INCLUDE_WORD.get(reason)
        anyway = f"; --include {word} deploys them anyway" if word else ""
        lines.append(f"left out {len(paths)} ({_WHY[reason]}): {shown}{anyway}")
    return lines


INCLUDE_WORD: Mapping[Reason, str] = {
    reason: word for word, reasons in INCLUDE.items() if word != "all" for reason in reasons
}


# --- the set ----------------------------------------------------------------------------------


def _repo_folder(folder: Path, top_level: Path) -> str:
    if not inside(top_level, folder):
        raise UsageError(
            f"the output folder {folder} is outside the Git repository {top_level}; the entry "
            "point deploys the folder from that repository, so -o DIR must be inside it"
        )
    return folder.relative_to(top_level).as_posix() or "."


def _matches(path: str, patterns: Sequence[str]) -> set[str]:
    return {pattern for pattern in patterns if fnmatch.fnmatchcase(path, pattern)}


def plan_all(
    root: Path,
    folder: Path,
    *,
    exclude: Sequence[str] = (),
    only: Sequence[str] = (),
    include: Sequence[str] = (),
    facts: GitFacts | None = None,
    progress: Callable[[str], None] | None = None,
    read: ContentsCache | None = None,
) -> Plan:
    """Which packages under ``root`` a set writing into ``folder`` deploys, and which it leaves
    out and why (see the module doc). Raises UsageError for an unknown ``include`` word, a glob
    that matches nothing, or a tree without packages. ``read``: the set's reading of its
    packages' files, which detection's reading fills (a fresh one when not given)."""
    unknown = sorted(set(include) - set(INCLUDE))
    if unknown:
        raise UsageError(f"--include {', '.join(unknown)}: not one of {', '.join(INCLUDE)}")
    lifted = {reason for word in include for reason in INCLUDE[word]}
    root = root.resolve()
    folder = folder.resolve()

    def walked(count: int) -> None:
        if progress is not None:
            progress(f"scanning {root}: {count:,} folders")

    read = ContentsCache() if read is None else read
    everyone = detect(root, repository=facts, progress=walked, kustomizations=read.texts)
    if not everyone:
        raise UsageError(
            f"no Helm chart, Kustomize overlay or Kubernetes manifests found under {root}"
        )
    built = _built(root, everyone, read)
    # The output folder as a path under root (None when outside): string tests per package.
    out = folder.relative_to(root).as_posix() if inside(root, folder) else None

    def in_output(path: str) -> bool:
        return out is not None and (out == "." or path == out or path.startswith(out + "/"))

    unused_exclude, unused_only = set(exclude), set(only)
    chosen: list[DetectedPackage] = []
    skipped: list[Skipped] = []
    for package in everyone:
        excluded = _matches(package.path, exclude)
        selected = _matches(package.path, only)
        unused_exclude -= excluded
        unused_only -= selected
        where = root / package.path
        # Every reason that applies, in this order; the package is deployed only when the
        # caller lifted them all, and the first one left is what the report gives.
        reasons: list[tuple[Reason, str]] = []
        if in_output(package.path):
            reasons.append(("output", "this run writes there"))
        if excluded or (only and not selected):
            detail = f"--exclude {', '.join(sorted(excluded))}" if excluded else "not in --only"
            reasons.append(("excluded", detail))
        if package.type == "raw-manifests" and (where / ENTRYPOINT_FILE).is_file():
            reasons.append(("gitops-config", "the output of an earlier --all"))
        elif package.role != "workload":
            reasons.append((package.role, ROLE_DETAIL[package.role]))
        # What this run's own folder deploys is what the run replaces: that does not count.
        managers = [m for m in package.managed_by if not in_output(m)]
        if managers:
            reasons.append(("managed", f"deployed by {', '.join(managers)}"))
        if package.path in built:
            reasons.append(("base", f"built into {', '.join(built[package.path])}"))
        left = [(reason, detail) for reason, detail in reasons if reason not in lifted]
        if left:
            skipped.append(Skipped(package=package, reason=left[0][0], detail=left[0][1]))
            continue
        if package.type != "kustomize" and out is not None and in_output_of(out, package.path):
            # Flux and Argo CD deploy every manifest below a chart or a manifest folder.
            raise UsageError(
                f"the output folder {folder} is inside the {package.type} package "
                f"{package.path!r}, which would then deploy the generated files too; "
                "choose a folder outside it with -o DIR"
            )
        chosen.append(package)
    if unused_exclude:
        raise UsageError(
            f"--exclude {', '.join(sorted(unused_exclude))}: matches no detected package"
        )
    if unused_only:
        raise UsageError(f"--only {', '.join(sorted(unused_only))}: matches no detected package")
    return Plan(packages=tuple(everyone), chosen=tuple(chosen), skipped=tuple(skipped), built=built)


def in_output_of(out: str, path: str) -> bool:
    """Whether the output folder ``out`` lies strictly below the package folder ``path``."""
    return path != out and (path == "." or out.startswith(path + "/"))


ROLE_DETAIL: Mapping[str, str] = {
    "flux-installation": "Flux's own installation",
    "gitops-config": "only GitOps objects that deploy this repository",
    "test-fixture": "test fixtures, by its path",
    "docs": "documentation, by its path",
    "example": "an example, by its path",
}


def _built(
    root: Path, packages: Sequence[DetectedPackage], read: ContentsCache
) -> dict[str, tuple[str, ...]]:
    """Each package that a kustomization of the repository builds, with the packages whose
    kustomizations build it (test fixtures, docs and examples do not count).

    A kustomization (a folder the overlay names) is a base whatever the overlay does with it:
    it exists to be built, and overlays that rename it (``namePrefix: staging-``, as kustomize's
    own example does) or move it (``namespace:``) are its environments. A folder of plain
    manifests whose files an overlay picks is a base only when that overlay keeps their names:
    one with a ``namePrefix`` or ``nameSuffix`` deploys renamed copies (argocd-example-apps'
    ``pre-post-sync`` over ``guestbook``), and the folder's own objects are deployed by nothing
    but the folder, which is an application of its own. A ``namespace:`` alone keeps the
    folder a base: placing a base's objects in each environment's namespace is what overlays
    are for, and the folder deployed alone would only add one more copy of them."""
    paths = {package.path: package for package in packages}
    users: dict[str, list[str]] = {}
    for package in packages:
        if package.type != "kustomize" or package.role in ("test-fixture", "docs", "example"):
            continue
        references = read.kustomization(os.path.normpath(os.path.join(root, package.path)))
        entries = references.references.entries if references.references else ()
        renamed = references.text is not None and renames(references.text)
        for target in resolve(package.path, entries):
            if target not in paths:
                parent = target.rpartition("/")[0] or "."
                # A file of a folder of plain manifests: that folder is built in, unless the
                # overlay renames what it builds.
                if parent not in paths or paths[parent].type != "raw-manifests" or renamed:
                    continue
                target = parent
            if target != package.path and package.path not in users.get(target, ()):
                users.setdefault(target, []).append(package.path)
    return {base: tuple(sorted(overlays)) for base, overlays in sorted(users.items())}


def generate_all(
    root: Path,
    provider: Provider,
    provided: Mapping[str, object],
    folder: Path,
    exclude: Sequence[str] = (),
    *,
    only: Sequence[str] = (),
    include: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> BundleResult:
    """Detect, choose (:func:`plan_all`), configure, name, generate and validate the set of
    packages under ``root`` that nothing deploys yet.

    ``folder`` receives the files. ``exclude``/``only``: globs on package paths; ``include``:
    words of :data:`INCLUDE` whose packages are deployed although something deploys them or
    they are no workload. ``progress`` hears what is being done, for a long run. Raises
    :class:`NothingToDeploy` (exit 0) when no package is left, UsageError (bad answers, no
    packages, a folder outside the repository), ProviderError, or InvalidManifestError naming
    every problem; nothing is written here.
    """
    refused = [answer for answer in PER_PACKAGE_ANSWERS if answer in provided]
    if refused:
        raise PerPackageAnswersError(refused)
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder")
    folder = folder.resolve()
    facts = git_facts(root, grep=COMMITTED_OBJECTS)
    repo_folder = _repo_folder(folder, facts.top_level.resolve() if facts.top_level else root)
    # One reading for the set: detection's kustomizations, and a base that overlays build read
    # once, not once per overlay.
    read = ContentsCache()
    plan = plan_all(
        root,
        folder,
        exclude=exclude,
        only=only,
        include=include,
        facts=facts,
        progress=progress,
        read=read,
    )
    if not plan.chosen:
        raise NothingToDeploy(root, plan)
    everyone, packages = plan.packages, plan.chosen
    # Every package's manifest goes into the folder: that is the outputPath they share.
    answers = {**provided, "outputPath": str(folder)}
    # (Named by the set below; configure needs the names only for packages deployed alone.)
    names = repository_names(root, everyone)
    own = _declared_namespaces(root, plan, provided, read)
    configs = []
    asked = _AskedOnce(provider)
    for index, package in enumerate(packages):
        if progress is not None:
            progress(f"configuring {index + 1:,} of {len(packages):,} packages")
        given = answers
        contents = package_contents(root, package, read)
        declared = _keeps_own_namespace(contents, provided.get("destinationNamespace"))
        if declared is not None and package.path not in own:
            own[package.path] = declared
        if package.path in own:
            given = {k: v for k, v in answers.items() if k != "destinationNamespace"}
        configs.append(
            configure(root, package, asked, given, facts=facts, names=names, contents=contents)
        )
    first = configs[0].shared
    source = source_name(str(first["gitRepoUrl"]))
    entrypoint = (label(repo_folder) if repo_folder != "." else "") or f"{source}-{provider.id}"
    bundle = Bundle(
        folder=repo_folder,
        # Only the entry point's name is kept from the packages (an Argo CD app-of-apps is an
        # Application too): the shared source is of another kind, and a package keeps the name
        # it gets deployed alone, so its Helm release keeps its name across both ways.
        names=_names(everyone, packages, {entrypoint}),
        source=source,
        entrypoint=entrypoint,
        given=frozenset(provided),
    )
    if progress is not None:
        progress(f"generating the files of {len(packages):,} packages")
    output = provider.generate_all(configs, bundle)
    files = _files(folder, provider, configs, bundle, output)
    if progress is not None:
        progress(f"validating {len(files):,} files")
    check_outputs((item.output for item in files), provider)
    extra = _extra_files(folder, provider, output, files)
    environments = _environments(plan, configs)
    return BundleResult(
        folder=folder,
        repo_folder=repo_folder,
        files=files,
        configs=tuple(configs),
        advice=(
            *(
                f"{path} keeps the namespace it declares ({namespace}); the given "
                "destinationNamespace is for the packages that declare none"
                for path, namespace in own.items()
            ),
            *_notes(files),
            *_strays(folder, files),
            *(f"{item.path} is written too: {item.output.description}" for item in extra),
        ),
        skipped=plan.skipped,
        environments=environments,
        extra_files=extra,
    )


class _AskedOnce(Provider):
    """The provider, with its questions and shared defaults asked once for the whole set
    rather than once per package (the answers of one run do not change)."""

    def __init__(self, provider: Provider) -> None:
        vars(self).update(vars(provider))
        self._questions_once: tuple[Question, ...] | None = None
        self._shared_once: tuple[Question, ...] | None = None
        self._defaults_once: Mapping[str, Value] | None = None

    def questions(self) -> tuple[Question, ...]:
        if self._questions_once is None:
            self._questions_once = super().questions()
        return self._questions_once

    def shared_questions(self) -> tuple[Question, ...]:
        if self._shared_once is None:
            self._shared_once = super().shared_questions()
        return self._shared_once

    def shared_defaults(self) -> Mapping[str, Value]:
        if self._defaults_once is None:
            self._defaults_once = super().shared_defaults()
        return dict(self._defaults_once)


def _declared_namespaces(
    root: Path, plan: Plan, provided: Mapping[str, object], read: ContentsCache
) -> dict[str, str]:
    """Overlays of one base deployed together (environments) that declare a namespace other
    than the given ``destinationNamespace``: each keeps its own, by path."""
    given = provided.get("destinationNamespace")
    if not given:
        return {}
    chosen = {package.path: package for package in plan.chosen}
    own: dict[str, str] = {}
    for overlays in plan.built.values():
        deployed = [chosen[path] for path in overlays if path in chosen]
        if len(deployed) < 2:
            continue
        for package in deployed:
            if package.type != "kustomize":
                continue
            declared = read.kustomization(
                os.path.normpath(os.path.join(root, package.path))
            ).namespace
            if declared and declared != given:
                own[package.path] = declared
    return dict(sorted(own.items()))


def _keeps_own_namespace(contents: PackageContents, given: object) -> str | None:
    """The namespaces a package's objects all declare, when a set-wide ``destinationNamespace``
    would move them (or rename its Namespace objects): a set's answer is for the packages that
    declare none, as SPEC §5 has it ("never silently moves objects that declare their own")."""
    if not given or contents.unnamespaced or not contents.namespaces:
        return None
    if set(contents.namespaces) == {given} and set(contents.namespace_objects) <= {given}:
        return None
    return ", ".join(contents.namespaces)


def _environments(plan: Plan, configs: Sequence[GitOpsConfig]) -> tuple[Environment, ...]:
    """Overlays of one base deployed together, with the namespace each goes into."""
    chosen = {config.package.path: config for config in configs}
    found = []
    for base, overlays in plan.built.items():
        deployed = [path for path in overlays if path in chosen]
        if len(deployed) < 2:
            continue
        namespaces = tuple(
            (path, _text(chosen[path].shared.get("destinationNamespace"))) for path in deployed
        )
        found.append(Environment(base=base, overlays=namespaces))
    return tuple(found)


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def environment_notes(environments: Sequence[Environment]) -> list[str]:
    """Each set of environments in words, then the namespaces two of them would share."""
    notes = []
    for environment in environments:
        where = ", ".join(f"{path} → {ns or 'no namespace'}" for path, ns in environment.overlays)
        notes.append(
            f"{len(environment.overlays)} environments (overlays of {environment.base}), each "
            f"in the namespace it declares or was given: {where}"
        )
    return [*notes, *namespace_clashes(environments)]


def namespace_clashes(environments: Sequence[Environment]) -> list[str]:
    """Overlays of one base that would go into the same namespace."""
    notes = []
    for environment in environments:
        shared: dict[str | None, list[str]] = {}
        for path, namespace in environment.overlays:
            shared.setdefault(namespace, []).append(path)
        for namespace, paths in shared.items():
            if len(paths) > 1:
                notes.append(
                    f"{' and '.join(paths)} (overlays of {environment.base}) all go into "
                    f"namespace {namespace or '(none)'}: unless they rename their objects "
                    "(namePrefix, nameSuffix), each replaces the other's; declare a namespace "
                    "in each overlay's kustomization"
                )
    return notes


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

    # No package files at all: the set is deployed through one object in a shared file that
    # generates each package's (an Argo CD ApplicationSet).
    if output.packages and len(output.packages) != len(configs):
        raise fail(f"returned {len(output.packages)} package files for {len(configs)} packages")
    if not output.packages and not output.shared:
        raise fail(f"returned no file for {len(configs)} packages")
    files = [
        BundleFile(path=folder / out.filename, role="package", output=out, package=config.package)
        for config, out in zip(configs, output.packages, strict=bool(output.packages))
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


def preview(result: BundleResult) -> list[Status]:
    """What :func:`write_bundle` would do to each of ``result.files``, writing nothing:
    ``created`` (no file yet), ``unchanged`` or ``replaced`` (a different file, which needs
    ``force``)."""
    statuses: list[Status] = []
    for item in result.files:
        try:
            if not item.path.is_file():
                statuses.append("created")
                continue
            if item.path.stat().st_size > MAX_COMPARE_BYTES:
                statuses.append("replaced")
                continue
            same = item.path.read_text(encoding="utf-8") == item.output.manifests
        except (OSError, UnicodeDecodeError):
            same = False
        statuses.append("unchanged" if same else "replaced")
    return statuses
