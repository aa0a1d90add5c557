"""The one way a mode proposes a change by pull request, through PyGithub to the validating
mock: a branch that exists already is the answer, never written to; a new one gets the commit
made with the Git Data API on the parent named, each file keeping its mode, and a draft."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cicd_agent.actions.markdown import commit_message, posted
from cicd_agent.github.client import connect
from cicd_agent.job.draft_pull import open_draft_pull

REPO = "/repos/octocat/Hello-World"
PARENT = "7638417db6d59f3c431d3e1f261cc637155684cd"


def _draft(github_api: Any, checkout: Path, message: str = "m") -> Any:
    return open_draft_pull(
        connect(github_api.settings()), parent=PARENT, into="main", branch="cicd-agent/x",
        checkout=checkout, files={"run.sh": "echo 2\n", "notes.txt": "two\n"},
        message=commit_message(message), title=posted("t"), body=posted("b"),
    )  # fmt: skip


def test_an_existing_branch_is_said_and_nothing_is_written(github_api: Any, tmp_path: Path) -> None:
    github_api.proxy.script("GET", rf"{REPO}/git/matching-refs/.*",
                            edit=lambda refs: [{**refs[0], "ref": "refs/heads/cicd-agent/x"}])  # fmt: skip
    drafted = _draft(github_api, tmp_path)
    assert drafted.url == "" and "the branch cicd-agent/x exists already" in drafted.why_not
    for write in ("git/blobs", "git/trees", "git/commits", "git/refs", "pulls"):
        assert github_api.proxy.calls("POST", rf"{REPO}/{write}") == []


def test_a_new_branch_gets_the_files_with_their_modes_and_a_draft(
    github_api: Any, tmp_path: Path
) -> None:
    (tmp_path / "run.sh").write_text("echo 1\n")
    (tmp_path / "run.sh").chmod(0o755)
    github_api.proxy.script("GET", rf"{REPO}/git/commits/{PARENT}",
                            edit=lambda commit: {**commit, "sha": PARENT})  # fmt: skip
    drafted = _draft(github_api, tmp_path, "Fix test_cmp[a<b] & more for @octocat, fixes #1")
    assert drafted.url.startswith("https://") and drafted.why_not == ""
    # a commit message is no Markdown: the test id stays itself, no mention or reference lives
    (commit,) = [json.loads(r.body) for r in github_api.proxy.calls("POST", rf"{REPO}/git/commits")]
    assert "test_cmp[a<b] & more" in commit["message"]
    assert "@octocat" not in commit["message"] and "#1" not in commit["message"]
    (tree,) = [json.loads(r.body) for r in github_api.proxy.calls("POST", rf"{REPO}/git/trees")]
    assert {e["path"]: e["mode"] for e in tree["tree"]} == {"run.sh": "100755", "notes.txt": "100644"}
    (pull,) = [json.loads(r.body) for r in github_api.proxy.calls("POST", rf"{REPO}/pulls")]
    assert (pull["head"], pull["base"], pull["draft"]) == ("cicd-agent/x", "main", True)
