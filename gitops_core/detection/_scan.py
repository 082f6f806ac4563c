"""The walk over a tree and the classification of one folder (see the package docstring)."""

from __future__ import annotations

import os
import reprlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from gitops_core.errors import UsageError
from gitops_core.models import Confidence, DetectedPackage, PackageType

from ._files import (
    MARKER_LIMIT,
    SNIFF_LIMIT,
    Verdict,
    decode,
    load_yaml_or_none,
    read_prefix,
    scan_top_level,
    sniff,
    sniff_data,
)
from .gitops import (
    FLUX_INSTALLATION_FILES,
    Found,
    GitOpsScan,
    finish,
    has_marker,
    only_alongside,
)
from .kustomize import KUSTOMIZATION_FILES as KUSTOMIZATION_FILES

if TYPE_CHECKING:
    from gitops_core.git import GitFacts


def _warn(message: str, *args: object) -> None:
    """A folder or file skipped, to the ``gitops_core.detection`` logger (imported only then:
    logging and what it imports cost ~1.5 ms of every start)."""
    import logging

    logging.getLogger("gitops_core.detection").warning(message, *args)


CHART_FILE = "Chart.yaml"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
JSONNET_SUFFIX = ".jsonnet"
#: Folders that hold dependencies or tool state, never a package of this repository.
SKIPPED_FOLDERS = frozenset({"node_modules", "vendor", "__pycache__"})
#: A virtual environment, whatever its folder is called.
VENV_MARKER = "pyvenv.cfg"
_RELEVANT_SUFFIXES = (*MANIFEST_SUFFIXES, JSONNET_SUFFIX)
_RELEVANT_NAMES = frozenset({*KUSTOMIZATION_FILES, VENV_MARKER})
_YAML_SUFFIXES = (".yaml", ".yml")
#: How often (in folders) a long walk reports its progress.
PROGRESS_EVERY = 256


class _Listing(NamedTuple):
    #: The files that matter to classification (markers, manifests, ...), sorted by name.
    files: list[str]
    #: (name, path) of every real sub-folder.
    folders: list[tuple[str, str]]


class _Outcome(NamedTuple):
    package: DetectedPackage | None
    #: True when everything below the folder belongs to it (a chart), so the walk stops there.
    claims_subtree: bool


def detect(
    root: str | os.PathLike[str],
    *,
    repository: GitFacts | None = None,
    progress: Callable[[int], None] | None = None,
    kustomizations: dict[str, str] | None = None,
) -> list[DetectedPackage]:
    """Every deployable package under ``root``, sorted by path, with what it is (``role``) and
    the files whose Flux or Argo CD objects deploy it already (``managed_by``; see
    :mod:`gitops_core.detection.gitops`).

    ``repository``: the Git facts of the checkout, when the caller has them (otherwise they are
    asked of Git, only if the tree holds Flux or Argo CD objects). ``progress`` is called with the
    number of folders walked so far, every few hundred folders. ``kustomizations``, when given,
    receives the text of every kustomization file read whole, by folder (absolute and
    normalized, as :func:`os.path.normpath` gives it), for a caller that needs them again.
    """
    top = _folder(root)
    top_name = _base_name(top)
    packages: list[DetectedPackage] = []
    scan = GitOpsScan()
    pending = [(top, ".")]
    walked = 0
    while pending:
        path, rel = pending.pop()
        listing = _list(path, required=rel == ".")
        if listing is None or (rel != "." and VENV_MARKER in listing.files):
            continue
        walked += 1
        if progress is not None and walked % PROGRESS_EVERY == 0:
            progress(walked)
        name = top_name if rel == "." else rel.rpartition("/")[2]
        package, claims_subtree = _classify(path, rel, name, listing, scan)
        if package is not None:
            packages.append(package)
        if claims_subtree:
            continue
        prefix = "" if rel == "." else rel + "/"
        pending.extend(
            (folder_path, prefix + folder)
            for folder, folder_path in listing.folders
            if not folder.startswith(".") and folder not in SKIPPED_FOLDERS
        )
    packages.sort(key=lambda package: package.path)
    if kustomizations is not None:
        kustomizations.update(
            (os.path.normpath(os.path.join(top, rel)), text)
            for rel, text in scan.kustomizations.items()
            if rel not in scan.unread
        )
    return finish(top, packages, scan, repository)


