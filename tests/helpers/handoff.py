"""The fork hand-off's two steps for tests that drive review's phases: a fork's pull request
reviewed offline into a result file (step 1), then the context of the run that publishes it
(step 2, on ``workflow_run``, with no checkout), the pull request served by the GitHub mock."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.helpers.cli import run_cli
from tests.helpers.review import REPO, pull_request_event, review_context

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.review.options import ReviewOptions

FORK = "attacker/Hello-World"


class ForkProject:
    """A fork's pull request #2 that adds a debugger call (a finding review's floor makes)."""

    def __init__(self, root: Path) -> None:
        self.repo = GitRepoBuilder(root / "repo")
        self.base = self.repo.commit("base", {"src/app.py": "def run():\n    return 1\n"})
        self.head = self.repo.commit(
            "feature", {"src/app.py": "def run():\n    breakpoint()\n    return 1\n"}
        )

    def api_files(self) -> list[dict[str, Any]]:
        """``GET /pulls/2/files`` as GitHub serves it: each file's hunks from real git."""
        text = self.repo.git("diff", "--unified=3", self.base, self.head, "--", "src/app.py")
        return [
            {"filename": "src/app.py", "status": "modified", "additions": 1, "deletions": 0,
             "changes": 1, "patch": text[text.index("@@"):]},
        ]  # fmt: skip


def review_into_file(tmp_path: Path, project: ForkProject) -> Path:
    """Step 1: the fork's pull request reviewed offline, its result written to a file."""
    tmp_path.mkdir(exist_ok=True)
    result = tmp_path / "cicd-agent-review.json"
    event = pull_request_event(tmp_path, project.base, project.head, fork=True)
    environ = {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_WORKSPACE": str(project.repo.path),
    }
    argv = ["review", "--provider", "none", "--dry-run", "--result-file", str(result)]
    done = run_cli(argv, tmp_path, environ)
    assert done.code == 0, done.stderr
    return result


def publishing_context(
    tmp_path: Path, github_api: Any, project: ForkProject, result: Path, *argv: str
) -> RunContext[ReviewOptions]:
    """Step 2's context: ``review --publish-from RESULT`` on ``workflow_run``, no checkout."""
    _serve_pull_request(github_api, project)
    payload = payloads.example("workflow_run", "completed")
    run = payload["workflow_run"]
    run.update(event="pull_request", conclusion="success", head_sha=project.head)
    run["head_branch"] = "feature"
    run["head_repository"]["full_name"] = FORK
    run["head_repository"]["owner"]["login"] = "attacker"
    run["pull_requests"] = []  # as GitHub sends it for a fork
    event = payloads.write_event(tmp_path, payload, "workflow_run.json")
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    return review_context(
        tmp_path, github_api, project.repo, event, "--publish-from", str(result), *argv,
        event_name="workflow_run", workspace=workspace,
    )  # fmt: skip


def _serve_pull_request(github_api: Any, project: ForkProject) -> None:
    """The mock's pull request #2 is the project's: open, from the fork, at its head."""

    def ours(pull: dict[str, Any]) -> dict[str, Any]:
        pull = copy.deepcopy(pull)
        pull.update(number=2, state="open")
        pull["head"].update(sha=project.head, ref="feature")
        pull["head"]["repo"]["full_name"] = FORK
        pull["base"]["sha"] = project.base
        pull["base"]["repo"]["full_name"] = "octocat/Hello-World"
        return pull

    entries = project.api_files()
    github_api.proxy.script("GET", rf"{REPO}/pulls", edit=lambda listing: [ours(listing[0])])
    github_api.proxy.script("GET", rf"{REPO}/pulls/2", edit=ours)
    github_api.proxy.script(
        "GET", rf"{REPO}/pulls/2/files", edit=lambda files: [{**files[0], **e} for e in entries]
    )
