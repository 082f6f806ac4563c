"""Finding providers and calling them: a typed facade over pluggy.

Providers are found through the ``gitops_core`` entry-point group (entry-point name = provider
id) and imported only when first needed. Each provider gets a plugin manager of its own, holding
the hook specifications (:class:`gitops_core.hookspecs.GitOpsGenerator`) and that provider
alone: its hooks are called through pluggy (``pm.hook.<name>(...)``), and a provider that fails
to import, implements an unknown hook (``check_pending``), lacks a required one or raises is
reported with its distribution while the others keep working. A provider that fails to load is
unregistered, so asking for it again reports the same failure. Callers use :class:`Providers`
and :class:`Provider`, never ``pm.hook``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from gitops_core.entrypoints import EntryPoint, entry_points
from gitops_core.errors import (
    AnswerError,
    GitOpsError,
    ProviderError,
    QuestionFileError,
    UnsupportedError,
    UsageError,
)
from gitops_core.hookspecs import REQUIRED_HOOKS, GitOpsGenerator
from gitops_core.models import (
    BundleOutput,
    GeneratedOutput,
    GitOpsConfig,
    Question,
    Validator,
    Value,
)

if TYPE_CHECKING:
    from gitops_core.models import Bundle

ENTRY_POINT_GROUP = "gitops_core"
_IMPL_MARK = f"{ENTRY_POINT_GROUP}_impl"


@attrs.define
class ProviderSource:
    """Where a provider comes from: an entry point (imported lazily) or an object given directly."""

    id: str
    distribution: str
    version: str
    load: Callable[[], object]


def hook_names() -> tuple[str, ...]:
    """Every hook a provider may implement, in the order of the specification."""
    return tuple(name for name in vars(GitOpsGenerator) if name.startswith("gitops_"))


def plugin_manager() -> pluggy.PluginManager:
    """A plugin manager holding the hook specifications and no provider yet."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(GitOpsGenerator)
    return pm