def analyze(
    folder: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None
) -> DetectedPackage | None:
    """Classify one folder as :func:`detect` would, or ``None`` when it is no deployable package."""
    if root is None:
        path = _folder(folder)
        return _classify(path, ".", _base_name(path), _require_listing(path), None)[0]
    top = _folder(root)
    path = _folder(os.path.join(top, folder))
    rel = os.path.relpath(path, top)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        raise UsageError(f"{os.fspath(folder)}: not inside {os.fspath(root)}")
    rel = rel.replace(os.sep, "/")
    # Everything below a chart belongs to it: its templates/ or charts/ are no package of their own.
    parent = path
    while parent != top:
        parent = os.path.dirname(parent)
        if os.path.isfile(os.path.join(parent, CHART_FILE)):
            return None
    name = _base_name(top) if rel == "." else rel.rpartition("/")[2]
    return _classify(path, rel, name, _require_listing(path), None)[0]


def _folder(path: str | os.PathLike[str]) -> str:
    """``path`` made absolute, or a one-line :class:`UsageError` when it is no folder."""
    absolute = os.path.abspath(path)
    if not os.path.exists(absolute):
        raise UsageError(f"{os.fspath(path)}: no such folder")
    if not os.path.isdir(absolute):
        raise UsageError(f"{os.fspath(path)}: not a folder")
    return absolute


def _base_name(path: str) -> str:
    return os.path.basename(path) or path


def _require_listing(path: str) -> _Listing:
    listing = _list(path, required=True)
    assert listing is not None  # required=True raises instead
    return listing


def _list(path: str, *, required: bool) -> _Listing | None:
    """The regular files that matter and the real (not symlinked) sub-folders of ``path``.

    Links count as files when they lead to a regular file; dangling links and loops are ignored.
    An unreadable folder is logged and skipped, unless it is the one the user asked for.
    """
    files: list[str] = []
    folders: list[tuple[str, str]] = []
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                name = entry.name
                if entry.is_dir(follow_symlinks=False):
                    if _utf8_name(entry):
                        folders.append((name, entry.path))
                    continue
                # Hidden files (tool configs such as .fluxschema.yml) never make a package;
                # source code, docs and the like never matter: skip them before any stat.
                if name.startswith(".") or not (
                    name.lower().endswith(_RELEVANT_SUFFIXES) or name in _RELEVANT_NAMES
                ):
                    continue
                if not _utf8_name(entry):
                    continue
                try:
                    if entry.is_file():
                        files.append(name)
                except OSError:  # a symlink loop, or a link into a folder we cannot read
                    continue
    except OSError as error:
        if required:
            raise UsageError(f"{path}: cannot read folder ({error.strerror})") from None
        _warn("skipped %s: cannot read folder (%s)", path, error.strerror)
        return None
    files.sort()
    return _Listing(files, folders)


def _utf8_name(entry: os.DirEntry[str]) -> bool:
    """Whether a name is UTF-8; other names are logged and skipped, since no manifest (UTF-8
    YAML) and no JSON output can name them."""
    name = entry.name
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept by os.fsdecode as lone surrogates
        if not name.startswith(".") and name not in SKIPPED_FOLDERS:
            shown = os.fsencode(entry.path).decode("utf-8", "backslashreplace")
            _warn("skipped %s: its name is not valid UTF-8", shown)
        return False
    return True


def _classify(
    path: str, rel: str, name: str, listing: _Listing, scan: GitOpsScan | None
) -> _Outcome:
    """What the folder at ``path`` is, judged by the files directly in it; ``scan`` (when given)
    collects the Flux and Argo CD objects of its files."""
    files = listing.files
    kustomizations = [file for file in KUSTOMIZATION_FILES if file in files]
    if scan is not None:
        scan.folders.add(rel)
        if kustomizations:
            scan.kustomize_folders.add(rel)
        if any(file in files for file in FLUX_INSTALLATION_FILES):
            scan.flux_folders.add(rel)
    if CHART_FILE in files:
        chart = _read_chart(f"{path}{os.sep}{CHART_FILE}", name)
        if kustomizations:
            # Argo CD builds such a folder with Kustomize (its lexical last match wins), and so
            # does a Flux Kustomization; the chart only matters if the kustomization inflates it.
            package = _kustomization(path, rel, chart.name, kustomizations, _values_files(files))
            note = (
                f"both {CHART_FILE} and {kustomizations[0]}: listed as Kustomize, as Argo CD "
                "builds it; the chart counts only where the kustomization inflates it"
            )
            return _Outcome(_with_notes(package, (note, *chart.notes)), True)
        if chart.library:
            return _Outcome(None, True)
        if scan is not None:
            _chart_templates(path, rel, scan)
        return _Outcome(
            _package(rel, "helm", chart.name, chart.notes, _values_files(files), "high"), True
        )
    if kustomizations:
        package = _kustomization(path, rel, name, kustomizations, scan=scan, files=files)
        return _Outcome(package, False)
    return _Outcome(_raw_manifests(path, rel, name, files, scan), False)


