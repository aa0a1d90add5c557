"""The canary judge on real metric series: false rollbacks, regressions promoted, detection.

Run: ``python research/deploy/canary_real.py --data DIR [--judge sequential|stateless] [--json]``
where DIR is a checkout of numenta/NAB (``data/real*`` folders are read; ``data/realAWSCloudwatch``
is held out for an independent check and is never read here).

Why this protocol: a canary and its baseline are concurrent instance groups that see the same
traffic, the same daily cycle and the same bursts. One real series stands in for both: each
72-sample window is cut into blocks of six consecutive samples, dealt alternately to the baseline
and the canary, so both sides see the same cycles and neither sees the other's exact samples
(the held-out check of issue 44 used the same split). Per window:

- A/A: the canary is its own half as is; a ``rollback`` is a false rollback.
- Regression: the canary half multiplied by 1.3 (the spec's direction is ``increase`` and it
  allows +10 %); a ``promote`` lets the regression through, a ``rollback`` detects it.

Rollouts: six consecutive windows are the six calls of one rollout; the judge's state (if it
keeps one) is carried from call to call, and the rollout ends at the first promote or rollback.

At most ``MAX_WINDOWS`` evenly spaced windows are taken from a series, so the long series do not
outvote the short ones.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WINDOW = 72
BLOCK = 6
MAX_WINDOWS = 40
ROLLOUT_CALLS = 6
REGRESSION = 1.3
HELD_OUT = "realAWSCloudwatch"

# A judge takes (baseline, canary, state) and gives (verdict, state); state is None at the first
# call of a rollout.
Judge = Callable[[np.ndarray, np.ndarray, str | None], tuple[str, str | None]]


def load_series(root: Path) -> dict[str, np.ndarray]:
    series = {}
    for path in sorted((root / "data").glob("real*/*.csv")):
        if path.parent.name == HELD_OUT:
            continue
        with path.open(encoding="utf-8") as handle:
            values = [float(row["value"]) for row in csv.DictReader(handle)]
        series[f"{path.parent.name}/{path.stem}"] = np.asarray(values)
    return series


def split(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blocks of ``BLOCK`` samples dealt alternately: even blocks baseline, odd blocks canary."""
    blocks = window.reshape(-1, BLOCK)
    return blocks[0::2].ravel(), blocks[1::2].ravel()


def windows(values: np.ndarray) -> list[np.ndarray]:
    count = len(values) // WINDOW
    all_windows = [values[i * WINDOW : (i + 1) * WINDOW] for i in range(count)]
    if count <= MAX_WINDOWS:
        return all_windows
    picks = np.linspace(0, count - 1, MAX_WINDOWS).round().astype(int)
    return [all_windows[i] for i in picks]


def rollouts(values: np.ndarray) -> list[list[np.ndarray]]:
    """Runs of ``ROLLOUT_CALLS`` consecutive windows, at most ``MAX_WINDOWS // ROLLOUT_CALLS``."""
    count = len(values) // (WINDOW * ROLLOUT_CALLS)
    starts = list(range(count))
    limit = MAX_WINDOWS // ROLLOUT_CALLS
    if count > limit:
        starts = list(np.linspace(0, count - 1, limit).round().astype(int))
    span = WINDOW * ROLLOUT_CALLS
    return [
        [values[s * span + c * WINDOW : s * span + (c + 1) * WINDOW] for c in range(ROLLOUT_CALLS)]
        for s in starts
    ]


@dataclass
class Tally:
    aa_rollback: int = 0
    aa_promote: int = 0
    reg_promote: int = 0
    reg_rollback: int = 0
    n: int = 0


def one_window(judge: Judge, series: dict[str, np.ndarray]) -> dict[str, Tally]:
    tallies = {}
    for name, values in series.items():
        tally = Tally()
        for window in windows(values):
            baseline, canary = split(window)
            aa, _ = judge(baseline, canary, None)
            reg, _ = judge(baseline, canary * REGRESSION, None)
            tally.n += 1
            tally.aa_rollback += aa == "rollback"
            tally.aa_promote += aa == "promote"
            tally.reg_promote += reg == "promote"
            tally.reg_rollback += reg == "rollback"
        tallies[name] = tally
    return tallies


def run_rollout(judge: Judge, calls: list[np.ndarray], effect: float) -> tuple[str, int]:
    state: str | None = None
    for number, window in enumerate(calls, 1):
        baseline, canary = split(window)
        verdict, state = judge(baseline, canary * effect, state)
        if verdict in ("promote", "rollback"):
            return verdict, number
    return "continue", len(calls)


