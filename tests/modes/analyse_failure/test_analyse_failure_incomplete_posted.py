"""analyse-failure whose git could not run says "Incomplete" in the comment it posts on the
commit, as its step outputs and job summary do (GitHub's validating mock, a real failed
``workflow_run``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.failure_github import REPO, GitHubState

INCOMPLETE = "Incomplete: git could not run (see Tools)."


def test_a_tool_that_could_not_run_is_said_in_the_posted_comment(
    github_api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No git on the runner: the log's diagnosis stands, the change under test is unread, and
    the comment on the commit must not read as the whole answer."""
    state = GitHubState(github_api, tmp_path)
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))

    code, outputs, summary, document = state.analyse(state.event())

    assert code == 0, summary
    assert "- `git`: could not run: it is not installed" in summary, summary
    assert INCOMPLETE in document["headline"] and INCOMPLETE in summary
    (body,) = state.posted("POST", rf"{REPO}/commits/{state.head}/comments")
    assert INCOMPLETE in body, body
    assert outputs["failure_type"] == "test_failure"  # the diagnosis itself is unchanged
