"""The two sides' outcomes made into the verdict: pair the cases, test the differences, apply
the hard rules (min-pass-rate, must-pass), and keep the rows a reader checks."""

from __future__ import annotations

from collections.abc import Sequence

from cicd_agent.modes.eval.judge import Outcome, pair
from cicd_agent.modes.eval.result import CaseRow, EvalResult
from cicd_agent.modes.eval.stats import REGRESSED, Limits, decide, paired, points


def row(base: Outcome, head: Outcome) -> CaseRow:
    file, line = head.where
    errors = [f"base: {e}" for e in base.errors] + [f"head: {e}" for e in head.errors]
    return CaseRow(id=head.key, base_rate=base.rate, head_rate=head.rate, file=file, line=line,
                   error="; ".join(errors))  # fmt: skip


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


def analyse(
    base: Sequence[Outcome],
    head: Sequence[Outcome],
    limits: Limits,
    *,
    must_pass: Sequence[str] = (),
    stopped: str = "",
    unanswered: tuple[int, int] = (0, 0),
    repeats: int,
) -> EvalResult:
    """The verdict on the paired cases. Requests that got no answer count as failed samples
    (so the head cannot hide a case by breaking it), but a run with any of them is never
    ``passed``, and one with no answer at all is the model server's failure, not a verdict."""
    pairs = pair(base, head)
    rows = [row(b, h) for b, h in pairs.both]
    binary = all(len(b.passes) == 1 and len(h.passes) == 1 for b, h in pairs.both)
    comparison = paired([b.rate for b, _ in pairs.both], [h.rate for _, h in pairs.both],
                        binary=binary)  # fmt: skip
    missing, asked = unanswered
    unsure = f"{missing} of {asked} model requests got no answer (see the cases' notes)"
    verdict = decide(comparison, limits, failed_must_pass=must_pass_failures(head, must_pass),
                     stopped=stopped, unsure=unsure if missing else "")  # fmt: skip
    worse = [r for r in rows if r.delta < 0]
    headline = {
        "regressed": "The head regressed",
        "insufficient": "Too little evidence to pass",
        "passed": "No regression shown",
    }[verdict.verdict]
    return EvalResult(
        headline=f"{headline}: pass rate {comparison.base_rate:.1%} → {comparison.head_rate:.1%} "
        f"({points(comparison.delta)}, 95 % interval {points(comparison.low)} to "
        f"{points(comparison.high)}) over {comparison.cases} cases.",
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
        repeats=repeats,
        regressed_cases=worse if verdict.verdict == REGRESSED else [],
        rows=rows,
        base_only=list(pairs.base_only),
        head_only=list(pairs.head_only),
        service_failure=(
            f"The model server answered none of the {asked} requests."
            if asked and missing == asked
            else None
        ),
    )
