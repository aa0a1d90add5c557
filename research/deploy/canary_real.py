"""The canary judge on real metric series: false rollbacks, regressions promoted, detection.

Run: ``python research/deploy/canary_real.py --data DIR [--judge sequential|stateless] [--json]``
where DIR is a checkout of numenta/NAB (``data/real*`` folders are read; ``data/realAWSCloudwatch``
is held out for an independent check and is never read here). ``--oracle`` instead measures how
far any threshold on each candidate statistic could go on the same windows: the most any judge
built on that statistic could detect at 2 % false rollbacks (see ``oracle_report``).

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


def windows_index(count: int) -> list[int]:
    """Which of ``count`` windows are taken: all, or ``MAX_WINDOWS`` evenly spaced."""
    if count <= MAX_WINDOWS:
        return list(range(count))
    return [int(i) for i in np.linspace(0, count - 1, MAX_WINDOWS).round().astype(int)]


def windows(values: np.ndarray) -> list[np.ndarray]:
    return [values[i * WINDOW : (i + 1) * WINDOW] for i in windows_index(len(values) // WINDOW)]


def rollout_starts(values: np.ndarray) -> list[int]:
    """Where each rollout of :func:`rollouts` starts (samples): runs of ``ROLLOUT_CALLS``
    windows, at most ``MAX_WINDOWS // ROLLOUT_CALLS`` evenly spaced."""
    count = len(values) // (WINDOW * ROLLOUT_CALLS)
    starts = list(range(count))
    limit = MAX_WINDOWS // ROLLOUT_CALLS
    if count > limit:
        starts = list(np.linspace(0, count - 1, limit).round().astype(int))
    return [int(s) * WINDOW * ROLLOUT_CALLS for s in starts]


