"""A second attempt at the risk score's open goals: what the riskiest 10 % could catch at best,
and candidate backbones and extra terms from the just-in-time literature, each beside the
score as shipped on the same commits and labels.

Usage: python -m research.risk.second_attempt --szz DIR --cache DIR [--per-repo] BATCH/owner+name...

Same protocol as :mod:`research.risk.eval_szz` (``--train deployed --prior shipped``): the
oldest 60 % of the labelled window and everything before it is the past, the rest is judged.
Each judged commit's blended rank is split into its parts, the size backbone (where its lines
added rank among the past, weighted :data:`~cicd_agent.risk.model.SIZE_WEIGHT`) and the
fitted third (own fit and prior); a candidate replaces the backbone or adds a term with a
fixed weight, without refitting, so it is a cheap first look at whether the idea can matter.

The candidates' extra quantities are replayed from git's counts of the mined history:

- *relative churn* (Kamei et al. 2013, LA/LT): lines added over the lines the touched files
  had before the change, LT counted by replaying every commit's added and deleted lines;
- *the touched files' fix ratio*: of the earlier commits that touched a file, the share with
  a fix message ((fixes + 0.5) / (changes + 2)); the highest over the change's files that are
  neither documentation nor tests (a maximum, so another file never lowers it), or the ratio
  of the summed counts (the row's ``past_fixes`` over ``past_changes``);
- lines added to files that are neither documentation nor tests.

``ceiling`` is what an oracle could catch in the riskiest 10 %: min(1, 10 % of the judged
commits / the defect-inducing ones).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tests.helpers.risk_measures import auc, delong

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining
from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.jit import fix_inducing, reverted
from cicd_agent.risk.records import MinedCommit
from research.risk.eval_szz import FIT_SHARE, TOP, interval, top_recall

_SCOPE = frozenset({ChangeType.DOCS, ChangeType.TESTS})
_COLUMN = jit.FEATURES.index
Parts = dict[str, np.ndarray]


def _midrank(past: np.ndarray, values: np.ndarray) -> np.ndarray:
    ordered = np.sort(past)
    low = np.searchsorted(ordered, values, "left")
    return (low + np.searchsorted(ordered, values, "right")) / (2 * len(ordered))


def replayed(commits: list[MinedCommit]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per commit, before it: the touched files' lines (LT), the highest fix ratio of its
    files that are neither documentation nor tests, and the lines it added to those files."""
    size: dict[str, int] = {}
    history: dict[str, tuple[int, int]] = {}  # changes, fixes
    before, ratio, code = [], [], []
    for commit in commits:
        runtime = [f for f in commit.files if not f.types & _SCOPE]
        before.append(
            sum(size.get(f.old_path or f.path, 0) for f in commit.files if f.status != "A")
        )
        ratios = [(history.get(f.path, (0, 0))[1] + 0.5) / (history.get(f.path, (0, 0))[0] + 2)
                  for f in runtime]  # fmt: skip
        ratio.append(max(ratios, default=0.0))
        code.append(sum(f.added for f in runtime))
        for changed in commit.files:
            changes, fixes = history.get(changed.path, (0, 0))
            history[changed.path] = (changes + 1, fixes + int(commit.fix))
            if changed.old_path and changed.status.startswith("R"):
                size[changed.path] = size.pop(changed.old_path, 0)
            if changed.status == "D":
                size.pop(changed.path, None)
            else:
                size[changed.path] = max(
                    0, size.get(changed.path, 0) + changed.added - changed.deleted
                )
    return np.asarray(before, float), np.asarray(ratio), np.asarray(code, float)


def parts(path: Path, szz: dict[str, Any], cache: Path | None) -> Parts:
    """One repository's judged commits: label, lines added, the shipped score, the blend's
    fitted third (``rest``) and each candidate quantity's rank among the past."""
    commits = mining.mine(GitRepo.open(path), "HEAD", cache)
    rows, _ = jit.replay(commits)
    index = {c.sha: i for i, c in enumerate(commits)}
    window = [index[sha] for sha in szz["window"] if sha in index]
    cut = window[int(len(window) * FIT_SHARE)]
    judged = [i for i in window if i >= cut]
    past = commits[:cut]
    labels = risk_model.own_labels(
        [c.sha for c in past], reverted(past, until=commits[cut].time), fix_inducing(past)
    )
    model = risk_model.fit(rows[:cut], labels, risk_prior.load_prior())
    assert model is not None, f"{path.name}: no fit"
    ranks = risk_prior.Ranks(model.knots)
    own, prior = risk_model.blend_weights(model.own, bool(model.prior_coef))
    rest, added = [], []
    for i in judged:
        ranked = ranks.row(rows[i])
        part = prior * risk_model._share(
            model.prior_logits, risk_model._logit(model.prior_intercept, model.prior_coef, ranked)
        )
        if own:
            logit = risk_model._logit(model.intercept, model.coef, ranked)
            part += own * risk_model._share(model.past_logits, logit)
        rest.append(part)
        added.append(risk_model.size_share(ranked[_COLUMN("lines_added")]))
    matrix = np.asarray(rows, dtype=float)
    la = np.expm1(matrix[:, _COLUMN("lines_added")])
    ld = np.expm1(matrix[:, _COLUMN("lines_deleted")])
    lt, ratio, code = replayed(commits)
    summed = matrix[:, _COLUMN("past_fixes")] - matrix[:, _COLUMN("past_changes")]
    chosen, earlier = np.asarray(judged), np.arange(cut)

    def rank(values: np.ndarray) -> np.ndarray:
        return _midrank(values[earlier], values[chosen])

    return {
        "label": np.asarray([commits[i].sha in szz["induced"] for i in judged]),
        "lines": np.asarray([sum(f.added for f in commits[i].files) for i in judged], float),
        "score": np.asarray([model.score(rows[i])[2] for i in judged]),
        "rest": np.asarray(rest),
        "added": np.asarray(added),
        "churn": rank(np.log1p(la + ld)),
        "deleted": rank(ld),
        "relative": rank(la / (lt + la + 1)),
        "added_relative": rank(np.log1p(la) + np.log1p(la / (lt + 1))),
        "fixes": rank(matrix[:, _COLUMN("past_fixes")]),
        "fix_ratio_max": rank(ratio),
        "fix_ratio_summed": rank(summed),
        "entropy": rank(matrix[:, _COLUMN("entropy")]),
        "code": rank(code),
    }


