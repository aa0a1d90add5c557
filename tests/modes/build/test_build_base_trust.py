"""Which base may write the storage kept between runs. Every later run's builds read that
storage, so a base built into it must be one GitHub vouches for: a pull request's base branch
or a push's ``before`` (a merge queue's group is built on the group queued before it). A
maintainer's dispatch with its ``head`` input set to a fork's commit took the head's parent,
the fork's own commit, as the trusted base: its bind-mount ``RUN`` step went into the kept
storage, and the next push to main took the fork's answer from the cache. Events that hold
the base's secrets and a write token while the workflow may check out a fork's head
(``issue_comment``) are refused outright."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from cicd_agent.job.resolve import load_event
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from cicd_agent.modes.build.safety import refusal, vouched_base
from tests.helpers.buildah import git, needs_buildah
from tests.helpers.cli import run_cli
from tests.modes.build.test_build_attacks import context

REPOSITORY = {"full_name": "o/r", "name": "r", "owner": {"login": "o", "id": 1, "type": "User"}}


def sha(folder: Path, rev: str) -> str:
    found = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", rev], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


def event_file(folder: Path, name: str, payload: dict[str, object]) -> dict[str, str]:
    path = folder / f"{name}.json"
    path.write_text(json.dumps({**payload, "repository": REPOSITORY}))
    return {"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}


def poisoning_scene(tmp_path: Path, branch: str, planted: str) -> Path:
    """A repository where ``branch`` (off main's first commit) plants a bind-mount answer and a
    cache mount's file in two commits, and main later takes the same bind-mount step in the
    team's own change, then a push on top: if ``branch``'s first commit is built into the kept
    storage, the push's base build takes the planted answer from the cache."""
    folder = context(
        tmp_path / "repo", "FROM scratch\nCOPY busybox /bin/sh\nCOPY busybox /bin/busybox\n"
    )
    (folder / "answer").write_text("the team's answer\n")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "main")
    name = f"pip-{uuid.uuid4().hex}"
    answer = "RUN --mount=type=bind,target=/ctx /bin/busybox cp /ctx/answer /answer.txt\n"
    plain = (folder / "Dockerfile").read_text()
    git(folder, "checkout", "-qb", branch)
    (folder / "Dockerfile").write_text(
        f"{plain}{answer}RUN --mount=type=cache,target=/c,id={name} /bin/sh -c 'echo planted > /c/marker'\n"
    )
    (folder / "answer").write_text(f"{planted}\n")
    git(folder, "commit", "-qam", "the planting commit")
    (folder / "note").write_text("on top\n")
    git(folder, "add", "note")
    git(folder, "commit", "-qm", "the commit on top")
    git(folder, "checkout", "-q", "main")
    (folder / "Dockerfile").write_text(
        f"{plain}{answer}RUN --mount=type=cache,target=/c,id={name} /bin/sh -c "
        "'/bin/busybox cat /c/marker > /seen.txt 2>&1; echo end >> /seen.txt'\n"
    )
    git(folder, "commit", "-qam", "the team's own change")
    (folder / "note").write_text("pushed\n")
    git(folder, "add", "note")
    git(folder, "commit", "-qm", "the push")
    return folder


@needs_buildah
@pytest.mark.timeout(600, method="thread")
def test_attack_a_dispatch_of_a_forks_commit_plants_nothing_the_next_push_takes(
    tmp_path: Path,
) -> None:
    folder = poisoning_scene(tmp_path, "fork", "planted by a fork")
    cache = tmp_path / "cache"
    dispatch = event_file(
        tmp_path, "workflow_dispatch",
        {"inputs": {"head": sha(folder, "fork")}, "ref": "refs/heads/main", "workflow": "b.yml"},
    )  # fmt: skip
    push = event_file(
        tmp_path, "push",
        {"ref": "refs/heads/main", "before": sha(folder, "main~1"), "after": sha(folder, "main"),
         "commits": []},
    )  # fmt: skip
    for head, event in ((sha(folder, "fork"), dispatch), (sha(folder, "main"), push)):
        done = run_cli(
            [
                *("build", "--repo", str(folder), "--head", head),
                *("--builder", "buildah", "--cache-dir", str(cache), "--advice", "off", "--json"),
            ],
            tmp_path,
            {"PATH": "/usr/local/bin:/usr/bin:/bin", **event},
        )
        assert done.code == 0, done.stderr[-2000:]
    tree = read_tree(read_layout(cache / "base-image").layers)
    assert tree.files["answer.txt"].read() == b"the team's answer\n"
    assert "planted" not in tree.files["seen.txt"].read().decode()


