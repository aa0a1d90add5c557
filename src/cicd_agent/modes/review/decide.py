"""review's pure steps: ``analyse`` makes the deterministic verdict, which no model answer can
lower; ``decide`` merges the model's answer with it, under guardrails.

``analyse``: every deterministic finding over the whole pull request (secrets, the workflow
audit and the repository's own linters, both run by the checkers, :func:`.checkers.lint`: they
start processes), kept where the repository's path settings leave a file in (secrets
everywhere), and the diff's facts for ``describe``, read once for the model's prompt and for
the description.

``decide`` is pure over its inputs: the verdict (which holds the collected facts), the model's
opinion and the run's :class:`~cicd_agent.modes.review.types.Rules` (options, redaction,
links). Neither step reads git, GitHub or the context, nor starts a process; what a reader must
be told comes back as notes.

The model's findings are accepted only on files it was shown (an answer naming files that do
not exist adds nothing) and on lines its files have, its text is redacted again (a model may
echo a secret it inferred), and its verdict is advice:

- a finding at or above ``fail-on`` — deterministic or the model's own — makes the decision
  ``request_changes`` when that is allowed, else ``comment``; no model text can lower it;
- ``approve`` needs everything at once: every call answered ``approve``, every reviewable line
  was shown, no deterministic finding of any severity, no model finding above ``low``, and a
  deterministic risk of the change at most ``medium`` (a model cannot vouch for a migration or
  an authentication rewrite it was told is safe). Anything less is ``comment``. A PR body that
  talks a model into approving therefore cannot approve past a deterministic finding or risk.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import neutralise
from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.findings import (
    fingerprint_findings,
    line_source,
    sort_findings,
)
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.analysis.severity import Severity, parse_severity
from cicd_agent.analysis.unified_diff import git_lines
from cicd_agent.modes.review.diff_description import describe_diff, render
from cicd_agent.modes.review.ledger import Known
from cicd_agent.modes.review.placement import place
from cicd_agent.modes.review.result import (
    SUMMARY_LIMIT,
    FailOn,
    FileNote,
    ReviewDecision,
    ReviewResult,
    blocking,
    does_not_build,
    fitted,
)
from cicd_agent.modes.review.types import (
    AuditedWorkflows,
    LintedFacts,
    Merged,
    ReviewVerdict,
    SuggestionChecks,
    key_of,
)

if TYPE_CHECKING:
    from cicd_agent.analysis.workflows.ignores import HonouredIgnore
    from cicd_agent.modes.review.answer import ModelVerdict, ReviewAnswer
    from cicd_agent.modes.review.types import (
        HandoffFacts,
        ReviewFacts,
        ReviewOpinion,
        Rules,
    )


def audit(after_lint: LintedFacts) -> tuple[list[Finding], list[HonouredIgnore]]:
    """The deterministic findings this run keeps, most severe first, and the workflow
    findings an ignore comment left out: ``diff``'s own, with what the checkers found."""
    facts = after_lint.facts
    kept = [*facts.diff_findings, *after_lint.workflows.findings, *after_lint.linted]
    return sort_findings(f for f in kept if facts.keeps(f)), after_lint.workflows.ignored


def analyse(after_lint: LintedFacts, *, describe: bool) -> ReviewVerdict:
    """The verdict of a review; ``describe`` also reads the diff's facts for the description."""
    facts = after_lint.facts
    found, ignored = audit(after_lint)
    return ReviewVerdict(
        facts,
        found,
        [i for i in ignored if i.path not in facts.left_out],
        describe_diff(facts.diff, facts.left_out) if describe else None,
        after_lint.workflows.tools,
        after_lint.linters,
    )


def analyse_handoff(facts: HandoffFacts) -> ReviewVerdict:
    """The hand-off phase's deterministic verdict: the checks run again on the pull request's own
    diff, with the result file's claims joined to what they found. Its facts come from the API
    (no checkout, no workflow texts read), so no checker has anything to run on."""
    found, _ = audit(LintedFacts(facts.review, AuditedWorkflows([], [])))
    return ReviewVerdict(facts.review, facts.with_claims(found))


