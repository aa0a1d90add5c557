"""``describe``: what a pull request changes and why, written into its body.

Two ways in, one implementation:

- ``cicd-agent review --describe`` (input ``describe``, setting ``review: describe:``) writes the
  description on every review run;
- :func:`describe_pull_request` is the entry point for the ``/cicd-agent describe`` command
  (:func:`describe_change`, which review offers the command mode, collects the facts and their
  risk first).

What needs no model comes from the diff: the file groups, files, lines and functions it touches
(:mod:`cicd_agent.modes.review.diff_description`); the risk is the review's own (the core's
change risk, :mod:`cicd_agent.risk.service`). A model, when there is one, adds a structured
"what and why" (:class:`~cicd_agent.modes.review.answer.DescriptionAnswer`), redacted and
neutralised like every model text. It has no field for the risk, so it cannot lower or change it.

The description goes into one marked section of the body (:mod:`cicd_agent.analysis.pr_body`
says how the author's text is kept byte for byte, fake markers included). When the body cannot
be edited (a fork's read-only token, no ``pull-requests: write``, a dry run), or when review
runs with ``describe-in: comment``, review puts it into its summary comment instead, and the
command's caller answers with it in the thread.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from string import Template
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import ModelError
from cicd_agent.actions.markdown import posted, with_hidden
from cicd_agent.analysis.file_names import escaped
from cicd_agent.job.change_reader import ChangeReading, DescribeOutcome, ReadsChanges
from cicd_agent.model.prompts import UNTRUSTED_RULES, fence, template
from cicd_agent.modes.review.checkers import lint
from cicd_agent.modes.review.collect import collect
from cicd_agent.modes.review.decide import analyse
from cicd_agent.modes.review.diff_description import (
    GROUP_TITLES,
    ChangeFacts,
    ModelText,
    describe_diff,
    render,
)
from cicd_agent.modes.review.ledger import Ledger, parse, strip
from cicd_agent.modes.review.prompt import pull_fields
from cicd_agent.modes.review.publish import write_to_body
from cicd_agent.modes.review.result import SUMMARY_KEY, fitted
from cicd_agent.modes.review.risk import assess

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import Diff
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.job.context import RunContext
    from cicd_agent.model.client import ModelClient
    from cicd_agent.modes.review.answer import DescriptionAnswer
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.modes.review.types import ReviewFacts

DESCRIBE_TOKENS = 24_000
"""Prompt tokens for the description call at most; the diff is cut to fit."""
WHAT_LIMIT = 800
WHY_LIMIT = 500
NOTE_LIMIT = 400
"""Characters kept of the model's what, why and each group note."""


def model_text(
    answer: DescriptionAnswer,
    groups: Collection[str],
    redact: Callable[[str], str],
    *,
    links: tuple[str, ...] = (),
) -> ModelText:
    """The answer made safe to post: redacted, neutralised, one paragraph each, bounded; notes
    only for groups the change has (named by their key or their title)."""

    def clean(text: str, limit: int) -> str:
        return fitted(redact(text), limit, one_line=True, links=links)

    by_title = {GROUP_TITLES[name].lower(): name for name in groups}
    notes: dict[str, str] = {}
    for item in answer.groups:
        key = item.group.strip()
        name = key if key in groups else by_title.get(key.lower())
        if name and item.summary.strip() and name not in notes:
            notes[name] = clean(item.summary, NOTE_LIMIT)
    return ModelText(clean(answer.what, WHAT_LIMIT), clean(answer.why, WHY_LIMIT), notes)


def ask_about(
    model: ModelClient | None,
    facts: ReviewFacts,
    change: ChangeFacts,
    *,
    redact: Callable[[str], str],
    links: tuple[str, ...],
    note: Callable[[str], None],
) -> ModelText | None:
    """The model's what and why of what review collected (``change``: its diff's facts), or
    None without a model or when its call fails (the deterministic description then stands,
    with a note); ``redact`` and ``links`` are the run's."""
    if model is None:
        return None
    # The answer's schema is a pydantic model: loaded only when a model is asked.
    from cicd_agent.modes.review.answer import DescriptionAnswer

    counter = model.counter("model")
    system = Template(template("describe_system")).substitute(untrusted_rules=UNTRUSTED_RULES)
    fields = {
        **pull_fields(facts, redact, counter.truncate),
        "groups": fence("changed files", _group_listing(change)),
    }
    fixed = counter.count(system) + counter.count(
        Template(template("describe_user")).substitute(fields, diff="")
    )
    room = min(model.prompt_budget("model"), DESCRIBE_TOKENS) - fixed - 200
    diff_text = counter.truncate(redact(_diff_text(facts.diff, facts.left_out)), max(room, 0))
    user = Template(template("describe_user")).substitute(fields, diff=fence("diff", diff_text))
    try:
        answer = model.ask(DescriptionAnswer, system=system, user=user, temperature=0.1)
    except ModelError as exc:
        note(
            f"The model could not describe the change ({exc.message}); "
            "the description is from the diff alone."
        )
        return None
    return model_text(answer, change.group_names, redact, links=links)


