"""GitHub as the analyse-failure tests and the reliability matrix script it: a failed run, its
jobs and logs, the workflow's recent runs and the comments already posted, through the proxy in
front of the validating mock; and a local stand-in for a Slack webhook."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.git_builder import GitRepoBuilder
from tests.harness import payloads
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import failed_run

REPO = "/repos/octocat/Hello-World"
RUN_ID = 1589141559
WORKFLOW_ID = 16340987
GREEN_RUN = 500
FAILED_JOB, PASSED_JOB, GREEN_JOB = 11, 12, 51
RUN_MARK = "<!-- cicd-agent:analyse-failure:run:{} -->"


class Slack:
    """A local stand-in for a Slack incoming webhook: records every message posted to it."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                slack.messages.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def rehome(item: dict[str, Any], new_id: int, **fields: Any) -> dict[str, Any]:
    """A copy of a spec example moved to our repository and id (its URLs too), with ``fields``.

    PyGithub follows the URLs in answers (a run's ``jobs_url``, a job's ``url``), so they must
    point at what the test scripted, not at the example's other repository.
    """
    text = json.dumps(item).replace("octo-org/octo-repo", "octocat/Hello-World")
    text = text.replace(f"/{item['id']}", f"/{new_id}")
    moved = json.loads(text)
    if "head_repository" in moved:  # a run: its head is the repository it belongs to
        moved["head_repository"] = moved["repository"]
    return {**moved, "id": new_id, **fields}


def _forked(run: dict[str, Any]) -> dict[str, Any]:
    """A run's fields as a fork's pull request gives them (its head in the fork)."""
    fork = {**run["head_repository"], "id": 1, "full_name": "mallory/Hello-World"}
    fork["owner"] = {**fork["owner"], "login": "mallory"}
    return {"event": "pull_request", "head_repository": fork}


