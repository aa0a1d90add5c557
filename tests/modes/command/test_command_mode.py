"""The command mode's wiring: ``ask`` is answered from the floor (the review's deterministic
checks) offline and by the model when one is set, a model that fails leaves the floor's
answer, and a run that cannot finish says ``command_status=failed``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cicd_agent.actions.errors import ExitCode
from cicd_agent.modes.command.analyse import analyse
from cicd_agent.modes.command.collect import collect
from cicd_agent.modes.command.mode import MODE
from cicd_agent.modes.command.prompt import AskAnswer
from tests.git_builder import GitRepoBuilder
from tests.helpers.commands import command_context, replies, serve_pull

QUESTION = "/cicd-agent ask Does one() stop in production?"


@pytest.fixture
def repo(tmp_path: Path, github_api: Any) -> GitRepoBuilder:
    """Pull request #2 adds a debugger call."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def one():\n    return 1\n"})
    head = repo.commit("feature", {"src/app.py": "def one():\n    breakpoint()\n    return 1\n"})
    serve_pull(github_api, base, head)
    return repo


def _model(model_server: Any) -> tuple[str, ...]:
    return ("--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o-mini")


def test_collect_reads_reviews_facts_for_a_question_and_analyse_answers_from_them(
    tmp_path: Path, github_api: Any, repo: GitRepoBuilder
) -> None:
    """The floor answer is built from review's own findings at the pinned head, before any
    model is asked (the steps the mode runs, called one by one)."""
    facts = collect(command_context(tmp_path, github_api, repo.path, QUESTION))
    assert (facts.plan.action, facts.plan.command) == ("run", "ask")
    assert facts.review is not None and facts.review_offline
    assert [finding.path for finding in facts.findings] == ["src/app.py"]
    assert "Leftover debugger call — `src/app.py:2`" in analyse(facts).deterministic_answer


def test_offline_ask_answers_from_the_floor(
    tmp_path: Path, github_api: Any, repo: GitRepoBuilder
) -> None:
    _, code = MODE.run(command_context(tmp_path, github_api, repo.path, QUESTION))
    assert code == ExitCode.OK
    (reply,) = replies(github_api)
    assert reply.startswith("Answering questions needs a model")
    assert "- **high** · Leftover debugger call — `src/app.py:2`" in reply


def test_with_a_model_ask_is_answered_by_it(
    tmp_path: Path, github_api: Any, model_server: Any, repo: GitRepoBuilder
) -> None:
    said = "Yes: `breakpoint()` on line 2 waits for a debugger."
    model_server.answer(AskAnswer(answer=said, grounded=True))
    ctx = command_context(tmp_path, github_api, repo.path, QUESTION, *_model(model_server))
    _, code = MODE.run(ctx)
    assert code == ExitCode.OK
    (reply,) = replies(github_api)
    assert reply.startswith("Yes: `breakpoint()` on line 2 waits for a debugger.")
    assert "Does one() stop in production?" in model_server.chat_requests[0].text("user")


def test_a_model_that_fails_leaves_the_floors_answer(
    tmp_path: Path, github_api: Any, model_server: Any, repo: GitRepoBuilder
) -> None:
    model_server.fail(400, message="Unsupported model (local test).", times=None)
    ctx = command_context(tmp_path, github_api, repo.path, QUESTION, *_model(model_server))
    result, code = MODE.run(ctx)
    assert code == ExitCode.OK
    (reply,) = replies(github_api)
    assert "Leftover debugger call" in reply
    assert any("HTTP 400" in note for note in result.notes), result.notes


def test_a_run_that_cannot_finish_reports_failed_and_nothing_more(
    tmp_path: Path, github_api: Any, repo: GitRepoBuilder
) -> None:
    ctx = command_context(tmp_path, github_api, repo.path, QUESTION)
    assert dict(MODE.fail_closed_outputs) == {"command_status": "failed"}
    assert MODE.failure_outputs(ctx) == {}