def _group_listing(facts: ChangeFacts) -> str:
    lines = []
    for group in facts.groups:
        lines.append(f"{group.name}:")
        for change in group.files[:40]:
            functions = f" [{', '.join(change.functions)}]" if change.functions else ""
            lines.append(
                f"  {escaped(change.path)} ({change.status}, +{change.added} -{change.removed})"
                + functions
            )
    return "\n".join(lines) or "(none)"


def _diff_text(diff: Diff, left_out: Collection[str]) -> str:
    """The changed lines of the files worth reading (not binary, lockfile, generated or left
    out), in git's order."""
    parts: list[str] = []
    for changed in diff.files:
        if changed.listed_only or changed.path in left_out:
            continue
        parts.append(f"### {escaped(changed.path)}")
        for hunk in changed.hunks:
            parts.append(f"@@ {hunk.section}".rstrip())
            parts += [f"{line.kind}{line.text}" for line in hunk.lines]
    return "\n".join(parts)


def describe_pull_request(
    ctx: RunContext[object],
    pull: PullRequestInfo,
    facts: ReviewFacts,
    *,
    review_run: RunContext[object] | None = None,
) -> DescribeOutcome:
    """Describe ``pull`` and write it into its body: the entry point of ``/cicd-agent describe``.

    ``facts`` is review's collect step for ``pull`` at its head (``command.dispatch``): the
    same diff, ``paths``/``paths-ignore`` and risk a review reports. The digest of the placed
    section is recorded in review's summary comment, so review and the command replace each
    other's section and nothing else.

    Returns where the description went; with ``written_to == "none"`` (a fork, a dry run, no
    token, or no permission to edit the body: ``reason``), the caller posts ``markdown``
    itself, e.g. as its answer in the thread.

    ``review_run``: review's own run for ``pull`` when a command describes (its options as
    review's settings resolve them): its model describes the change and its dry run keeps the
    body as it is; ``ctx`` when None.
    """
    review = review_run or ctx
    change = describe_diff(facts.diff, facts.left_out)
    asked = ask_about(
        review.model,
        facts,
        change,
        redact=review.redactor.redact,
        links=review.own_links,
        note=review.note,
    )
    markdown = render(
        change, risk_level=facts.risk_level, risk_reasons=facts.risk_reasons, model=asked
    )
    client = ctx.github
    reason = _cannot_edit(review, client)
    if reason or client is None:
        return DescribeOutcome(markdown, "none", reason)
    summary = client.find_issue_comment(pull.number, SUMMARY_KEY)
    body = summary.body if summary else ""
    ledger = parse(body)
    shown = posted(markdown, allowed_links=ctx.own_links)
    outcome = write_to_body(client, pull.number, shown, [ledger.described])
    if outcome.written_to == "body":
        # The digest goes into review's summary comment as this run listed it: only its hidden
        # ledger changes; a pull request with no review yet gets a short summary comment that
        # the first review replaces.
        text = (
            strip(body)
            if body
            else "### cicd-agent review\n\nNo review has run on this pull request yet; "
            "its description was written by `/cicd-agent describe`."
        )
        updated = Ledger(ledger.heads, ledger.findings, outcome.digest)
        hidden = updated.render().splitlines()
        comment = with_hidden(posted(text, allowed_links=ctx.own_links), *hidden)
        client.upsert_issue_comment(pull.number, SUMMARY_KEY, comment, found=summary)
    return outcome


def _cannot_edit(ctx: RunContext[object], client: GitHubClient | None) -> str:
    """Why the body is left as it is ("" when it may be edited). A fork's body is its
    author's, whatever token this run holds: GitHub's answer says so (:attr:`RunContext.trust`),
    not the event."""
    if ctx.options.dry_run:
        return "dry run: nothing was written"
    if client is None:
        return "no GitHub token"
    if ctx.trust.is_fork:
        return "the pull request comes from a fork (per GitHub): its body is left to its author"
    return ""


def read_change(run: RunContext[ReviewOptions]) -> ChangeReading:
    """The change at ``run``'s head and the deterministic findings on it, without what earlier
    reviews left (a question is about the diff, not about what was posted before)."""
    linted = assess(run, lint(run, collect(run, history=False), linters=False))
    facts = linted.facts
    verdict = analyse(linted, describe=run.mode_options.describe)
    return ChangeReading(
        diff=facts.diff,
        shown_diff=facts.review_diff,
        title=facts.title,
        body=facts.body,
        risk_level=facts.risk_level,
        risk_reasons=tuple(facts.risk_reasons),
        findings=tuple(verdict.findings),
    )


def describe_change(
    ctx: RunContext[object], pull: PullRequestInfo, run: RunContext[ReviewOptions]
) -> DescribeOutcome:
    """Review's describe step for ``pull``, asked in review's ``run``, written by ``ctx``."""
    linted = assess(run, lint(run, collect(run, history=False), linters=False))
    return describe_pull_request(ctx, pull, linted.facts, review_run=run)


class ChangeReader:
    """Review's reading of a change, offered to other modes (a
    :class:`~cicd_agent.job.change_reader.ReadsChanges`): review's plugin names :data:`READER`."""

    read_change = staticmethod(read_change)
    describe_change = staticmethod(describe_change)


READER: ReadsChanges = ChangeReader()
