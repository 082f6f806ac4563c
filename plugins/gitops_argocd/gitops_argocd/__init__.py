"""The Argo CD provider: one ``Application`` for a Helm chart, Kustomize overlay or manifest folder.

Mostly data (``questions.yaml``, ``manifests.yaml``); the functions below say what templates
cannot: which blocks a package type and the answers call for, and the names Helm accepts.
Each returns ``None`` where its key must not appear at all.

With ``generate --all`` and ``applicationSet``, the set is one ``ApplicationSet`` instead of a
file per package (:func:`application_set`): the Argo CD user's usual pattern.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitops_core import hookimpl
from gitops_core.declarative import Context, DeclarativeProvider, object_name, to_dns1123_label
from gitops_core.models import Bundle, BundleOutput, GeneratedOutput, GitOpsConfig, Value

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
CREATE_NAMESPACE = "CreateNamespace=true"
#: Helm refuses longer release names, and Argo CD uses the Application name as the release name.
HELM_RELEASE_NAME_MAX = 53
#: Label-based resource tracking truncates longer Application names.
LABEL_TRACKING_MAX = 63


def application_name(context: Context) -> str:
    name = object_name(context, "resourceName")
    if len(name) > LABEL_TRACKING_MAX:
        context.note(
            f"Application name {name!r} is longer than {LABEL_TRACKING_MAX} characters: "
            "fine with annotation tracking (the default), truncated with label tracking"
        )
    return name


def application_namespace(context: Context) -> str:
    namespace = str(context.answer("applicationNamespace"))
    if namespace != "argocd":
        context.note(
            f"the Application lives in {namespace!r}: unless that is Argo CD's own namespace, "
            "Argo CD needs 'apps in any namespace' enabled for it and the project must list it "
            "in spec.sourceNamespaces"
        )
    return namespace


def finalizer(context: Context) -> str | None:
    return FINALIZER if context.answer("cascadeDelete") else None


def helm_release_name(context: Context) -> str | None:
    """A release name Helm and chart templates accept, when the Application name is not one.

    Helm caps release names at 53 characters, and charts build Service names from the release
    name, which must not contain dots; otherwise Argo CD's default (the Application name) works.
    """
    if context.config.package.type != "helm":
        return None
    name = application_name(context)
    if len(name) <= HELM_RELEASE_NAME_MAX and "." not in name:
        return None
    release = to_dns1123_label(name, HELM_RELEASE_NAME_MAX)
    reason = (
        f"Helm allows at most {HELM_RELEASE_NAME_MAX} characters"
        if len(name) > HELM_RELEASE_NAME_MAX
        else "charts name Services after it, and Service names cannot hold dots"
    )
    context.note(
        f"Helm release name {release!r} instead of the Application name {name!r}: {reason}"
    )
    return release


def helm_value_files(context: Context) -> list[str] | None:
    """``helm.valueFiles``: the ``valueFiles`` answer (relative to the chart, as Argo CD reads
    them; the core checked that each exists). Helm reads the chart's ``values.yaml`` first
    anyway, so without an answer there is no list, as ``argocd app create`` writes none."""
    package = context.config.package
    if package.type != "helm":
        return None
    chosen = list(context.config.shared.get("valueFiles") or ())
    others = [f for f in package.files if f not in chosen and f != "values.yaml"]
    if others and not chosen:
        context.note(f"the chart also has {', '.join(others)}; answer valueFiles to use them")
    return chosen or None


def directory(context: Context) -> dict[str, Value] | None:
    """Argo CD reads only a folder's top level unless told to recurse; the package is the whole
    tree, except folders below it that are packages of their own (a kustomization or a chart),
    which Argo CD would read as plain manifests: those are excluded."""
    _content_notes(context)
    if context.config.package.type != "raw-manifests":
        return None
    nested = list(context.config.facts.get("nestedPackages", ()))
    if not nested:
        return {"recurse": True}
    context.note(
        f"{', '.join(nested)}: a package of its own below this one, left out of it "
        "(directory.exclude); deploy it on its own"
    )
    # Argo CD matches the glob against paths relative to the source path; "*" crosses "/".
    patterns = [f"{folder}/*" for folder in nested]
    exclude = patterns[0] if len(patterns) == 1 else "{" + ",".join(patterns) + "}"
    return {"recurse": True, "exclude": exclude}


def _content_notes(context: Context) -> None:
    """What Argo CD applies as written: SOPS ciphertext (it decrypts nothing without a plugin)
    and ``${VAR}`` placeholders (it substitutes nothing, unlike Flux's postBuild)."""
    facts = context.config.facts
    sops = list(facts.get("sopsFiles", ()))
    if sops:
        shown = ", ".join(sops[:5]) + (f" and {len(sops) - 5} more" if len(sops) > 5 else "")
        context.note(
            f"{shown} is SOPS-encrypted: Argo CD decrypts nothing by itself and would apply the "
            "ciphertext; configure a plugin that decrypts (KSOPS, helm-secrets) or keep the "
            "secret out of Git (External Secrets, Sealed Secrets)"
        )
    variables = list(facts.get("variables", ()))
    if variables:
        context.note(
            f"the package uses the variables {', '.join(variables)}: Argo CD substitutes no "
            "${VAR} and applies them as written"
        )


def repo_url(context: Context) -> str:
    url = str(context.answer("gitRepoUrl"))
    if url.startswith("ssh://") or ("://" not in url and "@" in url):
        context.note(
            f"Argo CD clones {url} with the credentials of a repository it knows: add it once "
            f"with `argocd repo add {url} --ssh-private-key-path ~/.ssh/id_ed25519` (or a "
            "repository Secret)"
        )
    return url


def destination_server(context: Context) -> str | None:
    return None if context.config.provider.get("destinationName") else IN_CLUSTER_SERVER


def automated(context: Context) -> dict[str, Value] | None:
    """``syncPolicy.automated``: absent for manual sync; its presence is what turns sync on."""
    policy = context.answer("syncPolicy")
    if policy == "manual":
        return None
    block: dict[str, Value] = {}
    if policy == "auto-prune":
        block["prune"] = True
    if context.answer("selfHeal"):
        block["selfHeal"] = True
    return block


def create_namespace_option(context: Context) -> str | None:
    namespace = context.config.shared.get("destinationNamespace")
    return CREATE_NAMESPACE if namespace and context.answer("createNamespace") else None


# --- generate --all as one ApplicationSet -----------------------------------------------------

APPLICATION_SET_FILE = "_applicationset.yaml"
#: Sprig pipelines (Go templates of the ApplicationSet controller) that name an Application after
#: its folder as the core names packages, and the same in Python to know when they do.
PATH_NAME = '{{ .path.path | lower | replace "/" "-" | replace "_" "-" | replace "." "-" }}'
BASENAME_NAME = '{{ .path.basename | lower | replace "_" "-" | replace "." "-" }}'
PATH_PARAMETER = "{{ .path.path }}"


def _sprig_name(text: str) -> str:
    return text.lower().replace("/", "-").replace("_", "-").replace(".", "-")


def _name_expression(name: str, path: str) -> str | None:
    """The template expression that gives the package's name from its folder, if one does."""
    if not path.isascii():
        return None
    if _sprig_name(path) == name:
        return PATH_NAME
    if _sprig_name(path.rpartition("/")[2]) == name:
        return BASENAME_NAME
    return None


def _common(documents: Sequence[Any]) -> Any:
    """What every one of ``documents`` holds alike (mappings intersected key by key)."""
    first = documents[0]
    if all(isinstance(d, dict) for d in documents):
        shared = {}
        for key in first:
            if all(key in d for d in documents):
                value = _common([d[key] for d in documents])
                if value is not _NOTHING:
                    shared[key] = value
        return shared
    return first if all(d == first for d in documents) else _NOTHING


_NOTHING = object()


def application_set(
    configs: Sequence[GitOpsConfig], bundle: Bundle, applications: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """One ApplicationSet that generates ``applications`` (one per package, as app-of-apps
    would write them).

    Packages whose Applications differ only by the folder (and a name the folder gives) share
    one Git directories generator; the others get a generator each, with the template fields
    that differ (a namespace, a tool block, a name) in the generator's own ``template``, over the
    ApplicationSet's template of what all hold alike. The controller merges a generator's
    template over the ApplicationSet's, filling only what is missing, so the common part never
    changes what a generator says.
    """
    groups: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for application, name in zip(applications, bundle.names, strict=True):
        template = {
            "metadata": copy.deepcopy(application["metadata"]),
            "spec": copy.deepcopy(application["spec"]),
        }
        source = template["spec"]["source"]
        path = str(source["path"])
        expression = _name_expression(name, path) if path != "." else None
        if expression is not None:
            template["metadata"]["name"] = expression
            source["path"] = PATH_PARAMETER
        key = json.dumps(template, sort_keys=True)
        groups.setdefault(key, (template, []))[1].append(path)
    templates = [template for template, _ in groups.values()]
    common = _common(templates) if len(templates) > 1 else templates[0]
    common.setdefault("metadata", {})
    first = configs[0]
    url, revision = first.shared["gitRepoUrl"], first.shared["targetRevision"]
    generators = []
    for template, paths in groups.values():
        if template["spec"]["source"]["path"] == PATH_PARAMETER:
            directories = [{"path": path} for path in paths]
            generator: dict[str, Any] = {
                "git": {"repoURL": url, "revision": revision, "directories": directories}
            }
        else:  # one package whose name or folder no expression gives: a list of one
            generator = {"list": {"elements": [{"package": paths[0]}]}}
        if template != common:
            next(iter(generator.values()))["template"] = template
        generators.append(generator)
    spec: dict[str, Any] = {
        "goTemplate": True,
        "goTemplateOptions": ["missingkey=error"],
        "generators": generators,
        "template": common,
    }
    if not first.answers().get("cascadeDelete"):
        # The controller puts Argo CD's deletion finalizer on what it generates; without
        # cascadeDelete, removing an Application (or the set) leaves its resources running.
        spec["syncPolicy"] = {"preserveResourcesOnDeletion": True}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {
            "name": bundle.entrypoint,
            "namespace": str(first.answer("applicationNamespace")),
        },
        "spec": spec,
    }


class ArgoCDProvider(DeclarativeProvider):
    """The declarative provider, and with ``applicationSet`` its set as one ApplicationSet."""

    @hookimpl
    def gitops_generate_all(self, configs: Sequence[GitOpsConfig], bundle: Bundle) -> BundleOutput:
        output = super().gitops_generate_all(configs, bundle)
        if not configs or not configs[0].answers().get("applicationSet"):
            return output
        applications = [_application(out) for out in output.packages]
        document = application_set(configs, bundle, applications)
        notes = [note for out in output.packages for note in out.notes]
        shared = self._set_output([document], APPLICATION_SET_FILE, len(configs), notes)
        return BundleOutput(
            packages=(),
            shared=(*output.shared, shared),
            entrypoint=output.entrypoint,
            files=output.files,
        )


def _application(output: GeneratedOutput) -> Mapping[str, Any]:
    return next(_applications(output.documents))


def _applications(documents: Sequence[Mapping[str, Value]]) -> Iterator[Mapping[str, Any]]:
    for document in documents:
        if document.get("kind") == "Application":
            yield document


provider = ArgoCDProvider(
    "gitops_argocd",
    functions={
        "name": application_name,
        "applicationNamespace": application_namespace,
        "finalizer": finalizer,
        "helmReleaseName": helm_release_name,
        "helmValueFiles": helm_value_files,
        "directory": directory,
        "repoUrl": repo_url,
        "destinationServer": destination_server,
        "automated": automated,
        "createNamespaceOption": create_namespace_option,
    },
    schemas="argocd",
)
