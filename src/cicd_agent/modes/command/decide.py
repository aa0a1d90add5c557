"""Decide: the command's result from its plan and, for ``ask``, the model's answer.

What to do with a comment is :mod:`plan` (pure, read by ``collect`` before anything is
fetched); this step words the outcome. The model's words pass through
:func:`cicd_agent.actions.markdown.neutralise` before they can reach a reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import Reference, neutralise
from cicd_agent.modes.command.result import CommandResult

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
    answer or the deterministic verdict). A command that runs a mode gets its reply once the mode
    ran. Pure: ``redact`` and ``own_links`` (the one place a link may point) clean the model's
    words, ``offline`` says no model was configured."""
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
        if opinion is None:  # why there is no answer, and the deterministic verdict
            result.reply = f"{_no_answer(facts, offline)}\n\n{verdict.deterministic_answer}"
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
    """Why ``gen-tests``, which runs the pull request's code, is not run ("" to run it): only
    at the code the writer saw (the commit they name, or a line comment's own commit; on a
    fork's pull request one of them is required, since a conversation comment records no
    commit and the fork's author may push between the comment and the job), and only when the
    checkout is that commit."""
    if facts.plan.command != "gen-tests" or facts.pull is None:
        return ""
    head = facts.pull.head_sha
    confirm = f"To run at the head, comment `/cicd-agent gen-tests {head}`."
    named = facts.plan.argument.split()[0] if facts.plan.argument.split() else ""
    if named and not _names_head(named, head, fork=facts.pull.is_fork):
        said = f"`{named}`" if _HEX.fullmatch(named) else "The word after `gen-tests`"
        short = facts.pull.is_fork and _HEX.fullmatch(named) and head.startswith(named.lower())
        why = (
            " (on a fork's pull request name the full commit: its author can prepare a "
            "second commit that shares a short one)"
            if short
            else ""
        )
        return f"{said} is not the pull request's head `{head}`{why}; no test was run. {confirm}"
    written = facts.written_head
    if written and written != head:
        return (
            f"The head moved from `{written[:12]}` to `{head[:12]}` after this comment was "
            f"written; no test was run. {confirm}"
        )
    if facts.pull.is_fork and not named and not written:
        return (
            "This pull request comes from a fork, and a conversation comment does not say "
            f"which of its commits you read; no test was run. Its head is `{head}`. {confirm}"
        )
    if facts.checkout_head != head:
        return (
            f"The checkout is not the pull request's head `{head[:12]}` (it moved after this "
            "job started, or the workflow checks out another commit); no test was run. "
            "Comment again to run on the new head."
        )
    return ""


_HEX = re.compile(r"[0-9a-fA-F]{7,40}")


def _names_head(named: str, head: str, *, fork: bool) -> bool:
    """Whether the commit a writer named is ``head``: the full sha, or on a same-repository
    pull request (whose pushers may all write) a short one of at least 7 characters. A fork's
    author can make two commits share any short prefix a writer would type (a 12-character
    pair is about 2^24 tries), so there only the full sha names one commit."""
    if not _HEX.fullmatch(named):
        return False
    named = named.lower()
    return named == head.lower() if fork else head.lower().startswith(named)


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
