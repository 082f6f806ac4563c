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
    """The ``valueFiles`` answer, else the chart's ``values.yaml`` when the chart has one.

    Listing a missing file would fail every sync, so without an answer only a file detection saw
    is named; the chart's other values files are mentioned, never chosen for the user.
    """
    package = context.config.package
    if package.type != "helm":
        return None
    answer = context.config.provider.get("valueFiles")
    chosen = [item.strip() for item in str(answer or "").split(",") if item.strip()]
    if not chosen and "values.yaml" in package.files:
        chosen = ["values.yaml"]
    # Helm always reads the chart's own values.yaml, so only the others are worth suggesting.
    others = [file for file in package.files if file not in chosen and file != "values.yaml"]
    if others:
        context.note(
            f"the chart also has {', '.join(others)}; to use them, answer valueFiles with the "
            "whole list in order, such as --set valueFiles=" + ",".join([*chosen, others[0]])
        )
    return chosen or None


def directory(context: Context) -> dict[str, Value] | None:
    # Argo CD reads only the folder's top level by default; the package is the whole tree.
    return {"recurse": True} if context.config.package.type == "raw-manifests" else None


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
    return CREATE_NAMESPACE if context.answer("createNamespace") else None


provider = DeclarativeProvider(
    "gitops_argocd",
    functions={
        "name": application_name,
        "applicationNamespace": application_namespace,
        "finalizer": finalizer,
        "helmReleaseName": helm_release_name,
        "helmValueFiles": helm_value_files,
        "directory": directory,
        "destinationServer": destination_server,
        "automated": automated,
        "createNamespaceOption": create_namespace_option,
    },
    schemas="argocd",
)
