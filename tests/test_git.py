"""What gitops reads from a checkout (gitops_core.git.git_facts), on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import git

from gitops_core.git import git_facts


def test_branch_tags_and_branches_of_a_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(repo)], check=True)
    (repo / "a.yaml").write_text("a: 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "tag", "v1.0.0")
    git(repo, "branch", "v1")  # a branch and a tag may share a name
    git(repo, "remote", "add", "origin", "https://token:secret@github.com/acme/shop.git")
    facts = git_facts(repo / ".")
    assert facts.top_level == repo.resolve()
    assert facts.branch == "trunk"
    assert facts.tags == ("v1.0.0",)
    assert sorted(facts.branches) == ["trunk", "v1"]
    assert facts.origin_url == "https://github.com/acme/shop.git"
    git(repo, "checkout", "-q", "v1")
    assert git_facts(repo).branch == "v1"
    git(repo, "checkout", "-q", "--detach")
    assert git_facts(repo).branch is None


def test_a_repository_without_commits_still_names_its_branch(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(tmp_path)], check=True)
    facts = git_facts(tmp_path)
    assert (facts.branch, facts.tags, facts.branches) == ("trunk", (), ())


def test_outside_a_checkout_there_are_no_facts(tmp_path: Path) -> None:
    facts = git_facts(tmp_path)
    assert facts.top_level is None and facts.branch is None


def test_the_grep_asked_with_the_facts_covers_the_whole_checkout(tmp_path: Path) -> None:
    from gitops_core.git import committed_files

    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for path, text in {
        "clusters/sync.yaml": "kind: GitRepository\n",
        "apps/web/ns.yml": "kind: Namespace\n",
        "apps/web/deploy.yaml": "kind: Deployment\n",
        "apps/web/notes.txt": "kind: Namespace\n",
    }.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    (repo / "apps/web/new.yaml").write_text("kind: Namespace\n")  # not committed
    pattern = "^kind:[[:space:]]*(GitRepository|Namespace)"
    facts = git_facts(repo / "apps" / "web", grep=pattern)  # from a folder inside
    assert facts.grepped == ("apps/web/ns.yml", "clusters/sync.yaml")
    assert facts.grepped == committed_files(repo, pattern)
    assert git_facts(repo).grepped is None
    assert git_facts(tmp_path, grep=pattern).grepped is None  # not a checkout
