"""The Argo CD provider through the real core: detection, questions, generation, validation.

Every Application is checked twice: by the strict schema validator (unknown fields rejected,
DNS-1123 names), and by :func:`argo_problems`, which re-checks what only Argo CD's API server
and controller enforce (one destination, one tool block, no blocks they would normalise away).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import gitops_argocd
import pytest
from conftest import EXAMPLES, ROOT, CliRunner, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_core import configuration, detection, errors, generation
from gitops_core.checks import is_dns1123_label, is_dns1123_subdomain, to_dns1123_label
from gitops_core.errors import UsageError
from gitops_core.git import GitFacts
from gitops_core.models import DetectedPackage, GeneratedOutput, GitOpsConfig
from gitops_core.plugins import Provider, Providers
from gitops_core.questions import AnswerError, questions_as_data
from gitops_core.validation import SchemaStore, load_documents, validate_documents

URL = "https://github.com/example/gitops-demo.git"
REQUIRED = {"gitRepoUrl": URL, "destinationNamespace": "demo"}


@pytest.fixture(scope="module")
def provider() -> Provider:
    return Providers.from_plugins({"argocd": gitops_argocd.provider}).get("argocd")


@pytest.fixture(scope="module")
def store(provider: Provider) -> SchemaStore:
    # The provider's own schema folder, as `gitops validate` and `generate` find it.
    return SchemaStore(provider.schema_dirs())


def configure(
    provider: Provider,
    package: DetectedPackage,
    answers: Mapping[str, object],
    root: Path = EXAMPLES,
) -> GitOpsConfig:
    # GitFacts(): no checkout facts, so the test does not depend on the repository it runs in.
    answers = {**REQUIRED, **answers}
    return configuration.configure(root, package, provider, answers, facts=GitFacts())


def generate(
    provider: Provider,
    package: DetectedPackage,
    answers: Mapping[str, object] | None = None,
    root: Path = EXAMPLES,
) -> tuple[dict[str, Any], GeneratedOutput]:
    """The one Application for ``package``, generated and validated as `gitops generate` does."""
    output = generation.generate(configure(provider, package, answers or {}, root), provider)
    (document,) = output.documents
    return dict(document), output


def example(path: str) -> DetectedPackage:
    return detection.find_package(EXAMPLES, path)


def package(
    kind: str = "helm", name: str = "web", path: str = "charts/web", files: tuple[str, ...] = ()
) -> DetectedPackage:
    return DetectedPackage(path=path, type=kind, name=name, confidence="high", files=files)  # type: ignore[arg-type]


def empty_blocks(node: object, path: str = "") -> Iterator[str]:
    """Paths of empty mappings or lists, which Argo CD normalises away (and then shows a diff).

    ``spec.syncPolicy.automated`` is the exception: an empty one is how automatic sync without
    prune or self-heal is written, and Argo CD keeps it.
    """
    if isinstance(node, dict | list) and not node and path != ".spec.syncPolicy.automated":
        yield path
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        yield from empty_blocks(
            value, f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
        )


def argo_problems(document: Mapping[str, Any]) -> list[str]:
    """What Argo CD refuses or rewrites although the CRD schema accepts it (argocd.md §2.8)."""
    problems = [f"empty block at {p}" for p in empty_blocks(document)]
    spec = document["spec"]
    source = spec["source"]
    destination = spec["destination"]
    if ("server" in destination) == ("name" in destination):
        problems.append(f"destination needs exactly one of server and name: {destination}")
    if "namespace" not in destination:
        problems.append("destination.namespace missing")
    tools = [key for key in ("helm", "kustomize", "directory", "plugin") if key in source]
    if len(tools) > 1:
        problems.append(f"several tool blocks: {tools}")
    if "chart" in source:
        problems.append("chart is for Helm repositories, not charts in Git")
    path = source.get("path", "")
    if not path or path.startswith(("/", "./")) or ".." in path.split("/") or "\\" in path:
        problems.append(f"path {path!r} is not a clean path inside the repository")
    if not spec.get("project"):
        problems.append("project is empty")
    if "sources" in spec or "operation" in document or "status" in document:
        problems.append("only spec.source is generated; never sources, operation or status")
    return problems


def assert_valid(document: Mapping[str, Any], store: SchemaStore) -> None:
    problems = validate_documents([document], source="test", store=store)
    assert [str(p) for p in problems] == []
    assert argo_problems(document) == []


# --- the validator really is strict (otherwise every "valid" below means little) -------------


def test_the_schema_check_rejects_unknown_fields_and_bad_names(
    provider: Provider, store: SchemaStore
) -> None:
    document, _ = generate(provider, example("charts/podinfo"), {"syncPolicy": "auto"})
    typo = {
        **document,
        "spec": {**document["spec"], "syncPolicy": {"automated": {"selfheal": True}}},
    }
    bad_name = {**document, "metadata": {**document["metadata"], "name": "Guest_Book"}}
    no_project = {**document, "spec": {k: v for k, v in document["spec"].items() if k != "project"}}
    problems = validate_documents([typo, bad_name, no_project], source="t", store=store)
    assert [(p.index, p.path) for p in problems] == [
        (0, "spec.syncPolicy.automated.selfheal"),
        (1, "metadata.name"),
        (2, "spec.project"),
    ]


# --- the bundled example: every package type ----------------------------------------------------


def test_every_example_package_gives_one_valid_application(
    provider: Provider, store: SchemaStore
) -> None:
    from gitops_core.detection import detect

    packages = detect(EXAMPLES)
    assert {p.type for p in packages} == {"helm", "kustomize", "raw-manifests"}
    for found in packages:
        document, output = generate(provider, found)
        assert output.filename == "argocd-application.yaml"
        assert (document["apiVersion"], document["kind"]) == ("argoproj.io/v1alpha1", "Application")
        assert document["spec"]["source"]["path"] == found.path
        assert_valid(document, store)
        # What is written is what was validated: the YAML reads back as the same data.
        assert load_documents(output.manifests) == [document]


def test_helm_chart_in_git(provider: Provider) -> None:
    document, output = generate(provider, example("charts/podinfo"))
    assert document == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "podinfo", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {
                "repoURL": URL,
                "path": "charts/podinfo",
                "targetRevision": "HEAD",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "demo"},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        },
    }
    assert output.notes == ()
    assert output.description == "Argo CD Application for podinfo"


def test_kustomize_overlay_has_no_tool_block(provider: Provider) -> None:
    document, _ = generate(provider, example("kustomize/overlays/production"))
    assert document["metadata"] == {"name": "production", "namespace": "argocd"}
    assert document["spec"]["source"] == {
        "repoURL": URL,
        "path": "kustomize/overlays/production",
        "targetRevision": "HEAD",
    }


def test_raw_manifests_are_read_recursively(provider: Provider) -> None:
    document, _ = generate(provider, example("manifests/guestbook"))
    assert document["spec"]["source"] == {
        "repoURL": URL,
        "path": "manifests/guestbook",
        "targetRevision": "HEAD",
        "directory": {"recurse": True},
    }


def test_kustomization_beside_a_chart_is_built_by_kustomize(
    provider: Provider, tmp_path: Path
) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    (tmp_path / "values.yaml").write_text("replicas: 1\n")
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    found = detection.find_package(tmp_path, ".")
    assert found.type == "kustomize"
    document, _ = generate(provider, found, root=tmp_path)
    assert "helm" not in document["spec"]["source"]


# --- sync policy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "sync_policy"),
    [
        ({"syncPolicy": "manual"}, {"syncOptions": ["CreateNamespace=true"]}),
        ({"syncPolicy": "manual", "createNamespace": False}, None),
        (
            {"syncPolicy": "auto"},
            {"automated": {"selfHeal": True}, "syncOptions": ["CreateNamespace=true"]},
        ),
        (
            {"syncPolicy": "auto-prune"},
            {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        ),
        ({"syncPolicy": "auto", "selfHeal": False, "createNamespace": False}, {"automated": {}}),
        (
            {"syncPolicy": "auto-prune", "selfHeal": False, "createNamespace": False},
            {"automated": {"prune": True}},
        ),
        # Self-heal only means something to automatic sync; manual sync ignores the answer.
        ({"syncPolicy": "manual", "selfHeal": True, "createNamespace": False}, None),
    ],
)
def test_sync_policies_give_exactly_the_documented_blocks(
    provider: Provider, answers: dict[str, object], sync_policy: dict[str, Any] | None
) -> None:
    document, _ = generate(provider, example("kustomize/base"), answers)
    assert document["spec"].get("syncPolicy") == sync_policy
    assert "syncPolicy" in document["spec"] or sync_policy is None


def test_answers_given_as_cli_strings_mean_the_same(provider: Provider) -> None:
    as_text, _ = generate(
        provider,
        example("kustomize/base"),
        {
            "syncPolicy": "auto-prune",
            "selfHeal": "no",
            "createNamespace": "off",
            "cascadeDelete": "yes",
        },
    )
    as_json, _ = generate(
        provider,
        example("kustomize/base"),
        {
            "syncPolicy": "auto-prune",
            "selfHeal": False,
            "createNamespace": False,
            "cascadeDelete": True,
        },
    )
    assert as_text == as_json


def test_unknown_sync_policy_is_refused(provider: Provider) -> None:
    with pytest.raises(AnswerError, match="syncPolicy: 'always' is not a choice"):
        configure(provider, example("kustomize/base"), {"syncPolicy": "always"})


# --- Helm value files and release names -----------------------------------------------------


def test_chart_without_values_yaml_gets_no_helm_block(provider: Provider, tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: bare\nversion: 1.0.0\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "cm.yaml").write_text("kind: ConfigMap\n")
    found = detection.find_package(tmp_path, ".")
    assert (found.type, found.files) == ("helm", ())
    document, output = generate(provider, found, root=tmp_path)
    assert "helm" not in document["spec"]["source"]
    assert output.notes == ()


def test_other_values_files_are_suggested_never_chosen(provider: Provider, tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "web"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    for name in ("values.yaml", "values-prod.yaml"):
        (chart / name).write_text("replicas: 1\n")
    found = detection.find_package(tmp_path, "charts/web")
    # Helm reads values.yaml by itself: no list, as `argocd app create` writes none.
    document, output = generate(provider, found, root=tmp_path)
    assert "helm" not in document["spec"]["source"]
    assert output.notes == ("the chart also has values-prod.yaml; answer valueFiles to use them",)
    chosen, output = generate(provider, found, {"valueFiles": " values-prod.yaml ,"}, root=tmp_path)
    assert chosen["spec"]["source"]["helm"] == {"valueFiles": ["values-prod.yaml"]}
    assert output.notes == ()
    with pytest.raises(UsageError, match=r"valueFiles: 'values-dev.yaml' is not a file of the"):
        generate(provider, found, {"valueFiles": "values-dev.yaml"}, root=tmp_path)


def test_value_files_apply_to_charts_only(provider: Provider) -> None:
    # The question is not asked for Kustomize; an answer given anyway changes nothing.
    document, _ = generate(provider, example("kustomize/base"), {"valueFiles": "values.yaml"})
    assert "helm" not in document["spec"]["source"]


@pytest.mark.parametrize(
    ("name", "release"),
    [
        ("a" * 53, None),
        ("b" * 54, "b" * 53),
        ("example.guestbook", "example-guestbook"),
        ("my-" + "x" * 49 + "-tail", "my-" + "x" * 49),  # cut at 53, no trailing '-'
    ],
)
def test_helm_release_name_stays_within_53_characters(
    provider: Provider, store: SchemaStore, name: str, release: str | None
) -> None:
    document, output = generate(provider, package(files=("values.yaml",)), {"resourceName": name})
    assert document["metadata"]["name"] == name
    assert document["spec"]["source"].get("helm", {}).get("releaseName") == release
    assert_valid(document, store)
    if release is not None:
        assert any(f"Helm release name {release!r}" in note for note in output.notes)


def test_long_package_name_becomes_a_63_character_label(
    provider: Provider, store: SchemaStore
) -> None:
    document, output = generate(provider, package(kind="kustomize", name="Very_Long." * 10))
    name = document["metadata"]["name"]
    assert len(name) <= 63 and is_dns1123_label(name)
    assert "helm" not in document["spec"]["source"]  # release names matter to charts only
    assert any("is not a DNS-1123 label" in note for note in output.notes)
    assert_valid(document, store)


def test_very_long_resource_name_is_noted(provider: Provider, store: SchemaStore) -> None:
    name = ".".join(["part"] * 20)  # 99 characters, a valid subdomain
    document, output = generate(provider, package(kind="raw-manifests"), {"resourceName": name})
    assert document["metadata"]["name"] == name
    assert any("longer than 63 characters" in note for note in output.notes)
    assert_valid(document, store)


# --- paths, URLs, revisions, destination, finalizer -------------------------------------------


def test_package_at_the_repository_root_is_path_dot(
    provider: Provider, store: SchemaStore, tmp_path: Path
) -> None:
    # Argo CD joins the path to its checkout and accepts "." as the root (util/app/path tests
    # TestPathDot); an empty one is refused: "spec.source.repoURL and either spec.source.path
    # or spec.source.chart are required" (util/argo/argo.go).
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    found = detection.find_package(tmp_path, ".")
    document, _ = generate(provider, found, root=tmp_path)
    assert document["spec"]["source"]["path"] == "."
    assert document["spec"]["source"]["directory"] == {"recurse": True}
    assert_valid(document, store)


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("./", "."),
        ("./charts/web/", "charts/web"),
        ("charts\\web", "charts/web"),
        ("a/./b/../c", "a/c"),
    ],
)
def test_path_answers_are_normalised(provider: Provider, given: str, written: str) -> None:
    document, _ = generate(provider, package(), {"gitRepoPath": given})
    assert document["spec"]["source"]["path"] == written


@pytest.mark.parametrize("given", ["../elsewhere", "/abs/path", "charts/../../x"])
def test_paths_outside_the_repository_are_refused(provider: Provider, given: str) -> None:
    with pytest.raises(AnswerError, match="gitRepoPath"):
        generate(provider, package(), {"gitRepoPath": given})


@pytest.mark.parametrize(
    "url",
    [
        "git@github.com:example/app.git",
        "ssh://git@gitlab.example.com:2222/team/app.git",
        "https://github.com/example/app",
        "http://git.internal/app.git",
    ],
)
def test_git_urls_are_kept_as_given(provider: Provider, url: str) -> None:
    document, output = generate(provider, package(), {"gitRepoUrl": url})
    assert document["spec"]["source"]["repoURL"] == url
    if url.startswith("http"):
        assert output.notes == ()
    else:  # Argo CD keeps SSH keys in its repository secrets, not in the Application
        (note,) = output.notes
        assert f"argocd repo add {url} --ssh-private-key-path" in note


def test_credentials_in_the_url_are_refused(provider: Provider) -> None:
    with pytest.raises(AnswerError, match="secretRef") as caught:
        generate(provider, package(), {"gitRepoUrl": "https://bot:s3cret@github.com/o/r.git"})
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    "revision",
    [
        "HEAD",
        "main",
        "v1.2.3",
        "0123456789abcdef0123456789abcdef01234567",
        "refs/pull/7/head",
        ">=1.0.0",
        "2026-01-01",
        "1e3",
        "yes",
    ],
)
def test_target_revision_passes_through(provider: Provider, revision: str) -> None:
    document, output = generate(provider, package(), {"targetRevision": revision})
    assert document["spec"]["source"]["targetRevision"] == revision
    # Read back as a Go YAML parser reads it: "yes", "1e3" or a date stay strings.
    assert load_documents(output.manifests) == [document]


def test_target_revision_defaults_to_the_checkout_branch(provider: Provider) -> None:
    config = configuration.configure(
        EXAMPLES, package(), provider, REQUIRED, facts=GitFacts(branch="release-2")
    )
    assert config.shared["targetRevision"] == "release-2"


def test_cluster_name_replaces_the_server(provider: Provider, store: SchemaStore) -> None:
    document, _ = generate(provider, package(), {"destinationName": "prod-eu"})
    assert document["spec"]["destination"] == {"name": "prod-eu", "namespace": "demo"}
    assert_valid(document, store)


def test_cascade_delete_adds_the_resources_finalizer(provider: Provider) -> None:
    document, _ = generate(provider, package(), {"cascadeDelete": True})
    assert document["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    plain, _ = generate(provider, package())
    assert "finalizers" not in plain["metadata"]


def test_application_namespace_and_project(provider: Provider) -> None:
    document, output = generate(
        provider, package(), {"applicationNamespace": "team-a", "project": "payments"}
    )
    assert document["metadata"]["namespace"] == "team-a"
    assert document["spec"]["project"] == "payments"
    assert any("apps in any namespace" in note for note in output.notes)


@pytest.mark.parametrize("question_id", ["project", "applicationNamespace"])
def test_empty_project_or_namespace_is_missing_not_blank(
    provider: Provider, question_id: str
) -> None:
    # Argo CD would rewrite project "" to default; an Application without a namespace would land
    # in whatever namespace kubectl points at.
    with pytest.raises(errors.MissingAnswersError) as caught:
        generate(provider, package(), {question_id: ""})
    assert caught.value.missing == (question_id,)


@pytest.mark.parametrize(
    ("question_id", "bad"),
    [
        ("applicationNamespace", "Argo_CD"),
        ("project", "My Project"),
        ("destinationNamespace", "a" * 64),
        ("resourceName", "-web"),
        ("destinationName", " in-cluster"),
    ],
)
def test_bad_names_are_refused_with_the_question_id(
    provider: Provider, question_id: str, bad: str
) -> None:
    with pytest.raises(AnswerError, match=f"^{question_id}: "):
        generate(provider, package(), {question_id: bad})


# --- questions as data ------------------------------------------------------------------------


def test_questions_follow_the_spec(provider: Provider) -> None:
    import json

    import jsonschema

    questions = {q.id: q for q in provider.questions()}
    assert {k: questions[k].default for k in ("applicationNamespace", "project", "syncPolicy")} == {
        "applicationNamespace": "argocd",
        "project": "default",
        "syncPolicy": "manual",
    }
    assert [o.value for o in questions["syncPolicy"].options] == ["manual", "auto", "auto-prune"]
    asked = [q.id for q in configuration.question_list(provider)]
    assert asked[:4] == ["gitRepoUrl", "gitRepoPath", "targetRevision", "destinationNamespace"]
    assert asked[-1] == "outputPath"
    schema = json.loads((ROOT / "schemas" / "question.schema.json").read_text())
    jsonschema.validate(questions_as_data(provider.questions()), schema)


def test_output_path_defaults_to_the_argocd_file_name(provider: Provider) -> None:
    config = configure(provider, package(), {})
    assert config.shared["outputPath"] == "./argocd-application.yaml"


# --- properties: any valid answers --------------------------------------------------------------

LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", fullmatch=True)
SUBDOMAIN = st.from_regex(
    r"[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?){0,3}", fullmatch=True
)
SEGMENT = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}", fullmatch=True).filter(
    lambda s: s not in {".", ".."}
)
HOST = st.from_regex(r"[a-z][a-z0-9-]{0,15}\.[a-z]{2,5}", fullmatch=True)
NAME = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
URLS = st.one_of(
    st.builds("https://{}/{}/{}.git".format, HOST, NAME, NAME),
    st.builds("ssh://git@{}/{}/{}".format, HOST, NAME, NAME),
    st.builds("git@{}:{}/{}.git".format, HOST, NAME, NAME),
    st.builds("http://{}:8080/{}".format, HOST, NAME),
)
REVISIONS = st.one_of(
    st.sampled_from(["HEAD", "main", "v1.2.3", "refs/heads/main", "1e3", "yes", "~", "2026-01-01"]),
    st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
    st.text(
        st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=80
    ).filter(lambda s: s == s.strip()),  # no white space at either end: refs have none
)
PACKAGE_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,80}", fullmatch=True)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[DetectedPackage, dict[str, object]]:
    kind = draw(st.sampled_from(["helm", "kustomize", "raw-manifests"]))
    files = draw(st.sampled_from([(), ("values.yaml",), ("values.yaml", "values-prod.yaml")]))
    found = package(
        kind=kind,
        name=draw(PACKAGE_NAMES),
        path=draw(st.sampled_from(["charts/app", ".", "deploy/overlays/prod"])),
        files=files if kind == "helm" else (),
    )
    answers: dict[str, object] = {
        "gitRepoUrl": draw(URLS),
        "gitRepoPath": draw(
            st.one_of(st.just("."), st.lists(SEGMENT, min_size=1, max_size=4).map("/".join))
        ),
        "targetRevision": draw(REVISIONS),
        "destinationNamespace": draw(LABEL),
        "applicationNamespace": draw(LABEL),
        "project": draw(SUBDOMAIN),
        "syncPolicy": draw(st.sampled_from(["manual", "auto", "auto-prune"])),
        "selfHeal": draw(st.booleans()),
        "createNamespace": draw(st.booleans()),
        "cascadeDelete": draw(st.booleans()),
    }
    optional = {
        "destinationName": st.from_regex(
            r"[A-Za-z0-9]([A-Za-z0-9 _.-]{0,30}[A-Za-z0-9])?", fullmatch=True
        ),
        "resourceName": SUBDOMAIN,
    }
    for question_id, strategy in optional.items():
        if draw(st.booleans()):
            answers[question_id] = draw(strategy)
    return found, answers


def expected_sync_policy(answers: Mapping[str, object]) -> dict[str, Any] | None:
    """The documented table: manual → no automated; auto → self-heal; auto-prune → also prune."""
    policy: dict[str, Any] = {}
    if answers["syncPolicy"] != "manual":
        automated: dict[str, bool] = {}
        if answers["syncPolicy"] == "auto-prune":
            automated["prune"] = True
        if answers["selfHeal"]:
            automated["selfHeal"] = True
        policy["automated"] = automated
    if answers["createNamespace"]:
        policy["syncOptions"] = ["CreateNamespace=true"]
    return policy or None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_any_valid_answers_give_a_valid_deterministic_application(
    provider: Provider, store: SchemaStore, scenario: tuple[DetectedPackage, dict[str, object]]
) -> None:
    found, answers = scenario
    document, output = generate(provider, found, answers)
    again, output_again = generate(provider, found, answers)
    assert (again, output_again.manifests) == (document, output.manifests)  # byte-identical

    assert_valid(document, store)
    assert load_documents(output.manifests) == [document]

    metadata, spec = document["metadata"], document["spec"]
    name = str(answers.get("resourceName") or to_dns1123_label(found.name))
    assert metadata["name"] == name and is_dns1123_subdomain(name)
    assert metadata["namespace"] == answers["applicationNamespace"]
    assert ("finalizers" in metadata) == answers["cascadeDelete"]
    assert spec["project"] == answers["project"]

    source = spec["source"]
    assert source["repoURL"] == answers["gitRepoUrl"]
    assert source["path"] == answers["gitRepoPath"]
    assert source["targetRevision"] == answers["targetRevision"]

    helm = source.get("helm", {})
    if found.type == "helm":
        assert "valueFiles" not in helm  # value files are tested on real charts
        release = helm.get("releaseName", name)
        assert len(release) <= 53 and is_dns1123_label(release)
    else:
        assert helm == {}
    assert ("directory" in source) == (found.type == "raw-manifests")

    destination = spec["destination"]
    assert destination["namespace"] == answers["destinationNamespace"]
    if "destinationName" in answers:
        assert destination["name"] == answers["destinationName"]
    else:
        assert destination["server"] == "https://kubernetes.default.svc"
    assert spec.get("syncPolicy") == expected_sync_policy(answers)


# --- applicationSet: a choice about a whole set ------------------------------------------------


def test_application_set_is_a_question_for_a_whole_set_only(provider: Provider) -> None:
    (question,) = [q for q in provider.questions() if q.id == "applicationSet"]
    assert question.scope == "set" and not question.required
    # One package's manifests would silently ignore it: refused, by the one generate step.
    with pytest.raises(errors.SetOnlyAnswersError) as caught:
        generate(provider, package(), {"applicationSet": "yes"})
    assert str(caught.value) == (
        "applicationSet is answered only for a whole set of packages, not for one package"
    )
    # No, as every answers file saved from one package's run says, changes nothing.
    document, _ = generate(provider, package(), {"applicationSet": False})
    assert document["kind"] == "Application"


def test_application_set_without_all_is_a_usage_error_naming_all(
    cli: CliRunner, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "charts" / "podinfo", root / "charts" / "podinfo")
    git(root, "init", "-q", "-b", "main")
    common = ("generate", ".", "--provider", "argocd", "--defaults", "--set", f"gitRepoUrl={URL}",
              "--set", "destinationNamespace=demo")  # fmt: skip
    done = cli(*common, "--set", "applicationSet=true", cwd=root)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "gitops: error: applicationSet is answered only for a whole set of packages, not for one "
        "package; leave it out, or generate every package with --all\n"
    )
    assert not (root / "argocd-application.yaml").exists()
    # Said first, before what else is missing (no gitRepoUrl: the checkout has no origin).
    first = cli("generate", ".", "--provider", "argocd", "--defaults", "--set",
                "applicationSet=true", cwd=root)  # fmt: skip
    assert (first.returncode, first.stderr) == (2, done.stderr)
    # With --all it is what it is for.
    every = cli(*common, "--all", "--set", "applicationSet=true", "--dry-run", cwd=root)
    assert every.returncode == 0, every.stderr
    assert "gitops-argocd/_applicationset.yaml" in every.stdout
    # An answers file saved from one package's run replays, applicationSet: false included.
    saved = cli(*common, "--save-answers", "answers.yaml", cwd=root)
    assert saved.returncode == 0, saved.stderr
    again = cli("generate", ".", "--provider", "argocd", "--defaults", "--answers", "answers.yaml",
                "-o", "-", cwd=root)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stdout == (root / "argocd-application.yaml").read_text()
