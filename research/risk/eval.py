"""Time-split evaluation of the fitted risk model on real histories.

Usage: python -m research.risk.eval [--cache DIR] [--priors N] [--folds K]
       [--prior loro|shipped|none] [--train-only REPO_PATH...] [--save FILE] REPO_PATH...

For each repository: mine up to 20,000 past commits of HEAD, replay their just-in-time rows
(each from its own past), and label each commit by whether a later commit reverts it (training
also counts file-level SZZ fix-inducing commits known at the cut where the reverts known then
are too few, as deploy-gate does: ``risk_model.own_labels``; evaluation, reverts only). The last
half of the history is cut into K consecutive test blocks; each block is scored by a model
fitted only on the commits before it, with only the reverts known before it. Reported per
repository and pooled: ROC-AUC with a 95 % bootstrap CI for the fitted model, for lines changed
alone and for today's priors (``assess_range`` on all positives and a sample of N negatives,
which keeps AUC unbiased), and precision/recall of "high or above".

The cross-repository prior (:mod:`research.risk.prior_fit`) is by default fitted leave-one-repository-out:
for each repository, on the full histories of all the *other* given repositories (and of the
``--train-only`` ones, which are not evaluated), so no repository is scored by weights that saw
its own reverts. ``--prior shipped`` uses the packaged coefficients instead (only honest for
repositories outside their provenance), ``--prior none`` the repository's own fit alone.

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
from bench.risk_replay import assess_range
from tests.helpers.prior_fit import fit_prior
from tests.helpers.risk_measures import auc, bootstrap, report, within_report

from cicd_agent.analysis.scale import LEVEL_BOUNDS, RiskLevel
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining, records
from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.jit import fix_inducing, reverted

HIGH = LEVEL_BOUNDS[RiskLevel.HIGH]



History = tuple[list[records.MinedCommit], list[list[float]], set[str]]


def load(path: Path, cache: Path | None) -> History:
    """A repository's mined commits (oldest first), their rows and every later-reverted SHA."""
    started = time.perf_counter()
    commits = mining.mine(GitRepo.open(path), "HEAD", cache)
    rows, _ = jit.replay(commits)
    labels = reverted(commits)
    print(
        f"  {path.name}: mined {len(commits)} commits in {time.perf_counter() - started:.1f}s;"
        f" reverted {len(labels)}",
        file=sys.stderr,
    )
    return commits, rows, labels


def loro_prior(histories: dict[Path, History], left_out: Path) -> risk_prior.CrossRepoPrior:
    """The cross-repository prior fitted on every history but ``left_out``'s."""
    fitted = fit_prior(
        [
            (rows, [c.sha in labels for c in commits])
            for path, (commits, rows, labels) in histories.items()
            if path != left_out
        ]
    )
    names = tuple(path.name for path in histories if path != left_out)
    return risk_prior.CrossRepoPrior(fitted.coef, fitted.intercept, names)


def evaluate(
    history: History, folds: int, prior: risk_prior.CrossRepoPrior | None
) -> dict[str, np.ndarray]:
    commits, rows, labels_all = history
    count = len(commits)
    start = count // 2
    edges = [start + (count - start) * i // folds for i in range(folds + 1)]
    out: dict[str, list[float]] = {"score": [], "label": [], "lines": [], "fitted": [], "index": []}
    for low, high in itertools.pairwise(edges):
        cut_time = commits[low].time
        labels = risk_model.own_labels(
            [c.sha for c in commits[:low]],
            reverted(commits[:low], until=cut_time),
            fix_inducing(commits[:low]),
        )
        model = risk_model.fit(rows[:low], labels, prior)
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
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--priors", type=int, default=0, help="negatives sampled for priors")
    parser.add_argument("--prior", choices=("loro", "shipped", "none"), default="loro")
    parser.add_argument("--train-only", nargs="*", type=Path, default=[])
    parser.add_argument("--save", type=Path, help="write each repository's scores (.npz)")
    parser.add_argument(
        "--report", nargs="+", type=Path, default=[], help="measure saved .npz files instead"
    )
    parser.add_argument(
        "--against", nargs="+", type=Path, default=[], help="with --report: paired difference"
    )
    args = parser.parse_args()
    if args.report:
        report(args.report, args.against)
        return
    if not args.repos:
        parser.error("give repositories, or --report saved files")
    saved: dict[str, np.ndarray] = {}
    histories = {path: load(path, args.cache) for path in [*args.repos, *args.train_only]}
    pooled: dict[str, list[np.ndarray]] = {"score": [], "label": [], "lines": []}
    pooled_priors: list[np.ndarray] = []
    pooled_priors_labels: list[np.ndarray] = []
    for path in args.repos:
        if args.prior == "loro":
            prior = loro_prior(histories, path)
        else:
            prior = risk_prior.load_prior() if args.prior == "shipped" else None
        result = evaluate(histories[path], args.folds, prior)
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
            saved[f"{path.name}/{key}"] = result[key]
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
    groups = np.concatenate(
        [
            np.full(len(result), path.name)
            for path, result in zip(args.repos, pooled["label"], strict=True)
        ]
    )
    print(within_report(np.concatenate(pooled["score"]), labels, groups))
    print(within_report(np.concatenate(pooled["lines"]), labels, groups, "lines"))
    if args.save:
        np.savez_compressed(args.save, **saved)



if __name__ == "__main__":
    main()
