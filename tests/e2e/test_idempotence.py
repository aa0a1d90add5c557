"""Idempotence: re-running a mode on the same event updates what it published.

Each mode runs four times on the same event (a first run and three re-runs) against a GitHub
that remembers what was published (``tests/reliability/memory.py``). After the re-runs there
must be exactly one of each publication: review's summary comment and check run (and one
review: the ledger says the head was reviewed), analyse-failure's comment; every re-run edits
them in place. The job summary of each run holds one report, and files named by outputs are
rewritten, not appended to (deploy-gate's audit trail, one line a run, aside).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.reliability.matrix import MODES
from tests.e2e.reliability.memory import GitHubMemory
from tests.e2e.reliability.scenarios import Outcome
from tests.e2e.reliability.stages import REPO, stage
from tests.harness.model_server import ModelServer

RERUNS = 3


def _posts(outcomes: list[Outcome], pattern: str) -> list[str]:
    return [
        r.api_path
        for outcome in outcomes
        for r in outcome.github
        if r.method == "POST" and r.status < 300 and re.fullmatch(pattern, r.api_path)
    ]


def _edits(outcomes: list[Outcome], pattern: str) -> list[str]:
    return [
        r.api_path
        for outcome in outcomes
        for r in outcome.github
        if r.method == "PATCH" and r.status < 300 and re.fullmatch(pattern, r.api_path)
    ]


# The command mode's re-runs (one reply to a comment, edited in place; the review it runs as
# here) are tested in reliability/test_command_rerun.py.
@pytest.mark.parametrize("mode", [mode for mode in MODES if mode != "command"])
def test_reruns_update_in_place(
    mode: str, tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    # gen-tests publishes nothing to GitHub: offline re-runs show the same (four model-driven
    # gen-tests runs would cost half a minute for no more evidence).
    ready = stage(mode, tmp_path, github_api, None if mode == "gen-tests" else model_server)
    audit = tmp_path / "deploy-audit.jsonl"
    if mode == "deploy-gate":  # a trail the workflow keeps across runs
        ready.argv += ["--audit-file", str(audit)]
    memory = GitHubMemory(github_api.proxy)
    runs: list[Outcome] = []
    for _ in range(1 + RERUNS):
        outcome = ready.run()
        assert outcome.code == 0, outcome.summary
        assert outcome.summary.count(f"### cicd-agent {mode}") == 1
        memory.learn(outcome)
        runs.append(outcome)
    first, reruns = runs[0], runs[1:]

    if mode == "review":
        assert len(_posts(runs, rf"{REPO}/issues/\d+/comments")) == 1
        assert len(_posts(runs, rf"{REPO}/check-runs")) == 1
        reviews = [
            r
            for o in runs
            for r in o.github
            if r.method == "POST" and r.api_path.endswith("/reviews")
        ]
        assert len(reviews) == 1, "a second review was posted for a reviewed head"
        (comment,) = [cid for bodies in memory.comments.values() for cid in bodies]
        (check_run,) = [rid for names in memory.check_runs.values() for rid in names]
        edits = _edits(reruns, rf"{REPO}/issues/comments/\d+")
        assert edits == [f"{REPO}/issues/comments/{comment}"] * RERUNS
        assert (
            _edits(reruns, rf"{REPO}/check-runs/\d+") == [f"{REPO}/check-runs/{check_run}"] * RERUNS
        )
        assert "was already reviewed; no second review was posted" in reruns[-1].summary
    elif mode == "analyse-failure":
        assert len(_posts(runs, rf"{REPO}/(issues/\d+|commits/\w+)/comments")) == 1
        assert len(_edits(reruns, rf"{REPO}/comments/\d+")) == RERUNS
        assert all(o.outputs["comment_url"] for o in runs)
    else:  # deploy-gate and gen-tests publish through outputs and files only
        assert [o.writes() for o in runs] == [[]] * len(runs)
    for name in ("sarif_file", "patch_path", "excerpt_file"):
        if first.outputs.get(name):
            assert [o.files.get(name) for o in reruns] == [first.files.get(name)] * RERUNS
    if mode == "deploy-gate":
        assert all(o.outputs["audit_file"] == str(audit) for o in runs)
        assert len(audit.read_text().splitlines()) == len(runs), "one audit record a run"


def test_a_rerun_after_a_failed_check_run_posts_no_second_review(
    tmp_path: Path, github_api: Any, model_server: ModelServer
) -> None:
    """The check run fails (502) after the review was posted: the summary comment still records
    the reviewed head, so the re-run (GitHub healthy again) completes the check run and edits
    the comment instead of posting the same review twice."""
    ready = stage("review", tmp_path, github_api, model_server)
    memory = GitHubMemory(github_api.proxy)
    rule = github_api.proxy.fail("POST", rf"{REPO}/check-runs", 502, "Server Error")
    failed = ready.run()
    assert failed.code == 3 and failed.outputs["review_url"]
    memory.learn(failed)
    rule.times = 0  # GitHub is healthy again
    rerun = ready.run()
    assert rerun.code == 0, rerun.summary
    runs = [failed, rerun]
    reviews = [
        r for o in runs for r in o.github if r.method == "POST" and r.api_path.endswith("/reviews")
    ]
    assert [r.status for r in reviews] == [200]
    assert len(_posts(runs, rf"{REPO}/issues/\d+/comments")) == 1
    assert len(_posts([rerun], rf"{REPO}/check-runs")) == 1
