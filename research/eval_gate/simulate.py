"""The paired test's power and false alarms by simulation, on the statistics alone (no model,
no CLI): per-case pass chances drawn from three shapes, each case sampled ``repeats`` times a
side, the head's chances lowered so the mean falls by the drop, in two ways (every case scaled,
or whole cases falling to zero).

Usage: ``.venv/bin/python research/eval_gate/simulate.py [--seeds N]``; one line a figure.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from cicd_agent.modes.eval.stats import Limits, decide, paired

NOISES: dict[str, Callable[[random.Random], float]] = {
    "beta(2,1)": lambda rng: rng.betavariate(2, 1),
    "uniform": lambda rng: rng.random(),
    "70% steady": lambda rng: 0.97 if rng.random() < 0.7 else rng.random(),
}


def verdict(seed: int, cases: int, repeats: int, drop: float, shape: str,
            noise: Callable[[random.Random], float]) -> str:  # fmt: skip
    rng = random.Random(seed)
    chances = [noise(rng) for _ in range(cases)]
    mean = sum(chances) / cases
    if shape == "scale":
        heads = [c * (1 - drop / mean) for c in chances]
    else:  # whole cases fall until the mean has dropped by ``drop``
        heads, need = list(chances), drop * cases
        for i in rng.sample(range(cases), cases):
            take = min(heads[i], need)
            heads[i] -= take
            need -= take

    def rate(chance: float) -> float:
        return sum(rng.random() < chance for _ in range(repeats)) / repeats

    base, head = [rate(c) for c in chances], [rate(c) for c in heads]
    return decide(paired(base, head, binary=repeats == 1), Limits()).verdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=500)
    seeds = parser.parse_args().seeds
    for name, noise in NOISES.items():
        for shape in ("scale", "flip"):
            share = sum(verdict(s, 200, 3, 0.10, shape, noise) == "regressed"
                        for s in range(seeds)) / seeds  # fmt: skip
            print(f"{name}: 10-point drop ({shape}) on 200 cases, repeats 3: regressed {share:.1%}")
        share = sum(verdict(s, 200, 3, 0.0, "scale", noise) == "regressed"
                    for s in range(2 * seeds)) / (2 * seeds)  # fmt: skip
        print(f"{name}: unchanged, 200 cases, repeats 3: regressed {share:.1%}")
        found = [verdict(s, 20, 3, 0.0, "scale", noise) for s in range(seeds)]
        print(
            f"{name}: 20 cases: passed {found.count('passed')}, insufficient "
            f"{found.count('insufficient')}, regressed {found.count('regressed')}"
        )


if __name__ == "__main__":
    main()
