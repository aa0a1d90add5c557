"""``ask``: a question about the pull request, answered from review's own facts.

Review's reading of the change and its deterministic checks run at the pinned head (nothing
of earlier reviews is read, nothing is published); one model call answers from the diff, the
pull request's text, the findings and, for a reply in a thread, the finding it replies to.
Without a model, or when it fails, the reply says what the deterministic review knows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.analysis.file_names import escaped

if TYPE_CHECKING:
    from cicd_agent.context import RunContext
    from cicd_agent.github.threads import ThreadStart
    from cicd_agent.modes.command.mode import CommandFacts
    from cicd_agent.modes.command.prompt import AskAnswer

FINDINGS_SHOWN = 5


def review_facts(ctx: RunContext, facts: CommandFacts) -> None:
    """The change and the deterministic findings at the pinned head, as review sees them (its
    settings from the base commit), for ``ask``. Nothing of earlier reviews is read: an answer
    is about the diff, not about what was posted before."""
    from cicd_agent.modes.command.dispatch import review_change
    from cicd_agent.modes.review.mode import MODE as REVIEW

    assert facts.pull is not None
    run, facts.review = review_change(ctx, facts.pull)
    facts.findings = REVIEW.analyse(run, facts.review).findings


def ask_model(ctx: RunContext, facts: CommandFacts) -> AskAnswer | None:
    """One structured model call; None when there is nothing to ask about."""
    from cicd_agent.modes.command.prompt import AskAnswer, build_ask

    review = facts.review
    if review is None or facts.pull is None:
        return None
    model = ctx.model
    assert model is not None
    counter = model.counter("model")
    system, user, complete = build_ask(
        question=facts.plan.argument,
        thread=_thread_text(facts.thread) or _line_text(facts),
        title=review.title,
        body=review.body,
        risk=f"{review.risk_level} ({'; '.join(review.risk_reasons[:3]) or 'no notable signal'})",
        findings=facts.findings,
        diff=review.review_diff,
        head=facts.pull.head_sha,
        count=counter.count,
        truncate=counter.truncate,
        budget=model.prompt_budget("model"),
        redact=ctx.redactor.redact,
    )
    if not complete:
        ctx.note("The diff did not fit in one question's budget; the answer saw part of it.")
    return model.ask(AskAnswer, system=system, user=user, tier="model", temperature=0.2)


def _thread_text(thread: ThreadStart | None) -> str:
    """Our finding the question replies to, with the line it is on."""
    if thread is None:
        return ""
    where = escaped(f"{thread.path}:{thread.line}" if thread.line else thread.path)
    return f"On {where}:\n{thread.body}"


def _line_text(facts: CommandFacts) -> str:
    """The line a question written on a line of the diff is about, with its hunk."""
    comment = facts.comment
    if facts.kind != "review" or not comment.path:
        return ""
    where = escaped(f"{comment.path}:{comment.line}" if comment.line else comment.path)
    return f"The question is written on {where}:\n{comment.diff_hunk or ''}".rstrip()


def floor_answer(facts: CommandFacts) -> str:
    """What the deterministic review knows, for ``ask`` without a (working) model."""
    from cicd_agent.markdown import code_span, prose
    from cicd_agent.modes.command.prompt import facts_line

    review = facts.review
    assert review is not None
    diff = review.diff
    known = facts_line(len(diff.files), diff.added, diff.removed, review.risk_level)
    lines = [f"What the deterministic review knows: {known}."]
    if facts.findings:
        lines += ["", "Findings of the deterministic checks:", ""]
        for finding in facts.findings[:FINDINGS_SHOWN]:
            where = f"{finding.path}:{finding.line}" if finding.line else finding.path
            lines.append(
                f"- **{finding.severity.label}** · {prose(finding.title)} — {code_span(where)}"
            )
        if len(facts.findings) > FINDINGS_SHOWN:
            lines.append(f"- … and {len(facts.findings) - FINDINGS_SHOWN} more")
    else:
        lines.append("The deterministic checks found nothing.")
    return "\n".join(lines)


def reply_text(ctx: RunContext, facts: CommandFacts, opinion: AskAnswer | None) -> str:
    """The reply: the model's answer made inert, or why there is none and the floor."""
    from cicd_agent.markdown import neutralise

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
