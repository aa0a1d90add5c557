"""Findings across pushes, end to end: two pushes of a pull request on GitHub's validating mock.

The first push adds two debugger calls; the second shifts one of them (and edits right next to
it, so the line is part of the new commits), removes the other and adds a third. Only the third
may be posted; the shifted one keeps its fingerprint and counts as still open, the removed one
as resolved. A writer's 👎 on our comment keeps a finding from coming back; an outsider's
reaction, or a reaction on a comment someone else wrote with our marker, does not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.modes.review.ledger import parse
from cicd_agent.modes.review.sarif import FINGERPRINT_KEY
from tests.git_builder import GitRepoBuilder
from tests.helpers.review import (
    REPO,
    REVIEWS,
    answer,
    model_finding,
    pull_request_event,
    run_review,
)

COMMENTS = rf"{REPO}/issues/2/comments"
REVIEW_COMMENTS = rf"{REPO}/pulls/2/comments"
REACTIONS = rf"{REPO}/pulls/comments/\d+/reactions"
MARKER = re.compile(r"<!-- cicd-agent-finding: ([0-9a-f]{32}) -->\s*\Z")


class Pushes:
    def __init__(self, tmp_path: Path) -> None:
        self.repo = GitRepoBuilder(tmp_path / "repo")
        self.base = self.repo.commit(
            "base",
            {
                "src/job.py": "def run():\n    return 1\n",
                "src/other.py": "def other():\n    return 2\n",
            },
        )
        self.first = self.repo.commit(
            "debugging",
            {
                "src/job.py": "def run():\n    breakpoint()\n    return 1\n",
                "src/other.py": "def other():\n    breakpoint()\n    return 2\n",
            },
        )
        self.second = self.repo.commit(
            "more work",
            {
                "src/job.py": "import os\n\n\ndef run():\n    x = 0\n    breakpoint()\n    return 1\n",
                "src/other.py": "def other():\n    return 2\n",
                "src/new.py": "import pdb\n\n\ndef new():\n    pdb.set_trace()\n",
            },
        )


@pytest.fixture
def pushes(tmp_path: Path) -> Pushes:
    return Pushes(tmp_path)


def _review(
    tmp_path: Path, github_api: Any, model_server: Any, pushes: Pushes, head: str, action: str
) -> tuple[dict[str, str], dict[str, Any], str]:
    github_api.proxy.reset()
    pushes.repo.git("checkout", "-q", head)  # each push's run checks out its head
    event = pull_request_event(tmp_path, pushes.base, head, action=action)
    code, outputs, summary, _ = run_review(
        tmp_path, github_api, model_server, pushes.repo, event, provider="none"
    )
    assert code == 0, summary
    [review] = github_api.proxy.calls("POST", REVIEWS)
    return outputs, review.json(), summary


def _posted(review: dict[str, Any]) -> dict[str, str]:
    """Path → fingerprint of each inline comment."""
    return {c["path"]: MARKER.search(c["body"]).group(1) for c in review["comments"]}  # type: ignore[union-attr]


def _sarif_prints(outputs: dict[str, str]) -> dict[str, str]:
    run = json.loads(Path(outputs["sarif_file"]).read_text())["runs"][0]
    return {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["partialFingerprints"][
            FINGERPRINT_KEY
        ]
        for r in run["results"]
    }


def _first_push(
    tmp_path: Path, github_api: Any, model_server: Any, pushes: Pushes
) -> tuple[dict[str, str], str, dict[str, str]]:
    """The first push's review: path → fingerprint posted, the summary comment, SARIF prints."""
    outputs, review, _ = _review(tmp_path, github_api, model_server, pushes, pushes.first, "opened")
    [comment] = github_api.proxy.calls("POST", COMMENTS)
    assert outputs["findings_new"] == "2" and outputs["findings_resolved"] == "0"
    return _posted(review), comment.json()["body"], _sarif_prints(outputs)


def _summary_is(github_api: Any, body: str) -> None:
    def edit(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**comments[0], "id": 9001, "body": body}]

    github_api.proxy.script("GET", COMMENTS, edit=edit)


