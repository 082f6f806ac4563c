"""The Flux provider: valid, deterministic manifests that mean what was answered."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE_PACKAGES, EXAMPLES
from gitops_flux import is_semver_range
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_core import configuration, detection, generation
from gitops_core.errors import InvalidManifestError, MissingAnswersError, UsageError
from gitops_core.git import GitFacts
from gitops_core.models import DetectedPackage, PackageType
from gitops_core.plugins import Providers
from gitops_core.validation import check_outputs

ANSWERS = {"gitRepoUrl": "https://github.com/acme/shop.git", "destinationNamespace": "shop"}


def generate(
    providers: Providers,
    package: DetectedPackage,
    answers: Mapping[str, object],
    facts: GitFacts | None = None,
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    flux = providers.get("flux")
    config = configuration.configure(EXAMPLES, package, flux, answers, facts=facts or GitFacts())
    output = generation.generate(config, flux)
    documents = list(yaml.safe_load_all(output.manifests))
    assert documents == [dict(d) for d in output.documents]
    return documents, output.notes


@pytest.mark.parametrize("package_type", sorted(EXAMPLE_PACKAGES))
def test_every_example_package_gives_valid_flux_manifests(
    providers: Providers, package_type: str
) -> None:
    package = detection.find_package(EXAMPLES, EXAMPLE_PACKAGES[package_type])
    assert package.type == package_type
    documents, _ = generate(providers, package, ANSWERS)
    kinds = [d["kind"] for d in documents]
    if package_type == "helm":
        assert kinds == ["GitRepository", "HelmRelease"]
        release = documents[1]["spec"]
        assert release["chart"]["spec"] == {
            "chart": "./charts/podinfo",
            "reconcileStrategy": "ChartVersion",
            "sourceRef": {"kind": "GitRepository", "name": "podinfo"},
        }
        assert release["releaseName"] == "podinfo"
        assert release["targetNamespace"] == "shop" and release["install"] == {
            "createNamespace": True
        }
    else:
        assert kinds == ["GitRepository", "Namespace", "Kustomization"]
        assert documents[1] == {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "shop"},
        }
        spec = documents[2]["spec"]
        assert spec["path"] == f"./{EXAMPLE_PACKAGES[package_type]}"
        assert spec["prune"] is True and spec["targetNamespace"] == "shop"
        assert spec["interval"] == "5m"
    source = documents[0]
    assert source["apiVersion"] == "source.toolkit.fluxcd.io/v1"
    assert source["metadata"] == {"name": package.name, "namespace": "flux-system"}
    assert source["spec"] == {
        "interval": "1m",
        "url": ANSWERS["gitRepoUrl"],
        "ref": {"branch": "main"},
    }


def test_no_namespace_document_when_declined_and_prune_off(providers: Providers) -> None:
    package = detection.find_package(EXAMPLES, "manifests/guestbook")
    documents, _ = generate(
        providers,
        package,
        {
            **ANSWERS,
            "createNamespace": "no",
            "prune": "false",
            "reconcileInterval": "1h30m",
            "fluxNamespace": "gitops",
        },
    )
    assert [d["kind"] for d in documents] == ["GitRepository", "Kustomization"]
    assert documents[1]["spec"]["prune"] is False
    assert documents[1]["spec"]["interval"] == "1h30m"
    assert {d["metadata"]["namespace"] for d in documents} == {"gitops"}


@pytest.mark.parametrize(
    ("revision", "ref"),
    [
        (
            "0123456789abcdef0123456789abcdef01234567",
            {"commit": "0123456789abcdef0123456789abcdef01234567"},
        ),
        ("refs/pull/420/head", {"name": "refs/pull/420/head"}),
        ("v1.2.3", {"tag": "v1.2.3"}),
        (">=1.0.0", {"semver": ">=1.0.0"}),
        ("~1.2", {"semver": "~1.2"}),
        ("1.x", {"semver": "1.x"}),
        ("^2", {"semver": "^2"}),
        ("1.0.0 - 2.0.0", {"semver": "1.0.0 - 2.0.0"}),
        # An exact version is a tag even when the clone has no tags (shallow CI clones).
        ("v2.0.0", {"tag": "v2.0.0"}),
        ("2.0.0-rc.1", {"tag": "2.0.0-rc.1"}),
        ("refs/heads/v2.0.0", {"branch": "v2.0.0"}),
        ("refs/tags/main", {"tag": "main"}),
        ("release/1.x-fixes", {"branch": "release/1.x-fixes"}),
        ("main", {"branch": "main"}),
    ],
)
def test_target_revision_maps_onto_the_right_ref(
    providers: Providers, revision: str, ref: dict[str, str]
) -> None:
    package = detection.find_package(EXAMPLES, "charts/podinfo")
    documents, _ = generate(
        providers, package, {**ANSWERS, "targetRevision": revision}, GitFacts(tags=("v1.2.3",))
    )
    assert documents[0]["spec"]["ref"] == ref


def test_semver_detection_needs_an_operator_wildcard_or_range() -> None:
    assert all(
        map(is_semver_range, [">1", "<=2.0", "!=1.2.3", "1.2.*", "*", "1.2 || 2.x", ">= 1.0, < 2"])
    )
    assert not any(map(is_semver_range, ["1.2.3", "v1", "main", "feature/x", ""]))


def test_scp_like_urls_become_ssh_urls_with_a_note(providers: Providers) -> None:
    package = detection.find_package(EXAMPLES, "charts/podinfo")
    documents, notes = generate(
        providers, package, {**ANSWERS, "gitRepoUrl": "git@github.com:acme/shop.git"}
    )
    assert documents[0]["spec"]["url"] == "ssh://git@github.com/acme/shop.git"
    assert any("ssh://" in note for note in notes)


def test_a_package_name_is_made_a_dns_label_and_says_so(providers: Providers) -> None:
    package = DetectedPackage(
        path="apps/My_Shop.v2", type="kustomize", name="My_Shop.v2", confidence="high"
    )
    documents, notes = generate(providers, package, {**ANSWERS, "gitRepoPath": "apps/My_Shop.v2"})
    assert {d["metadata"]["name"] for d in documents if d["kind"] != "Namespace"} == {"my-shop-v2"}
    assert notes == ("package name 'My_Shop.v2' is not a DNS-1123 label; using 'my-shop-v2'",)


def test_a_name_that_cannot_become_dns_1123_is_a_usage_error(providers: Providers) -> None:
    package = DetectedPackage(path="x", type="kustomize", name="日本", confidence="high")
    # The library names the question; only the command line speaks of --set.
    with pytest.raises(
        MissingAnswersError,
        match=r"^missing answer for resourceName \(package name '日本' cannot become a DNS-1123",
    ):
        generate(providers, package, {**ANSWERS, "gitRepoPath": "x"})
    documents, _ = generate(
        providers, package, {**ANSWERS, "gitRepoPath": "x", "resourceName": "nihon"}
    )
    assert documents[0]["metadata"]["name"] == "nihon"


def test_the_repository_root_is_written_as_dot_slash(providers: Providers) -> None:
    package = DetectedPackage(path=".", type="raw-manifests", name="repo", confidence="medium")
    documents, _ = generate(providers, package, {**ANSWERS, "gitRepoPath": "./"})
    assert documents[-1]["spec"]["path"] == "./"


def test_an_invalid_result_is_refused_before_anything_is_returned(providers: Providers) -> None:
    # A 60-character name is a valid label, but Flux's HelmRelease is still checked as a whole.
    package = detection.find_package(EXAMPLES, "charts/podinfo")
    flux = providers.get("flux")
    config = configuration.configure(EXAMPLES, package, flux, ANSWERS, facts=GitFacts())
    output = flux.generate(config)
    broken = output.manifests.replace("interval: 5m", "interval: 5 minutes")
    import attrs

    with pytest.raises(InvalidManifestError, match=r"HelmRelease/podinfo: spec.interval"):
        check_outputs([attrs.evolve(output, manifests=broken)], flux)


labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
durations = st.from_regex(r"([1-9][0-9]{0,2}(ms|s|m|h)){1,3}", fullmatch=True)
revisions = st.one_of(
    st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9._/-]{0,30}", fullmatch=True),
    st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
    st.sampled_from([">=1.0.0", "~1.2", "1.x", "refs/heads/main"]),
)
urls = st.builds(
    lambda host, path, scheme: f"{scheme}{host}/{path}.git" if scheme else f"git@{host}:{path}.git",
    labels.map(lambda s: s + ".example.com"),
    labels,
    st.sampled_from(["https://", "http://", "ssh://git@", None]),
)
paths = st.lists(
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}", fullmatch=True), min_size=0, max_size=4
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    package_type=st.sampled_from(["helm", "kustomize", "raw-manifests"]),
    name=st.text(min_size=1, max_size=40).filter(
        lambda s: any(c.isascii() and c.isalnum() for c in s)
    ),
    url=urls,
    revision=revisions,
    namespace=labels,
    flux_namespace=labels,
    interval=durations,
    prune=st.booleans(),
    create=st.booleans(),
    parts=paths,
)
def test_any_valid_answers_give_valid_deterministic_flux_output(
    providers: Providers,
    package_type: str,
    name: str,
    url: str,
    revision: str,
    namespace: str,
    flux_namespace: str,
    interval: str,
    prune: bool,
    create: bool,
    parts: list[str],
) -> None:
    package = DetectedPackage(path="pkg", type=package_type, name=name, confidence="high")  # type: ignore[arg-type]
    answers = {
        "gitRepoUrl": url,
        "gitRepoPath": "/".join(parts) or ".",
        "targetRevision": revision,
        "destinationNamespace": namespace,
        "fluxNamespace": flux_namespace,
        "reconcileInterval": interval,
        "prune": prune,
        "createNamespace": create,
    }
    flux = providers.get("flux")
    config = configuration.configure(Path("."), package, flux, answers, facts=GitFacts())
    first = generation.generate(config, flux)  # raises InvalidManifestError if not valid
    assert first.manifests == flux.generate(config).manifests
    documents = list(yaml.safe_load_all(first.manifests))
    workload = documents[-1]["spec"]
    assert workload["targetNamespace"] == namespace
    assert workload["interval"] == interval
    if package_type != "helm":
        assert workload["prune"] is prune
        # Never a Namespace the cluster or Flux owns: Flux could prune it.
        owned = {"default", "kube-system", "kube-public", "kube-node-lease", flux_namespace}
        wanted = create and namespace not in owned
        assert ("Namespace" in [d["kind"] for d in documents]) is wanted


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(revision=st.text(min_size=1, max_size=80))
def test_any_answer_string_reads_back_identically_or_is_refused(
    providers: Providers, revision: str
) -> None:
    package = detection.find_package(EXAMPLES, "charts/podinfo")
    flux = providers.get("flux")
    try:
        config = configuration.configure(
            EXAMPLES, package, flux, {**ANSWERS, "targetRevision": revision}, facts=GitFacts()
        )
        output = generation.generate(config, flux)  # Flux refuses what it cannot track
    except UsageError as exc:
        assert str(exc).startswith("targetRevision: ")
        return
    documents = list(yaml.safe_load_all(output.manifests))
    assert len(documents) == 2
    assert list(documents[0]["spec"]["ref"].values()) == [revision]


@pytest.mark.parametrize("package_type", ["helm", "kustomize", "raw-manifests"])
def test_a_service_account_to_impersonate_is_written_only_when_answered(
    tmp_path: Path, package_type: PackageType
) -> None:
    """As `flux create kustomization|helmrelease --service-account` writes it: multi-tenant
    clusters (--default-service-account) need it on every Kustomization and HelmRelease."""
    import gitops_flux

    from gitops_core.testing import generate

    kind = "HelmRelease" if package_type == "helm" else "Kustomization"
    plain = generate(gitops_flux.provider, tmp_path / "a", package_type=package_type)
    (applier,) = [d for d in plain.documents if d["kind"] == kind]
    assert "serviceAccountName" not in applier["spec"]
    tenant = generate(
        gitops_flux.provider,
        tmp_path / "b",
        {"serviceAccountName": "dev-team"},
        package_type=package_type,
    )
    (applier,) = [d for d in tenant.documents if d["kind"] == kind]
    assert applier["spec"]["serviceAccountName"] == "dev-team"
    with pytest.raises(UsageError, match="serviceAccountName"):
        generate(gitops_flux.provider, tmp_path / "c", {"serviceAccountName": "Dev Team"})
