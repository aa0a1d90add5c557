"""Is the canary judge's power statement true? Measured on real series nobody here wrote.

Run from the repository root: ``python -m research.deploy.canary_power --data DIR [--json]
[--split fresh]``,
DIR a checkout of numenta/NAB at commit ea702d7; only the files frozen in
``canary_rollout.freeze`` are read (issue 55's set, frozen before the judge was first scored;
``data/realAWSCloudwatch`` stays held out), split and judged as :mod:`canary_rollout` does
(one call per 72-sample window, blocks of six dealt alternately to the two tracks, up to six
calls a rollout, stopping at the first verdict other than ``continue``).

Per kind, over rollouts: the outcomes with no change (false rollback with its 95 % upper bound,
promoted, ``insufficient``, still undecided), +30 % promoted and detected, and the statement's
accuracy: each rollout's first call says the smallest change its budget detects (``+X %``); the
same rollout is then replayed with ``+X %`` on the canary, and the share rolled back is what
the statement promises to be at least 80 %.

``--split fresh`` reads other rollouts of the same series, for choosing a change without tuning
on the seen ones: each starts midway between two consecutive rollouts of the first split, so no
window of it was judged there (a series whose rollouts are all taken gives none).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
from research.deploy.canary_real import ROLLOUT_CALLS, WINDOW, rollout_starts, rollouts, split
from research.deploy.canary_rollout import kind_of, load_frozen, spec_for


def upper_bound(events: int, trials: int, level: float = 0.95) -> float:
    """The one-sided Clopper-Pearson upper bound of a share seen ``events`` times in ``trials``."""
    from scipy.special import betaincinv  # the beta quantile, without scipy.stats' import

    return 1.0 if events >= trials else float(betaincinv(events + 1, trials - events, level))


def replay(spec: object, calls: list[np.ndarray], effect: float) -> tuple[str, float | None]:
    """One rollout with the canary's half times ``effect``: its last verdict and what its first
    call said it can detect (None: nothing)."""
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds
    from cicd_agent.modes.deploy_gate.canary.judge import judge_canary

    state, said, verdict = None, None, "continue"
    for number, window in enumerate(calls):
        baseline, canary = split(window)
        judged = judge_canary(
            {"metric": baseline}, {"metric": canary * effect}, [spec], CanaryThresholds(),  # type: ignore[list-item]
            state=state,
        )  # fmt: skip
        state, verdict = judged.state, judged.verdict
        power = judged.metrics[0].power
        if number == 0 and power is not None:
            said = power.detectable
        if verdict != "continue":
            break
    return verdict, said


@dataclass
class Tally:
    """Outcomes per effect, and the statement's claims and what came of them."""

    outcomes: dict[str, list[str]] = field(default_factory=dict)
    claims: list[tuple[float, bool]] = field(default_factory=list)

    def add(self, effect: str, verdict: str) -> None:
        self.outcomes.setdefault(effect, []).append(verdict)

    def share(self, effect: str, verdict: str) -> tuple[int, int]:
        seen = self.outcomes.get(effect, [])
        return seen.count(verdict), len(seen)

    def figures(self) -> dict[str, object]:
        rollbacks, rollouts_ = self.share("no change", "rollback")
        detected = [hit for _, hit in self.claims]
        settled = [hit for claim, hit in self.claims if claim <= 0.3]

        def pct(verdict: str, effect: str = "no change") -> str:
            hits, total = self.share(effect, verdict)
            return f"{100 * hits / total:.1f} % ({hits}/{total})" if total else "-"

        return {
            "rollouts": rollouts_,
            "false rollback": pct("rollback"),
            "false rollback, 95 % upper bound": f"{100 * upper_bound(rollbacks, rollouts_):.1f} %",
            "no change promoted": pct("promote"),
            "no change insufficient": pct("insufficient"),
            "no change undecided": pct("continue"),
            "+30 % promoted": pct("promote", "+30 %"),
            "+30 % detected": pct("rollback", "+30 %"),
            "claims (first call says +X % detectable)": len(detected),
            "median claimed +X %": f"{100 * float(np.median([c for c, _ in self.claims])):.0f} %"
            if self.claims
            else "-",
            "+X % detected, all claims": f"{100 * np.mean(detected):.1f} %" if detected else "-",
            "+X % detected, claims of +30 % or less": f"{100 * np.mean(settled):.1f} % "
            f"({sum(settled)}/{len(settled)})"
            if settled
            else "-",
        }


def fresh(values: np.ndarray) -> list[list[np.ndarray]]:
    """The rollouts starting midway between two consecutive rollouts of :func:`rollouts`
    (where they are at least two rollouts apart, so the two splits share no window)."""
    taken = rollout_starts(values)
    span = WINDOW * ROLLOUT_CALLS
    return rollouts(values, [(a + b) // 2 for a, b in pairwise(taken) if b - a >= 2 * span])


def measure(series: dict[str, np.ndarray], split_name: str = "first") -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for name, values in series.items():
        kind = kind_of(name)
        spec = spec_for(kind)
        tally = tallies.setdefault(kind, Tally())
        for calls in rollouts(values) if split_name == "first" else fresh(values):
            verdict, said = replay(spec, calls, 1.0)
            tally.add("no change", verdict)
            tally.add("+30 %", replay(spec, calls, 1.3)[0])
            if said is not None and said < 2.0:
                tally.claims.append((said, replay(spec, calls, 1.0 + said)[0] == "rollback"))
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a checkout of numenta/NAB")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--split", choices=("first", "fresh"), default="first")
    args = parser.parse_args()
    tallies = measure(load_frozen(args.data), args.split)
    report = {kind: t.figures() for kind, t in sorted(tallies.items())}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for kind, figures in report.items():
        print(f"## {kind}")
        for key, value in figures.items():
            print(f"- {key}: {value}")


if __name__ == "__main__":
    main()
