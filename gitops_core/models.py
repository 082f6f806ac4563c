"""The data model: what detection finds, what questions look like, what providers get and return.

Every class here is plain data (attrs, frozen where it is a value) so that sessions can save it,
cattrs can (un)structure it and tests can compare it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

import attrs

PackageType = Literal["helm", "kustomize", "raw-manifests"]
PACKAGE_TYPES: tuple[PackageType, ...] = get_args(PackageType)

Confidence = Literal["high", "medium", "low"]

#: ``list``: several text items (a JSON array, or comma-separated on the command line).
QuestionType = Literal["text", "select", "confirm", "list"]

#: Which flows ask a question: ``any`` (one package, and a whole set), or only ``set``: a set of
#: packages at once (``generate --all``, the MCP tool ``gitops_generate_all``), for a choice
#: about the set itself. One package's flows neither list nor ask a ``set`` question, and refuse
#: an answer to it (:class:`gitops_core.errors.SetOnlyAnswersError`).
QuestionScope = Literal["any", "set"]

#: Named checks a question's validator may use instead of (or beside) a pattern.
CheckName = Literal[
    "dns1123-label",
    "dns1123-subdomain",
    "go-duration",
    "git-url",
    "relative-path",
]

#: A plain JSON-like value, as answers and documents carry them.
Value = Any


#: What a package is there for (see :class:`DetectedPackage`).
PackageRole = Literal[
    "workload", "flux-installation", "gitops-config", "test-fixture", "docs", "example"
]
PACKAGE_ROLES: tuple[PackageRole, ...] = get_args(PackageRole)


@attrs.frozen(kw_only=True)
class DetectedPackage:
    """A deployable package found in a repository.

    ``path`` is relative to the folder that was scanned, ``/``-separated, ``.`` for that folder
    itself. ``files`` names notable files in the package folder that providers may reference
    (for example a chart's ``values.yaml``); ``notes`` says what looked odd.

    ``role``: ``workload`` (something to deploy), ``flux-installation`` (Flux's own: a
    ``flux-system`` folder of ``flux bootstrap``, a ``FluxInstance``), ``gitops-config`` (only
    Flux or Argo CD objects that deploy this repository, such as an entry point), or, by where
    it lies, ``test-fixture``, ``docs`` or ``example``. ``managed_by``: the files (relative to
    the scanned folder, sorted) whose Flux or Argo CD objects already deploy the package.
    """

    path: str
    type: PackageType
    name: str
    confidence: Confidence
    notes: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    role: PackageRole = "workload"
    managed_by: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Option:
    """One choice of a ``select`` question."""

    value: str
    label: str
    description: str | None = None


@attrs.frozen(kw_only=True)
class Validator:
    """How an answer is checked: a Go-style anchored regex, a named check, or both."""

    pattern: str | None = None
    check: CheckName | None = None
    message: str | None = None
    max_length: int | None = None


@attrs.frozen(kw_only=True)
class Condition:
    """When a question or a document applies.

    ``package_type``: only for these package types (any type when empty). ``answer``: only when
    that earlier answer is true, or, with ``in_`` (``in`` in question files), one of those
    values (for a select answer).
    """

    package_type: tuple[PackageType, ...] = ()
    answer: str | None = None
    in_: tuple[str, ...] = ()

    def holds(self, package: DetectedPackage | None, answers: Mapping[str, Value]) -> bool:
        if self.package_type and package is not None and package.type not in self.package_type:
            return False
        if self.answer is None:
            return True
        value = answers.get(self.answer)
        return value in self.in_ if self.in_ else value is True


@attrs.frozen(kw_only=True)
class Question:
    """A question asked of the user; ``id`` keys the answer."""

    id: str
    question: str
    type: QuestionType = "text"
    default: str | bool | tuple[str, ...] | None = None
    required: bool = False
    placeholder: str | None = None
    description: str | None = None
    options: tuple[Option, ...] = ()
    validate: Validator | None = None
    when: Condition | None = None
    scope: QuestionScope = "any"

    def applies_to(self, package: DetectedPackage | None, answers: Mapping[str, Value]) -> bool:
        return self.when is None or self.when.holds(package, answers)

    @property
    def for_one_package(self) -> bool:
        """Whether one package's flows ask it (``scope`` is not ``set``)."""
        return self.scope != "set"


@attrs.frozen(kw_only=True)
class GitOpsConfig:
    """Everything a provider needs to generate: the package and every answer, coerced.

    ``shared`` holds the answers to the shared questions (docs/providers.md), ``provider`` those to
    the provider's own questions. ``repo_path`` is the package's path inside the Git repository
    (``gitRepoPath``), already normalised: ``/``-separated, no leading ``./``, ``.`` for the root.
    ``facts`` carries what generation may need from the package and the local checkout (the
    tags that exist, the namespaces the package declares; see
    :class:`gitops_core.configuration.Preparation`), as plain data so generation stays a pure
    function of the config.
    """

    package: DetectedPackage
    shared: Mapping[str, Value]
    provider: Mapping[str, Value]
    facts: Mapping[str, Value] = attrs.field(factory=dict)
    #: The ids the user answered (the others took their defaults).
    given: frozenset[str] = frozenset()

    def answer(self, question_id: str) -> Value:
        if question_id in self.provider:
            return self.provider[question_id]
        return self.shared[question_id]

    def answers(self) -> dict[str, Value]:
        """Every answer, shared and the provider's, by question id."""
        return {**self.shared, **self.provider}


@attrs.frozen(kw_only=True)
class GeneratedOutput:
    """What a provider returns: documents as data plus their rendered multi-document YAML."""

    documents: tuple[Mapping[str, Value], ...]
    manifests: str
    filename: str
    description: str
    notes: tuple[str, ...] = ()


#: The stages of the journey, in order; a session is at one of them.
Stage = Literal["detect", "selectPackage", "selectProvider", "configure", "generate", "done"]


@attrs.define(kw_only=True)
class SessionState:
    """Everything a session knows between steps (see :mod:`gitops_core.sessions`).

    ``root`` is the project folder (absolute); ``created``/``updated`` are Unix times.
    """

    id: str
    root: str
    created: float
    updated: float
    stage: Stage = "detect"
    packages: list[DetectedPackage] = attrs.Factory(list)
    package: DetectedPackage | None = None
    provider: str | None = None
    answers: dict[str, Value] = attrs.Factory(dict)


#: The file of a set's entry point (``generate --all``).
ENTRYPOINT_FILE = "_entrypoint.yaml"


@attrs.frozen(kw_only=True)
class Bundle:
    """What the core fixed for a set of packages generated together.

    ``folder``: the output folder's path inside the Git repository (``/``-separated, ``.`` for
    the root), which the entry point deploys. ``names``: each package's object name, in the
    order of the configs, unique DNS-1123 labels; package *i*'s file is ``names[i] + ".yaml"``.
    ``source``: the name of a source shared by the set (the repository's name as a label).
    ``entrypoint``: the name of the entry-point object, ``entrypoint_file`` its file's.
    ``given``: the ids of the answers the user gave, so that a provider can refuse those it
    declares per package.
    """

    folder: str
    names: tuple[str, ...]
    source: str
    entrypoint: str
    entrypoint_file: str = ENTRYPOINT_FILE
    given: frozenset[str] = frozenset()


@attrs.frozen(kw_only=True)
class BundleOutput:
    """What a provider returns for a set: ``packages`` in the order of the configs, ``shared``
    files written once for the set, and the ``entrypoint`` file that deploys the folder.

    ``files``: files the provider's tool needs in the folder that are not manifests (such as
    Fleet's ``.fleetignore``): their text in ``manifests``, no ``documents``; written with the
    set, never validated nor applied.
    """

    packages: tuple[GeneratedOutput, ...]
    shared: tuple[GeneratedOutput, ...]
    entrypoint: GeneratedOutput
    files: tuple[GeneratedOutput, ...] = ()
