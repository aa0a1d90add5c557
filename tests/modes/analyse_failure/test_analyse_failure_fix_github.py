"""Publishing a verified fix through PyGithub to the validating GitHub mock: suggestions on the
pull request's diff lines, a collapsed diff otherwise, a draft pull request from a new branch
made with the Git Data API, never a push to an existing branch, and suggestions only for forks.

The failed run is real: a checkout at the failed commit, the real ruff's failure in the job's
log, the fix found and verified in the real sandbox.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.github.trust import Trust
from cicd_agent.modes.analyse_failure import collect
from cicd_agent.verify.contract import NOT_PROOF
from tests.harness import payloads
from tests.helpers.cli import run_cli
from tests.helpers.failure_github import FAILED_JOB, REPO, RUN_ID, GitHubState
from tests.helpers.fix_projects import LINT, lint_failure_log
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox
BRANCH = f"cicd-agent/fix-{RUN_ID}"
FIXED_MAIN = "import sys\n\n\ndef main() -> int:\n    return len(sys.argv)\n"


class FixState:
    """The mock holding a red pull request run whose job failed ``ruff check .``."""

    def __init__(self, github_api: Any, tmp_path: Path) -> None:
        self.state = GitHubState(github_api, tmp_path)
        self.proxy = github_api.proxy
        self.head = self.state.repo.commit("add the app", dict(LINT))
        self.state.jobs(RUN_ID, (FAILED_JOB, "lint", "failure"))
        self.state.job_log(FAILED_JOB, lint_failure_log(self.state.repo.path, path_env()))
        self.state.runs((RUN_ID, "failure", self.head))
        self.state.run(RUN_ID, head=self.head)
        self.state.comments(rf"{REPO}/issues/2/comments")
        self.pull_files(1, 6)

    def pull_files(self, first: int, last: int) -> None:
        """The pull request's diff adds ``app/main.py`` lines ``first..last``."""

        def edit(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
            lines = LINT["app/main.py"].splitlines()[first - 1 : last]
            patch = f"@@ -0,0 +{first},{len(lines)} @@\n" + "\n".join(f"+{x}" for x in lines)
            return [{**listing[0], "filename": "app/main.py", "status": "added", "patch": patch}]

        self.proxy.script("GET", rf"{REPO}/pulls/2/files", edit=edit)

    def run(self, *extra: str, fork: bool = False) -> tuple[int, dict[str, str], str]:
        repository = payloads.failed_workflow_run()["repository"]
        forked = {**repository, "full_name": "mallory/Hello-World"}
        same = {"head_repository": forked if fork else repository}
        side = {"ref": "feature", "sha": self.head, "repo": {"id": 1, "name": "Hello-World",
                "url": "https://api.github.com/repos/octocat/Hello-World"}}  # fmt: skip
        pull = {"url": "https://api.github.com/repos/octocat/Hello-World/pulls/2", "id": 2,
                "number": 2, "head": side, "base": {**side, "ref": "main"}}  # fmt: skip
        event = self.state.event(
            head=self.head, event="pull_request", pull_requests=[pull], head_branch="feature",
            **same,
        )  # fmt: skip
        tmp = self.state.tmp_path
        (tmp / "runner-temp").mkdir(exist_ok=True)
        environ = self.state.api.env() | {
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_EVENT_NAME": "workflow_run",
            "GITHUB_WORKSPACE": str(self.state.repo.path),
            "PATH": path_env(),
            "RUNNER_TEMP": str(tmp / "runner-temp"),
        }
        done = run_cli(["analyse-failure", "--provider", "none", *extra], tmp, environ)
        assert "Traceback" not in done.stderr, done.stderr
        return done.code, done.outputs, done.summary

    def comment(self) -> str:
        (body,) = self.state.posted("POST", rf"{REPO}/issues/2/comments")
        return body

    def bodies(self, method: str, path: str) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.proxy.calls(method, path)]


def author_may(github_api: Any, permission: str) -> None:
    """GitHub's answer to what the pull request's author (any login) may do here."""
    github_api.proxy.script(
        "GET",
        rf"{REPO}/collaborators/[^/]+/permission",
        edit=lambda answer: {**answer, "permission": permission},
    )


@pytest.fixture
def fix(github_api: Any, tmp_path: Path) -> FixState:
    """The run, its pull request's author a writer, as GitHub answers (publishing needs proof)."""
    author_may(github_api, "write")
    return FixState(github_api, tmp_path)


@pytest.fixture
def unproven(github_api: Any, tmp_path: Path) -> FixState:
    """The same run, its pull request's author one who cannot push, as GitHub answers."""
    author_may(github_api, "read")
    return FixState(github_api, tmp_path)


def test_a_fix_on_the_pull_requests_own_code_is_not_called_verified(unproven: FixState) -> None:
    """Attack: the code under test is the pull request's, and it judges the run (a
    base that senses the patch, a forger at exit): a pass there proves nothing, so it is shown
    as such and no suggestion or pull request is opened for it."""
    code, outputs, summary = unproven.run("--fix", "pr")
    assert code == 0 and outputs["fix_status"] == "passes", summary
    assert "Verified fix" not in summary and "Fix that passes, not proof" in summary
    assert NOT_PROOF in summary and NOT_PROOF in unproven.comment()
    assert unproven.proxy.calls("POST", rf"{REPO}/pulls/2/reviews") == []
    assert unproven.proxy.calls("POST", rf"{REPO}/git/refs") == []
    assert unproven.proxy.calls("POST", rf"{REPO}/pulls") == []


