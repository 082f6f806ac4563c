"""The declarative provider kit (public): rules say which documents a package gets, templates
what they hold. ``docs/providers.md`` is the guide; this module is the reference.

A provider package ships two data files:

``questions.yaml``
    its own questions (see :mod:`gitops_core.questions`);
``manifests.yaml``
    ``provider`` (id, name, filename), ``defaults`` for shared questions, ``documents``: a list
    of rules, each a ``template`` (a YAML structure), an optional ``when`` condition (package
    types, an answer, and ``fn``: a function of the provider that must return a true value)
    and an optional ``shared`` file name; and an optional
    ``bundle`` section for ``generate --all`` (below).

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

from gitops_core.checks import to_dns1123_label
from gitops_core.errors import (
    DefinitionError,
    MissingAnswersError,
    PerPackageAnswersError,
    UnsupportedError,
)
from gitops_core.hookspecs import hookimpl
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

    ``bundle`` is set when the package is one of a ``generate --all`` set.
    """

    config: GitOpsConfig
    notes: list[str] = attrs.Factory(list)
    bundle: BundleContext | None = None

    def answer(self, question_id: str) -> Value:
        return self.config.answer(question_id)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


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


class DeclarativeProvider:
    """A provider made of data files plus a few named functions; register it as a plugin.

    ``package`` is the provider's import name (its data files live in it); ``schemas`` names its
    folder under the top-level ``schemas/``.
    """

    def __init__(
        self, package: str, *, functions: Mapping[str, Function], schemas: str | None = None
    ) -> None:
        self.package = package
        self.functions = dict(functions)
        self.schemas = schemas

    @functools.cached_property
    def definition(self) -> Definition:
        source = f"{self.package}/manifests.yaml"
        text = (package_dir(self.package) / "manifests.yaml").read_text(encoding="utf-8")
        try:
            data = safe_load(text)
        except InvalidYAML as exc:
            raise DefinitionError(f"{source}: not valid YAML: {exc}") from None
        definition = structure(data, Definition, source, DefinitionError)
        ids = {q.id for q in (*shared_questions(), *self.questions)}
        fns = set(self.functions)
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
        return definition

    @functools.cached_property
    def questions(self) -> tuple[Question, ...]:
        return load_package_questions(self.package)

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
    def gitops_shared_defaults(self) -> Mapping[str, object]:
        return {"outputPath": f"./{self.definition.provider.filename}", **self.definition.defaults}

    @hookimpl
    def gitops_schema_dirs(self) -> Sequence[Path]:
        return [schema_dir(self.package, self.schemas)] if self.schemas else []

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
        for rule in self.definition.documents:
            if rule.shared is None:
                continue
            found = next(
                (
                    candidate
                    for candidate in (context(config, bundle.source) for config in configs)
                    if rule.applies(candidate, self.functions)
                ),
                None,
            )
            if found is None:
                continue  # no package of the set needs it
            ctx = found
            shared.setdefault(rule.shared, []).append(self._fill(rule.template, ctx))
            notes.setdefault(rule.shared, []).extend(ctx.notes)
        shared_files = tuple(
            self._set_output(documents, filename, len(configs), notes[filename])
            for filename, documents in shared.items()
        )
        ctx = context(configs[0], bundle.entrypoint)
        entry = self._fill(spec.entrypoint, ctx)
        return BundleOutput(
            packages=tuple(packages),
            shared=shared_files,
            entrypoint=self._set_output([entry], bundle.entrypoint_file, len(configs), ctx.notes),
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
            description=f"{self.definition.provider.name} {kinds} for all {count} packages",
            notes=tuple(dict.fromkeys(notes)),
        )


def object_name(context: Context, override: str, max_length: int = 63) -> str:
    """The objects' name: the ``override`` answer, or the package name made a DNS-1123 label.

    Leaves a note when the package name had to change; refuses one with nothing usable in it.
    With ``--all`` the core names every object (see :class:`BundleContext`).
    """
    if context.bundle is not None:
        return context.bundle.name
    chosen = context.config.provider.get(override)
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
        raise MissingAnswersError(
            [override],
            f"package name {package_name!r} cannot become a DNS-1123 name",
        )
    if name != package_name:
        context.note(f"package name {package_name!r} is not a DNS-1123 label; using {name!r}")
    return name
