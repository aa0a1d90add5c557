"""command's ask step: a question about the pull request, one model call answering from the
diff, the pull request's text, the findings and, for a reply in a thread, the finding it
replies to (:mod:`.prompt` builds what the model sees)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.analysis.file_names import escaped
from cicd_agent.modes.command.prompt import AskAnswer, build_ask
from cicd_agent.modes.command.types import CommandFacts, CommandOpinion

if TYPE_CHECKING:
    from collections.abc import Callable

    from cicd_agent.model.client import ModelClient


def ask(
    model: ModelClient,
    facts: CommandFacts,
    redact: Callable[[str], str],
    note: Callable[[str], None],
) -> CommandOpinion | None:
    """One structured model call; None when there is nothing to ask about. ``redact`` and
    ``note``: the run's."""
    review = facts.review
    if review is None or facts.pull is None or facts.review_offline:
        return None
    counter = model.counter("model")
    system, user, complete = build_ask(
        question=facts.plan.argument,
        thread=_about(facts),
        title=review.title,
        body=review.body,
        risk=f"{review.risk_level} ({'; '.join(review.risk_reasons[:3]) or 'no notable signal'})",
        findings=facts.findings,
        diff=review.shown_diff,
        head=facts.pull.head_sha,
        count=counter.count,
        truncate=counter.truncate,
        budget=model.prompt_budget("model"),
        redact=redact,
    )
    if not complete:
        note("The diff did not fit in one question's budget; the answer saw part of it.")
    answer = model.ask(AskAnswer, system=system, user=user, tier="model", temperature=0.2)
    return CommandOpinion(answer.answer, answer.grounded)


def _about(facts: CommandFacts) -> str:
    """Our finding the question replies to, with the line it is on; else the line a question
    written on a line of the diff is about, with its hunk."""
    thread, comment = facts.thread, facts.comment
    if thread is not None:
        where = escaped(f"{thread.path}:{thread.line}" if thread.line else thread.path)
        return f"On {where}:\n{thread.body}"
    if facts.kind != "review" or not comment.path:
        return ""
    where = escaped(f"{comment.path}:{comment.line}" if comment.line else comment.path)
    return f"The question is written on {where}:\n{comment.diff_hunk or ''}".rstrip()