def test_the_base_vouched_for_is_the_events_own(tmp_path: Path) -> None:
    def event(name: str, payload: dict[str, object]):  # type: ignore[no-untyped-def]
        return load_event(Path(event_file(tmp_path, name, payload)["GITHUB_EVENT_PATH"]), name)

    before, after = "a" * 40, "b" * 40
    push = {"ref": "refs/heads/main", "before": before, "after": after, "commits": []}
    assert vouched_base(event("push", push)) == before
    assert vouched_base(event("push", {**push, "before": "0" * 40})) == ""  # a new branch
    dispatch = {"inputs": {"head": after, "base": before}, "ref": "refs/heads/main",
                "workflow": "b.yml"}  # fmt: skip
    assert vouched_base(event("workflow_dispatch", dispatch)) == ""
    group = {"action": "checks_requested", "merge_group": {
        "head_sha": after, "head_ref": "refs/heads/gh-readonly-queue/main/pr-2", "base_sha": before,
        "base_ref": "refs/heads/main", "head_commit": {
            "id": after, "tree_id": after, "message": "m", "timestamp": "2026-01-01T00:00:00Z",
            "author": {"name": "a", "email": "a@example.com"},
            "committer": {"name": "a", "email": "a@example.com"}}}}  # fmt: skip
    assert vouched_base(event("merge_group", group)) == ""  # its parent may be a queued group
    assert vouched_base(None) == ""


@pytest.mark.parametrize(
    "name",
    ["issue_comment", "pull_request_target", "pull_request_review", "pull_request_review_comment",
     "discussion_comment", "repository_dispatch"],
)  # fmt: skip
def test_attack_events_with_the_bases_secrets_are_refused(name: str) -> None:
    said = refusal(name, None)
    assert f"refuses {name}" in said and "secrets" in said


def test_the_events_a_build_runs_on_are_not_refused() -> None:
    for name in ("pull_request", "push", "merge_group", "workflow_dispatch", "schedule", None):
        assert refusal(name, None) == ""


@needs_buildah
@pytest.mark.timeout(600, method="thread")
def test_attack_a_queued_groups_parent_plants_nothing_the_next_push_takes(tmp_path: Path) -> None:
    """With two pull requests in the merge queue, the second's group is built on the first's:
    ``merge_group.base_sha`` is the first group's commit, approved code not on the base branch
    (the first may fail and leave the queue, never merged). Before: that commit was built as
    the trusted base into the kept storage, and the next push to main took the first pull
    request's bind-mount answer and its cache mount's file from it."""
    folder = poisoning_scene(tmp_path, "gh-readonly-queue/main/pr-1",
                             "planted by the first queued pull request")  # fmt: skip
    cache = tmp_path / "cache"
    group_head = sha(folder, "gh-readonly-queue/main/pr-1")
    queued = event_file(
        tmp_path, "merge_group",
        {"action": "checks_requested",
         "merge_group": {"head_sha": group_head, "head_ref": "refs/heads/gh-readonly-queue/main/pr-2",
                         "base_sha": sha(folder, f"{group_head}~1"), "base_ref": "refs/heads/main",
                         "head_commit": {"id": group_head, "tree_id": sha(folder, f"{group_head}^{{tree}}"),
                                         "message": "merge group", "timestamp": "2026-01-01T00:00:00Z",
                                         "author": {"name": "a", "email": "a@example.com"},
                                         "committer": {"name": "a", "email": "a@example.com"}}}},
    )  # fmt: skip
    push = event_file(
        tmp_path, "push",
        {"ref": "refs/heads/main", "before": sha(folder, "main~1"), "after": sha(folder, "main"),
         "commits": []},
    )  # fmt: skip
    for head, event in ((group_head, queued), (sha(folder, "main"), push)):
        done = run_cli(
            [
                *("build", "--repo", str(folder), "--head", head),
                *("--builder", "buildah", "--cache-dir", str(cache), "--advice", "off", "--json"),
            ],
            tmp_path,
            {"PATH": "/usr/local/bin:/usr/bin:/bin", **event},
        )
        assert done.code == 0, done.stderr[-2000:]
    tree = read_tree(read_layout(cache / "base-image").layers)
    assert tree.files["answer.txt"].read() == b"the team's answer\n"
    assert "planted" not in tree.files["seen.txt"].read().decode()
