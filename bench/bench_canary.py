"""Operating figures of the canary judge: false-rollback and detection rates, and its speed.

Run: ``python bench/bench_canary.py`` (``--trials``, ``--seed``, ``--json``).
With ``--json`` it prints the operating figures ``bench/run.py`` reports (each rate as the median
and range over 5 seeded blocks of ``--trials / 5`` trials) instead of the full table.

Each trial judges one p99-latency metric with the default spec (direction increase, allowed change
10 %, confidence 0.98) on samples drawn as the Prometheus default query would give them: one value
per step, lognormal around 250 ms. ``sigma`` is the standard deviation of log latency, so 0.15
means windows differ by about 15 %. A trial counts when the verdict is ``rollback``.

A ``rate(...[1m])`` sampled every 30 s shares half its requests with each neighbour (lag-1
correlation about 0.5); the AR(1) rows show what such correlation does to the judge, which
widens its intervals for it. The rollout row carries the judge's state through 12 calls on
such samples and counts a rollback at any call: the error budget spent call by call keeps it
within the single-call bound. Real metrics: ``research/deploy/canary_real.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from common import Figure, emit, figure

from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds, default_metrics
from cicd_agent.modes.deploy_gate.canary.evidence import hodges_lehmann_shift
from cicd_agent.modes.deploy_gate.canary.judge import UNBOUND, judge_canary
from cicd_agent.modes.deploy_gate.canary.metric import judge_metric
from cicd_agent.modes.deploy_gate.canary.state import CanaryState, fresh_state

LATENCY = default_metrics()[1]
THRESHOLDS = CanaryThresholds()
Sampler = Callable[[np.random.Generator, float, int], np.ndarray]


def independent(sigma: float) -> Sampler:
    def draw(rng: np.random.Generator, scale: float, n: int) -> np.ndarray:
        return 0.25 * scale * rng.lognormal(0.0, sigma, n)

    return draw


def autocorrelated(sigma: float, rho: float) -> Sampler:
    """Stationary AR(1) in log space with marginal sigma ``sigma`` and lag-1 correlation ``rho``."""

    def draw(rng: np.random.Generator, scale: float, n: int) -> np.ndarray:
        noise = rng.normal(0.0, sigma * np.sqrt(1 - rho**2), n)
        logs = np.empty(n)
        logs[0] = rng.normal(0.0, sigma)
        for i in range(1, n):
            logs[i] = rho * logs[i - 1] + noise[i]
        return 0.25 * scale * np.exp(logs)

    return draw


def rollback_rate(draw: Sampler, effect: float, n: int, trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    rollbacks = 0
    for _ in range(trials):
        baseline = {LATENCY.name: draw(rng, 1.0, n)}
        canary = {LATENCY.name: draw(rng, effect, n)}
        rollbacks += judge_canary(baseline, canary, [LATENCY], THRESHOLDS).rollback
    return rollbacks / trials


def rollout_rollback_rate(draw: Sampler, calls: int, trials: int, seed: int) -> float:
    """Share of unchanged rollouts rolled back at any of ``calls`` calls, state carried."""
    rng = np.random.default_rng(seed)
    thresholds = CanaryThresholds(windows_to_promote=calls)
    rollbacks = 0
    for _ in range(trials):
        state: CanaryState = fresh_state(UNBOUND)
        for _ in range(calls):
            baseline = {LATENCY.name: draw(rng, 1.0, 30)}
            canary = {LATENCY.name: draw(rng, 1.0, 30)}
            judgement = judge_canary(baseline, canary, [LATENCY], thresholds, state=state)
            state = judgement.state
            if judgement.verdict != "continue":
                rollbacks += judgement.rollback
                break
    return rollbacks / trials


def timings(runs: int = 5) -> dict[str, list[float]]:
    """Milliseconds per judged metric (n=30 a side) and per 11,000 x 11,000 HL shift."""
    rng = np.random.default_rng(0)
    baseline, canary = rng.lognormal(0, 0.15, 30), rng.lognormal(0, 0.15, 30)
    big_b, big_c = rng.lognormal(0, 0.5, 11_000), rng.lognormal(0, 0.5, 11_000)
    per_metric, hl_big = [], []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(500):
            judge_metric(LATENCY, baseline, canary)
        per_metric.append((time.perf_counter() - start) / 500 * 1e3)
        start = time.perf_counter()
        hodges_lehmann_shift(big_c, big_b)
        hl_big.append((time.perf_counter() - start) * 1e3)
    return {"judge_metric_ms_n30": per_metric, "hodges_lehmann_ms_11000x11000": hl_big}


BLOCKS = 5
FALSE_ROLLBACK_TARGET = 2.0
DETECTION_TARGET = 95.0


def operating_figures(trials: int, seed: int) -> list[Figure]:
    """The issue's two operating points (n=30 a side), as rates in 5 seeded blocks of trials."""
    size = max(1, trials // BLOCKS)
    setting = f"{size} trials × {BLOCKS} seeded blocks, lognormal sigma 0.15, n=30 a side"

    def blocks(draw: Sampler, effect: float, offset: int) -> list[float]:
        return [
            100 * rollback_rate(draw, effect, 30, size, seed + offset + 1000 * block)
            for block in range(BLOCKS)
        ]

    timing = timings()["judge_metric_ms_n30"]
    return [
        figure("false rollback, identical canary", "%", blocks(independent(0.15), 1.0, 30),
               f"≤ {FALSE_ROLLBACK_TARGET:g} %", lambda v: v <= FALSE_ROLLBACK_TARGET, setting),
        figure("detection of +20 % p99 latency", "%", blocks(independent(0.15), 1.2, 150),
               f"≥ {DETECTION_TARGET:g} %", lambda v: v >= DETECTION_TARGET, setting),
        figure("false rollback, autocorrelated samples (AR(1) rho 0.5)", "%",
               blocks(autocorrelated(0.15, 0.5), 1.0, 11),
               note="neighbours that share requests: the judge widens its intervals for them"),
        figure("detection of +20 %, autocorrelated samples", "%",
               blocks(autocorrelated(0.15, 0.5), 1.2, 13)),
        figure("false rollback over a 12-call rollout, AR(1) rho 0.5", "%",
               [100 * rollout_rollback_rate(autocorrelated(0.15, 0.5), 12, max(1, size // 4),
                                            seed + 17 + 1000 * block)
                for block in range(BLOCKS)],
               f"≤ {FALSE_ROLLBACK_TARGET:g} %", lambda v: v <= FALSE_ROLLBACK_TARGET,
               f"{max(1, size // 4)} rollouts × {BLOCKS} seeded blocks, state carried"),
        figure("judge one metric (n=30 a side)", "ms", timing,
               note="paired log ratios: trimmed mean, autocorrelation allowance, HL shift"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead")
    args = parser.parse_args()
    trials, seed = args.trials, args.seed
    if args.json:
        emit(operating_figures(trials, seed))
        return
    base = independent(0.15)
    figures: dict[str, object] = {"trials": trials, "seed": seed, "sigma": 0.15}

    figures["false_rollback"] = {
        f"n={n}": rollback_rate(base, 1.0, n, trials, seed + n) for n in (10, 30, 60)
    }
    figures["detection"] = {
        f"+{round((effect - 1) * 100)}%": {
            f"n={n}": rollback_rate(base, effect, n, trials, seed + n + int(effect * 100))
            for n in (10, 30, 60)
        }
        for effect in (1.05, 1.10, 1.20, 1.30)
    }
    figures["detection_+20%_n=30_by_sigma"] = {
        f"sigma={sigma}": rollback_rate(independent(sigma), 1.2, 30, trials, seed + 7)
        for sigma in (0.10, 0.15, 0.20, 0.25, 0.30)
    }
    figures["false_rollback_n=30_ar1_rho=0.5"] = rollback_rate(
        autocorrelated(0.15, 0.5), 1.0, 30, trials, seed + 11
    )
    figures["detection_+20%_n=30_ar1_rho=0.5"] = rollback_rate(
        autocorrelated(0.15, 0.5), 1.2, 30, trials, seed + 13
    )
    timing = timings()
    figures["timing_ms"] = {
        name: {"median": statistics.median(v), "min": min(v), "max": max(v)}
        for name, v in timing.items()
    }
    print_table(figures)


def print_table(figures: dict[str, object]) -> None:
    def pct(value: object) -> str:
        return f"{float(value) * 100:5.1f} %"  # type: ignore[arg-type]

    print(f"Canary judge, {figures['trials']} trials per setting, seed {figures['seed']}")
    print("latency lognormal, sigma 0.15 (log sd), default p99 spec: +10 % allowed, p < 0.02\n")
    false_rollback = figures["false_rollback"]
    assert isinstance(false_rollback, dict)
    print("rollback rate      " + "  ".join(f"{k:>8}" for k in false_rollback))
    print("identical (false)  " + "  ".join(f"{pct(v):>8}" for v in false_rollback.values()))
    detection = figures["detection"]
    assert isinstance(detection, dict)
    for effect, row in detection.items():
        print(f"canary {effect:<11} " + "  ".join(f"{pct(v):>8}" for v in row.values()))
    print("\n+20 %, n=30, by sigma:")
    by_sigma = figures["detection_+20%_n=30_by_sigma"]
    assert isinstance(by_sigma, dict)
    print("  " + "  ".join(f"{k}: {pct(v).strip()}" for k, v in by_sigma.items()))
    print(
        "\nautocorrelated samples (AR(1), rho 0.5, sigma 0.15, n=30): false rollback "
        f"{pct(figures['false_rollback_n=30_ar1_rho=0.5']).strip()}, detection of +20 % "
        f"{pct(figures['detection_+20%_n=30_ar1_rho=0.5']).strip()}"
    )
    timing = figures["timing_ms"]
    assert isinstance(timing, dict)
    print("\ntime (median, min-max over 5 runs):")
    for name, value in timing.items():
        print(f"  {name}: {value['median']:.3f} ms ({value['min']:.3f}-{value['max']:.3f})")


if __name__ == "__main__":
    main()
