"""Driving the command mode end to end: real comment payloads, the mock's pull request #2."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.harness import payloads
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.context import run_context

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.command.options import CommandOptions

REPO = "/repos/octocat/Hello-World"
PULL = rf"{REPO}/pulls/2"
CONVERSATION = rf"{REPO}/issues/2/comments"
ISSUE_REACTIONS = rf"{REPO}/issues/comments/\d+/reactions"
REVIEW_REACTIONS = rf"{REPO}/pulls/comments/\d+/reactions"
THREAD_REPLIES = rf"{REPO}/pulls/2/comments/\d+/replies"
REPLY_MARK = "<!-- cicd-agent:command-reply"
"""The start of our reply's marker (``:`` and the id of the comment it answers follow; the
example workflows' pinned release may predate that)."""
COMMENT_URL = "https://github.com/octocat/Hello-World/pull/2#issuecomment-"


def pull_request_comment(
    tmp_path: Path, body: str, *, association: str = "MEMBER", action: str = "created"
) -> Path:
    """A real ``issue_comment`` payload moved onto pull request #2, as a file."""
    payload = comment_payload(body, association=association, action=action)
    return payloads.write_event(tmp_path, payload, "comment.json")


def comment_payload(
    body: str, *, association: str = "MEMBER", action: str = "created"
) -> dict[str, Any]:
    """A real ``issue_comment`` payload moved onto pull request #2: GitHub marks an issue
    that is a pull request with an ``issue.pull_request`` object of links."""
    payload = payloads.example("issue_comment", action)
    payload["issue"]["number"] = 2
    base = "https://api.github.com/repos/octocat/Hello-World"
    payload["issue"]["pull_request"] = {
        "url": f"{base}/pulls/2",
        "html_url": "https://github.com/octocat/Hello-World/pull/2",
        "diff_url": "https://github.com/octocat/Hello-World/pull/2.diff",
        "patch_url": "https://github.com/octocat/Hello-World/pull/2.patch",
        "merged_at": None,
    }
    payload["comment"].update(body=body, author_association=association)
    payload["comment"]["html_url"] = f"{COMMENT_URL}{payload['comment']['id']}"
    return payload


def review_comment(
    tmp_path: Path,
    body: str,
    *,
    base: str,
    head: str,
    association: str = "MEMBER",
    in_reply_to: int | None = None,
) -> Path:
    """A real ``pull_request_review_comment`` payload on pull request #2 at ``head``."""
    payload = payloads.example("pull_request_review_comment", "created")
    pull = payload["pull_request"]
    pull["number"] = 2
    pull["head"]["sha"], pull["base"]["sha"] = head, base
    payload["comment"].update(
        body=body, author_association=association, commit_id=head, original_commit_id=head
    )
    if in_reply_to is not None:
        payload["comment"]["in_reply_to_id"] = in_reply_to
    return payloads.write_event(tmp_path, payload, "review_comment.json")


def serve_pull(
    github_api: Any,
    base: str,
    head: str,
    *,
    state: str = "open",
    fork: bool = False,
    body: str | None = None,
) -> None:
    """Make the mock's pull request #2 one from ``base`` to ``head`` (from a fork, or not)."""

    def ours(pull: dict[str, Any]) -> dict[str, Any]:
        pull = copy.deepcopy(pull)
        pull.update(number=2, state=state, merged_at=None, draft=False)
        if body is not None:
            pull["body"] = body
        pull["head"].update(sha=head, ref="feature")
        pull["head"]["repo"]["full_name"] = (
            "attacker/Hello-World" if fork else "octocat/Hello-World"
        )
        pull["base"].update(sha=base, ref="main")
        pull["base"]["repo"]["full_name"] = "octocat/Hello-World"
        return pull

    github_api.proxy.script("GET", PULL, edit=ours)


def run_command(
    tmp_path: Path,
    github_api: Any,
    event: Path,
    workspace: Path,
    *extra: str,
    model_server: Any = None,
) -> CliRun:
    """``cicd-agent command`` as a comment workflow's step runs it, on the event GitHub names
    for ``event``'s payload (a comment on a line carries its pull request; one in the
    conversation, its issue)."""
    payload = json.loads(event.read_text()) if event.is_file() else {}
    kind = "pull_request_review" if "pull_request" in payload else "issue"
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": f"{kind}_comment",
        "GITHUB_WORKSPACE": str(workspace),
    }
    model = ["--provider", "none"]
    if model_server is not None:
        environ["OPENAI_API_KEY"] = TEST_API_KEY
        model = [
            "--provider",
            "openai",
            "--base-url",
            model_server.base_url,
            "--model",
            "gpt-4o-mini",
        ]
    return run_cli(["command", *model, *extra], tmp_path, environ)


def replies(github_api: Any) -> list[str]:
    """Bodies of our replies (conversation and review threads), in order."""
    sent = github_api.proxy.calls("POST", CONVERSATION) + github_api.proxy.calls(
        "POST", THREAD_REPLIES
    )
    return [r.json()["body"] for r in sent if REPLY_MARK in r.json()["body"]]


def command_context(
    tmp_path: Path, github_api: Any, workspace: Path, body: str, *argv: str
) -> RunContext[CommandOptions]:
    """The context of ``cicd-agent command ARGV`` (offline unless ARGV names a provider) on a
    member's comment ``body`` in pull request #2's conversation, to call the mode directly."""
    from cicd_agent.modes.command.options import CommandOptions

    event = pull_request_comment(tmp_path, body)
    environ = github_api.env() | {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(tmp_path),
        "OPENAI_API_KEY": TEST_API_KEY,
    }
    model = [] if "--provider" in argv else ["--provider", "none"]
    ctx, _ = run_context("command", [*model, *argv], environ, CommandOptions.from_given)
    return ctx
