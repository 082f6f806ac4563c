"""The Argo CD provider: one ``Application`` for a Helm chart, Kustomize overlay or manifest folder.

Mostly data (``questions.yaml``, ``manifests.yaml``); the functions below say what templates
cannot: which blocks a package type and the answers call for, and the names Helm accepts.
Each returns ``None`` where its key must not appear at all.
"""

from __future__ import annotations

from gitops_core.declarative import Context, DeclarativeProvider, object_name, to_dns1123_label
from gitops_core.models import Value

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


provider = DeclarativeProvider(
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
