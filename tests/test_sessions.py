"""Sessions: the user's journeys stage by stage, resumable across processes, safe under faults."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, ROOT, provider_plugins

from gitops_core.errors import SetOnlyAnswersError, UsageError
from gitops_core.plugins import Providers
from gitops_core.questions import AnswerError
from gitops_core.sessions import FileStore, MemoryStore, SessionError, Sessions

URL = "https://github.com/acme/shop.git"


@pytest.fixture
def sessions(tmp_path: Path) -> Sessions:
    return Sessions(tmp_path / "state", providers=Providers.from_plugins(provider_plugins()))


def sessions_dir(sessions: Sessions) -> Path:
    assert isinstance(sessions.store, FileStore)
    return sessions.store.directory


def tree(tmp_path: Path, *packages: str) -> Path:
    """A project holding some of the example packages (by their example path)."""
    project = tmp_path / "project"
    project.mkdir()
    for package in packages:
        shutil.copytree(EXAMPLES / package, project / package)
    return project


def finish(sessions: Sessions, session: str, provider: str, **answers: object) -> dict[str, Any]:
    step = sessions.select_provider(session, provider)
    assert step.stage == "configure" and set(step.missing) == {"gitRepoUrl", "destinationNamespace"}
    step = sessions.answer(session, {"gitRepoUrl": URL, "destinationNamespace": "shop", **answers})
    assert step.stage == "generate", step.message
    done = sessions.generate(session)
    assert done.stage == "done" and done.status == "created" and done.output is not None
    return {"step": done, "documents": list(yaml.safe_load_all(done.output.manifests))}


def test_journey_1_auto_detected_helm_chart(sessions: Sessions, tmp_path: Path) -> None:
    project = tree(tmp_path, "charts/podinfo")
    step = sessions.start(project)
    assert step.stage == "selectPackage"
    assert step.message == (
        "I found a Helm chart at ./charts/podinfo. Is this the package you want to deploy?"
    )
    step = sessions.select_package(step.session_id, index=0)
    assert step.stage == "selectProvider" and ("argocd", "Argo CD") in step.providers
    result = finish(sessions, step.session_id, "argocd", syncPolicy="auto-prune")
    (app,) = result["documents"]
    assert app["spec"]["source"]["path"] == "charts/podinfo"
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert (project / "argocd-application.yaml").is_file()


def test_journey_2_auto_detected_kustomize(sessions: Sessions, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "kustomize" / "base", project / "deploy")
    step = sessions.start(project)
    assert step.message.startswith("I found a Kustomize overlay at ./deploy.")
    step = sessions.select_package(step.session_id, index=0)
    (app,) = finish(sessions, step.session_id, "argocd")["documents"]
    assert app["spec"]["source"] == {"repoURL": URL, "path": "deploy", "targetRevision": "HEAD"}


def test_journey_3_multiple_packages_and_a_different_path(sessions: Sessions) -> None:
    step = sessions.start(EXAMPLES)
    assert step.message.startswith("I found 4 packages. Which one")
    assert [p.path for p in step.packages][:2] == ["charts/podinfo", "kustomize/base"]
    step = sessions.select_package(step.session_id, index=2)
    assert step.message.startswith("Using a Kustomize overlay at ./kustomize/overlays/production.")
    # Going back: choose another package, then another provider; earlier answers survive.
    step = sessions.select_provider(step.session_id, "flux")
    sessions.answer(step.session_id, {"destinationNamespace": "shop"})
    sessions.select_package(step.session_id, path="manifests/guestbook")
    step = sessions.select_provider(step.session_id, "flux")
    assert step.missing == ("gitRepoUrl",)
    step = sessions.answer(step.session_id, {"gitRepoUrl": URL, "outputPath": "out/flux.yaml"})
    done = sessions.generate(step.session_id, write=False)
    assert (
        done.output is not None and "path: ./examples/manifests/guestbook" in done.output.manifests
    )


def test_journey_4_nothing_detected_then_the_user_names_the_folder(
    sessions: Sessions, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "kubernetes").mkdir(parents=True)
    (project / "kubernetes" / "app.txt").write_text("not yaml\n")
    step = sessions.start(project)
    assert step.packages == () and "Where is your package located?" in step.message
    with pytest.raises(UsageError, match="no Helm chart, Kustomize overlay or Kubernetes"):
        sessions.select_package(step.session_id, path="kubernetes")
    shutil.copy(EXAMPLES / "manifests/guestbook/service.yaml", project / "kubernetes")
    step = sessions.select_package(step.session_id, path="kubernetes")
    assert step.stage == "selectProvider"
    (app,) = finish(sessions, step.session_id, "argocd")["documents"]
    assert app["spec"]["source"]["directory"] == {"recurse": True}


def test_journey_5_raw_manifests(sessions: Sessions, tmp_path: Path) -> None:
    project = tree(tmp_path, "manifests/guestbook")
    step = sessions.start(project)
    assert step.message.startswith(
        "I found a folder of Kubernetes manifests at ./manifests/guestbook"
    )
    step = sessions.select_package(step.session_id, index=0)
    (app,) = finish(sessions, step.session_id, "argocd")["documents"]
    assert app["spec"]["source"]["path"] == "manifests/guestbook"


def test_flux_journey(sessions: Sessions, tmp_path: Path) -> None:
    project = tree(tmp_path, "charts/podinfo")
    step = sessions.select_package(sessions.start(project).session_id, index=0)
    step = sessions.select_provider(step.session_id, "flux")
    questions = {p.question.id: p.default for p in step.questions}
    assert questions["fluxNamespace"] == "flux-system" and questions["reconcileInterval"] == "5m"
    assert questions["outputPath"] == "./flux-gitops.yaml"
    result = finish(sessions, step.session_id, "flux", reconcileInterval="10m")
    assert [d["kind"] for d in result["documents"]] == ["GitRepository", "HelmRelease"]
    assert result["documents"][1]["spec"]["interval"] == "10m"
    assert (project / "flux-gitops.yaml").is_file()


def test_bad_answers_are_refused_one_line_each_and_change_nothing(sessions: Sessions) -> None:
    step = sessions.select_package(sessions.start(EXAMPLES).session_id, index=0)
    session = sessions.select_provider(step.session_id, "flux").session_id
    with pytest.raises(AnswerError) as caught:
        sessions.answer(session, {"reconcileInterval": "1d", "destinationNamespace": "Bad"})
    assert len(str(caught.value).splitlines()) == 2
    assert sessions.load(session).answers == {}


def test_output_outside_the_project_is_refused(sessions: Sessions, tmp_path: Path) -> None:
    project = tree(tmp_path, "charts/podinfo")
    step = sessions.select_package(sessions.start(project).session_id, index=0)
    session = sessions.select_provider(step.session_id, "flux").session_id
    sessions.answer(
        session, {"gitRepoUrl": URL, "destinationNamespace": "a", "outputPath": "../escape.yaml"}
    )
    with pytest.raises(UsageError, match=r"escape.yaml is outside .*; files are written only"):
        sessions.generate(session)
    assert not (tmp_path / "escape.yaml").exists()


def test_unknown_corrupted_foreign_and_expired_sessions_are_clear_errors(
    sessions: Sessions, tmp_path: Path
) -> None:
    with pytest.raises(SessionError, match="is not one this tool gave out"):
        sessions.load("../../etc/passwd")
    session = sessions.start(EXAMPLES).session_id
    path = sessions_dir(sessions) / f"{session}.json"
    good = path.read_text()
    path.write_text(good[: len(good) // 2])
    with pytest.raises(SessionError, match="is corrupted or not a gitops session"):
        sessions.load(session)
    path.write_text(json.dumps({"format": "other-tool/3", "id": session}))
    with pytest.raises(SessionError, match="is corrupted or not a gitops session"):
        sessions.load(session)
    path.write_text(good)
    expired = Sessions(sessions_dir(sessions), providers=sessions.providers, ttl=0.0)
    time.sleep(0.01)
    with pytest.raises(SessionError, match="expired"):
        expired.load(session)
    with pytest.raises(SessionError, match="no session"):
        sessions.load(session)


CHILD = """
import os, signal, sys
from pathlib import Path
sys.path[:0] = {paths!r}
import gitops_flux
from gitops_core.plugins import Providers
from gitops_core.sessions import Sessions
providers = Providers.from_plugins({{"flux": gitops_flux.provider}})
sessions = Sessions(Path({state!r}), providers=providers)
if len(sys.argv) == 1:
    step = sessions.start({examples!r})
    step = sessions.select_package(step.session_id, index=0)
    step = sessions.select_provider(step.session_id, "flux")
    sessions.answer(step.session_id, {{"destinationNamespace": "shop"}})
    print(step.session_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # killed mid-session, right after a step
else:
    for n in range(40):
        sessions.answer(sys.argv[1], {{sys.argv[2]: f"v{{n}}-" + sys.argv[2].lower()}})
"""


def child_script(tmp_path: Path) -> Path:
    script = tmp_path / "child.py"
    paths = [str(ROOT), str(ROOT / "plugins" / "gitops_flux")]
    script.write_text(
        CHILD.format(paths=paths, state=str(tmp_path / "state"), examples=str(EXAMPLES))
    )
    return script


def test_a_killed_process_loses_nothing_and_another_process_resumes(
    sessions: Sessions, tmp_path: Path
) -> None:
    script = child_script(tmp_path)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == -9
    session = done.stdout.strip()
    state = sessions.load(session)
    assert state.provider == "flux" and state.answers == {"destinationNamespace": "shop"}
    step = sessions.answer(session, {"gitRepoUrl": URL})
    assert step.stage == "generate"
    assert sessions.generate(session, write=False).output is not None


def test_two_processes_on_one_session_lose_no_update(sessions: Sessions, tmp_path: Path) -> None:
    step = sessions.select_package(sessions.start(EXAMPLES).session_id, index=0)
    session = sessions.select_provider(step.session_id, "flux").session_id
    script = child_script(tmp_path)
    children = [
        subprocess.Popen([sys.executable, str(script), session, key])
        for key in ("resourceName", "fluxNamespace")
    ]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    answers = sessions.load(session).answers
    assert answers == {"resourceName": "v39-resourcename", "fluxNamespace": "v39-fluxnamespace"}
    assert sorted(os.listdir(sessions_dir(sessions))) == [f"{session}.json", f"{session}.lock"]


def test_self_heal_is_asked_only_once_sync_is_automatic(sessions: Sessions) -> None:
    step = sessions.select_package(sessions.start(EXAMPLES).session_id, index=0)
    step = sessions.select_provider(step.session_id, "argocd")
    ids = [pending.question.id for pending in step.questions]
    assert "syncPolicy" in ids and "selfHeal" not in ids
    step = sessions.answer(step.session_id, {"syncPolicy": "auto"})
    assert "selfHeal" in [pending.question.id for pending in step.questions]


def test_a_session_id_is_checked_before_any_file_is_touched(
    sessions: Sessions, tmp_path: Path
) -> None:
    with pytest.raises(SessionError, match="is not one this tool gave out"):
        sessions.questions("../../escaped")
    assert not list(tmp_path.rglob("*escaped*"))


def test_generating_without_writing_does_not_judge_the_output_path(
    sessions: Sessions, tmp_path: Path
) -> None:
    project = tree(tmp_path, "charts/podinfo")
    step = sessions.select_package(sessions.start(project).session_id, index=0)
    session = sessions.select_provider(step.session_id, "flux").session_id
    sessions.answer(session, {"gitRepoUrl": URL, "destinationNamespace": "a",
                              "outputPath": str(tmp_path / "elsewhere.yaml")})  # fmt: skip
    assert sessions.generate(session, write=False).output is not None


def test_a_memory_store_keeps_a_session_without_any_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITOPS_STATE_DIR", str(tmp_path / "state"))
    sessions = Sessions(store=MemoryStore(), providers=Providers.from_plugins(provider_plugins()))
    step = sessions.select_package(sessions.start(EXAMPLES).session_id, index=0)
    session = sessions.select_provider(step.session_id, "flux").session_id
    sessions.answer(session, {"gitRepoUrl": URL})
    with pytest.raises(AnswerError):
        sessions.answer(session, {"destinationNamespace": "Not A Namespace", "gitRepoPath": "x"})
    # A refused step changes nothing, as with the file store.
    assert sessions.load(session).answers == {"gitRepoUrl": URL}
    assert sessions.answer(session, {"destinationNamespace": "shop"}).stage == "generate"
    assert sessions.generate(session, write=False).output is not None
    assert not (tmp_path / "state").exists()
    with pytest.raises(SessionError, match="no session"):
        Sessions(store=MemoryStore(), providers=sessions.providers).load(session)


def test_one_package_neither_lists_nor_takes_a_question_for_a_whole_set(
    sessions: Sessions, tmp_path: Path
) -> None:
    project = tree(tmp_path, "charts/podinfo")
    step = sessions.select_package(sessions.start(project).session_id, index=0)
    step = sessions.select_provider(step.session_id, "argocd")
    ids = [pending.question.id for pending in step.questions]
    assert "syncPolicy" in ids and "applicationSet" not in ids  # generate --all's question
    with pytest.raises(SetOnlyAnswersError, match=r"^applicationSet is answered only for a whole"):
        sessions.answer(step.session_id, {"gitRepoUrl": URL, "applicationSet": True})
    assert sessions.load(step.session_id).answers == {}  # nothing recorded
    result = finish(sessions, step.session_id, "argocd", applicationSet="no")
    (app,) = result["documents"]
    assert app["kind"] == "Application"