def rollouts(values: np.ndarray, starts: list[int] | None = None) -> list[list[np.ndarray]]:
    """Runs of ``ROLLOUT_CALLS`` consecutive windows from each start (by default
    :func:`rollout_starts`)."""
    return [
        [values[s + c * WINDOW : s + (c + 1) * WINDOW] for c in range(ROLLOUT_CALLS)]
        for s in (rollout_starts(values) if starts is None else starts)
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
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, default_metrics
    from cicd_agent.modes.deploy_gate.canary.judge import judge_canary

    spec, thresholds = default_metrics()[1], CanaryThresholds()

    def judge(baseline: np.ndarray, canary: np.ndarray, state: str | None) -> tuple[str, None]:
        result = judge_canary({spec.name: baseline}, {spec.name: canary}, [spec], thresholds)
        return result.verdict, None

    return judge


def sequential_judge() -> Judge:
    """The judge with its rollout state: the state string goes out and comes back each call,
    through the same validation the action applies to its canary-state input."""
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, default_metrics
    from cicd_agent.modes.deploy_gate.canary.judge import UNBOUND, judge_canary
    from cicd_agent.modes.deploy_gate.canary.metric import check_keys
    from cicd_agent.modes.deploy_gate.canary.state import decode_state

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
    from cicd_agent.modes.deploy_gate.canary import evidence as canary_evidence

    if part == "autocorrelation":
        canary_evidence.lag_one = lambda values: 0.0


# The oracle: how much a statistic could detect at all, whatever its threshold. For each window,
# the statistic (larger: more evidence that the canary is higher) on the A/A split and on the
# +30 % one; the threshold is then set on the A/A values themselves so that at most FP_SHARE
# of them exceed it, which no real judge can do: its detection bounds every judge on that
# statistic. "Per series" goes further: a threshold per series, chosen knowing the answers, with
# the false-rollback budget spent where it buys the most detection (perfect per-metric noise
# calibration, and more).
FP_SHARE = 0.02
HISTORY = 4
FAMILIES = (
    ("Twitter", "tweet counts"), ("cpc", "ad cost per click"), ("cpm", "ad cost per mille"),
    ("cpu", "cpu"), ("temperature", "temperature"), ("latency", "request latency"),
    ("taxi", "taxi counts"), ("rogue", "keystroke timing"), ("TravelTime", "travel time"),
    ("occupancy", "road occupancy"), ("speed", "road speed"),
)  # fmt: skip
COUNT_FAMILIES = ("tweet counts", "taxi counts")


def family(name: str) -> str:
    stem = name.rsplit("/", 1)[-1]
    return next((label for key, label in FAMILIES if key in stem), "other")


def _level_floor(baseline: np.ndarray, canary: np.ndarray) -> float:
    from cicd_agent.modes.deploy_gate.canary.evidence import FLOOR_SHARE

    level = float(np.mean(np.maximum(np.concatenate([baseline, canary]), 0)))
    return FLOOR_SHARE * level if level > 0 else 1.0


def _batches(values: np.ndarray, size: int) -> np.ndarray:
    count = values.size // size
    return values[: count * size].reshape(count, size).mean(axis=1)


def _block_ratios(baseline: np.ndarray, canary: np.ndarray) -> tuple[np.ndarray, float]:
    """Log ratios of batch means (batches of floor(sqrt(n)), the usual batch-means size), with
    the floor they used."""
    floor = _level_floor(baseline, canary)
    size = int(np.sqrt(min(baseline.size, canary.size)))
    base = _batches(np.maximum(baseline, 0), size)
    cand = _batches(np.maximum(canary, 0), size)
    return np.log(cand + floor) - np.log(base + floor), floor


def candidate_statistics(
    baseline: np.ndarray, canary: np.ndarray, history: list[tuple[np.ndarray, np.ndarray]] | None
) -> dict[str, float]:
    """Every candidate statistic of "the canary is higher" for one window; ``history`` is the
    A/A splits of the windows before it (None when the series has too few)."""
    from scipy.stats import t as student_t

    from cicd_agent.modes.deploy_gate.canary.evidence import log_ratios, robust_evidence

    out: dict[str, float] = {}
    ratios = log_ratios(baseline, canary)
    evidence = robust_evidence(ratios)
    se = np.sqrt(evidence.variance_sum) / evidence.weight if evidence.weight else 1.0
    out["Yuen t, lag-1 widened (the judge's)"] = (evidence.estimate or 0.0) / max(se, 1e-9)
    out["trimmed mean log ratio, no interval"] = evidence.estimate or 0.0
    out["median log ratio, no interval"] = float(np.median(ratios)) if ratios.size else 0.0
    n = ratios.size
    if n >= 8:
        centred = ratios - ratios.mean()
        bandwidth = int(4 * (n / 100) ** (2 / 9))
        var = centred @ centred / n + sum(
            2 * (1 - lag / (bandwidth + 1)) * (centred[lag:] @ centred[:-lag]) / n
            for lag in range(1, bandwidth + 1)
        )
        out["Newey-West t"] = ratios.mean() / np.sqrt(max(var, 1e-12) / n)
        means = _batches(ratios, int(np.sqrt(n)))
        out["batch-means t"] = means.mean() / (means.std(ddof=1) / np.sqrt(means.size) + 1e-12)
    else:
        out["Newey-West t"] = out["batch-means t"] = 0.0
    blocks, floor = _block_ratios(baseline, canary)
    k = blocks.size
    out["block log ratios, t"] = blocks.mean() / (blocks.std(ddof=1) / np.sqrt(k) + 1e-12)
    # The baseline's and canary's own block-to-block variation measures the same noise, and a
    # regression (a factor on the canary) leaves it unchanged: more degrees of freedom.
    size = int(np.sqrt(min(baseline.size, canary.size)))
    own = [
        np.diff(np.log(_batches(np.maximum(side, 0), size) + floor)) for side in (baseline, canary)
    ]
    pooled = (blocks.var(ddof=1) * (k - 1) + sum(d.var(ddof=1) * (k - 2) for d in own)) / (
        3 * k - 5
    )
    scale = np.sqrt(pooled) + 1e-12
    out["block log ratios, own-variation variance"] = blocks.mean() / (scale / np.sqrt(k))
    shift = np.log(REGRESSION) / scale
    cusum = best = 0.0
    for z in blocks / scale:
        cusum = max(0.0, cusum + z - shift / 2)
        best = max(best, cusum)
    out["CUSUM over blocks"] = best
    z = blocks / scale
    out["heavy-tailed (t3) likelihood ratio over blocks"] = float(
        np.sum(student_t.logpdf(z - shift, 3) - student_t.logpdf(z, 3))
    )
    if history:
        residuals = []
        for before_base, before_canary in history:
            ratios_before, _ = _block_ratios(before_base, before_canary)
            residuals.append(ratios_before - ratios_before.mean())
        spread = np.concatenate(residuals)
        sd = np.sqrt(spread @ spread / (spread.size - len(residuals)))
        out["block log ratios, variance from A/A history"] = blocks.mean() / (
            sd / np.sqrt(k) + 1e-12
        )
    return out


def poisson_ceiling(baseline: np.ndarray, canary: np.ndarray) -> float:
    """Power of the exact conditional test (the best test of a rate ratio when counting is the
    only noise) at FP_SHARE against +30 %, given the window's total count."""
    from scipy.stats import binom

    total = round(float(baseline.sum() + canary.sum()))
    if total == 0:
        return 0.0
    critical = int(binom.ppf(1 - FP_SHARE, total, 0.5)) + 1
    return float(binom.sf(critical - 1, total, REGRESSION / (1 + REGRESSION)))


@dataclass
class OracleCase:
    series: str
    aa: dict[str, float]
    regression: dict[str, float]
    poisson: float | None


def oracle_cases(series: dict[str, np.ndarray]) -> list[OracleCase]:
    cases = []
    for name, values in series.items():
        count = len(values) // WINDOW
        for index in windows_index(count):
            window = values[index * WINDOW : (index + 1) * WINDOW]
            baseline, canary = split(window)
            history = None
            if index >= HISTORY:
                history = [
                    split(values[(index - j) * WINDOW : (index - j + 1) * WINDOW])
                    for j in range(1, HISTORY + 1)
                ]
            cases.append(
                OracleCase(
                    name,
                    candidate_statistics(baseline, canary, history),
                    candidate_statistics(baseline, canary * REGRESSION, history),
                    poisson_ceiling(baseline, canary) if family(name) in COUNT_FAMILIES else None,
                )
            )
    return cases


def _threshold(aa: np.ndarray, share: float = FP_SHARE) -> float:
    allowed = int(share * aa.size)
    return float(np.sort(aa)[::-1][allowed]) if allowed < aa.size else -np.inf


def _values(cases: list[OracleCase], key: str) -> tuple[np.ndarray, np.ndarray]:
    kept = [c for c in cases if key in c.aa]
    return np.array([c.aa[key] for c in kept]), np.array([c.regression[key] for c in kept])


def per_series_oracle(cases: list[OracleCase], key: str) -> float:
    """Detection with a threshold per series chosen knowing the answers, the false-rollback
    budget spent across series where it buys most (exact, by dynamic programming)."""
    kept = [c for c in cases if key in c.aa]
    budget = int(FP_SHARE * len(kept))
    best = [0] * (budget + 1)
    for name in dict.fromkeys(c.series for c in kept):
        aa, reg = _values([c for c in kept if c.series == name], key)
        ordered = np.sort(aa)[::-1]
        gains = [
            int(np.sum(reg > (ordered[j] if j < ordered.size else -np.inf)))
            for j in range(budget + 1)
        ]
        best = [max(best[u - j] + gains[j] for j in range(u + 1)) for u in range(budget + 1)]
    return 100 * best[budget] / len(kept)


def oracle_report(series: dict[str, np.ndarray]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(series):
        for window in windows(series[name]):
            digest.update(name.encode() + np.ascontiguousarray(window).tobytes())
    cases = oracle_cases(series)
    keys = list(dict.fromkeys(k for c in cases for k in c.aa))
    judged = one_window(sequential_judge(), series)
    lines = [
        f"evaluation set: {len(cases)} windows of {len(series)} series, sha256 "
        f"{digest.hexdigest()[:16]}",
        "",
        "| | statistic | windows | one threshold for all series | at 1 % / 5 % false "
        "rollbacks | a threshold per series (knowing the answers) |",
        "|---|---|---|---|---|---|",
    ]
    thresholds = {}
    for number, key in enumerate(keys, 1):
        aa, reg = _values(cases, key)
        thresholds[key] = _threshold(aa)
        lines.append(
            f"| {number} | {key} | {aa.size} | {100 * np.mean(reg > thresholds[key]):.1f} % | "
            f"{100 * np.mean(reg > _threshold(aa, 0.01)):.1f} % / "
            f"{100 * np.mean(reg > _threshold(aa, 0.05)):.1f} % | "
            f"{per_series_oracle(cases, key):.1f} % |"
        )
    lines += [
        "",
        "Detection % per family at each statistic's one threshold (columns 1-10 as above), the "
        "best any of them reaches with a threshold set within the family, and the best test's "
        "power if counting were the only noise:",
        "",
        "| family | windows | the judge, first call | "
        + " | ".join(str(n) for n in range(1, len(keys) + 1))
        + " | best threshold within the family | counting-noise ceiling |",
        "|---" * (len(keys) + 5) + "|",
    ]
    for label in sorted({family(c.series) for c in cases}):
        chosen = [c for c in cases if family(c.series) == label]
        names = {c.series for c in chosen}
        detected = sum(t.reg_rollback for s, t in judged.items() if s in names)
        cells = []
        within = []
        for key in keys:
            aa, reg = _values(chosen, key)
            cells.append(f"{100 * np.mean(reg > thresholds[key]):.0f}" if aa.size else "–")
            if aa.size:
                within.append((100 * np.mean(reg > _threshold(aa)), key))
        top = max(within)
        ceiling = [c.poisson for c in chosen if c.poisson is not None]
        lines.append(
            f"| {label} | {len(chosen)} | {100 * detected / len(chosen):.0f} | "
            + " | ".join(cells)
            + f" | {top[0]:.0f} ({keys.index(top[1]) + 1}) | "
            + (f"{100 * np.mean(ceiling):.0f} |" if ceiling else "– |")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a checkout of numenta/NAB")
    parser.add_argument("--judge", choices=sorted(JUDGES), default="sequential")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--per-series", action="store_true")
    parser.add_argument(
        "--oracle",
        action="store_true",
        help="print each candidate statistic's best detection at 2 % false rollbacks instead",
    )
    parser.add_argument(
        "--without",
        choices=("autocorrelation",),
        help="ablation: drop the autocorrelation allowance (the budget spent per call was issue "
        "44's ablation; the judge now spreads it over its call budget)",
    )
    args = parser.parse_args()
    if args.without:
        ablate(args.without)
    series = load_series(args.data)
    if args.oracle:
        print(oracle_report(series))
        return
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
