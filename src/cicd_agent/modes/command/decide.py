"""Decide: the command's result from its plan and, for ``ask``, the model's answer.

What to do with a comment is :mod:`plan` (pure, read by ``collect`` before anything is
fetched); this step words the outcome. The model's words pass through
:func:`cicd_agent.runner.markdown.neutralise` before they can reach a reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.modes.command.result import CommandResult
from cicd_agent.runner.markdown import neutralise

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.command.collect import CommandFacts
    from cicd_agent.modes.command.options import CommandOptions
    from cicd_agent.modes.command.prompt import AskAnswer


def decide(
    ctx: RunContext[CommandOptions], facts: CommandFacts, opinion: AskAnswer | None
) -> CommandResult:
    """The result the plan earns: its status, headline and reply (``ask``'s from the model's
    answer or the floor). A command that runs a mode gets its reply once the mode ran."""
    chosen = facts.plan
    result = CommandResult(
        mode="command",
        headline="",
        command=chosen.command,
        reason=chosen.reason,
        pull_request=facts.number,
        head_sha=facts.pull.head_sha if facts.pull else "",
        reacted=facts.reacted,
        thread=_thread_id(facts),
    )
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
        result.reply = reply_text(ctx, facts, opinion)
        result.headline = f"Answered a question about #{facts.number} at {result.head_sha[:12]}."
    else:
        result.status = "ran"
        result.headline = (
            f"Running `{chosen.command}` on #{facts.number} at {result.head_sha[:12]}."
        )
    return result


def reply_text(
    ctx: RunContext[CommandOptions], facts: CommandFacts, opinion: AskAnswer | None
) -> str:
    """The reply: the model's answer made inert, or why there is none and the floor."""
    if opinion is not None:
        answer = neutralise(
            ctx.redactor.redact(opinion.answer.strip()), allowed_links=ctx.own_links
        )
        caveat = "" if opinion.grounded else "\n\n_The diff does not settle this; check by hand._"
        return answer + caveat
    if ctx.model is None:
        lead = (
            "Answering questions needs a model: set the `openai-api-key` input (or `provider` "
            "and `base-url` for another OpenAI-compatible endpoint)."
        )
    else:
        lead = "The model gave no usable answer."
    return f"{lead}\n\n{facts.floor_answer}"


def _thread_id(facts: CommandFacts) -> int | None:
    """The review thread a reply goes to: the thread's first comment (GitHub refuses a reply
    to a reply), else the line comment itself; None in the conversation."""
    if facts.kind != "review":
        return None
    return facts.comment.in_reply_to_id or facts.comment.id
