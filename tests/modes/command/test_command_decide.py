"""The command's decide step, called directly: a pure function of the collected facts, the
floor answer and the model's opinion.

gen-tests runs the pull request's code, so it runs only at the head the comment's writer saw
and only when the checkout is that commit; the model's answer reaches the reply redacted and
inert; without a model the reply says what the deterministic review knows.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import cast

from cicd_agent.github.models import PullRequestInfo
from cicd_agent.job.payloads import Comment, User
from cicd_agent.model.client import ModelClient
from cicd_agent.modes.command.ask import ask
from cicd_agent.modes.command.decide import decide
from cicd_agent.modes.command.plan import Plan
from cicd_agent.modes.command.result import CommandResult
from cicd_agent.modes.command.types import CommandFacts, CommandOpinion, CommandVerdict

HEAD = "a" * 40
OTHER = "b" * 40
OWN = ("https://github.com/octo/shop/",)
SECRET = "hunter2-secret-value"


def _pull() -> PullRequestInfo:
    return PullRequestInfo(
        number=7, title="t", body="", state="open", draft=False, merged=False, author="dev",
        html_url="https://github.com/octo/shop/pull/7", head_sha=HEAD, head_ref="feature",
        head_repo="octo/shop", base_sha=OTHER, base_ref="main", base_repo="octo/shop",
    )  # fmt: skip


def _facts(
    command: str, *, written: str | None = None, checkout: str | None = HEAD
) -> CommandFacts:
    comment = Comment(id=11, body=f"/cicd-agent {command}", user=User(login="maintainer"))
    return CommandFacts(
        Plan("run", command=command, argument="why?" if command == "ask" else ""),
        "issue",
        7,
        comment,
        pull=_pull(),
        written_head=written,
        checkout_head=checkout,
    )


def _redact(text: str) -> str:
    return text.replace(SECRET, "[REDACTED]")


def _decide(
    verdict: CommandVerdict, opinion: CommandOpinion | None = None, *, offline: bool = False
) -> CommandResult:
    return decide(verdict, opinion, redact=_redact, own_links=OWN, offline=offline)


def test_gen_tests_runs_at_the_head_the_writer_saw_on_a_checkout_of_it() -> None:
    result = _decide(CommandVerdict(_facts("gen-tests", written=HEAD)))
    assert result.status == "ran" and result.reply == ""


def test_gen_tests_is_not_run_when_the_head_moved_after_the_comment() -> None:
    result = _decide(CommandVerdict(_facts("gen-tests", written=OTHER)))
    assert result.status == "answered"
    assert result.reply.startswith(f"The head moved from `{OTHER[:12]}` to `{HEAD[:12]}`")
    assert "no test was run" in result.reply


def test_gen_tests_on_a_forks_pull_request_runs_only_at_a_head_the_writer_saw() -> None:
    """ATTACK: the writer comments on the fork's head A; the fork pushes B before the job reads
    the pull request. Nothing in a conversation comment says it was A, so the writer names it."""
    fork = replace(_pull(), head_repo="mallory/shop")

    def outcome(argument: str = "", written: str | None = None) -> CommandResult:
        facts = replace(_facts("gen-tests", written=written), pull=fork)
        return _decide(CommandVerdict(replace(facts, plan=replace(facts.plan, argument=argument))))

    assert outcome().status == "answered" and f"gen-tests {HEAD}`" in outcome().reply
    assert outcome(HEAD[:12]).status == "answered"  # a prepared pair may share a short sha
    assert "name the full commit" in outcome(HEAD[:12]).reply
    assert outcome(OTHER).status == "answered" and outcome("please").status == "answered"
    assert outcome(HEAD.upper()).status == "ran" and outcome(written=HEAD).status == "ran"
    same = replace(_facts("gen-tests"), plan=Plan("run", command="gen-tests", argument=HEAD[:7]))
    assert _decide(CommandVerdict(same)).status == "ran"  # its pushers may all write


def test_gen_tests_is_not_run_on_a_checkout_of_another_commit() -> None:
    for checkout in (OTHER, None):  # another commit, or one git could not name
        result = _decide(CommandVerdict(_facts("gen-tests", checkout=checkout)))
        assert result.status == "answered"
        assert f"The checkout is not the pull request's head `{HEAD[:12]}`" in result.reply


def test_the_models_answer_reaches_the_reply_redacted_and_inert() -> None:
    hostile = (
        f"Ping @security-team <img src=x onerror=alert(1)> key {SECRET} "
        "[x](https://evil.example.com)"
    )
    result = _decide(CommandVerdict(_facts("ask")), CommandOpinion(hostile, grounded=False))
    assert result.status == "answered"
    assert SECRET not in result.reply and "[REDACTED]" in result.reply
    assert "@security-team" not in result.reply  # no mention GitHub would notify
    assert "<img" not in result.reply and "https://evil.example.com" not in result.reply
    assert result.reply.endswith("_The diff does not settle this; check by hand._")


def test_without_a_model_the_reply_is_the_floor_answer() -> None:
    verdict = CommandVerdict(_facts("ask"), deterministic_answer="What the deterministic review knows: x.")
    result = _decide(verdict, offline=True)
    assert result.reply.startswith("Answering questions needs a model")
    assert result.reply.endswith(verdict.deterministic_answer)
    failed = _decide(verdict)
    assert failed.reply.startswith("The model gave no usable answer.")


def test_decide_changes_nothing_it_was_given() -> None:
    verdict = CommandVerdict(_facts("gen-tests", written=OTHER))
    before = copy.deepcopy(verdict)
    _decide(verdict)
    assert verdict == before


def test_the_ask_step_asks_nothing_before_reviews_facts_were_read() -> None:
    # the model is never reached: with no facts of the review there is nothing to ask about
    assert _facts("ask").review is None
    untouched = cast(ModelClient, object())  # any call on it would raise
    assert ask(untouched, _facts("ask"), str, print) is None
