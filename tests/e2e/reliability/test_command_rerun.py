"""Re-running a command's job (GitHub's "Re-run jobs" replays the same comment event) must not
answer the same comment twice: the reply to that comment is edited in place, as review's
summary comment is (``tests/e2e/test_idempotence.py`` covers the other modes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.reliability.memory import GitHubMemory
from tests.e2e.reliability.scenarios import Outcome, publication
from tests.e2e.reliability.stages import ASK_COMMAND, REVIEW_COMMAND, stage
from tests.harness.model_server import ModelServer

RERUNS = 2


@pytest.mark.parametrize("comment", [REVIEW_COMMAND, ASK_COMMAND], ids=["review", "ask"])
def test_a_rerun_edits_its_reply_to_the_same_comment(
    comment: str, tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    ready = stage("command", tmp_path, github_api, None, options={"comment": comment})
    memory = GitHubMemory(github_api.proxy)
    runs: list[Outcome] = []
    for _ in range(1 + RERUNS):
        outcome = ready.run()
        assert outcome.code == 0, outcome.summary
        memory.learn(outcome)
        runs.append(outcome)

    posted = [
        w
        for run in runs
        for w in run.writes()
        if w.method == "POST" and "#command-reply:" in publication(w)
    ]
    assert len(posted) == 1, "the same comment was answered more than once"
    edited = [
        w
        for run in runs[1:]
        for w in run.writes()
        if w.method == "PATCH" and "#command-reply:" in publication(w)
    ]
    assert len(edited) == RERUNS
    [replies] = [bodies for path, bodies in memory.comments.items() if path.endswith("/2/comments")]
    answers = [body for body in replies.values() if "cicd-agent:command-reply" in body]
    assert len(answers) == 1
