"""The canary judge over whole rollouts, per metric kind, on real series nobody here wrote.

Run from the repository root: ``python -m research.deploy.canary_rollout --data DIR [--json]``
where DIR is a checkout of numenta/NAB (commit ea702d7). Only the files listed with their
sha256 in ``canary_rollout.freeze`` are read (the set was frozen before the judge was scored;
the script refuses a file whose hash differs); ``data/realAWSCloudwatch`` is held out for an
independent check and never read.

The split is the held-out check's (:mod:`research.deploy.canary_real`): one call per 72-sample
window, its blocks of six dealt alternately to the baseline and the canary; a rollout is up to
six consecutive windows with the judge's state carried, stopping at the first promote or
rollback. Each series is judged as the kind it is: tweet and taxi counts as ``count``, request
latency and travel time as ``latency`` (one value a step, no histogram: paired log ratios), the
rest (cpu, temperature, ad prices, road occupancy and speed, keystroke timing) as ``gauge``.
Each metric allows +10 % (direction ``increase``), thresholds are the defaults (confidence 0.98,
a budget of six calls). Effects: none (A/A), +10 % and +30 % on the canary's half.

Figures per kind, over rollouts: false rollback, no change promoted, +10 % detected, +30 %
promoted, +30 % detected, and the mean calls to a decision (decided rollouts); beside them the
one-window figures (a rollout's first call alone). ``--pairs`` also judges two metrics at once
(a count series and a gauge series over the same windows, one configuration), to check that the
false-rollback figure holds for the whole configuration.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from research.deploy.canary_real import rollouts, split, windows

FREEZE = Path(__file__).with_name("canary_rollout.freeze")
CALLS = 6
EFFECTS = {"no change": 1.0, "+10 %": 1.1, "+30 %": 1.3}
KINDS = (
    ("Twitter_volume", "count"), ("nyc_taxi", "count"),
    ("ec2_request_latency", "latency"), ("TravelTime", "latency"),
)  # fmt: skip


def kind_of(name: str) -> str:
    return next((kind for key, kind in KINDS if key in name), "gauge")


def load_frozen(root: Path) -> dict[str, np.ndarray]:
    """The frozen series, each checked against its recorded sha256."""
    import csv

    series = {}
    for line in FREEZE.read_text(encoding="utf-8").splitlines():
        digest, name = line.split()
        path = root / name
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise SystemExit(f"{name} differs from the frozen set: fetch NAB at commit ea702d7")
        rows = csv.DictReader(data.decode("utf-8").splitlines())
        series[name.removeprefix("data/").removesuffix(".csv")] = np.array(
            [float(row["value"]) for row in rows]
        )
    return series


def spec_for(kind: str, name: str = "metric") -> object:
    from cicd_agent.modes.deploy_gate.canary.config import MetricSpec

    query = {
        "count": 'sum(increase(events_total{track="{track}"}[5m]))',
        "latency": "histogram_quantile(0.99, sum by (le) "
        '(rate(latency_seconds_bucket{track="{track}"}[5m])))',
        "gauge": 'avg(usage{track="{track}"})',
    }[kind]
    return MetricSpec(name=name, kind=kind, query=query, allowed_change=0.1)


class Judge:
    """The judge as the action runs it: the state sealed, handed out and read back each call."""

    def __init__(self, specs: list[object]) -> None:
        from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds

        self.specs = specs
        self.thresholds = CanaryThresholds()

    def __call__(
        self, baseline: dict[str, np.ndarray], canary: dict[str, np.ndarray], state: str | None
    ) -> tuple[str, str]:
        from cicd_agent.modes.deploy_gate.canary.judge import UNBOUND, judge_canary
        from cicd_agent.modes.deploy_gate.canary.metric import check_keys
        from cicd_agent.modes.deploy_gate.canary.state import decode_state

        before = decode_state(state, UNBOUND, check_keys(self.specs))  # type: ignore[arg-type]
        result = judge_canary(baseline, canary, self.specs, self.thresholds, state=before)  # type: ignore[arg-type]
        return result.verdict, result.state.encode()


@dataclass
class Tally:
    rollouts: int = 0
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    calls: dict[str, list[int]] = field(default_factory=dict)
    first: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, effect: str, verdict: str, calls: int, first: str) -> None:
        self.outcomes.setdefault(effect, {}).setdefault(verdict, 0)
        self.outcomes[effect][verdict] += 1
        self.first.setdefault(effect, {}).setdefault(first, 0)
        self.first[effect][first] += 1
        if verdict != "continue":
            self.calls.setdefault(effect, []).append(calls)

    def share(self, effect: str, verdict: str, first: bool = False) -> float:
        table = self.first if first else self.outcomes
        total = sum(table.get(effect, {}).values())
        return 100.0 * table.get(effect, {}).get(verdict, 0) / total if total else float("nan")

    def figures(self) -> dict[str, float]:
        calls = [c for effect in EFFECTS for c in self.calls.get(effect, [])]
        return {
            "rollouts": self.rollouts,
            "false rollback %": self.share("no change", "rollback"),
            "no change promoted %": self.share("no change", "promote"),
            "+10 % detected %": self.share("+10 %", "rollback"),
            "+30 % promoted %": self.share("+30 %", "promote"),
            "+30 % detected %": self.share("+30 %", "rollback"),
            "mean calls to a decision": float(np.mean(calls)) if calls else float("nan"),
            "one window: false rollback %": self.share("no change", "rollback", first=True),
            "one window: no change promoted %": self.share("no change", "promote", first=True),
            "one window: +30 % promoted %": self.share("+30 %", "promote", first=True),
            "one window: +30 % detected %": self.share("+30 %", "rollback", first=True),
        }


def run(judge: Judge, calls: list[dict[str, np.ndarray]], effect: float) -> tuple[str, int, str]:
    """One rollout: (verdict, calls made, the first call's verdict)."""
    state: str | None = None
    first = ""
    for number, window in enumerate(calls, 1):
        halves = {name: split(values) for name, values in window.items()}
        baseline = {name: b for name, (b, _) in halves.items()}
        canary = {name: c * effect for name, (_, c) in halves.items()}
        verdict, state = judge(baseline, canary, state)
        first = first or verdict
        if verdict != "continue":
            return verdict, number, first
    return "continue", len(calls), first


def single_metric(series: dict[str, np.ndarray]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for name, values in series.items():
        kind = kind_of(name)
        judge = Judge([spec_for(kind)])
        tally = tallies.setdefault(kind, Tally())
        for calls in rollouts(values):
            tally.rollouts += 1
            for label, effect in EFFECTS.items():
                verdict, made, first = run(judge, [{"metric": w} for w in calls], effect)
                tally.add(label, verdict, made, first)
    return tallies


def paired(series: dict[str, np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each count series with a gauge series (in turn), cut to the shorter."""
    counts = [v for n, v in series.items() if kind_of(n) == "count"]
    gauges = [v for n, v in series.items() if kind_of(n) == "gauge"]
    for index, count in enumerate(counts):
        gauge = gauges[index % len(gauges)]
        n = min(count.size, gauge.size)
        yield count[:n], gauge[:n]


def two_metrics(series: dict[str, np.ndarray]) -> Tally:
    """A count and a gauge in one configuration; the regression on both."""
    judge = Judge([spec_for("count", "events"), spec_for("gauge", "usage")])
    tally = Tally()
    for count, gauge in paired(series):
        for calls_c, calls_g in zip(rollouts(count), rollouts(gauge), strict=False):
            tally.rollouts += 1
            calls = [{"events": c, "usage": g} for c, g in zip(calls_c, calls_g, strict=True)]
            for label, effect in EFFECTS.items():
                verdict, made, first = run(judge, calls, effect)
                tally.add(label, verdict, made, first)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a checkout of numenta/NAB")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pairs", action="store_true", help="also judge count+gauge configs")
    args = parser.parse_args()
    series = load_frozen(args.data)
    report = {kind: tally.figures() for kind, tally in sorted(single_metric(series).items())}
    if args.pairs:
        report["count + gauge, one config"] = two_metrics(series).figures()
    windows_seen = sum(len(windows(v)) for v in series.values())
    if args.json:
        print(json.dumps(report, indent=2))
        return
    keys = list(next(iter(report.values())))
    print(f"{len(series)} frozen series, {windows_seen} one-call windows")
    print("| kind | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for kind, figures in report.items():
        cells = [
            f"{figures[k]:.1f}" if isinstance(figures[k], float) else str(figures[k]) for k in keys
        ]
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
