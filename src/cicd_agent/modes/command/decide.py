"""Decide: the command's result from its plan and, for ``ask``, the model's answer.

What to do with a comment is :mod:`plan` (pure, read by ``collect`` before anything is
fetched); this step words the outcome. The model's words pass through
:func:`cicd_agent.runner.markdown.neutralise` before they can reach a reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cicd_agent.modes.command.result import CommandResult
from cicd_agent.runner.markdown import Reference, neutralise

if TYPE_CHECKING:
    from cicd_agent.modes.command.types import CommandFacts, CommandOpinion, CommandVerdict


def decide(
    verdict: CommandVerdict,
    opinion: CommandOpinion | None,
    *,
    redact: Callable[[str], str],
    own_links: tuple[str, ...],
    offline: bool,
) -> CommandResult:
    """The result the plan earns: its status, headline and reply (``ask``'s from the model's
    answer or the floor). A command that runs a mode gets its reply once the mode ran. Pure:
    ``redact`` and ``own_links`` (the one place a link may point) clean the model's words,
    ``offline`` says no model was configured."""
    facts = verdict.facts
    chosen = facts.plan
    result = CommandResult(
        mode="command",
        headline="",
        command=chosen.command,
        reason=chosen.reason,
        pull_request=facts.number,
        head_sha=facts.pull.head_sha if facts.pull else "",
        reacted=facts.reacted,
        # The review thread a reply goes to: the thread's first comment (GitHub refuses a
        # reply to a reply), else the line comment itself; None in the conversation.
        thread=(facts.comment.in_reply_to_id or facts.comment.id)
        if facts.kind == "review"
        else None,
    )
    pull = Reference(facts.number) if facts.number else "the pull request"
    if chosen.action == "ignore":
        result.status = "ignored"
        result.headline = f"Nothing to do: {chosen.reason}."
    elif chosen.action == "refuse":
        result.status, result.reply = "refused", chosen.text
        result.headline = f"Refused `{chosen.command}`: its writer has no write access."
    elif chosen.action == "reply":
        result.status, result.reply = "answered", chosen.text
        result.headline = f"Answered `{chosen.command}` without running anything."
    elif chosen.command == "ask":
        result.status = "answered"
        result.headline = f"Answered a question about {pull} at {result.head_sha[:12]}."
        if opinion is None:  # why there is no answer, and the floor
            result.reply = f"{_no_answer(facts, offline)}\n\n{verdict.floor_answer}"
        else:  # the model's answer made inert
            answer = neutralise(redact(opinion.answer.strip()), allowed_links=own_links)
            caveat = (
                "" if opinion.grounded else "\n\n_The diff does not settle this; check by hand._"
            )
            result.reply = answer + caveat
    else:
        result.status = "ran"
        result.headline = f"Running `{chosen.command}` on {pull} at {result.head_sha[:12]}."
        held = _not_at_head(facts)
        if held:
            result.status, result.reply = "answered", held
    return result


def _not_at_head(facts: CommandFacts) -> str:
    """Why ``gen-tests``, which runs the pull request's code, is not run: only the code the
    writer saw when commenting, and only when the checkout is that commit ("" to run it)."""
    if facts.plan.command != "gen-tests" or facts.pull is None:
        return ""
    head = facts.pull.head_sha
    written = facts.written_head
    if written and written != head:
        return (
            f"The head moved from `{written[:12]}` to `{head[:12]}` after this comment was "
            "written; no test was run. Comment again to run on the new head."
        )
    if facts.checkout_head != head:
        return (
            f"The checkout is not the pull request's head `{head[:12]}` (it moved after this "
            "job started, or the workflow checks out another commit); no test was run. "
            "Comment again to run on the new head."
        )
    return ""


def _no_answer(facts: CommandFacts, offline: bool) -> str:
    """Why ``ask`` got no answer from a model."""
    if offline:
        return (
            "Answering questions needs a model: set the `openai-api-key` input (or `provider` "
            "and `base-url` for another OpenAI-compatible endpoint)."
        )
    if facts.review_offline:
        return (
            "The repository's settings keep this change from the model (`review: provider: none`)."
        )
    return "The model gave no usable answer."