def whole_rollouts(judge: Judge, series: dict[str, np.ndarray]) -> dict[str, Tally]:
    tallies = {}
    for name, values in series.items():
        tally = Tally()
        for calls in rollouts(values):
            aa, _ = run_rollout(judge, calls, 1.0)
            reg, _ = run_rollout(judge, calls, REGRESSION)
            tally.n += 1
            tally.aa_rollback += aa == "rollback"
            tally.aa_promote += aa == "promote"
            tally.reg_promote += reg == "promote"
            tally.reg_rollback += reg == "rollback"
        tallies[name] = tally
    return tallies


def rates(tallies: dict[str, Tally]) -> dict[str, float]:
    total = sum(t.n for t in tallies.values())
    return {
        "A/A false rollback %": 100 * sum(t.aa_rollback for t in tallies.values()) / total,
        "A/A promoted %": 100 * sum(t.aa_promote for t in tallies.values()) / total,
        "+30 % promoted %": 100 * sum(t.reg_promote for t in tallies.values()) / total,
        "+30 % detected (rollback) %": 100 * sum(t.reg_rollback for t in tallies.values()) / total,
        "cases": total,
        "series": len(tallies),
    }


def stateless_judge() -> Judge:
    """The judge called afresh each window, its state dropped (at commit 8cfa8b0, before issue
    44's judge, this was the Mann-Whitney judge: the first-seen figures)."""
    from cicd_agent.analysis.canary import judge_canary
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, default_metrics

    spec, thresholds = default_metrics()[1], CanaryThresholds()

    def judge(baseline: np.ndarray, canary: np.ndarray, state: str | None) -> tuple[str, None]:
        result = judge_canary({spec.name: baseline}, {spec.name: canary}, [spec], thresholds)
        return result.verdict, None

    return judge


def sequential_judge() -> Judge:
    """The judge with its rollout state: the state string goes out and comes back each call,
    through the same validation the action applies to its canary-state input."""
    from cicd_agent.analysis.canary import UNBOUND, judge_canary
    from cicd_agent.analysis.canary_metric import check_keys
    from cicd_agent.analysis.canary_state import decode_state
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, default_metrics

    spec, thresholds = default_metrics()[1], CanaryThresholds()

    def judge(baseline: np.ndarray, canary: np.ndarray, state: str | None) -> tuple[str, str]:
        before = decode_state(state, UNBOUND, check_keys([spec]))
        result = judge_canary(
            {spec.name: baseline}, {spec.name: canary}, [spec], thresholds, state=before
        )
        return result.verdict, result.state.encode()

    return judge


JUDGES: dict[str, Callable[[], Judge]] = {
    "sequential": sequential_judge,
    "stateless": stateless_judge,
}


def ablate(part: str) -> None:
    """Switch one part of the judge off, to show what it buys."""
    from cicd_agent.analysis import canary_evidence, canary_metric

    if part == "autocorrelation":
        canary_evidence._lag_one = lambda values: 0.0
    else:
        canary_metric.spent_alpha = lambda alpha, call: alpha


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a checkout of numenta/NAB")
    parser.add_argument("--judge", choices=sorted(JUDGES), default="sequential")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--per-series", action="store_true")
    parser.add_argument(
        "--without",
        choices=("autocorrelation", "spending"),
        help="ablation: drop the autocorrelation allowance, or test every call at full alpha",
    )
    args = parser.parse_args()
    if args.without:
        ablate(args.without)
    series = load_series(args.data)
    judge = JUDGES[args.judge]()
    single, rollout = one_window(judge, series), whole_rollouts(judge, series)
    report = {"one window": rates(single), f"rollout of {ROLLOUT_CALLS} calls": rates(rollout)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for title, figures in report.items():
        print(f"{args.judge} judge, {title}:")
        for key, value in figures.items():
            print(
                f"  {key:<30} {value:.1f}" if isinstance(value, float) else f"  {key:<30} {value}"
            )
    if args.per_series:
        print("per series (one window): n, A/A rollbacks, +30 % promoted, +30 % detected")
        for name, t in single.items():
            print(f"  {name:<55} {t.n:3} {t.aa_rollback:3} {t.reg_promote:3} {t.reg_rollback:3}")


if __name__ == "__main__":
    main()
