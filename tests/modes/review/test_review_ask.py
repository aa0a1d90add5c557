"""review's ask step: the model's description of the change (with ``describe``), then its
review of the diff, as one opinion; a review call that fails leaves the description standing.

Through a review run's real context: real git, the GitHub mock, the local model server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cicd_agent.modes.review.answer import DescriptionAnswer, GroupSummary
from cicd_agent.modes.review.ask import ask
from cicd_agent.modes.review.checkers import lint
from cicd_agent.modes.review.collect import collect
from cicd_agent.modes.review.decide import analyse
from cicd_agent.modes.review.types import ReviewOpinion, rules
from tests.git_builder import GitRepoBuilder
from tests.helpers.review import answer, model_finding, pull_request_event, review_context


def _ask(tmp_path: Path, github_api: Any, model_server: Any, *argv: str) -> tuple[Any, ReviewOpinion]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def compute(x):\n    return x\n"})
    head = repo.commit("Double it", {"src/app.py": "def compute(x):\n    return x * 2\n"})
    model = ("--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o-mini")
    ctx = review_context(
        tmp_path, github_api, repo, pull_request_event(tmp_path, base, head), *model, *argv
    )
    facts = collect(ctx, history=False)
    verdict = analyse(lint(ctx, facts, linters=False), describe=ctx.mode_options.describe)
    assert ctx.model is not None
    return ctx, ask(ctx.model, facts, verdict, rules(ctx, facts.plan), ctx.note)


DESCRIPTION = DescriptionAnswer(
    what="compute() now doubles its input.",
    why="Callers expect twice the value.",
    groups=[GroupSummary(group="Source", summary="compute() doubles.")],
)


def test_describing_asks_for_the_description_first_then_the_review(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    model_server.answer(DESCRIPTION)
    model_server.answer(answer(model_finding("src/app.py", 2, "Overflow on large input")))
    ctx, opinion = _ask(tmp_path, github_api, model_server, "--describe")
    assert opinion.description is not None
    assert opinion.description.what == "compute() now doubles its input."
    assert opinion.description.why == "Callers expect twice the value."
    assert opinion.review is not None
    [reviewed] = opinion.review.answers
    assert [f.title for f in reviewed.findings] == ["Overflow on large input"]
    assert len(model_server.chat_requests) == 2 and ctx.notes == []


def test_without_describe_only_the_review_is_asked(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    model_server.answer(answer())
    _, opinion = _ask(tmp_path, github_api, model_server)
    assert opinion.description is None
    assert opinion.review is not None and opinion.review.answers[0].findings == []
    assert len(model_server.chat_requests) == 1


def test_a_review_call_that_fails_is_a_note_and_the_description_stands(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    model_server.answer(DESCRIPTION)
    model_server.fail(400, message="This model's context is full (local test).", times=None)
    ctx, opinion = _ask(tmp_path, github_api, model_server, "--describe")
    assert opinion.description is not None and opinion.description.what.startswith("compute()")
    assert opinion.review is None
    (note,) = ctx.notes
    assert "HTTP 400" in note and "context is full" in note
