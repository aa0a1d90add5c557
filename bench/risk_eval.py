"""Time-split evaluation of the fitted risk model on real histories (issue 17).

Usage: python bench/risk_eval.py [--cache DIR] [--priors N] [--folds K] REPO_PATH...

For each repository: mine up to 20,000 past commits of HEAD, replay their just-in-time rows
(each from its own past), and label each commit by whether a later commit reverts it (training
also counts file-level SZZ fix-inducing commits known at the cut; evaluation, reverts only). The last
half of the history is cut into K consecutive test blocks; each block is scored by a model
fitted only on the commits before it, with only the reverts known before it. Reported per
repository and pooled: ROC-AUC with a 95 % bootstrap CI for the fitted model, for lines changed
alone and for today's priors (``assess_range`` on all positives and a sample of N negatives,
which keeps AUC unbiased), and precision/recall of "high or above".

The data stays where it is given (nothing here is committed); the script only prints.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

import numpy as np

from cicd_agent.analysis import jit, mining, risk_model
from cicd_agent.analysis.gitrepo import GitRepo
from cicd_agent.analysis.risk import LEVEL_BOUNDS, RiskLevel, assess_range

HIGH = LEVEL_BOUNDS[RiskLevel.HIGH]


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half."""
    from scipy.stats import rankdata

    positives = labels.sum()
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def bootstrap(scores: np.ndarray, labels: np.ndarray, reps: int = 1000) -> tuple[float, float]:
    rng = np.random.default_rng(17)
    values = []
    for _ in range(reps):
        pick = rng.integers(0, len(labels), len(labels))
        value = auc(scores[pick], labels[pick])
        if not np.isnan(value):
            values.append(value)
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def evaluate(path: Path, cache: Path | None, folds: int) -> dict[str, np.ndarray]:
    repo = GitRepo.open(path)
    started = time.perf_counter()
    commits = mining.mine(repo, "HEAD", cache)
    rows, _ = jit.replay(commits)
    labels_all = mining.reverted(commits)
    mined = time.perf_counter() - started
    count = len(commits)
    start = count // 2
    edges = [start + (count - start) * i // folds for i in range(folds + 1)]
    out: dict[str, list[float]] = {"score": [], "label": [], "lines": [], "fitted": [], "index": []}
    for low, high in itertools.pairwise(edges):
        cut_time = commits[low].time
        known = mining.reverted(commits[:low], until=cut_time)
        known |= mining.fix_inducing(commits[:low])
        model = risk_model.fit(rows[:low], [c.sha in known for c in commits[:low]])
        for index in range(low, high):
            commit = commits[index]
            if model is None:
                score = 0.0
            else:
                score, _, _ = model.score(rows[index])
            out["score"].append(score)
            out["fitted"].append(float(model is not None))
            out["label"].append(float(commit.sha in labels_all))
            out["lines"].append(float(sum(f.churn for f in commit.files)))
            out["index"].append(float(index))
    print(f"  mined {count} commits in {mined:.1f}s; reverted {len(labels_all)}", file=sys.stderr)
    result = {key: np.asarray(value) for key, value in out.items()}
    result["shas"] = np.asarray([commits[int(i)].sha for i in result["index"]])
    return result


def priors(
    path: Path, shas: np.ndarray, labels: np.ndarray, negatives: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Today's priors on all positives and a sample of negatives; the sampling weight of a
    negative (to reweight precision)."""
    rng = random.Random(17)
    positive = [i for i in range(len(labels)) if labels[i]]
    negative = [i for i in range(len(labels)) if not labels[i]]
    sample = rng.sample(negative, min(negatives, len(negative)))
    scores, picked = [], []
    for index in positive + sample:
        try:
            _, _, assessment = assess_range(path, str(shas[index]))
        except Exception:
            continue
        scores.append(assessment.risk_score)
        picked.append(bool(labels[index]))
    weight = len(negative) / max(1, len(sample))
    return np.asarray(scores), np.asarray(picked), weight


def precision_recall(scores: np.ndarray, labels: np.ndarray, weight: float = 1.0) -> str:
    flagged = scores >= HIGH
    true = float((flagged & labels).sum())
    false = float((flagged & ~labels).sum()) * weight
    recall = true / max(1.0, float(labels.sum()))
    precision = true / (true + false) if true + false else float("nan")
    return f"P={precision:.2f} R={recall:.2f} flagged={flagged.mean():.1%}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--priors", type=int, default=0, help="negatives sampled for priors")
    args = parser.parse_args()
    pooled: dict[str, list[np.ndarray]] = {"score": [], "label": [], "lines": []}
    pooled_priors: list[np.ndarray] = []
    pooled_priors_labels: list[np.ndarray] = []
    for path in args.repos:
        print(f"{path.name}", file=sys.stderr)
        result = evaluate(path, args.cache, args.folds)
        labels = result["label"].astype(bool)
        fitted = result["fitted"].astype(bool)
        line = (
            f"{path.name:32} n={len(labels):6} reverted={int(labels.sum()):4} "
            f"({labels.mean():.2%}) fitted={fitted.mean():.0%}"
        )
        for name in ("score", "lines"):
            value = auc(result[name], labels)
            low, high = bootstrap(result[name], labels, 300)
            line += f" | {name} AUC {value:.3f} [{low:.3f}-{high:.3f}]"
        line += " | high+ " + precision_recall(result["score"], labels)
        if args.priors:
            scores, picked, weight = priors(path, result["shas"], labels, args.priors)
            line += f" | priors AUC {auc(scores, picked):.3f} " + precision_recall(
                scores, picked, weight
            )
            pooled_priors.append(scores)
            pooled_priors_labels.append(picked)
        print(line, flush=True)
        for key in pooled:
            pooled[key].append(result[key])
    labels = np.concatenate(pooled["label"]).astype(bool)
    line = f"{'POOLED':32} n={len(labels):6} reverted={int(labels.sum()):4} ({labels.mean():.2%})"
    for name in ("score", "lines"):
        scores = np.concatenate(pooled[name])
        low, high = bootstrap(scores, labels, 300)
        line += f" | {name} AUC {auc(scores, labels):.3f} [{low:.3f}-{high:.3f}]"
    line += " | high+ " + precision_recall(np.concatenate(pooled["score"]), labels)
    if pooled_priors:
        scores = np.concatenate(pooled_priors)
        picked = np.concatenate(pooled_priors_labels)
        line += f" | priors AUC {auc(scores, picked):.3f}"
    print(line)


if __name__ == "__main__":
    main()
