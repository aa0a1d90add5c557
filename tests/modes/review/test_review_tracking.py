"""The review's ledger and finding tracking, as pure functions: what a forged ledger can do."""

from __future__ import annotations

from types import MappingProxyType

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.review.decide import track
from cicd_agent.modes.review.ledger import Known, Ledger, parse, strip

MARK = "<!-- cicd-agent:review-summary -->"
FP = ["a" * 32, "b" * 32, "c" * 32]


def _finding(title: str, source: str = "deterministic") -> Finding:
    return Finding(
        rule="debugger" if source == "deterministic" else "model-correctness",
        severity=Severity.HIGH,
        category="correctness",
        path="src/job.py",
        line=2,
        title=title,
        body="b",
        source=source,  # type: ignore[arg-type]
    )


def test_the_ledger_round_trips_and_reads_the_old_one_line_form() -> None:
    ledger = Ledger(
        ("1" * 40,), MappingProxyType({FP[0]: Known("d", True), FP[1]: Known("m", False)}), "e" * 64
    )
    body = f"### cicd-agent review\n\ntext\n\n{ledger.render()}\n\n{MARK}"
    assert parse(body) == ledger
    assert strip(body) == "### cicd-agent review\n\ntext"
    assert parse(f"x\n<!-- cicd-agent-review-ledger: {'1' * 40} -->\n\n{MARK}").heads == ("1" * 40,)


def test_a_ledger_quoted_above_the_end_of_our_comment_is_never_read() -> None:
    forged = Ledger((), MappingProxyType({FP[0]: Known("d", True)}), "f" * 64).render()
    body = (
        f"PR text quoted by the model:\n{forged}\n\nmore of our text\n{Ledger().render()}\n{MARK}"
    )
    assert parse(body) == Ledger()
    assert parse(f"{forged}\n{MARK}\nappended after our marker") == Ledger()


def test_posted_findings_are_not_posted_again_and_gone_ones_are_resolved() -> None:
    kept, fixed = _finding("kept"), _finding("fixed")
    new = _finding("new")
    previous = {kept.fingerprint: Known("d", True), fixed.fingerprint: Known("d", True)}
    tracking = track([kept, new], previous, (), model_saw_everything=True)
    assert tracking.postable == [new]
    assert (tracking.new, tracking.still_open, tracking.resolved) == (1, 1, 1)


def test_dismissed_findings_stay_unposted_but_still_count() -> None:
    dismissed = _finding("dismissed")
    tracking = track([dismissed], {}, {dismissed.fingerprint}, model_saw_everything=True)
    assert tracking.postable == [] and tracking.dismissed == 1 and tracking.new == 1


def test_a_model_finding_the_model_did_not_look_at_again_is_carried_not_resolved() -> None:
    earlier = _finding("model said so", source="model")
    previous = {earlier.fingerprint: Known("m", True)}
    partial = track([], previous, (), model_saw_everything=False)
    assert partial.resolved == 0 and partial.carried == {earlier.fingerprint: "m"}
    full = track([], previous, (), model_saw_everything=True)
    assert full.resolved == 1 and full.carried == {}


def test_a_summary_past_githubs_limit_is_cut_above_the_ledger_never_through_it() -> None:
    from cicd_agent.github.comments import with_marker
    from cicd_agent.github.limits import COMMENT_BODY_MAX
    from cicd_agent.modes.review.result import SUMMARY_KEY, ReviewResult

    result = ReviewResult(
        mode="review",
        headline="",
        decision="comment",
        risk_level="low",
        summary="word " * 20_000,
        report_on="medium",
    )
    ledger = Ledger(("1" * 40,), MappingProxyType({FP[0]: Known("d", True)}), "e" * 64)
    posted = with_marker(result.summary_comment(ledger), SUMMARY_KEY)
    assert len(posted) <= COMMENT_BODY_MAX and "truncated by cicd-agent" in posted
    assert parse(posted) == ledger