def test_a_hunk_on_the_pull_requests_lines_becomes_a_suggestion(fix: FixState) -> None:
    code, outputs, _ = fix.run("--fix", "suggest")

    assert code == 0 and outputs["fix_status"] == "verified"
    (review,) = fix.bodies("POST", rf"{REPO}/pulls/2/reviews")
    assert review["commit_id"] == fix.head
    (comment,) = review["comments"]
    assert comment["path"] == "app/main.py"
    assert (comment["start_line"], comment["line"], comment["side"]) == (1, 4, "RIGHT")
    assert comment["body"].endswith("```suggestion\nimport sys\n\n\n```")
    body = fix.comment()
    assert "Posted as 1 suggestion(s) on the pull request" in body
    assert "<details><summary>Patch" not in body  # not repeated when every hunk is suggested
    assert fix.proxy.calls("POST", rf"{REPO}/git/refs") == []  # suggest opens no pull request


def test_a_hunk_off_the_diff_lines_is_shown_collapsed_in_the_comment(fix: FixState) -> None:
    fix.pull_files(5, 6)  # the pull request did not touch the import lines

    code, outputs, _ = fix.run("--fix", "suggest")

    assert code == 0 and outputs["fix_status"] == "verified"
    assert fix.proxy.calls("POST", rf"{REPO}/pulls/2/reviews") == []
    body = fix.comment()
    assert "<details><summary>Patch (8 lines)</summary>\n\n```diff\n" in body
    assert "-import os\n" in body


def test_pr_opens_a_draft_from_a_new_branch_made_with_the_git_data_api(fix: FixState) -> None:
    fix.proxy.script("GET", rf"{REPO}/git/commits/{fix.head}",
                     edit=lambda c: {**c, "sha": fix.head})  # fmt: skip

    code, outputs, _ = fix.run("--fix", "pr")

    assert code == 0 and outputs["fix_status"] == "verified"
    (blob,) = fix.bodies("POST", rf"{REPO}/git/blobs")
    assert blob == {"content": FIXED_MAIN, "encoding": "utf-8"}
    (tree,) = fix.bodies("POST", rf"{REPO}/git/trees")
    assert [(e["path"], e["mode"], e["type"]) for e in tree["tree"]] == [
        ("app/main.py", "100644", "blob")
    ]
    (commit,) = fix.bodies("POST", rf"{REPO}/git/commits")
    assert commit["parents"] == [fix.head]
    (ref,) = fix.bodies("POST", rf"{REPO}/git/refs")
    assert ref["ref"] == f"refs/heads/{BRANCH}"
    (pull,) = fix.bodies("POST", rf"{REPO}/pulls")
    assert (pull["head"], pull["base"], pull["draft"]) == (BRANCH, "feature", True)
    assert outputs["fix_pr_url"].startswith("https://github.com/")
    # The draft's link GitHub answered with is ours: the comment keeps it a link.
    assert f"Draft pull request: {outputs['fix_pr_url']}" in fix.comment()
    assert fix.proxy.calls("PATCH", rf"{REPO}/git/refs/.*") == []  # never moves a branch


def test_an_existing_branch_is_never_pushed_to(fix: FixState) -> None:
    def ours(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**refs[0], "ref": f"refs/heads/{BRANCH}"}]

    fix.proxy.script("GET", rf"{REPO}/git/matching-refs/.*", edit=ours)

    code, outputs, summary = fix.run("--fix", "pr")

    assert code == 0 and outputs["fix_status"] == "verified"
    assert outputs["fix_pr_url"] == ""
    assert f"No pull request: the branch {BRANCH} exists already" in summary
    for write in ("git/blobs", "git/trees", "git/commits", "git/refs", "pulls"):
        assert fix.proxy.calls("POST", rf"{REPO}/{write}") == []
    assert fix.proxy.calls("PATCH", rf"{REPO}/git/refs/.*") == []


def test_a_fork_pull_request_gets_the_suggestion_only(fix: FixState) -> None:
    code, outputs, summary = fix.run("--fix", "pr", fork=True)
    assert code == 0 and outputs["fix_status"] == "passes", summary  # a fork's code: no proof
    assert fix.proxy.calls("POST", rf"{REPO}/pulls/2/reviews") == []


def test_a_fork_whose_code_is_proof_gets_the_suggestion_only(
    fix: FixState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fork never gets a branch of ours, even were its code proof (a rule of publishing)."""
    monkeypatch.setattr(collect, "code_trust", lambda _code, _answers: Trust.pushed())
    code, outputs, summary = fix.run("--fix", "pr", fork=True)

    assert code == 0 and outputs["fix_status"] == "verified"
    assert len(fix.proxy.calls("POST", rf"{REPO}/pulls/2/reviews")) == 1
    assert fix.proxy.calls("POST", rf"{REPO}/git/refs") == []
    assert fix.proxy.calls("POST", rf"{REPO}/pulls") == []
    assert (
        "The failed commit comes from a fork: the fix is offered as a suggestion only." in summary
    )


def test_a_failed_fix_publication_still_leaves_the_analysis_comment(fix: FixState) -> None:
    fix.proxy.script("POST", rf"{REPO}/git/blobs", status=500, forward=False,
                     body={"message": "Server Error"})  # fmt: skip

    code, outputs, summary = fix.run("--fix", "pr")

    assert code == 0 and outputs["fix_status"] == "verified" and outputs["fix_pr_url"] == ""
    assert "Publishing the fix failed:" in summary
    assert "Publishing the fix failed:" in fix.comment()
    assert Path(outputs["fix_patch_path"]).read_text().startswith("diff --git a/app/main.py")