class Provider:
    """One loaded provider, with a typed method per hook."""

    def __init__(self, pm: pluggy.PluginManager, plugin: object, source: ProviderSource) -> None:
        self._pm = pm
        self._plugin = plugin
        self.id = source.id
        self.distribution = source.distribution
        self.version = source.version

    def implements(self, hook: str) -> bool:
        """Whether the provider implements ``hook`` (a name of :func:`hook_names`)."""
        caller: pluggy.HookCaller = getattr(self._pm.hook, hook)
        return bool(caller.get_hookimpls())

    def _call(self, hook: str, expected: type | tuple[type, ...], **kwargs: object) -> Any:
        if not self.implements(hook):
            raise ProviderError(
                self.distribution, f"provider {self.id!r} does not implement {hook}"
            )
        caller: pluggy.HookCaller = getattr(self._pm.hook, hook)
        try:
            result = caller(**kwargs)
        except QuestionFileError as exc:  # the provider's own data files are broken
            raise ProviderError(self.distribution, str(exc)) from exc
        except GitOpsError:
            raise  # a user mistake the provider noticed (bad answer, underivable name)
        except Exception as exc:
            raise ProviderError(
                self.distribution, f"{hook} raised {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(result, expected):
            raise ProviderError(
                self.distribution,
                f"{hook} returned {type(result).__name__}, not {_names(expected)}",
            )
        return result

    def _questions(self, hook: str) -> tuple[Question, ...]:
        questions = tuple(self._call(hook, (list, tuple)))
        for question in questions:
            if not isinstance(question, Question):
                raise ProviderError(
                    self.distribution,
                    f"{hook} returned a {type(question).__name__}, not a Question",
                )
        return questions

    @property
    def name(self) -> str:
        return str(self._call("gitops_provider_name", str))

    def questions(self) -> tuple[Question, ...]:
        """The provider's own questions (the shared ones are :meth:`shared_questions`)."""
        return self._questions("gitops_questions")

    def shared_questions(self) -> tuple[Question, ...]:
        """The shared questions as this provider asks them: each one it narrows
        (``gitops_narrowed_questions``) merged into the shared one (see :func:`narrow`)."""
        from gitops_core.questions import shared_questions

        shared = shared_questions()
        if not self.implements("gitops_narrowed_questions"):
            return shared
        narrowings: dict[str, Question] = {}
        known = {q.id for q in shared}
        for narrowing in self._questions("gitops_narrowed_questions"):
            if narrowing.id not in known:
                raise ProviderError(
                    self.distribution,
                    f"gitops_narrowed_questions: {narrowing.id!r} is not a shared question "
                    f"(shared: {', '.join(q.id for q in shared)})",
                )
            if narrowing.id in narrowings:
                raise ProviderError(
                    self.distribution,
                    f"gitops_narrowed_questions: {narrowing.id!r} is narrowed twice",
                )
            narrowings[narrowing.id] = narrowing
        try:
            return tuple(narrow(q, narrowings[q.id]) if q.id in narrowings else q for q in shared)
        except ValueError as exc:
            raise ProviderError(self.distribution, f"gitops_narrowed_questions: {exc}") from None

    def shared_defaults(self) -> Mapping[str, Value]:
        """The provider's conventions for shared questions (such as its ``targetRevision``)."""
        if not self.implements("gitops_shared_defaults"):
            return {}
        return dict(self._call("gitops_shared_defaults", Mapping))

    def generate(self, config: GitOpsConfig) -> GeneratedOutput:
        output: GeneratedOutput = self._call("gitops_generate", GeneratedOutput, config=config)
        return output

    def generate_all(self, configs: Sequence[GitOpsConfig], bundle: Bundle) -> BundleOutput:
        """The files for every package of a ``generate --all`` set (:mod:`gitops_core.bundle`).

        The hook is optional: a provider without it does not support sets.
        """
        if not self.implements("gitops_generate_all"):
            raise UnsupportedError(
                f"provider {self.id!r} does not generate a whole set of packages at once"
            )
        output: BundleOutput = self._call(
            "gitops_generate_all", BundleOutput, configs=configs, bundle=bundle
        )
        return output

    def schema_dirs(self) -> tuple[Path, ...]:
        if not self.implements("gitops_schema_dirs"):
            return ()
        return tuple(self._call("gitops_schema_dirs", (list, tuple)))


def _names(expected: type | tuple[type, ...]) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(k.__name__ for k in kinds)


# --- narrowing shared questions ---------------------------------------------------------------


def narrow(shared: Question, narrowing: Question) -> Question:
    """``shared`` as a provider asks it: never accepting an answer that ``shared`` refuses.

    The narrowing's wording (``question``, ``description``, ``placeholder``) and ``default``
    replace the shared question's; its validator is added to the shared one (both must pass:
    one check, the shorter ``maxLength``, both patterns); it may make the question required,
    and offer a subset of a select question's options. It cannot change the type or when the
    question is asked. Raises ValueError saying what a narrowing may not do.
    """
    where = f"{narrowing.id!r}"
    if narrowing.type != shared.type:
        raise ValueError(
            f"{where} is a {shared.type} question; a narrowing cannot make it a "
            f"{narrowing.type} question"
        )
    if narrowing.when is not None and narrowing.when != shared.when:
        raise ValueError(f"{where}: a narrowing cannot change when the question is asked")
    options = shared.options
    if narrowing.options:
        values = {o.value for o in shared.options}
        extra = [o.value for o in narrowing.options if o.value not in values]
        if extra:
            raise ValueError(
                f"{where}: options {', '.join(extra)} are not offered by the shared question"
            )
        options = narrowing.options
    narrowed = attrs.evolve(
        shared,
        question=narrowing.question,
        description=narrowing.description or shared.description,
        placeholder=narrowing.placeholder or shared.placeholder,
        default=narrowing.default if narrowing.default is not None else shared.default,
        required=shared.required or narrowing.required,
        options=options,
        validate=_both(shared.validate, narrowing.validate, where),
    )
    if narrowing.default is not None:
        from gitops_core.questions import coerce_answer

        try:
            coerce_answer(narrowed, narrowing.default)
        except AnswerError as exc:
            raise ValueError(f"the narrowed default is refused: {exc}") from None
    return narrowed


def _both(first: Validator | None, second: Validator | None, where: str) -> Validator | None:
    """A validator that accepts what both accept."""
    if first is None or second is None:
        return first or second
    if first.check and second.check and first.check != second.check:
        raise ValueError(
            f"{where} is checked as {first.check}; a narrowing cannot check it as {second.check}"
        )
    lengths = [n for n in (first.max_length, second.max_length) if n is not None]
    pattern = second.pattern or first.pattern
    if first.pattern and second.pattern and first.pattern != second.pattern:
        # An answer is searched for each pattern (Go's regexp.MatchString): both at the start.
        pattern = "".join(f"(?=[\\s\\S]*?(?:{p}))" for p in (first.pattern, second.pattern))
        pattern = "^" + pattern
    return Validator(
        pattern=pattern,
        check=first.check or second.check,
        message=second.message or first.message,
        max_length=min(lengths) if lengths else None,
    )


# --- loading ------------------------------------------------------------------------------------


class _HookError(Exception):
    """A provider's hooks do not fit the specification (one line)."""


def _hook_problems(pm: pluggy.PluginManager, plugin: object) -> Iterable[str]:
    """What is wrong with ``plugin``'s ``@hookimpl`` functions, checked against the specs."""
    specs = {name: getattr(pm.hook, name).spec for name in hook_names()}
    for attribute in sorted(dir(plugin)):
        function = _marked_routine(plugin, attribute)
        if function is None:
            continue
        spec = specs.get(attribute)
        if spec is None:
            import difflib  # only for a provider that is broken

            guess = difflib.get_close_matches(attribute, specs, n=1)
            hint = f"; did you mean {guess[0]}?" if guess else f" (hooks: {', '.join(specs)})"
            yield f"unknown hook {attribute}{hint}"
            continue
        unknown = [name for name in _argnames(function) if name not in spec.argnames]
        if unknown:
            yield (
                f"{attribute}({', '.join(_argnames(function))}): "
                f"{', '.join(unknown)} is not an argument of the hook "
                f"{attribute}({', '.join(spec.argnames)})"
            )


def _marked_routine(plugin: object, name: str) -> Callable[..., object] | None:
    """``plugin``'s ``@hookimpl`` function ``name``, found as pluggy finds it (statically: no
    property runs), bound to ``plugin``; None for anything else."""
    try:
        found = inspect.getattr_static(plugin, name)
    except AttributeError:
        return None
    if isinstance(found, (staticmethod, classmethod)):
        found = found.__func__
    if not inspect.isroutine(found) or not isinstance(getattr(found, _IMPL_MARK, None), dict):
        return None
    bound: Callable[..., object] = getattr(plugin, name)
    return bound


def _argnames(function: Callable[..., object]) -> list[str]:
    parameters = inspect.signature(function).parameters.values()
    return [
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


def _unmarked(plugin: object, hook: str) -> str:
    """Why a required hook may be missing: the function is there without ``@hookimpl``."""
    return " (it has no @hookimpl)" if callable(getattr(plugin, hook, None)) else ""


def unknown_provider(provider_id: str, ids: Sequence[str]) -> str:
    """Why ``provider_id`` cannot be had: the closest installed id, and those installed. Never
    advice to install a distribution named after what was typed: nothing says that one exists,
    and anyone could publish it."""
    import difflib

    close = difflib.get_close_matches(provider_id.lower(), [i.lower() for i in ids], n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    installed = ", ".join(ids) or "none; providers are distributions installed with pip"
    return f"provider {provider_id!r} is not installed{hint} (installed: {installed})"


class Providers:
    """The installed providers, by id."""

    def __init__(self, sources: Iterable[ProviderSource]) -> None:
        self._sources: dict[str, list[ProviderSource]] = {}
        for source in sources:
            self._sources.setdefault(source.id, []).append(source)
        self._loaded: dict[str, Provider] = {}

    @classmethod
    def discover(cls) -> Providers:
        """The providers installed in this environment (nothing is imported yet)."""
        return cls(_entry_point_source(ep) for ep in entry_points(ENTRY_POINT_GROUP))

    @classmethod
    def from_plugins(cls, plugins: Mapping[str, object], distribution: str = "<test>") -> Providers:
        """Providers from plugin objects or modules given directly (tests, embedding programs)."""
        return cls(
            ProviderSource(id=pid, distribution=distribution, version="0", load=_constant(plugin))
            for pid, plugin in plugins.items()
        )

    def ids(self) -> list[str]:
        return sorted(self._sources)

    def get(self, provider_id: str) -> Provider:
        """The provider ``provider_id``, imported, checked and registered on first use."""
        if provider_id in self._loaded:
            return self._loaded[provider_id]
        sources = self._sources.get(provider_id)
        if not sources:
            raise UsageError(unknown_provider(provider_id, self.ids()))
        if len(sources) > 1:
            dists = " and ".join(sorted(s.distribution for s in sources))
            raise ProviderError(dists, f"provider id {provider_id!r} is provided by both {dists}")
        provider = _load(sources[0])
        self._loaded[provider_id] = provider
        return provider

    def load_all(self) -> tuple[list[Provider], list[ProviderError]]:
        """Every provider that loads, and the errors of those that do not."""
        loaded: list[Provider] = []
        errors: list[ProviderError] = []
        for provider_id in self.ids():
            try:
                loaded.append(self.get(provider_id))
            except ProviderError as exc:
                errors.append(exc)
        return loaded, errors

    def schema_dirs(self) -> tuple[Sequence[Path], list[ProviderError]]:
        """The schema folders of every provider that loads, and the errors of the others."""
        loaded, errors = self.load_all()
        dirs: list[Path] = []
        for provider in loaded:
            try:
                dirs.extend(provider.schema_dirs())
            except ProviderError as exc:
                errors.append(exc)
        return dirs, errors


def load_plugin(plugin: object, distribution: str = "<test>") -> Provider:
    """A plugin object given directly, loaded as an installed provider is (hooks checked), its
    id the one it declares."""
    return _load(ProviderSource(id="", distribution=distribution, version="0", load=lambda: plugin))


def _load(source: ProviderSource) -> Provider:
    """Import, check and register one provider in a plugin manager of its own; a source
    without an id takes the one the provider declares."""
    provider_id = source.id or "?"

    def fail(message: str) -> ProviderError:
        return ProviderError(source.distribution, message)

    try:
        plugin = source.load()
    except Exception as exc:
        raise fail(f"could not load provider {provider_id!r}: {type(exc).__name__}: {exc}") from exc
    pm = plugin_manager()
    problems = list(_hook_problems(pm, plugin))
    if problems:
        raise fail(f"provider {provider_id!r}: {'; '.join(problems)}")
    try:
        pm.register(plugin, name=provider_id)
    except Exception as exc:  # pluggy's own checks, or a plugin object it cannot register
        raise fail(
            f"could not register provider {provider_id!r}: {' '.join(str(exc).split())}"
        ) from exc
    try:
        pm.check_pending()  # (an unknown hook was named above; this is pluggy's own word)
        missing = [hook for hook in REQUIRED_HOOKS if not getattr(pm.hook, hook).get_hookimpls()]
        if missing:
            raise fail(
                f"provider {provider_id!r} does not implement "
                + ", ".join(f"{hook}{_unmarked(plugin, hook)}" for hook in missing)
            )
        provider = Provider(pm, plugin, source)
        declared = provider._call("gitops_provider_id", str)
        if not source.id:
            provider.id = declared
        elif declared != provider_id:
            raise fail(f"entry point {provider_id!r} declares provider id {declared!r}")
    except pluggy.PluginValidationError as exc:
        pm.unregister(plugin)
        raise fail(f"provider {provider_id!r}: {' '.join(str(exc).split())}") from exc
    except BaseException:
        pm.unregister(plugin)  # asked again, the provider fails again the same way
        raise
    return provider


def _constant(plugin: object) -> Callable[[], object]:
    return lambda: plugin


def _entry_point_source(ep: EntryPoint) -> ProviderSource:
    return ProviderSource(
        id=ep.name, distribution=ep.distribution, version=ep.version, load=ep.load
    )
