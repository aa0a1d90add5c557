"""A ready-to-run stage per mode: its project, event, runner and GitHub state, before any fault.

The fault matrix, the secret-leak test, the injection test and the idempotence test all start
from :func:`stage` and then change one thing (a fault, planted secrets, hostile text, a re-run).
analyse-failure's GitHub state (the failed run, its jobs, log blobs, the workflow's earlier runs)
comes from ``GitHubState`` of its own GitHub tests, so both suites script GitHub the same way.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.reliability.scenarios import (
    ModeRunner,
    Outcome,
    Project,
    deploy_project,
    gentests_project,
    good_answer,
    review_project,
)
from tests.harness.github_mock import GitHubApi
from tests.harness.model_server import ModelServer
from tests.helpers.commands import pull_request_comment, serve_pull
from tests.helpers.failure_github import GitHubState

REPO = "/repos/octocat/Hello-World"
# Where each mode publishes: every one of these is POSTed exactly once by a run that publishes.
PUBLICATIONS = {
    "review": (rf"{REPO}/pulls/\d+/reviews", rf"{REPO}/check-runs", rf"{REPO}/issues/\d+/comments"),
    "analyse-failure": (rf"{REPO}/(commits/\w+|issues/\d+)/comments",),
    # `/cicd-agent review`: the acknowledging reaction, review's three publications, the reply
    # (in the conversation too: publications are told apart by their marker, see posted_twice).
    "command": (
        rf"{REPO}/issues/comments/\d+/reactions",
        rf"{REPO}/pulls/\d+/reviews",
        rf"{REPO}/check-runs",
        rf"{REPO}/issues/\d+/comments#review-summary",
        rf"{REPO}/issues/\d+/comments#command-reply:\d+",
    ),
}
# `/cicd-agent ask`: the reaction and the reply only.
ASK_PUBLICATIONS = (PUBLICATIONS["command"][0], PUBLICATIONS["command"][-1])
REVIEW_COMMAND = "/cicd-agent review"
ASK_COMMAND = "/cicd-agent ask Is the debugger call on line 30 safe to merge?"
COMMIT_COMMENTS = rf"{REPO}/commits/\w+/comments"


@dataclass
class Stage:
    """Everything one run of a mode needs; a test changes fields, then calls :meth:`run`."""

    mode: str
    runner: ModeRunner
    event: Path
    event_name: str
    workspace: Path
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    drop_env: list[str] = field(default_factory=list)
    project: Project | None = None
    state: GitHubState | None = None

    def run(self) -> Outcome:
        return self.runner.run(
            self.mode,
            self.argv,
            event=self.event,
            event_name=self.event_name,
            workspace=self.workspace,
            env=self.env,
            drop_env=self.drop_env,
        )


BUILDERS = {"review": review_project, "deploy-gate": deploy_project, "gen-tests": gentests_project}


def stage(
    mode: str,
    root: Path,
    github: GitHubApi,
    model: ModelServer | None,
    *,
    extra: Mapping[str, str | bytes] | None = None,
    answer: bool = True,
    options: Mapping[str, Any] | None = None,
) -> Stage:
    """A mode ready to run on its fixture project against the mock and (unless None) the model,
    which answers every call with a plain valid answer when ``answer`` is set. ``options`` go
    to the project builder (commit ``message``, pull request ``title``/``body``…); for
    analyse-failure, ``extra`` and ``message`` make one more commit, the failed run's head."""
    runner = ModeRunner(root, github=github, model=model)
    if model is not None and answer:
        model.answer(good_answer(mode), times=None)
    options = dict(options or {})
    if mode == "analyse-failure":
        state = GitHubState(github, root)
        state.standard()
        state.comments(COMMIT_COMMENTS)
        if extra or options:
            head = state.repo.commit(options.get("message", "data"), dict(extra or {}))
            state.runs((1589141559, "failure", head), (500, "success", state.base))
            state.head = head
        return Stage(mode, runner, state.event(), "workflow_run", state.repo.path, state=state)
    if mode == "command":
        # A member's comment on the review project's pull request, which the mock serves as #2.
        comment = options.pop("comment", REVIEW_COMMAND)
        project = review_project(root, extra=extra, **options)
        serve_pull(github, project.base, project.head)
        event = pull_request_comment(root / "events", comment)
        return Stage(mode, runner, event, "issue_comment", project.path, project=project)
    project = BUILDERS[mode](root, extra=extra, **options)
    return Stage(
        mode,
        runner,
        project.event,
        project.event_name,
        project.path,
        argv=list(project.argv),
        project=project,
    )


# ----------------------------------------------------------------------------- inputs

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
# A line of a database dump, repeated: 20 files of 5 MB make the 100 MB diff.
_DUMP_LINES = "".join(
    f"INSERT INTO orders VALUES ({n}, 'item-{n}', {n % 97});\n" for n in range(1000)
)
HUGE_FILES = 20
HUGE_FILE_BYTES = 5_000_000


@functools.cache
def huge_files() -> dict[str, str | bytes]:
    """100 MB of added text in 20 files (built once per session; about 2 s to commit)."""
    body = _DUMP_LINES * (HUGE_FILE_BYTES // len(_DUMP_LINES) + 1)
    return {f"data/dump_{n:02}.sql": body[:HUGE_FILE_BYTES] for n in range(HUGE_FILES)}


def binary_files() -> dict[str, str | bytes]:
    """An image and a file with a source name but binary content."""
    return {
        "assets/logo.png": PNG + os.urandom(300_000),
        "src/blob.py": b"\x00\x01\xff\xfe" * 400,
    }


def pull_files(project: Project) -> Any:
    """A proxy edit: the pull request's files as GitHub lists them, from the real change."""
    numstat = project.repo.git("diff", "--numstat", project.base, project.head)

    def edit(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        made = []
        for line in numstat.splitlines():
            added, deleted, path = line.split("\t")
            patch = project.repo.git("diff", project.base, project.head, "--", path)
            entry = {key: value for key, value in listing[0].items() if key != "previous_filename"}
            made.append(
                {
                    **entry,
                    "filename": path,
                    "status": "modified",
                    "additions": int(added),
                    "deletions": int(deleted),
                    "changes": int(added) + int(deleted),
                    "patch": patch[patch.index("@@") :],
                }
            )
        return made

    return edit