def _built_risk(
    level: str, reasons: Sequence[str], findings: Sequence[Finding]
) -> tuple[RiskLevel, list[str], str | None]:
    """The change's risk, at least high when it does not build, since it cannot ship as it is.
    The third value is the level the scorer gave (the core's change risk, which builds nothing)
    when this raised it, else None."""
    risk = RiskLevel(level)
    broken = sum(does_not_build(f) for f in findings)
    if not broken:
        return risk, list(reasons), None
    said = (
        f"The change does not build ({broken} build error(s) it makes): at least "
        "high risk, since it cannot ship as it is."
    )
    if risk.rank >= RiskLevel.HIGH.rank:  # said still: a secret's critical does not hide it
        return risk, [said, *reasons], None
    return RiskLevel.HIGH, [said, *reasons], risk.value


def proposed(merged: Merged, rules: Rules) -> list[Finding]:
    """The findings with a suggestion :func:`decide` would report, most severe first: what the
    suggestion check is asked about before ``decide`` runs."""
    return [
        f
        for f in sort_findings(merged.findings)
        if f.suggestion is not None and f.severity >= rules.report_on
    ]


def decide(
    verdict: ReviewVerdict,
    opinion: ReviewOpinion | None,
    rules: Rules,
    merged: Merged,
    checks: SuggestionChecks | None = None,
) -> ReviewResult:
    """The review's result from the deterministic verdict and the model's opinion (None
    without a model); ``merged``: their findings as :func:`with_model_findings` merged them, once
    a run, for the check too; ``checks``: the judge's word on the suggestions (one without it
    loses its block)."""
    facts = verdict.facts
    review = opinion.review if opinion else None
    found, notes = keep_held_suggestions(merged.findings, checks or SuggestionChecks())
    if merged.dropped:
        notes.append(
            f"{merged.dropped} model finding(s) named files or lines not in the diff and were "
            "dropped."
        )
    line_text = line_source(facts.diff, review.texts if review else {})
    findings = sort_findings(fingerprint_findings(found, line_text, rules.redact))
    answers = review.answers if review else []
    risk, risk_reasons, scored = _built_risk(facts.risk_level, facts.risk_reasons, findings)
    decision = gate(
        findings,
        verdicts=[a.verdict for a in answers],
        complete=review is not None and review.complete,
        fail_on=rules.fail_on,
        request_changes=rules.request_changes,
        risk=risk,
    )
    reported = [f for f in findings if f.severity >= rules.report_on]
    tracking = track(
        reported,
        facts.plan.previous.findings,
        facts.plan.dismissed,
        model_saw_everything=review is not None
        and review.complete
        and facts.incremental_from is None,
    )
    postable = [f for f in tracking.postable if new_in(f, facts)]
    placement = place(postable[: rules.max_findings], facts.diff, rules.link)
    if placement.moved:
        notes.append(
            f"{placement.moved} comment(s) pointed just outside the diff and were moved "
            "to the nearest changed line."
        )
    result = ReviewResult(
        mode="review",
        headline="",
        decision=decision,
        risk_level=risk.value,
        risk_reasons=risk_reasons,
        risk_scored=scored,
        summary=_summary(facts, findings, answers, rules),
        report_on=rules.report_on.label,
        fail_on=str(rules.fail_on) if rules.fail_on else None,
        findings=findings,
        ignored=list(verdict.ignored),
        comments=list(placement.inline),
        body_items=[item.text for item in placement.body],
        not_posted=max(len(postable) - rules.max_findings, 0),
        not_reviewed=review.not_reviewed() if review else [],
        listed_only=[
            FileNote(path=f.path, reason=f.kind_note)
            for f in facts.review_diff.files
            if f.listed_only
        ],
        files_changed=len(facts.diff.files),
        reviewed_files=len(review.shown) if review else 0,
        model_calls=len(review.packing.parts) if review else 0,
        base=facts.diff.base,
        head=facts.diff.head,
        incremental_from=facts.incremental_from,
        pull_request=facts.plan.number,
        sarif_file=rules.sarif_file,
        findings_new=tracking.new,
        findings_open=tracking.still_open,
        findings_resolved=tracking.resolved,
        findings_dismissed=tracking.dismissed,
        earlier_review=facts.plan.summary is not None,
        fingerprints={
            **tracking.carried,
            **{f.fingerprint: "d" if f.source == "deterministic" else "m" for f in reported},
        },
        # none when this head was reviewed before: no second review goes out
        posted_fingerprints=(
            [] if rules.posts and facts.plan.already_reviewed else list(placement.posted)
        ),
        tools=list(verdict.tools),  # zizmor's, when the checkers started it
    )
    if verdict.change is not None:
        description = opinion.description if opinion else None
        result.description = render(
            verdict.change, risk_level=risk.value, risk_reasons=risk_reasons, model=description
        )
        result.description_in = rules.describe_in if rules.posts else ""
    result.headline = result.make_headline()
    result.notes = notes
    return result


