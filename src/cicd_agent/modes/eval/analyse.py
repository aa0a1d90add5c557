"""The two sides' outcomes made into the verdict (analyse: pair the cases, test the
differences, apply the hard rules, min-pass-rate and must-pass) and the result (decide: the
figures and the rows a reader checks)."""

from __future__ import annotations

from collections.abc import Sequence

from cicd_agent.modes.eval.judge import Outcome, pair
from cicd_agent.modes.eval.result import CaseRow, EvalResult
from cicd_agent.modes.eval.stats import REGRESSED, Limits, paired, points
from cicd_agent.modes.eval.stats import decide as decide_verdict
from cicd_agent.modes.eval.types import Judged, Sides


def row(base: Outcome, head: Outcome) -> CaseRow:
    file, line = head.where
    errors = [f"base: {e}" for e in base.errors] + [f"head: {e}" for e in head.errors]
    return CaseRow(
        id=head.key,
        base_rate=base.rate,
        head_rate=head.rate,
        file=file,
        line=line,
        error="; ".join(errors),
    )


def must_pass_failures(head: Sequence[Outcome], names: Sequence[str]) -> list[str]:
    """Each must-pass case (a test's description, every prompt and provider of it) that failed a
    sample on the head, or is not in the head at all (removing it is no way past the rule)."""
    failed = []
    for name in names:
        mine = [item for item in head if item.key == name or item.key.startswith(f"{name} · ")]
        if not mine:
            failed.append(f"{name} (not in the head)")
        elif not all(all(item.passes) for item in mine):
            failed.append(name)
    return failed


def analyse(sides: Sides, limits: Limits, must_pass: Sequence[str]) -> Judged:
    """The verdict on the paired cases. Requests that got no answer count as failed samples
    (so the head cannot hide a case by breaking it), but a run with any of them is never
    ``passed``."""
    pairs = pair(sides.base, sides.heads)
    binary = all(len(b.passes) == 1 and len(h.passes) == 1 for b, h in pairs.both)
    comparison = paired(
        [b.rate for b, _ in pairs.both], [h.rate for _, h in pairs.both], binary=binary
    )
    failed = tuple(must_pass_failures(sides.heads, must_pass))
    unsure = (
        f"{sides.unanswered} of {sides.asked} model requests got no answer (see the cases' notes)"
        if sides.unanswered
        else ""
    )
    verdict = decide_verdict(
        comparison, limits, failed_must_pass=failed, stopped=sides.stopped, unsure=unsure
    )
    return Judged(pairs, comparison, verdict, failed)


HEADLINES = {
    "regressed": "The head regressed",
    "insufficient": "Too little evidence to pass",
    "passed": "No regression shown",
}


def decide(judged: Judged, sides: Sides, *, cost: float) -> EvalResult:
    """The result every rendering shows: the figures, the per-case rows, the regressed cases
    (those that got worse, when the verdict is regressed), and a model server that answered
    nothing as the run's failure rather than a verdict."""
    comparison, verdict = judged.comparison, judged.verdict
    rows = [row(b, h) for b, h in judged.pairs.both]
    silent = sides.asked > 0 and sides.unanswered == sides.asked
    return EvalResult(
        headline=f"{HEADLINES[verdict.verdict]}: pass rate {comparison.base_rate:.1%} → "
        f"{comparison.head_rate:.1%} ({points(comparison.delta)}, 95 % interval "
        f"{points(comparison.low)} to {points(comparison.high)}) over {comparison.cases} cases.",
        notes=list(sides.notes),
        head=sides.head,
        source=sides.source,
        verdict=verdict.verdict,
        reasons=list(verdict.reasons),
        pass_rate_base=comparison.base_rate,
        pass_rate_head=comparison.head_rate,
        delta=comparison.delta,
        ci95=(comparison.low, comparison.high),
        p_value=comparison.p_value,
        test=comparison.test,
        mde80=comparison.mde80,
        cases=comparison.cases,
        repeats=max((len(item.passes) for item in (*sides.base, *sides.heads)), default=0),
        regressed_cases=[r for r in rows if r.delta < 0] if verdict.verdict == REGRESSED else [],
        rows=rows,
        base_only=list(judged.pairs.base_only),
        head_only=list(judged.pairs.head_only),
        cost=cost,
        service_failure=(
            f"The model server answered none of the {sides.asked} requests." if silent else None
        ),
    )
