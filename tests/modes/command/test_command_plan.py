"""What counts as a command, and who may run one: pure, no network."""

from __future__ import annotations

import pytest

from cicd_agent.modes.command.options import RUNNABLE
from cicd_agent.modes.command.plan import (
    MAX_QUESTION_CHARS,
    REFUSAL,
    Command,
    Incoming,
    parse_command,
    plan,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/cicd-agent review", Command("review")),
        ("/cicd-agent Review, please", Command("review", "please")),
        ("  /cicd-agent review", None),  # what a workflow's startsWith() would not start either
        ("/cicd-agent ask what does\nthis change?", Command("ask", "what does\nthis change?")),
        ("/cicd-agent", Command("help")),
        ("/cicd-agent\nreview", Command("help", "review")),
        ("/cicd-agentreview", None),
        ("> /cicd-agent review", None),
        ("Could someone run /cicd-agent review?", None),
        ("`/cicd-agent review`", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_comment_starting_with_the_prefix_is_a_command(
    body: str | None, expected: Command | None
) -> None:
    assert parse_command(body) == expected


def incoming(
    body: str = "/cicd-agent review",
    *,
    association: str = "MEMBER",
    action: str = "created",
    bot: bool = False,
    on_pull: bool = True,
    reply: bool = False,
) -> Incoming:
    return Incoming(action, on_pull, bot, association, parse_command(body), reply, body)


@pytest.mark.parametrize("association", ["OWNER", "MEMBER", "COLLABORATOR"])
def test_writers_run_commands(association: str) -> None:
    chosen = plan(incoming(association=association), RUNNABLE)
    assert (chosen.action, chosen.command) == ("run", "review")


@pytest.mark.parametrize(
    "association", ["CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "NONE", "MANNEQUIN", ""]
)
def test_everyone_else_is_refused_in_one_line(association: str) -> None:
    chosen = plan(incoming(association=association), RUNNABLE)
    assert (chosen.action, chosen.text) == ("refuse", REFUSAL)
    assert "\n" not in chosen.text


@pytest.mark.parametrize(
    "changes",
    [{"action": "edited"}, {"action": "deleted"}, {"bot": True}, {"on_pull": False}],
)
def test_edits_deletions_bots_and_plain_issues_are_ignored(changes: dict[str, object]) -> None:
    assert plan(incoming(**changes), RUNNABLE).action == "ignore"  # type: ignore[arg-type]


def test_a_plain_reply_in_a_thread_is_a_question_for_writers_only() -> None:
    asked = plan(incoming("Why?", reply=True), RUNNABLE)
    assert (asked.action, asked.command, asked.argument, asked.thread_question) == (
        "run", "ask", "Why?", True,
    )  # fmt: skip
    assert plan(incoming("Why?", reply=True, association="NONE"), RUNNABLE).action == "ignore"
    assert plan(incoming("Why?", reply=True), frozenset({"review"})).action == "ignore"
    assert plan(incoming("Why?"), RUNNABLE).action == "ignore"


def test_questions_are_bounded() -> None:
    longest = "x" * MAX_QUESTION_CHARS
    assert plan(incoming(f"/cicd-agent ask {longest}"), RUNNABLE).action == "run"
    too_long = plan(incoming(f"/cicd-agent ask {longest}y"), RUNNABLE)
    assert too_long.action == "reply" and "Nothing was run" in too_long.text
    assert plan(incoming("/cicd-agent ask"), RUNNABLE).action == "reply"


def test_unknown_and_disabled_commands_are_answered_not_run() -> None:
    unknown = plan(incoming("/cicd-agent rm-rf"), RUNNABLE)
    assert unknown.action == "reply" and unknown.text.startswith("`rm-rf` is not a command.")
    disabled = plan(incoming("/cicd-agent gen-tests"), frozenset({"review"}))
    assert disabled.action == "reply" and "not run by this workflow job" in disabled.text