def _gitops_objects(
    path: str, rel: str, files: list[str], kustomization: str, scan: GitOpsScan
) -> None:
    """The Flux and Argo CD objects in the YAML files of a kustomize folder that its
    kustomization names (a substring test: naming is necessary, not sufficient)."""
    for file in files:
        if not file.lower().endswith(_YAML_SUFFIXES) or file in _NOT_GITOPS:
            continue
        if file not in kustomization:
            continue
        full = f"{path}{os.sep}{file}"
        try:
            data, complete = read_prefix(full, SNIFF_LIMIT)
        except OSError:
            continue
        if has_marker(data):
            scan.examine(full, rel, file, data, complete)


def _chart_templates(path: str, rel: str, scan: GitOpsScan) -> None:
    """Read the templates of the chart at ``path`` for Flux and Argo CD objects when they may
    all be such (an app-of-apps chart): the first template that holds something else, or names
    no Flux or Argo CD group, ends the reading, so a workload chart costs a listing and one read.
    Only a chart whose templates hold nothing but such objects (and Namespaces, AppProjects) is
    GitOps configuration: its objects go to ``scan`` and the chart to ``scan.gitops_only``; the
    Applications of a workload chart are not read."""
    templates = f"{path}{os.sep}templates"
    names: list[str] = []
    try:
        with os.scandir(templates) as entries:
            for entry in entries:
                if entry.is_dir():
                    return  # templates in sub-folders too: not worth reading them all
                lower = entry.name.lower()
                if lower.endswith(_YAML_SUFFIXES) and not entry.name.startswith("."):
                    names.append(entry.name)
    except OSError:
        return
    names.sort()
    values: dict[str, Any] | None = None

    def chart_values() -> dict[str, Any]:
        nonlocal values
        if values is None:
            values = {}
            document: object = None
            try:
                data, complete = read_prefix(f"{path}{os.sep}values.yaml", MARKER_LIMIT)
                if complete:
                    document = load_yaml_or_none(decode(data, complete))[0]
            except (OSError, ValueError):
                pass
            if isinstance(document, dict):
                values = document
        return values

    found = 0
    documents: list[Found] = []
    for name in names:
        full = f"{templates}{os.sep}{name}"
        try:
            data, complete = read_prefix(full, SNIFF_LIMIT)
        except OSError:
            return
        if not has_marker(data):
            if only_alongside(data, complete):
                continue
            return
        count, other = scan.examine_template(
            full, rel, f"templates/{name}", data, complete, chart_values, documents
        )
        if other:
            return
        found += count
    if found:
        scan.documents += documents
        scan.gitops_only.add(rel)


#: Files never read for Flux or Argo CD objects: kustomize's own, and Flux's installation
#: (gotk-components.yaml is a megabyte of CRDs and controllers).
_NOT_GITOPS = frozenset({*KUSTOMIZATION_FILES, FLUX_INSTALLATION_FILES[0]})


class _Chart(NamedTuple):
    name: str
    library: bool
    notes: tuple[str, ...]


def _read_chart(path: str, folder_name: str) -> _Chart:
    chart, problem, _ = _read_marker(path, ("name", "type"))
    if problem is not None:
        return _Chart(folder_name, False, (f"{CHART_FILE} {problem}; named after its folder",))
    notes: list[str] = []
    name = chart.get("name")
    if not isinstance(name, str) or not name.strip():
        notes.append(f"{CHART_FILE} has no name; named after its folder")
        name = folder_name
    chart_type = chart.get("type", "application")
    if chart_type not in ("application", "library", None):
        notes.append(
            f"{CHART_FILE} has an unknown type {_shown(chart_type)}; taken as an application"
        )
    return _Chart(name, chart_type == "library", tuple(notes))


def _kustomization(
    path: str,
    rel: str,
    name: str,
    kustomizations: list[str],
    values_files: tuple[str, ...] = (),
    scan: GitOpsScan | None = None,
    files: list[str] | None = None,
) -> DetectedPackage | None:
    """A kustomize package, or ``None`` for a ``kind: Component`` (not deployable on its own).

    With ``scan``, the kustomization's text is kept for what it builds, and the files it names
    are read for Flux and Argo CD objects (a file it does not name is applied by nothing that
    deploys this folder)."""
    file = kustomizations[0]
    notes: list[str] = []
    if len(kustomizations) > 1:
        notes.append(f"both {' and '.join(kustomizations)}: kustomize refuses to build it")
    kustomization, problem, text = _read_marker(f"{path}{os.sep}{file}", ("kind",))
    if scan is not None:
        scan.kustomizations[rel] = text
        if problem is not None and not text:  # (a file read whole has its text, maybe empty)
            scan.unread.add(rel)
        _gitops_objects(path, rel, files or [], text, scan)
    kind = kustomization.get("kind", "Kustomization")
    if problem is not None:
        notes.append(f"{file} {problem}")
    elif kind == "Component":
        return None
    elif kind != "Kustomization":
        notes.append(f"{file} has an unexpected kind {_shown(kind)}")
    return _package(rel, "kustomize", name, notes, (file, *values_files), "high")