class GitHubState:
    """Scripts the proxy so the mock answers like GitHub holding one repository's runs."""

    def __init__(self, github_api: Any, tmp_path: Path) -> None:
        self.api = github_api
        self.proxy = github_api.proxy
        self.tmp_path = tmp_path
        self.repo = GitRepoBuilder(tmp_path / "checkout")
        self.base = self.repo.commit("green", {"src/calc.py": "def add(a, b):\n    return a + b\n"})
        self.head = self.repo.commit(
            "add a test", {"tests/test_failing.py": "def test_add_small_numbers():\n    assert 0\n"}
        )

    # --- what GitHub holds ---------------------------------------------------------------

    def jobs(self, run_id: int, *jobs: tuple[int, str, str]) -> None:
        """Jobs ``(id, name, conclusion)`` of a run; a failed job failed in ``Run tests``."""

        def edit(listing: dict[str, Any]) -> dict[str, Any]:
            template = listing["jobs"][0]
            step = template["steps"][0]
            made = []
            for job_id, name, conclusion in jobs:
                steps = [
                    {**step, "name": "Set up job", "number": 1, "conclusion": "success"},
                    {**step, "name": "Run tests", "number": 2, "conclusion": conclusion},
                ]
                made.append(rehome(template, job_id, run_id=run_id, name=name, run_attempt=1,
                                   status="completed", conclusion=conclusion, steps=steps))  # fmt: skip
            return {"total_count": len(made), "jobs": made}

        self.proxy.script("GET", rf"{REPO}/actions/runs/{run_id}/jobs", edit=edit)

    def job_log(self, job_id: int, content: bytes) -> None:
        blob = self.proxy.serve(f"/blobs/job-{job_id}.txt", content)
        self.proxy.script("GET", rf"{REPO}/actions/jobs/{job_id}/logs", headers={"Location": blob})

    def runs(self, *runs: tuple[int, str, str], forks: frozenset[int] = frozenset()) -> None:
        """The workflow's recent runs ``(id, conclusion, head_sha)``, newest first, all on a
        branch named ``main``: those in ``forks`` are a fork's pull request from its own
        branch of that name (GitHub lists them under ``branch=main`` too)."""
        now = datetime.now(UTC)

        def edit(listing: dict[str, Any]) -> dict[str, Any]:
            template = listing["workflow_runs"][0]
            made = [
                rehome(template, run_id, conclusion=conclusion, status="completed", head_sha=sha,
                       head_branch="main", workflow_id=WORKFLOW_ID, run_attempt=1,
                       created_at=(now - timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       **(_forked(template) if run_id in forks else {}))
                for n, (run_id, conclusion, sha) in enumerate(runs)
            ]  # fmt: skip
            return {"total_count": len(made), "workflow_runs": made}

        self.proxy.script("GET", rf"{REPO}/actions/workflows/{WORKFLOW_ID}/runs", edit=edit)

    def run(
        self, run_id: int, *, attempt: int = 1, conclusion: str = "failure", head: str = "",
        **fields: Any,
    ) -> None:
        def edit(run: dict[str, Any]) -> dict[str, Any]:
            return rehome(run, run_id, **{"run_attempt": attempt, "conclusion": conclusion,
                          "status": "completed", "workflow_id": WORKFLOW_ID, "head_branch": "main",
                          "head_sha": head or run["head_sha"], **fields})  # fmt: skip

        self.proxy.script("GET", rf"{REPO}/actions/runs/{run_id}", edit=edit)

    def comments(self, path: str, *bodies: tuple[int, str]) -> None:
        """Comments ``(id, body)`` listed at ``path`` (a commit's or a pull request's)."""

        def edit(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{**listing[0], "id": cid, "body": body} for cid, body in bodies]

        self.proxy.script("GET", path, edit=edit)

    def commit_on_branches(self, sha: str, held: bool, *, pulls: tuple[int, ...] = ()) -> None:
        """GitHub's answer about commit ``sha``: the open pull requests ``pulls`` of this
        repository contain it, and the repository's branches hold it (compare: ``identical``)
        or not (``diverged``: a fork's commit, reachable through the fork network)."""
        status = "identical" if held else "diverged"
        self.proxy.script(
            "GET", rf"{REPO}/compare/.*", edit=lambda answer: {**answer, "status": status}
        )

        def listed(answer: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{**answer[0], "number": n, "state": "open"} for n in pulls]

        self.proxy.script("GET", rf"{REPO}/commits/{sha}/pulls", edit=listed)

    def standard(self, run_id: int = RUN_ID, log: bytes | None = None) -> None:
        """A red run whose job ``test`` failed (``lint`` passed), after one green run; its
        commit is on the repository's branch, in no open pull request."""
        run = failed_run()
        self.jobs(run_id, (FAILED_JOB, run.job_name, "failure"), (PASSED_JOB, "lint", "success"))
        self.job_log(FAILED_JOB, log or run.job_log)
        self.jobs(GREEN_RUN, (GREEN_JOB, run.job_name, "success"))
        self.job_log(GREEN_JOB, run.green_log)
        self.runs((run_id, "failure", self.head), (GREEN_RUN, "success", self.base))
        self.run(run_id)
        self.run(GREEN_RUN, conclusion="success")
        self.commit_on_branches(self.head, True)  # pushed to the repository: GitHub says so

    # --- running ---------------------------------------------------------------------------

    def event(self, *, run_id: int = RUN_ID, head: str | None = None, **changes: Any) -> Path:
        payload = payloads.failed_workflow_run()
        run = payload["workflow_run"]
        run.update(id=run_id, head_sha=head or self.head, head_branch="main", workflow_id=WORKFLOW_ID,
                   html_url=f"https://github.com/octocat/Hello-World/actions/runs/{run_id}",
                   head_repository=payload["repository"])  # the repository's own run  # fmt: skip
        run.update(changes)
        return payloads.write_event(self.tmp_path, payload, f"event-{run_id}.json")

    def analyse(self, event: Path, *extra: str) -> tuple[int, dict[str, str], str, dict[str, Any]]:
        environ = self.api.env() | {
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_EVENT_NAME": "workflow_run",
            "GITHUB_WORKSPACE": str(self.repo.path),
        }
        done = run_cli(
            ["analyse-failure", "--provider", "none", "--json", *extra], self.tmp_path, environ
        )
        return done.code, done.outputs, done.summary, json.loads(done.stdout)

    def context(self, event: Path, *extra: str) -> Any:
        """The run context ``analyse`` would run in (offline model), to call steps directly."""
        from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
        from tests.helpers.context import run_context

        environ = self.api.env() | {
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_EVENT_NAME": "workflow_run",
            "GITHUB_WORKSPACE": str(self.repo.path),
            "RUNNER_TEMP": str(self.tmp_path),
        }
        argv = ["--provider", "none", *extra]
        ctx, _ = run_context("analyse-failure", argv, environ, AnalyseFailureOptions.from_given)
        return ctx

    def posted(self, method: str, path: str) -> list[str]:
        return [r.json()["body"] for r in self.proxy.calls(method, path)]
