"""Does the risk score rank changes that were later reverted above those that were not?

The defect-prediction way (e.g. Kamei et al. 2013; revert-based labels as in Shimagaki et al.
2016): label each commit by whether a later commit reverts it, score every commit with only the
history before it, and report the area under the ROC curve (AUC: the chance a reverted change
scores above a kept one; 0.5 is chance). Baselines: lines changed alone (the strongest single
JIT feature in the literature) and each history feature alone.

The history is synthetic (``synthetic_history.py`` documents the generative process and what
that does and does not show). Labels are read back from git itself: a commit is "reverted" when
a later commit's subject is ``Revert "<its subject>"``.

    python bench/history_eval.py [--commits 10000] [--positives 300] [--negatives 600] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_history import generate

WARM_UP = 500
"""Commits at the start of the history not evaluated: nothing has a past yet."""


def labels(repo: Path) -> tuple[list[str], set[str]]:
    """Commits oldest first (reverts excluded) and the set of those later reverted."""
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--reverse", "--format=%H%x1f%s", "main"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    commits, by_subject, reverted = [], {}, set()
    for line in log.splitlines():
        sha, subject = line.split("\x1f", 1)
        if subject.startswith('Revert "') and subject.endswith('"'):
            original = by_subject.get(subject[len('Revert "') : -1])
            if original:
                reverted.add(original)
            continue
        by_subject[subject] = sha
        commits.append(sha)
    return commits, reverted


def score(job: tuple[str, str]) -> dict[str, float]:
    from cicd_agent.analysis.risk import assess_range

    repo, sha = job
    _, _, result = assess_range(Path(repo), sha)
    features = result.features
    return {
        "risk_score": result.risk_score,
        "level": float(result.risk_level.rank),
        "lines": float(features.lines_added + features.lines_deleted),
        "files": float(features.files),
        "fix": float(features.fix),
        "past_changes": float(features.past_changes or 0),
        "developers": float(features.developers or 0),
        "past_reverts": float(features.past_reverts or 0),
        "inexperience": -float(features.subsystem_experience or 0),
    }


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    u = mannwhitneyu(positive, negative, alternative="two-sided").statistic
    return float(u) / (len(positive) * len(negative))


def bootstrap(
    positive: np.ndarray, negative: np.ndarray, rounds: int = 1000
) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    values = [
        auc(rng.choice(positive, len(positive)), rng.choice(negative, len(negative)))
        for _ in range(rounds)
    ]
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--positives", type=int, default=300)
    parser.add_argument("--negatives", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repo", type=Path, help="reuse a history generated before")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        repo = args.repo or Path(scratch) / "history"
        if not (repo / ".git").exists():
            truth = generate(repo, args.commits, args.seed)
            print(f"generated {truth.commits} commits: {truth.defective} defective, "
                  f"{truth.reverted} reverted ({truth.seconds:.1f} s)")  # fmt: skip
        commits, reverted = labels(repo)
        pool = commits[WARM_UP:]
        rng = random.Random(args.seed)
        positives = [c for c in pool if c in reverted]
        negatives = [c for c in pool if c not in reverted]
        sample_pos = rng.sample(positives, min(args.positives, len(positives)))
        sample_neg = rng.sample(negatives, min(args.negatives, len(negatives)))
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2) as executor:
            rows = list(executor.map(score, [(str(repo), c) for c in sample_pos + sample_neg]))
        elapsed = time.perf_counter() - started
    is_positive = np.array([1] * len(sample_pos) + [0] * len(sample_neg), dtype=bool)
    report: dict[str, object] = {
        "commits": len(commits),
        "reverted": len(reverted),
        "evaluated": {"reverted": len(sample_pos), "kept": len(sample_neg)},
        "scoring_seconds": round(elapsed, 1),
        "auc": {},
    }
    print(f"evaluated {len(sample_pos)} reverted and {len(sample_neg)} kept commits "
          f"in {elapsed:.0f} s (2 processes)")  # fmt: skip
    print(f"{'score':<14} {'AUC':>6}  95% bootstrap CI")
    for name in rows[0]:
        values = np.array([row[name] for row in rows])
        value = auc(values[is_positive], values[~is_positive])
        low, high = bootstrap(values[is_positive], values[~is_positive])
        report["auc"][name] = {"auc": round(value, 3), "ci95": [round(low, 3), round(high, 3)]}  # type: ignore[index]
        print(f"{name:<14} {value:6.3f}  [{low:.3f}, {high:.3f}]")
    levels = np.array([row["level"] for row in rows])
    for rank, level in enumerate(("low", "medium", "high", "critical")):
        chosen = levels == rank
        if chosen.any():
            print(f"  {level:<9} {int(chosen.sum()):4d} commits, "
                  f"{100 * is_positive[chosen].mean():5.1f}% later reverted")  # fmt: skip
    print(json.dumps(report))


if __name__ == "__main__":
    main()