_W = risk_model.SIZE_WEIGHT
CANDIDATES: dict[str, Callable[[Parts], np.ndarray]] = {
    "as shipped (the blend unrounded)": lambda p: _W * p["added"] + p["rest"],
    "backbone: lines added + deleted": lambda p: _W * p["churn"] + p["rest"],
    "backbone: mean rank of added and deleted": lambda p: (
        _W * (p["added"] + p["deleted"]) / 2 + p["rest"]
    ),
    "backbone: 0.75 added + 0.25 deleted": lambda p: (
        _W * (0.75 * p["added"] + 0.25 * p["deleted"]) + p["rest"]
    ),
    "backbone: added and relative churn LA/LT": lambda p: (
        _W * (p["added"] + p["relative"]) / 2 + p["rest"]
    ),
    "backbone: log LA + log LA/LT": lambda p: _W * p["added_relative"] + p["rest"],
    "backbone: added (0.75) and files' past fixes": lambda p: (
        _W * (0.75 * p["added"] + 0.25 * p["fixes"]) + p["rest"]
    ),
    "backbone: lines added to code only": lambda p: _W * p["code"] + p["rest"],
    "backbone: added and added to code": lambda p: _W * (p["added"] + p["code"]) / 2 + p["rest"],
    "+ 0.1 entropy": lambda p: _W * p["added"] + p["rest"] + 0.1 * p["entropy"],
    "+ 0.1 files' fix ratio (highest)": lambda p: (
        _W * p["added"] + p["rest"] + 0.1 * p["fix_ratio_max"]
    ),
    "+ 0.1 files' fix ratio (summed)": lambda p: (
        _W * p["added"] + p["rest"] + 0.1 * p["fix_ratio_summed"]
    ),
    "lines added alone": lambda p: p["added"],
    "lines added + deleted alone": lambda p: p["churn"],
    "relative churn alone": lambda p: p["relative"],
    "files' fix ratio (highest) alone": lambda p: p["fix_ratio_max"],
}


def ceiling(label: np.ndarray) -> float:
    return min(1.0, math.ceil(TOP * len(label)) / max(1, int(label.sum())))


def report(repos: dict[str, Parts], per_repo: bool) -> None:
    print("| repository | judged | defect-inducing | ceiling | lines added catch | shipped catch |")
    print("|---|---|---|---|---|---|")
    columns: dict[str, list[float]] = {"ceiling": [], "lines": [], "score": []}
    for name, p in repos.items():
        label = p["label"].astype(bool)
        columns["ceiling"].append(ceiling(label))
        columns["lines"].append(top_recall(p["lines"], label))
        columns["score"].append(top_recall(p["score"], label))
        shares = " | ".join(f"{values[-1]:.1%}" for values in columns.values())
        print(f"| {name} | {len(label)} | {label.sum()} ({label.mean():.0%}) | {shares} |")
    print("| mean | | | " + " | ".join(f"{np.mean(v):.1%}" for v in columns.values()) + " |")
    print()
    print("| candidate | mean AUC | paired against shipped [95 %] | repositories up | below lines"
          " / significantly | catch |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, candidate in {"shipped": lambda p: p["score"], **CANDIDATES}.items():
        aucs, diffs, catches, below, significant, each = [], [], [], 0, 0, []
        for repo, p in repos.items():
            label, score = p["label"].astype(bool), candidate(p).astype(float)
            aucs.append(auc(score, label))
            diffs.append(aucs[-1] - auc(p["score"].astype(float), label))
            catches.append(top_recall(score, label))
            below += aucs[-1] < auc(p["lines"], label)
            _, p_below = delong(score, p["lines"].astype(float), label)
            significant += p_below < 0.05
            each.append(f"{repo} {aucs[-1]:.3f} p {p_below:.3f}")
        low, high = interval(diffs)
        up = sum(d > 0 for d in diffs)
        print(
            f"| {name} | {np.mean(aucs):.4f} | {np.mean(diffs):+.4f} [{low:+.4f}, {high:+.4f}]"
            f" | {up}/{len(diffs)} | {below} / {significant} | {np.mean(catches):.1%} |"
        )
        if per_repo:
            print("|  | " + "; ".join(each) + " | | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--szz", type=Path, required=True)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--per-repo", action="store_true")
    args = parser.parse_args()
    repos = {}
    for path in args.repos:
        szz = json.loads((args.szz / f"{path.name}.json").read_text())
        repos[path.name] = parts(path, szz, args.cache)
        print(f"  {path.name}", file=sys.stderr, flush=True)
    report(repos, args.per_repo)


if __name__ == "__main__":
    main()