def keep_held_suggestions(
    found: Sequence[Finding], checks: SuggestionChecks
) -> tuple[list[Finding], list[str]]:
    """``found`` with each suggestion the judge held labelled with what it was checked
    against, every other suggestion dropped (the finding stays); and the summary's notes."""
    kept: list[Finding] = []
    held, withheld, unchecked = 0, 0, 0
    broke: list[str] = []
    for finding in found:
        word = checks.verdicts.get(key_of(finding)) if finding.suggestion is not None else None
        if word is not None and word.held:
            held += 1
            kept.append(replace(finding, checked=word.said))
            continue
        if finding.suggestion is None:
            kept.append(finding)
            continue
        withheld += word is not None and not word.unchecked
        unchecked += word is None or word.unchecked
        broke += word.broke if word is not None else ()
        kept.append(replace(finding, suggestion=None))
    notes = []
    if held or withheld:
        named = list(dict.fromkeys(broke))  # a test file can hold thousands, named as it likes
        more = f" and {len(named) - 5} more" if len(named) > 5 else ""
        why = f": they broke {', '.join(map(name_span, named[:5]))}{more}" if named else ""
        notes.append(
            f"{held + withheld} suggestion(s) checked in the sandbox, {withheld} withheld{why}."
        )
    if unchecked:
        why = f" ({checks.why_unchecked})" if checks.why_unchecked else ""
        notes.append(
            f"{unchecked} suggestion(s) left unchecked{why} (the check's cap or time "
            "budget, no result from their tests, or a text the post would change), so "
            "posted without their block."
        )
    return kept, notes


def with_model_findings(
    verdict: ReviewVerdict, opinion: ReviewOpinion | None, rules: Rules
) -> Merged:
    """The verdict's findings merged with the opinion's (:class:`.types.Merged`)."""
    review = opinion.review if opinion else None
    if review is None:
        return Merged(tuple(verdict.findings))
    extra, dropped = model_findings(review.answers, review.shown, rules.redact, links=rules.links)
    # A line past the end of its file at head was invented: a finding there must neither be
    # linked nor count towards ``fail-on``.
    lengths = {path: len(git_lines(text)) for path, text in review.texts.items()}
    kept = [f for f in extra if f.line is None or f.line <= lengths.get(f.path, f.line)]
    return Merged((*verdict.findings, *kept), dropped + len(extra) - len(kept))


def _summary(
    facts: ReviewFacts, findings: Sequence[Finding], answers: Sequence[ReviewAnswer], rules: Rules
) -> str:
    if answers:
        return merged_summary(answers, rules.redact, links=rules.links)
    if rules.summary is not None:
        return rules.summary
    diff = facts.diff
    deterministic = [f for f in findings if f.source == "deterministic"]
    # the headline counts what is reported: one below report-on is said as such, not counted in
    below = sum(1 for f in deterministic if f.severity < rules.report_on)
    unlisted = f" ({below} below {rules.report_on.label}, not listed)" if below else ""
    return (
        f"{len(diff.files)} file(s) changed (+{diff.added} −{diff.removed}); "
        f"{len(deterministic)} finding(s) from the deterministic checks{unlisted}; "
        "no model review."
    )


def new_in(finding: Finding, facts: ReviewFacts) -> bool:
    """Whether a finding is about what this run reviews (all of it, or the new commits)."""
    if facts.incremental_from is None or finding.source == "model":
        return True
    changed = facts.review_diff.file(finding.path)
    if changed is None:
        return False
    return finding.line is None or changed.hunk_at(finding.line) is not None


