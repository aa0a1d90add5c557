"""The model's review schema, and the guard-railed merge of its answer with the floor.

The model answers in :class:`ReviewAnswer`. Its findings are accepted only on files it was
shown (an answer naming files that do not exist adds nothing), its text is redacted again
(a model may echo a secret it inferred), and its verdict is advice:

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
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.modes.review.ledger import Known
from cicd_agent.runner.markdown import neutralise
from cicd_agent.severity import Severity, parse_severity

Decision = Literal["approve", "comment", "request_changes"]
ModelVerdict = Literal["approve", "comment", "request_changes"]
Category = Literal[
    "security",
    "correctness",
    "reliability",
    "performance",
    "maintainability",
    "testing",
    "other",
]

SUMMARY_LIMIT = 1200
"""Characters of model summary kept (the output ``summary`` is one paragraph)."""


class ModelFinding(BaseModel):
    """One problem as the model reports it (every field required: strict structured output)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    line: int
    start_line: int | None
    severity: Literal["critical", "high", "medium", "low"]
    category: Category
    title: str
    body: str
    replacement: str | None
    confidence: float


class ReviewAnswer(BaseModel):
    """What one review call returns."""

    model_config = ConfigDict(extra="forbid")

    summary: str
    verdict: ModelVerdict
    findings: list[ModelFinding]


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
    text = " ".join(a.summary.strip() for a in answers if a.summary.strip())
    text = " ".join(neutralise(redact(text), allowed_links=links).split())
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def blocking(findings: Sequence[Finding], fail_on: Severity | None) -> list[Finding]:
    """Findings at or above ``fail-on`` (none when it is not set)."""
    if fail_on is None:
        return []
    return [f for f in findings if f.severity >= fail_on]


def decide(
    findings: Sequence[Finding],
    *,
    verdicts: Sequence[ModelVerdict],
    complete: bool,
    fail_on: Severity | None,
    request_changes: bool,
    risk: RiskLevel,
) -> Decision:
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
