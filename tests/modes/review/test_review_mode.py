"""review's wiring: one run chains the steps into a result and the exit code it earns, and
``--publish-from`` runs the hand-off phase instead (chosen once, in ``Review.run``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import ExitCode
from cicd_agent.actions.progress import Progress
from cicd_agent.modes.review.mode import MODE
from tests.git_builder import GitRepoBuilder
from tests.helpers.handoff import ForkProject, publishing_context, review_into_file
from tests.helpers.review import pull_request_event, review_context

NOT_ASKED = "publish-from posts the review run's result; the model was not asked."


def _model(model_server: Any) -> tuple[str, ...]:
    return ("--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o-mini")


def _debugging(tmp_path: Path) -> tuple[GitRepoBuilder, Path]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def run():\n    return 1\n"})
    head = repo.commit("debug", {"src/app.py": "def run():\n    breakpoint()\n    return 1\n"})
    return repo, pull_request_event(tmp_path, base, head)


@pytest.mark.parametrize(("fail_on", "code"), [("critical", ExitCode.OK), ("high", ExitCode.POLICY)])
def test_a_run_chains_the_steps_and_fail_on_sets_the_exit_code(
    tmp_path: Path, github_api: Any, fail_on: str, code: ExitCode
) -> None:
    repo, event = _debugging(tmp_path)
    ctx = review_context(
        tmp_path, github_api, repo, event, "--provider", "none", "--dry-run", "--fail-on", fail_on
    )
    result, exit_code = MODE.run(ctx)
    assert exit_code == code
    assert [(c.path, c.line) for c in result.comments] == [("src/app.py", 2)]  # type: ignore[attr-defined]
    assert NOT_ASKED not in result.notes


def test_publish_from_runs_the_hand_off_phase_not_a_review(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    """The phase posts what the review run found: a configured model is never asked, and no
    stage line says it was (only the note says why not)."""
    project = ForkProject(tmp_path)
    handed = review_into_file(tmp_path / "step-one", project)
    ctx = publishing_context(
        tmp_path, github_api, project, handed, "--dry-run", *_model(model_server)
    )
    printed = io.StringIO()
    ctx.progress = Progress(printed, label="review")
    result, exit_code = MODE.run(ctx)
    assert exit_code == ExitCode.OK
    assert NOT_ASKED in result.notes
    assert model_server.chat_requests == []  # a model is configured; the phase never asks it
    assert "] analyse: " in printed.getvalue()  # its stage lines are written here
    assert "ask: the model" not in printed.getvalue()


def test_a_review_that_could_not_run_leaves_every_output_empty(
    tmp_path: Path, github_api: Any
) -> None:
    repo, event = _debugging(tmp_path)
    ctx = review_context(tmp_path, github_api, repo, event)
    assert MODE.failure_outputs(ctx) == {} and dict(MODE.fail_closed_outputs) == {}