def model_findings(
    answers: Sequence[ReviewAnswer],
    shown: Collection[str],
    redact: Callable[[str], str],
    *,
    links: tuple[str, ...] = (),
) -> tuple[list[Finding], int]:
    """The answers' findings on files the model was shown, redacted and neutralised (no
    mentions, HTML or links outside ``links``); and how many were dropped."""
    kept: list[Finding] = []
    dropped = 0
    for answer in answers:
        for item in answer.findings:
            if item.path not in shown or item.line < 1:
                dropped += 1
                continue
            start = item.start_line if item.start_line and 0 < item.start_line < item.line else None
            replacement = redact(item.replacement) if item.replacement else None
            kept.append(
                Finding(
                    rule=f"model-{item.category}",
                    severity=parse_severity(item.severity),
                    category=item.category,
                    path=item.path,
                    line=item.line,
                    start_line=start,
                    # one line: a line break in a title ends the summary's table row
                    title=neutralise(
                        " ".join(redact(item.title).split())[:200], allowed_links=links
                    )
                    or "Problem found by the model",
                    body=neutralise(redact(item.body.strip())[:4000], allowed_links=links),
                    suggestion=replacement,
                    confidence=min(max(item.confidence, 0.0), 1.0),
                    source="model",
                )
            )
    return kept, dropped


def merged_summary(
    answers: Sequence[ReviewAnswer], redact: Callable[[str], str], *, links: tuple[str, ...] = ()
) -> str:
    """One paragraph from the calls' summaries, redacted, neutralised and bounded."""
    text = " ".join(redact(a.summary) for a in answers)
    return fitted(text, SUMMARY_LIMIT, one_line=True, links=links)


def gate(
    findings: Sequence[Finding],
    *,
    verdicts: Sequence[ModelVerdict],
    complete: bool,
    fail_on: FailOn,
    request_changes: bool,
    risk: RiskLevel,
) -> ReviewDecision:
    """The review decision. ``verdicts`` are the model's (empty without a model); ``complete``
    says every reviewable line was shown to it; ``risk`` is the change's deterministic risk."""
    if blocking(findings, fail_on):
        return "request_changes" if request_changes else "comment"
    model_approves = bool(verdicts) and all(v == "approve" for v in verdicts)
    clean = not any(f.source == "deterministic" or f.severity > Severity.LOW for f in findings)
    vouchable = risk.rank <= RiskLevel.MEDIUM.rank
    if model_approves and complete and clean and vouchable:
        return "approve"
    return "comment"


@dataclass(frozen=True)
class Tracking:
    """Reported findings against what the last run reported (by fingerprint)."""

    postable: list[Finding]
    """Reported findings to post: not posted before and not dismissed."""
    new: int
    still_open: int
    resolved: int
    dismissed: int
    carried: dict[str, str]
    """Earlier model findings this run could not judge (fingerprint → source ``m``): the model
    did not look at the whole pull request, so their absence proves nothing; kept as open."""


def track(
    reported: Sequence[Finding],
    previous: Mapping[str, Known],
    dismissed: Collection[str],
    *,
    model_saw_everything: bool,
) -> Tracking:
    """Which findings are new, still open, resolved or dismissed; and which to post.

    A finding already posted is not posted again, nor is one whose comment a writer dismissed.
    A finding the last run reported and this one does not is resolved, except a model finding
    when the model did not see the whole pull request this time (an incremental review, a
    failed call, no model): that one is carried, neither resolved nor re-posted.
    """
    current = {f.fingerprint for f in reported}
    carried = {
        fp: "m"
        for fp, known in previous.items()
        if fp not in current and known.source == "m" and not model_saw_everything
    }
    resolved = sum(1 for fp in previous if fp not in current and fp not in carried)
    posted = {fp for fp, known in previous.items() if known.posted}
    return Tracking(
        postable=[
            f for f in reported if f.fingerprint not in posted and f.fingerprint not in dismissed
        ],
        new=sum(1 for f in reported if f.fingerprint not in previous),
        still_open=sum(1 for f in reported if f.fingerprint in previous),
        resolved=resolved,
        dismissed=sum(1 for f in reported if f.fingerprint in dismissed),
        carried=carried,
    )