def test_a_second_push_posts_only_the_new_finding_and_counts_the_rest(
    tmp_path: Path, github_api: Any, model_server: Any, pushes: Pushes
) -> None:
    posted, summary_body, first_sarif = _first_push(tmp_path, github_api, model_server, pushes)
    assert set(posted) == {"src/job.py", "src/other.py"}
    assert parse(summary_body).findings[posted["src/job.py"]].posted

    github_api.proxy.reset()
    _summary_is(github_api, summary_body)
    outputs, review, summary = _review_again(
        tmp_path, github_api, model_server, pushes, summary_body
    )
    assert set(_posted(review)) == {"src/new.py"}, "job.py's finding was posted on the first push"
    assert (outputs["findings_new"], outputs["findings_open"], outputs["findings_resolved"]) == (
        "1",
        "1",
        "1",
    )
    assert "1 new, 1 still open, 1 resolved" in summary
    second_sarif = _sarif_prints(outputs)
    assert second_sarif["src/job.py"] == first_sarif["src/job.py"] == posted["src/job.py"]
    ledger = parse(
        github_api.proxy.calls("PATCH", rf"{REPO}/issues/comments/9001")[0].json()["body"]
    )
    assert set(ledger.findings) == {posted["src/job.py"], second_sarif["src/new.py"]}
    assert posted["src/other.py"] not in ledger.findings

    # Control: without the ledger the same run posts job.py's finding again.
    github_api.proxy.reset()
    _, review, _ = _review(tmp_path, github_api, model_server, pushes, pushes.second, "synchronize")
    assert set(_posted(review)) == {"src/job.py", "src/new.py"}


def _review_again(
    tmp_path: Path,
    github_api: Any,
    model_server: Any,
    pushes: Pushes,
    summary_body: str,
    provider: str = "none",
) -> tuple[dict[str, str], dict[str, Any], str]:
    pushes.repo.git("checkout", "-q", pushes.second)
    event = pull_request_event(tmp_path, pushes.base, pushes.second, action="synchronize")
    code, outputs, summary, _ = run_review(
        tmp_path, github_api, model_server, pushes.repo, event, provider=provider
    )
    assert code == 0, summary
    [review] = github_api.proxy.calls("POST", REVIEWS)
    return outputs, review.json(), summary


def _reacted(
    github_api: Any, fingerprint: str, *, author: str, reactor: str, permission: str
) -> None:
    """Our (or ``author``'s) inline comment on job.py carries a 👎 from ``reactor``."""

    def comments(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body = f"**medium** · Debugger call\n\n<!-- cicd-agent-finding: {fingerprint} -->"
        user = {**listing[0]["user"], "login": author, "type": "User"}
        return [
            {
                **listing[0],
                "id": 31,
                "body": body,
                "user": user,
                "reactions": {**listing[0].get("reactions", {}), "-1": 1},
            }
        ]

    def reactions(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**listing[0], "content": "-1", "user": {**listing[0]["user"], "login": reactor}}]

    github_api.proxy.script("GET", REVIEW_COMMENTS, edit=comments)
    github_api.proxy.script("GET", REACTIONS, edit=reactions)
    github_api.proxy.script(
        "GET",
        rf"{REPO}/collaborators/{reactor}/permission",
        edit=lambda p: {**p, "permission": permission},
    )


@pytest.mark.parametrize(
    ("author", "reactor", "permission", "posted_again"),
    [
        ("octocat", "maintainer", "write", False),  # our comment, a writer's 👎
        ("octocat", "drive-by", "read", True),  # an outsider's reaction counts for nothing
        ("mallory", "maintainer", "admin", True),  # our marker in someone else's comment
    ],
)
def test_a_dismissed_finding_comes_back_only_if_the_dismissal_was_not_a_writers(
    tmp_path: Path,
    github_api: Any,
    model_server: Any,
    pushes: Pushes,
    author: str,
    reactor: str,
    permission: str,
    posted_again: bool,
) -> None:
    posted, summary_body, _ = _first_push(tmp_path, github_api, model_server, pushes)
    # The finding was fixed and then came back: the ledger no longer lists it.
    forgotten = re.sub(r"<!-- cicd-agent-review-findings: [^>]* -->\n", "", summary_body)
    assert parse(forgotten).findings == {} and parse(forgotten).heads

    github_api.proxy.reset()
    _summary_is(github_api, forgotten)
    _reacted(
        github_api, posted["src/job.py"], author=author, reactor=reactor, permission=permission
    )
    _, review, summary = _review_again(tmp_path, github_api, model_server, pushes, forgotten)
    assert ("src/job.py" in _posted(review)) is posted_again
    assert ("dismissed with a reaction" in summary) is not posted_again
    # the reactor's standing is asked once, only for our own comment (the pull request's
    # author is asked too, for trust: another question)
    asked = github_api.proxy.calls("GET", rf"{REPO}/collaborators/{reactor}/permission")
    assert len(asked) == (0 if author == "mallory" else 1)


