"""What posting learns goes into the run's record, not into the decided result: ``decision``
stays what review decided, ``review_event`` says what GitHub took (a refused approval goes as a
comment, with a note saying why), and a failure part-way keeps what was posted before it.

Through the CLI, the local model server and GitHub's validating mock: the outputs, the summary
and ``--json`` are read as a workflow reads them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.analysis.workflows import HonouredIgnore
from cicd_agent.modes.review import mode as review_mode
from cicd_agent.modes.review.publish import REFUSED_APPROVAL
from cicd_agent.modes.review.result import ignored_line
from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import CliRun, json_mismatches, run_cli
from tests.helpers.review import REPO, REVIEWS, answer, pull_request_event

CHECK_CREATE = rf"{REPO}/check-runs"
PULL = "https://github.com/octocat/Hello-World/pull/2"


@pytest.fixture(autouse=True)
def _reviews_on_the_pull_request(github_api: Any) -> None:
    """GitHub answers a review with its address on the pull request reviewed (the mock's
    example names another); set first, so a test's own failure rule wins over it."""
    github_api.proxy.script("POST", REVIEWS, edit=lambda review: {
        **review, "html_url": f"{PULL}#pullrequestreview-{review['id']}"})  # fmt: skip


def _review(tmp_path: Path, github_api: Any, model_server: Any, *extra: str) -> CliRun:
    """A low-risk change the stand-in model approves: decided ``approve``."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/app.py": "def main():\n    return 0\n"})
    head = repo.commit("change", {"src/app.py": "def main():\n    return 1\n"})
    model_server.answer_with(lambda request: answer(verdict="approve"), times=None)
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(pull_request_event(tmp_path, base, head)),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_WORKSPACE": str(repo.path),
        "RUNNER_TEMP": str(tmp_path),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    argv = ["review", "--provider", "openai", "--base-url", model_server.base_url,
            "--model", "gpt-4o-mini", "--json", *extra]  # fmt: skip
    return run_cli(argv, tmp_path, environ)


def _written_names(done: CliRun) -> list[str]:
    return re.findall(r"^(\w+)<<", done.outputs_text, flags=re.MULTILINE)


def test_an_approval_github_takes_is_the_review_event(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    done = _review(tmp_path, github_api, model_server)

    assert done.code == 0, done.summary
    [review] = github_api.proxy.calls("POST", REVIEWS)
    assert review.json()["event"] == "APPROVE"
    assert (done.outputs["decision"], done.outputs["review_event"]) == ("approve", "APPROVE")
    assert done.outputs["review_url"].startswith("https://github.com/")
    assert REFUSED_APPROVAL not in done.summary


def test_a_refused_approval_posts_a_comment_and_the_decision_stays(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    github_api.proxy.fail("POST", REVIEWS, 422, "Unprocessable Entity", times=1)
    done = _review(tmp_path, github_api, model_server)

    assert done.code == 0, done.summary
    refused, posted = github_api.proxy.calls("POST", REVIEWS)
    assert (refused.status, refused.json()["event"]) == (422, "APPROVE")
    assert (posted.status, posted.json()["event"]) == (200, "COMMENT")
    assert (done.outputs["decision"], done.outputs["review_event"]) == ("approve", "COMMENT")
    assert done.outputs["review_url"].startswith("https://github.com/")
    assert REFUSED_APPROVAL in done.summary
    document = done.document
    assert document is not None
    assert (document["decision"], document["review_event"]) == ("approve", "COMMENT")
    assert document["review_url"] == done.outputs["review_url"]
    assert not json_mismatches(document, done.outputs)


def test_a_failure_after_the_review_keeps_what_was_posted(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    """The check run fails after the review went out: exit 3, the ``error`` output says why,
    and the outputs, summary and ``--json`` still name the review that was posted."""
    github_api.proxy.fail("POST", CHECK_CREATE, 502, "Bad Gateway")
    done = _review(tmp_path, github_api, model_server)

    assert done.code == 3, done.summary
    assert done.outputs["error"].startswith("Publishing to GitHub failed:")
    assert done.outputs["review_event"] == "APPROVE"
    assert done.outputs["review_url"].startswith("https://github.com/")
    assert done.outputs["review_url"] in done.summary
    assert done.document is not None and done.document["review_url"] == done.outputs["review_url"]
    names = _written_names(done)
    assert len(names) == len(set(names)), "each output is written once"


def test_a_dry_run_posts_nothing_and_the_review_event_is_empty(
    tmp_path: Path, github_api: Any, model_server: Any
) -> None:
    done = _review(tmp_path, github_api, model_server, "--dry-run")

    assert done.code == 0, done.summary
    assert github_api.proxy.calls("POST", REVIEWS) == []
    assert (done.outputs["decision"], done.outputs["review_event"]) == ("approve", "")
    names = _written_names(done)
    assert len(names) == len(set(names)), "each output is written once"
    assert names[-4:] == ["review_url", "review_event", "description_in", "error"]


def test_publish_leaves_the_decided_result_as_it_was_and_returns_nothing(
    tmp_path: Path, github_api: Any, model_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even when GitHub refuses the approval (the path that once rewrote ``decision``)."""
    real = review_mode.publish  # the wiring calls the step by this name
    seen: list[tuple[dict[str, Any], dict[str, Any], object]] = []

    def watched(ctx: Any, result: Any, plan: Any) -> None:
        before = result.fields_json()
        returned = real(ctx, result, plan)
        seen.append((before, result.fields_json(), returned))
        return returned

    monkeypatch.setattr(review_mode, "publish", watched)
    github_api.proxy.fail("POST", REVIEWS, 422, "Unprocessable Entity", times=1)
    done = _review(tmp_path, github_api, model_server)

    assert done.code == 0, done.summary
    [(before, after, returned)] = seen
    assert returned is None
    assert after == before and after["decision"] == "approve" and after["review_url"] == ""


def test_an_honoured_ignore_names_its_comment_and_why() -> None:
    honoured = HonouredIgnore(
        path=".github/workflows/ci.yml",
        comment_line=4,
        audit="unpinned-uses",
        finding_line=5,
        severity="medium",
        title="unpinned action",
        why="the comment is in the base version",
    )
    line = ignored_line(honoured)
    assert "`# zizmor: ignore[unpinned-uses]` on line 4" in line
    assert line.endswith("honoured because the comment is in the base version.")
