"""Time-ordered ranking of defect-inducing commits: fit on the past, judge the later
part, on the SZZ labels of :mod:`research.risk.szz`.

Usage: python -m research.risk.eval_szz --szz DIR [--cache DIR] [--train deployed|file|line]
       [--prior shipped|none|PRIOR.json] [--save FILE.npz] BATCH/owner+name...

For each repository: its mined history (deploy-gate's own mining and rows, :mod:`jit`), the
SZZ window (the last commits ``szz.py`` labelled); the oldest :data:`FIT_SHARE` of the window
and everything before it is the past, the rest is judged. Each judged commit is scored by the
model deploy-gate fits on the past (``--train``: ``deployed`` the labels deploy-gate uses
today, reverts and file-level SZZ where reverts are few; ``file`` reverts and file-level SZZ
always; ``line`` reverts and the line-level SZZ labels known before the cut) and by lines added
alone. Printed per repository and as the mean of the repositories' own AUCs with a 95 %
interval (repositories resampled): AUC on defect-inducing commits (SZZ), the share of them the
riskiest 10 % of judged commits catch, and AUC on later-reverted commits (where at least three
were reverted). ``--save`` keeps the scores for ``--report NEW --against OLD`` (paired).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from tests.helpers.risk_measures import auc, delong

from cicd_agent.analysis.changes import ChangeSet
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining, records, runs
from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.checkout import read_what_changed
from cicd_agent.risk.jit import fix_inducing, reverted
from cicd_agent.risk.prior import CrossRepoPrior
from research.risk import prior_fit

FIT_SHARE = 0.6
TOP = 0.10


def top_recall(scores: np.ndarray, labels: np.ndarray) -> float:
    """The share of positives among the riskiest :data:`TOP` of commits (ties broken by a
    fixed random order, so a constant score catches about 10 %)."""
    if not labels.any():
        return float("nan")
    rng = np.random.default_rng(17)
    order = np.lexsort((rng.random(len(scores)), -scores))
    k = math.ceil(TOP * len(scores))
    return float(labels[order[:k]].sum() / labels.sum())


_GATE_COLUMNS = (
    "lines_added", "lines_deleted", "entropy", "docs_only", "tests_only",
    *(f"type_{kind.value}" for kind in jit.TYPE_FEATURES),
)  # fmt: skip


def as_gated(repo: GitRepo, commit: records.MinedCommit, row: list[float]) -> list[float]:
    """``row`` (the mined commit's, git's counts) as deploy-gate reads the change when it
    gates it: the lines that change what runs, comments-only files as
    documentation, manifests whose dependency entries did not move as configuration. Only
    the columns the change's own files give move, by the difference between git's reading
    and the gate's (the mined row leaves generated and lock files' lines out)."""
    base = commit.parents[0] if commit.parents else None
    change = ChangeSet(head=commit.sha, base=base, files=commit.files, commits=())
    lines, moved = read_what_changed(
        repo,
        change,
        lambda paths, most: repo.diff_text(change.base, change.head, list(paths), most),
    )
    gated = runs.effective(change.files, lines, moved)
    if gated == change.files:
        return row
    blank = jit.Replay()
    raw = blank.row(change.files, [], commit.time, fix=False, revert=False)
    new = blank.row(gated, [], commit.time, fix=False, revert=False)
    out = list(row)
    for name in _GATE_COLUMNS:
        i = jit.FEATURES.index(name)
        if name.startswith("lines_"):
            count = math.expm1(row[i]) - (math.expm1(raw[i]) - math.expm1(new[i]))
            out[i] = math.log1p(max(0.0, count))
        elif name == "entropy":
            out[i] = new[i]
        else:
            out[i] = min(1.0, max(0.0, row[i] - raw[i] + new[i]))
    return out


def evaluate(
    path: Path,
    szz: dict,
    cache: Path | None,
    train: str,
    prior_name: str | CrossRepoPrior,
    *,
    gated: bool = False,
) -> dict:
    commits = mining.mine(GitRepo.open(path), "HEAD", cache)
    rows, _ = jit.replay(commits)
    index = {c.sha: i for i, c in enumerate(commits)}
    window = [index[sha] for sha in szz["window"] if sha in index]
    cut = window[int(len(window) * FIT_SHARE)]
    judged = [i for i in window if i >= cut]
    cut_time = commits[cut].time
    past = commits[:cut]
    shas = [c.sha for c in past]
    reverts_then = reverted(past, until=cut_time)
    induced: dict[str, int] = szz["induced"]
    if train == "deployed":
        labels = risk_model.own_labels(shas, reverts_then, fix_inducing(past))
    elif train == "file":
        file_level = fix_inducing(past)
        labels = [s in reverts_then or s in file_level for s in shas]
    else:
        labels = [s in reverts_then or induced.get(s, 1 << 62) < cut_time for s in shas]
    if isinstance(prior_name, CrossRepoPrior):  # --prior loo: fitted on the other repositories
        prior: CrossRepoPrior | None = prior_name
    elif prior_name == "shipped":
        prior = risk_prior.load_prior()
    elif prior_name == "none":
        prior = None
    else:  # a prior file (prior_fit.py's output)
        prior = risk_prior.parse_prior(Path(prior_name).read_text(encoding="utf-8"))
        assert prior is not None, f"{prior_name} is not a prior of these features"
    model = risk_model.fit(rows[:cut], labels, prior)
    repo = GitRepo.open(path)
    judged_rows = {i: as_gated(repo, commits[i], rows[i]) if gated else rows[i] for i in judged}
    score = np.asarray(
        [model.score(judged_rows[i])[2] if model else 0.0 for i in judged], dtype=float
    )
    all_reverted = reverted(commits)
    return {
        "score": score,
        # git's lines added, every file counted (the row leaves generated and lock files out).
        "lines": np.asarray([sum(f.added for f in commits[i].files) for i in judged]),
        "label": np.asarray([commits[i].sha in induced for i in judged]),
        "reverted": np.asarray([commits[i].sha in all_reverted for i in judged]),
        "fitted": np.asarray([model is not None] * len(judged)),
    }


def interval(values: list[float]) -> tuple[float, float]:
    rng = np.random.default_rng(17)
    data = np.asarray(values)
    means = [data[rng.integers(0, len(data), len(data))].mean() for _ in range(2000)]
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def summarise(results: dict[str, dict[str, np.ndarray]], against: dict | None = None) -> None:
    table: dict[str, list[float]] = {}
    for name, r in results.items():
        labels, rev = r["label"].astype(bool), r["reverted"].astype(bool)
        row = {
            "auc": auc(r["score"], labels),
            "lines_auc": auc(r["lines"], labels),
            "top10": top_recall(r["score"], labels),
            "lines_top10": top_recall(r["lines"], labels),
            "revert_auc": auc(r["score"], rev) if rev.sum() >= 3 else float("nan"),
            "lines_revert_auc": auc(r["lines"], rev) if rev.sum() >= 3 else float("nan"),
        }
        if against is not None and name in against:
            row["before_auc"] = auc(against[name]["score"], labels)
        _, below = delong(r["score"].astype(float), r["lines"].astype(float), labels)
        row["delong_p_below_lines"] = below
        print(
            f"{name:34} n={len(labels):5} induced={int(labels.sum()):4} ({labels.mean():.0%}) "
            f"reverted={int(rev.sum()):3} | AUC {row['auc']:.3f} lines {row['lines_auc']:.3f} "
            f"| top10 {row['top10']:.0%} lines {row['lines_top10']:.0%} "
            f"| revert AUC {row['revert_auc']:.3f} lines {row['lines_revert_auc']:.3f} "
            f"| DeLong p(below lines) {below:.3f}"
        )
        for key, value in row.items():
            table.setdefault(key, []).append(value)
    for key, values in table.items():
        kept = [v for v in values if not math.isnan(v)]
        if not kept:
            continue
        low, high = interval(kept)
        print(f"mean {key:18} {np.mean(kept):.3f} [{low:.3f}-{high:.3f}] over {len(kept)} repos")
    if "before_auc" in table:
        diff = [a - b for a, b in zip(table["auc"], table["before_auc"], strict=True)]
        low, high = interval(diff)
        print(f"paired AUC difference (new - before) {np.mean(diff):+.3f} [{low:+.3f}-{high:+.3f}]")
    worse = sum(a < b for a, b in zip(table["auc"], table["lines_auc"], strict=True))
    print(f"repositories where the score ranks below lines added alone: {worse}")
    significant = sum(p < 0.05 for p in table["delong_p_below_lines"])
    print(f"repositories significantly below lines added alone (DeLong, p < 0.05): {significant}")


def load(path: Path) -> dict[str, dict[str, np.ndarray]]:
    data = np.load(path)
    out: dict[str, dict[str, np.ndarray]] = {}
    for key in data.files:
        name, field = key.split("/")
        out.setdefault(name, {})[field] = data[key]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--szz", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--train", choices=("deployed", "file", "line"), default="deployed")
    parser.add_argument(
        "--prior",
        default="shipped",
        help="shipped, none, a PRIOR.json, or loo (each repository scored by a prior fitted, as "
        "prior_fit.py does, on the SZZ windows of the others given)",
    )
    parser.add_argument(
        "--gated",
        action="store_true",
        help="score each judged commit as deploy-gate reads it when it gates it (issue 70: "
        "lines that run, dependency entries that move); the fit stays on mined rows",
    )
    parser.add_argument("--save", type=Path)
    parser.add_argument("--report", type=Path)
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    if args.report:
        summarise(load(args.report), load(args.against) if args.against else None)
        return
    results = {}
    labels = {
        path.name: json.loads((args.szz / f"{path.name}.json").read_text()) for path in args.repos
    }
    windows = {
        path.name: prior_fit.window_history(path, args.cache, labels[path.name])
        for path in args.repos
        if args.prior == "loo"
    }
    for path in args.repos:
        szz = labels[path.name]
        prior = args.prior
        if args.prior == "loo":
            prior = prior_fit.fit_prior([h for name, h in windows.items() if name != path.name])
        results[path.name] = evaluate(path, szz, args.cache, args.train, prior, gated=args.gated)
        print(f"  scored {path.name}", file=sys.stderr, flush=True)
    if args.save:
        np.savez_compressed(
            args.save, **{f"{n}/{k}": v for n, r in results.items() for k, v in r.items()}
        )
    summarise(results)


if __name__ == "__main__":
    main()