def test_the_models_finding_reworded_on_a_shifted_line_is_the_same_finding(
    tmp_path: Path, github_api: Any, model_server: Any, pushes: Pushes
) -> None:
    model_server.answer(answer(model_finding("src/job.py", 3, "Returns a constant", "high")))
    pushes.repo.git("checkout", "-q", pushes.first)
    event = pull_request_event(tmp_path, pushes.base, pushes.first)
    code, outputs, summary, _ = run_review(tmp_path, github_api, model_server, pushes.repo, event)
    assert code == 0, summary
    [review] = github_api.proxy.calls("POST", REVIEWS)
    posted = {
        c["line"]: MARKER.search(c["body"]).group(1)
        for c in review.json()["comments"]
        if c["path"] == "src/job.py"
    }  # type: ignore[union-attr]
    [comment] = github_api.proxy.calls("POST", COMMENTS)
    summary_body = comment.json()["body"]
    assert parse(summary_body).findings[posted[3]].source == "m"

    github_api.proxy.reset()
    _summary_is(github_api, summary_body)
    # The same line, now line 7, flagged again in other words (the model never words it twice
    # alike): the same finding, still open, not posted again.
    model_server.answer(answer(model_finding("src/job.py", 7, "Constant return, always 1", "high")))
    outputs, review_again, summary = _review_again(
        tmp_path, github_api, model_server, pushes, summary_body, provider="openai"
    )
    assert [c["path"] for c in review_again["comments"]] == ["src/new.py"]
    assert outputs["findings_open"] == "2", summary
    assert outputs["findings_resolved"] == "1"
    assert _sarif_prints_by_line(outputs)[("src/job.py", 7)] == posted[3]


def _sarif_prints_by_line(outputs: dict[str, str]) -> dict[tuple[str, int], str]:
    run = json.loads(Path(outputs["sarif_file"]).read_text())["runs"][0]
    return {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        ): r["partialFingerprints"][FINGERPRINT_KEY]
        for r in run["results"]
        if r["ruleId"].startswith("cicd-agent/model/")
    }


def test_a_ledger_in_someone_elses_comment_suppresses_nothing(
    tmp_path: Path, github_api: Any, model_server: Any, pushes: Pushes
) -> None:
    _, summary_body, _ = _first_push(tmp_path, github_api, model_server, pushes)

    def forged(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        user = {**comments[0]["user"], "login": "mallory", "type": "User"}
        return [{**comments[0], "id": 666, "body": summary_body, "user": user}]

    github_api.proxy.reset()
    github_api.proxy.script("GET", COMMENTS, edit=forged)
    outputs, review, _ = _review_again(tmp_path, github_api, model_server, pushes, summary_body)
    assert set(_posted(review)) == {"src/job.py", "src/new.py"}
    assert outputs["findings_new"] == "2" and outputs["findings_resolved"] == "0"
    assert github_api.proxy.calls("PATCH", rf"{REPO}/issues/comments/666") == []


def test_a_run_with_no_earlier_review_says_nothing_is_new_since(tmp_path: Path) -> None:
    """A local review (no pull request on GitHub, so no summary comment of an earlier run)
    said "Since earlier runs: 1 new": there were none to compare with, and it says so."""
    from tests.helpers.cli import run_cli

    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {"src/job.py": "def run():\n    return 1\n"})
    head = repo.commit("debug", {"src/job.py": "def run():\n    breakpoint()\n    return 1\n"})
    argv = ["review", "--provider", "none", "--report-on", "low", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")})
    assert done.document is not None and done.document["findings"], done.stderr
    row = next(line for line in done.summary.splitlines() if "Since earlier runs" in line)
    assert row == "| Since earlier runs | none to compare with: no earlier review of this pull " \
        "request was read |", row  # fmt: skip
