"""The declarative provider kit (public): rules say which documents a package gets, templates
what they hold. ``docs/providers.md`` is the guide, with every construct and an example of
each; this module is the reference.

A provider package ships two data files beside its ``__init__.py``, and the JSON Schemas of
the kinds it emits in ``schemas/``:

``questions.yaml``
    its own questions (see :mod:`gitops_core.questions`); an entry with the id of a shared
    question narrows that question instead (new wording, default, an added validator);
``manifests.yaml``
    ``provider`` (id, name, filename), ``defaults`` for shared questions, ``documents``: a list
    of rules, each a ``template`` (a YAML structure), an optional ``when`` condition (package
    types, an answer, and ``fn``: a function of the provider that must return a true value)
    and an optional ``shared`` file name; and an optional ``bundle`` section for
    ``generate --all`` (below).

Templates are filled structurally: a mapping with the single key ``$answer``, ``$package``,
``$bundle`` or ``$fn`` is replaced by an answer, a package fact, a fact of the ``--all`` set or
the result of a named Python function of the provider. Values are placed into parsed data,
never spliced into text, so no answer can break or add a document. An expression that yields
``None`` drops its key (or list item), and a mapping or list that becomes empty that way is
dropped too, so optional blocks vanish instead of being emitted empty.

``generate --all`` (see :mod:`gitops_core.bundle`) writes one file per package, the files shared
by the set, and an entry point. A provider supports it with a ``bundle`` section::

    bundle:
      entrypoint: {...}           # the template of the object that deploys the whole output
                                  # folder, filled once with the first package's answers
      perPackage: [resourceName]  # answers that name one package: refused with --all

and, on the rules whose documents the packages share (one ``GitRepository`` for the
repository, one ``Namespace``), ``shared: FILENAME``: with ``--all`` such a rule is filled once,
with the first package it applies to, into that file instead of into every package's file; its
template must then depend on answers only. Shared file names start with ``_`` so that no
package's file (``<name>.yaml``) can take them; the core names the entry point's file.

With ``--all``, functions see :attr:`Context.bundle`: the folder's path in the repository, the
shared source's name, the entry point's file, and ``name``, the name of what is being filled
(the package's objects, the shared source or the entry point); :func:`object_name` returns that
``name``. ``{$bundle: folder|source|entrypointFile|name}`` places the same facts, and is absent
(its key dropped) outside ``--all``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from gitops_core.cache import cached
from gitops_core.checks import to_dns1123_label
from gitops_core.errors import (
    DefinitionError,
    MissingAnswersError,
    PerPackageAnswersError,
    UnsupportedError,
    UsageError,
)
from gitops_core.hookspecs import GitOpsGenerator, hookimpl
from gitops_core.models import (
    Bundle,
    BundleOutput,
    Condition,
    GeneratedOutput,
    GitOpsConfig,
    Question,
    Value,
)
from gitops_core.output import render_documents
from gitops_core.questions import load_package_questions, shared_questions
from gitops_core.resources import package_dir, schema_dir
from gitops_core.serialization import structure
from gitops_core.yamlio import InvalidYAML, safe_load

__all__ = [
    "BundleContext",
    "Context",
    "DeclarativeProvider",
    "DefinitionError",
    "Function",
    "object_name",
    "to_dns1123_label",
]


@attrs.frozen(kw_only=True)
class BundleContext:
    """What a function sees of a ``generate --all`` set (see the module doc)."""

    folder: str
    source: str
    entrypoint_file: str
    name: str


@attrs.define
class Context:
    """What a template function sees: the config, and a place to leave notes for the user.

    ``config`` is the package's :class:`~gitops_core.models.GitOpsConfig`: ``package`` (its
    ``name``, ``path``, ``type`` and ``files``), the answers (:meth:`answer`) and ``facts``,
    what the core learnt of the package and the checkout (listed in
    :class:`gitops_core.configuration.Preparation`). ``bundle`` is set when the package is one
    of a ``generate --all`` set.

    A function refuses an answer by raising :class:`gitops_core.errors.UsageError` with a
    one-line message naming the question id (exit 2); any other exception is a provider
    failure (exit 4).
    """

    config: GitOpsConfig
    notes: list[str] = attrs.Factory(list)
    bundle: BundleContext | None = None

    def answer(self, question_id: str) -> Value:
        """The answer to ``question_id`` (shared or the provider's), coerced to the question's
        type; KeyError for a question that does not apply (use ``config.answers().get``)."""
        return self.config.answer(question_id)

    def note(self, message: str) -> None:
        """Tell the user something about the output (shown after it is written), once."""
        if message not in self.notes:
            self.notes.append(message)


#: A template function: ``{$fn: NAME}`` is replaced by its result (``None`` drops the key), and
#: ``when: {fn: NAME}`` applies a rule when its result is true.
Function = Callable[[Context], Value]


@attrs.frozen(kw_only=True)
class ProviderInfo:
    id: str
    name: str
    filename: str


@attrs.frozen(kw_only=True)
class RuleCondition(Condition):
    """A document rule's condition: a question's, plus ``fn``, a function of the provider
    that must return a true value (for what answers alone cannot say)."""

    fn: str | None = None


@attrs.frozen(kw_only=True)
class DocumentRule:
    template: dict[str, Any]
    when: RuleCondition | None = None
    shared: str | None = None

    def applies(self, context: Context, functions: Mapping[str, Function]) -> bool:
        when, config = self.when, context.config
        if when is None:
            return True
        if not when.holds(config.package, config.answers()):
            return False
        return when.fn is None or bool(functions[when.fn](context))


@attrs.frozen(kw_only=True)
class BundleDefinition:
    entrypoint: dict[str, Any]
    per_package: tuple[str, ...] = ()
    #: Files the tool needs beside the manifests: file name → lines (text or expressions).
    files: dict[str, list[Any]] = attrs.Factory(dict)


@attrs.frozen(kw_only=True)
class Definition:
    provider: ProviderInfo
    documents: tuple[DocumentRule, ...]
    defaults: dict[str, str] = attrs.Factory(dict)
    bundle: BundleDefinition | None = None


_EXPRESSIONS = ("$answer", "$package", "$bundle", "$fn")
_PACKAGE_FACTS = ("name", "path", "type")
_BUNDLE_FACTS = {
    "folder": "folder",
    "source": "source",
    "entrypointFile": "entrypoint_file",
    "name": "name",
}
_OMIT = object()


def _check_template(node: object, path: str, source: str, ids: set[str], fns: set[str]) -> None:
    """Refuse unknown expressions at load time, so a typo fails before any user is asked."""
    if isinstance(node, dict):
        dollar = [k for k in node if isinstance(k, str) and k.startswith("$")]
        if dollar:
            key = dollar[0]
            if len(node) != 1 or key not in _EXPRESSIONS:
                raise DefinitionError(
                    f"{source}: {path}: an expression is one of {', '.join(_EXPRESSIONS)} "
                    f"alone in its mapping, got {sorted(node)}"
                )
            arg = node[key]
            known = {
                "$answer": ids,
                "$package": set(_PACKAGE_FACTS),
                "$bundle": set(_BUNDLE_FACTS),
                "$fn": fns,
            }[key]
            if arg not in known:
                raise DefinitionError(
                    f"{source}: {path}.{key}: unknown {key[1:]} {arg!r}; known: "
                    f"{', '.join(sorted(known))}"
                )
            return
        for key, value in node.items():
            _check_template(value, f"{path}.{key}", source, ids, fns)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_template(value, f"{path}[{index}]", source, ids, fns)


def _is_expression(node: object) -> bool:
    return isinstance(node, dict) and len(node) == 1 and next(iter(node)) in _EXPRESSIONS


def fill(node: object, context: Context, functions: Mapping[str, Function]) -> object:
    """Fill a template: the structure is copied, expressions replaced by values (see module doc)."""
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "$answer":
                return _value(context.config.shared.get(arg, context.config.provider.get(arg)))
            if key == "$package":
                return _value(getattr(context.config.package, arg))
            if key == "$bundle":
                bundle = context.bundle
                return _OMIT if bundle is None else getattr(bundle, _BUNDLE_FACTS[arg])
            if key == "$fn":
                return _value(functions[arg](context))
        filled = {
            k: v
            for k, v in ((k, fill(v, context, functions)) for k, v in node.items())
            if v is not _OMIT
        }
        return filled if filled or not node else _OMIT
    if isinstance(node, list):
        items = [v for v in (fill(item, context, functions) for item in node) if v is not _OMIT]
        return items if items or not node else _OMIT
    return node


def _value(value: object) -> object:
    return _OMIT if value is None else value


def _read_definition(text: str, source: str) -> Definition:
    try:
        data = safe_load(text)
    except InvalidYAML as exc:
        raise DefinitionError(f"{source}: not valid YAML: {exc}") from None
    return structure(data, Definition, source, DefinitionError)


def _identity(document: Mapping[str, Any]) -> tuple[object, ...]:
    """apiVersion, kind, namespace and name: what makes two documents the same object."""
    metadata = document.get("metadata")
    meta = metadata if isinstance(metadata, Mapping) else {}
    return (
        document.get("apiVersion"),
        document.get("kind"),
        meta.get("namespace"),
        meta.get("name"),
    )


class DeclarativeProvider(GitOpsGenerator):
    """A provider made of data files plus a few named functions; register it as a plugin.

    ``package`` is the provider's import name: ``questions.yaml`` and ``manifests.yaml`` are
    read from its folder. ``functions`` are the functions that templates (``{$fn: NAME}``) and
    rules (``when: {fn: NAME}``) name.

    The JSON Schemas of the kinds it emits are found in the package's ``schemas/`` folder, with
    nothing to declare; ``schema_folder`` names another folder of the package instead.
    ``schemas`` is for the layout of this repository's own providers (and of 0.1.0's guide):
    the name of the provider's folder under the top-level ``schemas/`` of the source tree,
    which its wheel ships as ``<package>/_schemas``.
    """

    def __init__(
        self,
        package: str,
        *,
        functions: Mapping[str, Function] | None = None,
        schemas: str | None = None,
        schema_folder: str | None = None,
    ) -> None:
        self.package = package
        self.functions = dict(functions or {})
        self.schemas = schemas
        self.schema_folder = schema_folder

    @functools.cached_property
    def definition(self) -> Definition:
        source = f"{self.package}/manifests.yaml"
        path = package_dir(self.package) / "manifests.yaml"
        definition = cached(path, "definition", lambda text: _read_definition(text, source))
        # What the file is checked against below (the functions, the shared questions) is
        # code, not the file: checked on every load.
        shared_ids = {q.id for q in shared_questions()}
        ids = shared_ids | {q.id for q in self.questions}
        fns = set(self.functions)
        unknown_defaults = sorted(set(definition.defaults) - shared_ids)
        if unknown_defaults:
            raise DefinitionError(
                f"{source}: $.defaults: {', '.join(unknown_defaults)} is no shared question "
                f"(shared: {', '.join(sorted(shared_ids))}); give a question of your own its "
                "default in questions.yaml"
            )
        twice = sorted(
            q.id
            for q in self.narrowed_questions
            if q.default is not None and q.id in definition.defaults
        )
        if twice:
            raise DefinitionError(
                f"{source}: $.defaults: {', '.join(twice)} has a default in questions.yaml "
                "too; keep one"
            )
        for index, rule in enumerate(definition.documents):
            _check_template(rule.template, f"$.documents[{index}].template", source, ids, fns)
            if rule.when is not None and rule.when.fn is not None and rule.when.fn not in fns:
                raise DefinitionError(
                    f"{source}: $.documents[{index}].when.fn: unknown fn {rule.when.fn!r}; "
                    f"known: {', '.join(sorted(fns))}"
                )
            if rule.shared is not None and not rule.shared.startswith("_"):
                raise DefinitionError(
                    f"{source}: $.documents[{index}].shared: {rule.shared!r} must start with '_'"
                )
        if definition.bundle is not None:
            _check_template(definition.bundle.entrypoint, "$.bundle.entrypoint", source, ids, fns)
            unknown = sorted(set(definition.bundle.per_package) - ids)
            if unknown:
                raise DefinitionError(
                    f"{source}: $.bundle.perPackage: unknown answer {', '.join(unknown)}"
                )
            for name, lines in definition.bundle.files.items():
                where = f"$.bundle.files[{name!r}]"
                _check_template(lines, where, source, ids, fns)
                if any(
                    isinstance(line, (list, dict)) and not _is_expression(line) for line in lines
                ):
                    raise DefinitionError(
                        f"{source}: {where}: a line is text or an expression, not a list or mapping"
                    )
        return definition

    @functools.cached_property
    def _question_file(self) -> tuple[Question, ...]:
        return load_package_questions(self.package)

    @functools.cached_property
    def questions(self) -> tuple[Question, ...]:
        """The provider's own questions (those of ``questions.yaml`` that are not shared)."""
        shared_ids = {q.id for q in shared_questions()}
        return tuple(q for q in self._question_file if q.id not in shared_ids)

    @functools.cached_property
    def narrowed_questions(self) -> tuple[Question, ...]:
        """The entries of ``questions.yaml`` that narrow a shared question (its id)."""
        shared_ids = {q.id for q in shared_questions()}
        return tuple(q for q in self._question_file if q.id in shared_ids)

    @hookimpl
    def gitops_provider_id(self) -> str:
        return self.definition.provider.id

    @hookimpl
    def gitops_provider_name(self) -> str:
        return self.definition.provider.name

    @hookimpl
    def gitops_questions(self) -> Sequence[Question]:
        return self.questions

    @hookimpl
    def gitops_narrowed_questions(self) -> Sequence[Question]:
        return self.narrowed_questions

    @hookimpl
    def gitops_shared_defaults(self) -> Mapping[str, object]:
        return {"outputPath": f"./{self.definition.provider.filename}", **self.definition.defaults}

    @hookimpl
    def gitops_schema_dirs(self) -> Sequence[Path]:
        if self.schema_folder is not None:
            folder = package_dir(self.package) / self.schema_folder
            if not folder.is_dir():
                raise FileNotFoundError(
                    f"schema_folder={self.schema_folder!r}: {folder} is not a folder"
                )
            return [folder]
        if self.schemas:
            return [schema_dir(self.package, self.schemas)]
        here = package_dir(self.package)
        # _schemas: where the wheels of providers laid out as this repository's are shipped.
        return [folder for folder in (here / "schemas", here / "_schemas") if folder.is_dir()]

    @hookimpl
    def gitops_generate(self, config: GitOpsConfig) -> GeneratedOutput:
        context = Context(config)
        documents = [
            self._fill(rule.template, context)
            for rule in self.definition.documents
            if rule.applies(context, self.functions)
        ]
        return self._output(documents, self.definition.provider.filename, config, context)

    @hookimpl
    def gitops_generate_all(self, configs: Sequence[GitOpsConfig], bundle: Bundle) -> BundleOutput:
        spec = self.definition.bundle
        if spec is None:
            raise UnsupportedError(
                f"provider {self.definition.provider.id!r} does not generate a whole set of "
                f"packages at once ({self.package}/manifests.yaml has no bundle: section)"
            )
        refused = [answer for answer in spec.per_package if answer in bundle.given]
        if refused:
            raise PerPackageAnswersError(refused)

        def context(config: GitOpsConfig, name: str) -> Context:
            view = BundleContext(
                folder=bundle.folder,
                source=bundle.source,
                entrypoint_file=bundle.entrypoint_file,
                name=name,
            )
            return Context(config, bundle=view)

        own = [rule for rule in self.definition.documents if rule.shared is None]
        packages = []
        for config, name in zip(configs, bundle.names, strict=True):
            ctx = context(config, name)
            documents = [
                self._fill(rule.template, ctx) for rule in own if rule.applies(ctx, self.functions)
            ]
            packages.append(self._output(documents, f"{name}.yaml", config, ctx))

        shared: dict[str, list[dict[str, Any]]] = {}
        notes: dict[str, list[str]] = {}
        #: What the functions said of a shared document a package does not need (why it is
        #: not written for it): the entry point's notes.
        unwritten: list[str] = []
        for rule in self.definition.documents:
            if rule.shared is None:
                continue
            # Each distinct object once, as the first package that needs it fills it: one
            # GitRepository for the set, a Namespace for each namespace its packages need.
            seen: set[tuple[object, ...]] = set()
            for config in configs:
                candidate = context(config, bundle.source)
                if not rule.applies(candidate, self.functions):
                    unwritten.extend(candidate.notes)  # why this package needs none
                    continue
                document = self._fill(rule.template, candidate)
                if _identity(document) not in seen:
                    seen.add(_identity(document))
                    shared.setdefault(rule.shared, []).append(document)
                notes.setdefault(rule.shared, []).extend(candidate.notes)
        shared_files = tuple(
            self._set_output(documents, filename, len(configs), notes[filename])
            for filename, documents in shared.items()
        )
        ctx = context(configs[0], bundle.entrypoint)
        entry = self._fill(spec.entrypoint, ctx)
        return BundleOutput(
            packages=tuple(packages),
            shared=shared_files,
            entrypoint=self._set_output(
                [entry], bundle.entrypoint_file, len(configs), [*unwritten, *ctx.notes]
            ),
            files=tuple(
                self._text_file(name, lines, context(configs[0], bundle.entrypoint))
                for name, lines in spec.files.items()
            ),
        )

    def _text_file(self, name: str, lines: list[Any], context: Context) -> GeneratedOutput:
        """A ``bundle.files`` entry: its lines filled, those that yield nothing left out."""
        filled = fill(lines, context, self.functions)
        text = "".join(f"{line}\n" for line in filled) if isinstance(filled, list) else ""
        return GeneratedOutput(
            documents=(),
            manifests=text,
            filename=name,
            description=f"{self.definition.provider.name} needs it in the folder",
            notes=tuple(context.notes),
        )

    def _fill(self, template: dict[str, Any], context: Context) -> dict[str, Any]:
        document = fill(template, context, self.functions)
        if not isinstance(document, dict):
            raise DefinitionError(f"{self.package}: a document template filled to nothing")
        return document

    def _output(
        self, documents: list[dict[str, Any]], filename: str, config: GitOpsConfig, context: Context
    ) -> GeneratedOutput:
        kinds = " + ".join(str(d.get("kind")) for d in documents if d.get("kind") != "Namespace")
        return GeneratedOutput(
            documents=tuple(documents),
            manifests=render_documents(documents),
            filename=filename,
            description=f"{self.definition.provider.name} {kinds} for {config.package.name}",
            notes=tuple(context.notes),
        )

    def _set_output(
        self, documents: list[dict[str, Any]], filename: str, count: int, notes: list[str]
    ) -> GeneratedOutput:
        kinds = " + ".join(str(d.get("kind")) for d in documents)
        return GeneratedOutput(
            documents=tuple(documents),
            manifests=render_documents(documents),
            filename=filename,
            description=f"{self.definition.provider.name} {kinds} for "
            + ("the one package" if count == 1 else f"all {count} packages"),
            notes=tuple(dict.fromkeys(notes)),
        )


def object_name(context: Context, override: str | None = None, max_length: int = 63) -> str:
    """The objects' name: the answer to the question ``override`` (a question of the provider
    that lets the user name the objects), or the package name made a DNS-1123 label.

    A package whose name another package of the repository shares is named after its path
    (the ``objectName`` fact). Leaves a note when the package name had to change; refuses one
    with nothing usable in it (asking for ``override`` when there is one). With ``--all`` the
    core names every object (see :class:`BundleContext`).
    """
    if context.bundle is not None:
        return context.bundle.name
    chosen = context.config.provider.get(override) if override else None
    if chosen:
        return str(chosen)
    package_name = context.config.package.name
    derived = context.config.facts.get("objectName")
    if derived:
        context.note(
            f"another package of the repository is also named {package_name!r}: the objects "
            f"are named {derived!r}, after the package's path, so that neither replaces the other"
        )
        return str(derived)
    name = to_dns1123_label(package_name, max_length)
    if not name:
        reason = f"package name {package_name!r} cannot become a DNS-1123 name"
        if override is None:
            raise UsageError(reason)
        raise MissingAnswersError([override], reason)
    if name != package_name:
        context.note(f"package name {package_name!r} is not a DNS-1123 label; using {name!r}")
    return name
