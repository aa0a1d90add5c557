"""The canary judge with each count's noise learnt from the stable's history, scored on a split
frozen before it was first run. Run from the repository root:

- ``python -m research.deploy.canary_noise freeze --data DIR`` writes the manifest
  (``canary_noise.freeze.json``): the NAB rollouts judged and the replay's draws, by digest.
  It was committed before ``judge`` was first run.
- ``python -m research.deploy.canary_noise judge --data DIR [--json]`` refuses to run on
  anything but the frozen split, then judges it twice, with the noise learnt and without
  (the judge as it was before it learnt anything), on the same rollouts.

DIR is numenta/NAB at commit ea702d7 (only ``canary_rollout.freeze``'s files are read).

**NAB, the power statement on counts** (tweet volumes and taxi rides). The fresh split's
rollouts are the ones neither earlier split judged: the run of six windows right after each
rollout of the first split (:func:`research.deploy.canary_real.rollout_starts`) and right after
each of the midway split (:func:`research.deploy.canary_power.fresh`), where it ends before the
next judged rollout. The history each learns from is the :data:`HISTORY_SAMPLES` samples before
its first window (one value a step, one track: the stable before the rollout). Per rollout, as
:mod:`canary_power` does: outcomes with no change and with +30 %, and whether the first call's
"+X % detectable" is rolled back when +X % is replayed.

**The loopback replay** (``canary_replay.npz``): :data:`ROLLOUTS` rollouts per kind and effect,
drawn as :mod:`canary_replay` draws them but from seed :data:`SEED` (a split no run has seen),
each with a history of :data:`REPLAY_HISTORY` consecutive seconds of its pair's baseline track
from the same recording (it lasts 20 minutes: there is no hour before it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
from research.deploy import canary_replay as loop
from research.deploy.canary_power import Tally
from research.deploy.canary_real import ROLLOUT_CALLS, WINDOW, rollout_starts, rollouts, split
from research.deploy.canary_rollout import FREEZE, kind_of, load_frozen, spec_for

MANIFEST = Path(__file__).with_name("canary_noise.freeze.json")
SEED = 20261127
ROLLOUTS = 300
HISTORY_SAMPLES = 2 * WINDOW
REPLAY_HISTORY = 600
KINDS = ("count", "rate", "latency")
SPAN = WINDOW * ROLLOUT_CALLS


# --- the split -----------------------------------------------------------------------------------


def third_starts(values: np.ndarray) -> list[int]:
    """The rollouts right after each rollout of the first and the midway split (as
    :func:`fresh` places them), where the run ends before the next judged rollout starts."""
    first = rollout_starts(values)
    midway = [(a + b) // 2 for a, b in pairwise(first) if b - a >= 2 * SPAN]
    taken = sorted(first + midway)
    limits = [*taken[1:], len(values)]
    return [a + SPAN for a, b in zip(taken, limits, strict=True) if a + 2 * SPAN <= b]


def nab_split(series: dict[str, np.ndarray]) -> dict[str, list[int]]:
    return {
        name: third_starts(values) for name, values in series.items() if kind_of(name) == "count"
    }


def replay_draws(recording: loop.Recording) -> list[tuple[str, str, bool, list[list[int]], int]]:
    """(effect, pair, swap, each call's block starts, the history's first second) per rollout,
    for every kind alike."""
    rng = np.random.default_rng(SEED)
    seconds = recording.counts.shape[0]
    drawn = []
    for effect, worse in (("no change", 1.0), ("+30 %", 1.3)):
        pairs = [pair for pair, factor in loop.PAIRS.items() if factor == worse]
        for _ in range(ROLLOUTS):
            pair = pairs[int(rng.integers(len(pairs)))]
            swap = worse == 1.0 and bool(rng.integers(2))
            draws = rng.integers(
                0, seconds - loop.BLOCK_SECONDS + 1, (loop.CALLS, loop.BLOCKS_PER_CALL)
            )
            history = int(rng.integers(0, seconds - REPLAY_HISTORY + 1))
            drawn.append((effect, pair, swap, draws.tolist(), history))
    return drawn


def digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def manifest(series: dict[str, np.ndarray], recording: loop.Recording) -> dict[str, object]:
    split_ = nab_split(series)
    return {
        "nab": "numenta/NAB at ea702d7, the files of canary_rollout.freeze",
        "nab files digest": hashlib.sha256(FREEZE.read_bytes()).hexdigest(),
        "nab rollouts (series: first sample of each)": split_,
        "nab rollouts": sum(len(s) for s in split_.values()),
        "history samples before a NAB rollout": HISTORY_SAMPLES,
        "replay recording digest": hashlib.sha256(loop.RECORDING.read_bytes()).hexdigest(),
        "replay seed": SEED,
        "replay rollouts per effect": ROLLOUTS,
        "replay history seconds": REPLAY_HISTORY,
        "replay draws digest": digest(replay_draws(recording)),
    }


# --- the judging ---------------------------------------------------------------------------------


def nab_rollout(
    spec: object, calls: list[np.ndarray], effect: float, noise: object
) -> tuple[str, float | None]:
    """As :func:`research.deploy.canary_power.replay`, the noise given at the first call."""
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds
    from cicd_agent.modes.deploy_gate.canary.judge import judge_canary

    state, said, verdict = None, None, "continue"
    for number, window in enumerate(calls):
        baseline, canary = split(window)
        judged = judge_canary(
            {"metric": baseline}, {"metric": canary * effect}, [spec], CanaryThresholds(),  # type: ignore[list-item]
            state=state, noise=None if noise is None or number else {"metric": noise},  # type: ignore[dict-item]
        )  # fmt: skip
        state, verdict = judged.state, judged.verdict
        power = judged.metrics[0].power
        if number == 0 and power is not None:
            said = power.detectable
        if verdict != "continue":
            break
    return verdict, said


def judge_nab(
    series: dict[str, np.ndarray], split_: dict[str, list[int]], learn_noise: bool
) -> dict[str, object]:
    from cicd_agent.modes.deploy_gate.canary.noise import learn

    tally, learnt = Tally(), []
    for name, starts in split_.items():
        values, spec = series[name], spec_for("count")
        for start, calls in zip(starts, rollouts(values, starts), strict=True):
            noise = learn(values[start - HISTORY_SAMPLES : start]) if learn_noise else None
            if noise is not None:
                learnt.append(noise.dispersion)
            verdict, said = nab_rollout(spec, calls, 1.0, noise)
            tally.add("no change", verdict)
            tally.add("+30 %", nab_rollout(spec, calls, 1.3, noise)[0])
            if said is not None and said < 2.0:
                hit = nab_rollout(spec, calls, 1.0 + said, noise)[0] == "rollback"
                tally.claims.append((said, hit))
    figures = tally.figures()
    if learn_noise:
        found = [d for d in learnt if d is not None]
        figures["noise learnt"] = f"{len(found)} of {len(learnt)} rollouts"
        if found:
            figures["learnt dispersion, median (range)"] = (
                f"{np.median(found):.2f} ({min(found):.2f}-{max(found):.2f})"
            )
    return figures


def history_noise(recording: loop.Recording, kind: str, pair: str, side: str, first: int) -> object:
    from cicd_agent.modes.deploy_gate.canary.collect import tail_counts
    from cicd_agent.modes.deploy_gate.canary.noise import learn

    starts = np.arange(first, first + REPLAY_HISTORY, loop.BLOCK_SECONDS)
    counts, _ = recording.window(pair, side, starts)
    if kind == "count":
        return learn(counts[:, 1])
    if kind == "rate":
        return learn(counts[:, 1], counts[:, 0])
    bounds = (*loop.BUCKETS, math.inf)
    buckets = {
        le: {float(t): float(counts[t, 2 + i]) for t in range(len(counts))}
        for i, le in enumerate(bounds)
    }
    tail = tail_counts(0.99, buckets, buckets)
    return None if tail is None else learn(tail.baseline, tail.baseline_traffic)


def replay_rollout(recording: loop.Recording, kind: str, drawn: tuple, learn_noise: bool) -> str:  # type: ignore[type-arg]
    from cicd_agent.modes.deploy_gate.canary.config import CanaryThresholds
    from cicd_agent.modes.deploy_gate.canary.judge import judge_canary

    _, pair, swap, draws, history = drawn
    sides = ("canary", "baseline") if swap else ("baseline", "canary")
    noise = history_noise(recording, kind, pair, sides[0], history) if learn_noise else None
    state, verdict = None, "continue"
    for number, starts in enumerate(np.asarray(draws)):
        one = loop.judged(kind, *(recording.window(pair, side, starts) for side in sides))
        counts = one.get("counts")
        result = judge_canary(
            {"metric": one["baseline"]}, {"metric": one["canary"]}, [loop.spec(kind)],  # type: ignore[list-item,dict-item]
            CanaryThresholds(), state=state,
            counts=None if counts is None else {"metric": counts},  # type: ignore[dict-item]
            spans={"metric": float(loop.BLOCK_SECONDS * loop.BLOCKS_PER_CALL)},
            noise=None if noise is None or number else {"metric": noise},  # type: ignore[dict-item]
        )  # fmt: skip
        state, verdict = result.state, result.verdict
        if verdict != "continue":
            break
    return verdict


def judge_replay(recording: loop.Recording, learn_noise: bool) -> dict[str, dict[str, str]]:
    drawn = replay_draws(recording)
    change = loop.recorded_change(recording)
    report = {}
    for kind in KINDS:
        found: dict[str, dict[str, int]] = {}
        for number, one in enumerate(drawn):
            verdict = replay_rollout(recording, kind, one, learn_noise)
            row = found.setdefault(one[0], {})
            row[verdict] = row.get(verdict, 0) + 1
            if number % 100 == 99:
                print(
                    f"{kind}, noise {'learnt' if learn_noise else 'not learnt'}: {number + 1}",
                    file=sys.stderr,
                )
        report[kind] = loop.figures(found, change[kind])
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("freeze", "judge"))
    parser.add_argument("--data", type=Path, required=True, help="a checkout of numenta/NAB")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", choices=("nab", "replay"), default=None)
    parser.add_argument("--learnt-only", action="store_true", help="skip the judge before")
    args = parser.parse_args()
    series, recording = load_frozen(args.data), loop.Recording()
    made = manifest(series, recording)
    if args.command == "freeze":
        MANIFEST.write_text(json.dumps(made, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MANIFEST} ({made['nab rollouts']} NAB rollouts)")
        return
    if json.loads(MANIFEST.read_text(encoding="utf-8")) != made:
        raise SystemExit(f"the split differs from {MANIFEST.name}: not the frozen split")
    report: dict[str, object] = {}
    split_ = made["nab rollouts (series: first sample of each)"]
    for learnt in (True,) if args.learnt_only else (True, False):
        label = "noise learnt" if learnt else "noise not learnt (the judge before)"
        if args.only in (None, "nab"):
            report[f"NAB counts, {label}"] = judge_nab(series, split_, learnt)  # type: ignore[arg-type]
        if args.only in (None, "replay"):
            report[f"replay, {label}"] = judge_replay(recording, learnt)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