def _read_marker(path: str, keys: tuple[str, ...]) -> tuple[Mapping[str, Any], str | None, str]:
    """The top-level ``keys`` of a marker file (at least), or a reason it could not be read;
    and its text (empty when it could not be read).

    Detection names and classifies, it does not lint: the file is parsed only when a scan of its
    top-level lines cannot tell those keys' values for sure.
    """
    try:
        data, complete = read_prefix(path, MARKER_LIMIT)
        text = decode(data, complete)
    except OSError as error:
        return {}, f"cannot be read ({error.strerror})", ""
    except ValueError as error:
        return {}, f"is {error}", ""
    if not complete:
        return {}, f"is larger than {MARKER_LIMIT >> 20} MiB", ""
    scanned = scan_top_level(text, keys)
    if scanned is not None:
        return scanned, None, text
    document, ok = load_yaml_or_none(text)
    if not ok:
        return {}, "is not valid YAML", text
    if document is None:  # empty, or only comments
        return {}, None, text
    if isinstance(document, dict):
        return document, None, text
    return {}, "is not a mapping", text


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel, _SHORT_REPR.maxlist, _SHORT_REPR.maxdict = 2, 3, 3
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60


def _shown(value: object) -> str:
    """A value quoted in a note, bounded: an alias bomb's full ``repr`` would take gigabytes."""
    return _SHORT_REPR.repr(value)


def _raw_manifests(
    path: str, rel: str, name: str, files: list[str], scan: GitOpsScan | None
) -> DetectedPackage | None:
    """A folder of plain manifests: the first file holding Kubernetes objects proves it.

    With ``scan``, every YAML file is also read for Flux and Argo CD objects, and a folder whose
    objects are all such (beside Namespaces) is noted as possibly GitOps configuration.
    """
    notes: list[str] = []
    proven = False
    workload = False  # a Kubernetes file holding more than Flux and Argo CD objects
    gitops = False
    for file in files:
        lower = file.lower()
        if not lower.endswith(MANIFEST_SUFFIXES):
            continue
        full = f"{path}{os.sep}{file}"
        if scan is None:
            verdict, note = sniff(full, file)
            if note is not None:
                notes.append(note)
            if verdict is Verdict.KUBERNETES:
                proven = True
                break
            continue
        readable = lower.endswith(_YAML_SUFFIXES) and file not in _NOT_GITOPS
        if proven and workload and not readable:
            continue
        try:
            data, complete = read_prefix(full, SNIFF_LIMIT)
        except OSError as error:
            if not proven:
                notes.append(f"{file}: skipped, cannot read it ({error.strerror})")
            continue
        if readable and has_marker(data):
            found, other = scan.examine(full, rel, file, data, complete)
            if found:
                proven = gitops = True
                workload = workload or other
                continue
        if proven and workload:
            continue
        verdict, note = sniff_data(data, complete, file)
        if note is not None and not proven:
            notes.append(note)
        if verdict is Verdict.KUBERNETES:
            proven = True
            workload = workload or not only_alongside(data, complete)
    if not proven:
        return None
    if scan is not None and gitops and not workload:
        scan.gitops_only.add(rel)
    if any(other.lower().endswith(JSONNET_SUFFIX) for other in files):
        notes.append("has .jsonnet files: Argo CD evaluates them, Flux and kubectl ignore them")
    return _package(rel, "raw-manifests", name, notes, (), "medium")


def _values_files(files: list[str]) -> tuple[str, ...]:
    """The chart's values files, ``values.yaml`` first (the one Helm always reads)."""
    values = [
        file for file in files if file.startswith("values") and file.endswith((".yaml", ".yml"))
    ]
    values.sort(key=lambda file: (file != "values.yaml", file))
    return tuple(values)


def _package(
    rel: str,
    kind: PackageType,
    name: str,
    notes: tuple[str, ...] | list[str],
    files: tuple[str, ...],
    confidence: Confidence,
) -> DetectedPackage:
    return DetectedPackage(
        path=rel,
        type=kind,
        name=name,
        confidence="low" if notes else confidence,
        notes=tuple(notes),
        files=files,
    )


def _with_notes(package: DetectedPackage | None, notes: tuple[str, ...]) -> DetectedPackage | None:
    if package is None:
        return None
    return attrs.evolve(package, confidence="low", notes=(*notes, *package.notes))
