"""Finding providers and calling them: a typed facade over the pluggy plugin manager.

Providers are found through the ``gitops_core`` entry-point group (entry-point name = provider
id) and imported only when first needed. Each provider's hooks are called on their own, so a
provider that fails to import or raises is reported with its distribution while the others keep
working. Callers use :class:`Providers` and :class:`Provider`, never ``pm.hook``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from gitops_core.entrypoints import EntryPoint, entry_points
from gitops_core.errors import (
    GitOpsError,
    ProviderError,
    QuestionFileError,
    UnsupportedError,
    UsageError,
)
from gitops_core.hookspecs import GitOpsGenerator
from gitops_core.models import BundleOutput, GeneratedOutput, GitOpsConfig, Question, Value

if TYPE_CHECKING:
    from gitops_core.models import Bundle

ENTRY_POINT_GROUP = "gitops_core"


@attrs.define
class ProviderSource:
    """Where a provider comes from: an entry point (imported lazily) or an object given directly."""

    id: str
    distribution: str
    version: str
    load: Callable[[], object]


class Provider:
    """One loaded provider, with a typed method per hook."""

    def __init__(self, pm: pluggy.PluginManager, plugin: object, source: ProviderSource) -> None:
        self._pm = pm
        self._plugin = plugin
        self.id = source.id
        self.distribution = source.distribution
        self.version = source.version

    def _impls(self, hook: str) -> list[pluggy.HookImpl]:
        return [i for i in getattr(self._pm.hook, hook).get_hookimpls() if i.plugin is self._plugin]

    def _call(self, hook: str, expected: type | tuple[type, ...], **kwargs: object) -> Any:
        impls = self._impls(hook)
        if not impls:
            raise ProviderError(
                self.distribution, f"provider {self.id!r} does not implement {hook}"
            )
        impl = impls[-1]
        try:
            result = impl.function(*(kwargs[name] for name in impl.argnames))
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

    @property
    def name(self) -> str:
        return str(self._call("gitops_provider_name", str))

    def questions(self) -> tuple[Question, ...]:
        questions = tuple(self._call("gitops_questions", (list, tuple)))
        for question in questions:
            if not isinstance(question, Question):
                raise ProviderError(
                    self.distribution,
                    f"gitops_questions returned a {type(question).__name__}, not a Question",
                )
        return questions

    def shared_defaults(self) -> Mapping[str, Value]:
        """The provider's conventions for shared questions (such as its ``targetRevision``)."""
        return dict(self._call("gitops_shared_defaults", Mapping))

    def generate(self, config: GitOpsConfig) -> GeneratedOutput:
        output: GeneratedOutput = self._call("gitops_generate", GeneratedOutput, config=config)
        return output

    def generate_all(self, configs: Sequence[GitOpsConfig], bundle: Bundle) -> BundleOutput:
        """The files for every package of a ``generate --all`` set (:mod:`gitops_core.bundle`).

        The hook is optional: a provider without it does not support sets.
        """
        if not self._impls("gitops_generate_all"):
            raise UnsupportedError(
                f"provider {self.id!r} does not generate a whole set of packages at once"
            )
        output: BundleOutput = self._call(
            "gitops_generate_all", BundleOutput, configs=configs, bundle=bundle
        )
        return output

    def schema_dirs(self) -> tuple[Path, ...]:
        return tuple(self._call("gitops_schema_dirs", (list, tuple)))


def _names(expected: type | tuple[type, ...]) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(k.__name__ for k in kinds)


class Providers:
    """The installed providers, by id."""

    def __init__(self, sources: Iterable[ProviderSource]) -> None:
        self._pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self._pm.add_hookspecs(GitOpsGenerator)
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
        """The provider ``provider_id``, imported and registered on first use."""
        if provider_id in self._loaded:
            return self._loaded[provider_id]
        sources = self._sources.get(provider_id)
        if not sources:
            installed = ", ".join(self.ids()) or "none"
            raise UsageError(
                f"provider {provider_id!r} is not installed (installed: {installed}); providers "
                f"ship as distributions, by convention gitops-{provider_id}: "
                f"pip install gitops-{provider_id}"
            )
        if len(sources) > 1:
            dists = " and ".join(sorted(s.distribution for s in sources))
            raise ProviderError(dists, f"provider id {provider_id!r} is provided by both {dists}")
        source = sources[0]
        try:
            plugin = source.load()
            self._pm.register(plugin, name=provider_id)
        except Exception as exc:
            raise ProviderError(
                source.distribution,
                f"could not load provider {provider_id!r}: {type(exc).__name__}: {exc}",
            ) from exc
        provider = Provider(self._pm, plugin, source)
        declared = provider._call("gitops_provider_id", str)
        if declared != provider_id:
            raise ProviderError(
                source.distribution,
                f"entry point {provider_id!r} declares provider id {declared!r}",
            )
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


def _constant(plugin: object) -> Callable[[], object]:
    return lambda: plugin


def _entry_point_source(ep: EntryPoint) -> ProviderSource:
    return ProviderSource(
        id=ep.name, distribution=ep.distribution, version=ep.version, load=ep.load
    )
