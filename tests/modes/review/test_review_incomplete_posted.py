"""A review whose configured linter could not run is no clean result wherever it is read: the
review posted on the pull request, its check run and its summary comment say "Incomplete" as
the step outputs and the job summary do (every GitHub request validated against GitHub's
description by the mock)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.git_builder import GitRepoBuilder
from tests.helpers.review import REPO, REVIEWS, pull_request_event, run_review

INCOMPLETE = "Incomplete: ruff could not run (see Tools)."


def test_a_linter_that_could_not_run_is_said_in_every_post(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    """ruff is configured but not installed in the job (the run's PATH holds nothing): the
    change is reviewed without it, and nothing posted may read as a clean result."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"pyproject.toml": '[tool.ruff]\nline-length = 99\n',
                                 "app/main.py": "x = 1\n"})  # fmt: skip
    head = repo.commit("Import", {"app/main.py": "import os\nx = 1\n"})
    event = pull_request_event(tmp_path, base, head)

    code, outputs, summary, _ = run_review(
        tmp_path, github_api, model_server, repo, event, provider="none"
    )

    assert code == 0, summary
    assert "- `ruff`: could not run: not installed in this job" in summary, summary
    assert INCOMPLETE in summary  # the job summary said so before: the posts must agree
    [review] = github_api.proxy.calls("POST", REVIEWS)
    assert INCOMPLETE in review.json()["body"], review.json()["body"]
    [check] = github_api.proxy.calls("PATCH", rf"{REPO}/check-runs/\d+")[-1:]
    assert INCOMPLETE in check.json()["output"]["title"], check.json()["output"]
    [comment] = github_api.proxy.calls("POST", rf"{REPO}/issues/2/comments")
    assert INCOMPLETE in comment.json()["body"]
    assert outputs["decision"] == "comment"  # the gate's decision is not this change's
