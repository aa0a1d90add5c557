"""Which part of deploy-gate's fitted score earns its place: the time-ordered evaluation of
:mod:`research.risk.eval_szz` (fit on the past, judge the later part of the SZZ window) with
one part removed at a time, every variant on the same commits and labels.

Usage: python -m research.risk.ablate_szz --szz DIR --cache DIR [--variants NAME...]
       [--split 0.6] [--window-only] [--save FILE.npz] BATCH/owner+name...

A part is removed by making its features ``UNUSED`` in :data:`~cicd_agent.risk.model.DIRECTIONS`
for that variant only (the own fit's bounds and the clipping of the shipped prior both read
it: the part then moves no score), the history fit by giving it no weight in the blend, the
prior by fitting without it. Printed per variant: the mean of the repositories' own AUCs with
a 95 % interval (repositories resampled), lines added alone beside it, how many repositories
rank below lines added and how many significantly (DeLong, one-sided p < 0.05), and the share
of defect-inducing commits the riskiest 10 % catch. ``--split`` moves the cut (the share of
the window fitted on); ``--window-only`` fits on the window's older part alone, not on all
that came before it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tests.helpers.risk_measures import auc, delong

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining
from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.jit import fix_inducing, reverted
from research.risk.eval_szz import interval, top_recall

SIZE = ("lines_added", "lines_deleted")
SPREAD = ("files", "directories", "subsystems", "new_files", "deleted_files", "binary_files")
TYPES = tuple(f"type_{kind.value}" for kind in jit.TYPE_FEATURES)
SCOPE = ("docs_only", "tests_only")
FILE_PAST = ("past_changes", "developers", "past_fixes", "past_reverts", "new_to_file")
EXPERIENCE = ("author_experience", "recent_experience", "subsystem_experience")
OTHER = ("revert", "days_since_revert")
OLD_PRIOR = Path(__file__).with_name("prior_before_102.json")
"""The prior as shipped before issue 102 zeroed two of its weights (``git show
3c827479:src/cicd_agent/data/risk_prior.json``), to put the removed parts back."""


@dataclass(frozen=True)
class Variant:
    """What one variant removes: features made ``UNUSED``, the own fit's weight in the blend
    (None: as shipped), whether the shipped prior takes part."""

    unused: tuple[str, ...] = ()
    own_weight: float | None = None
    prior: bool = True
    size_weight: float | None = None
    directions: tuple[tuple[str, int | None], ...] = ()  # put back (None: free)
    prior_file: Path | None = None  # another prior than the shipped one


def _only(*kept: tuple[str, ...]) -> tuple[str, ...]:
    keep = {name for group in kept for name in group}
    return tuple(name for name in jit.FEATURES if name not in keep)


VARIANTS: dict[str, Variant] = {
    "as-is": Variant(),
    "before-102": Variant(
        size_weight=0.0,
        directions=(
            *((name, risk_model.SAFER) for name in EXPERIENCE),
            ("revert", risk_model.RISKIER),
            ("days_since_revert", None),
            *((name, risk_model.RISKIER) for name in SPREAD),
        ),
        prior_file=OLD_PRIOR,
    ),
    "no-size-backbone": Variant(size_weight=0.0),
    "size-weight-0.5": Variant(size_weight=0.5),
    "size-weight-0.8": Variant(size_weight=0.8),
    "no-types": Variant(unused=TYPES),
    "no-scope": Variant(unused=SCOPE),
    "with-spread": Variant(
        directions=tuple((name, risk_model.RISKIER) for name in SPREAD), prior_file=OLD_PRIOR
    ),
    "no-file-past": Variant(unused=FILE_PAST),
    "with-experience": Variant(
        directions=tuple((name, risk_model.SAFER) for name in EXPERIENCE),
        prior_file=OLD_PRIOR,
    ),
    "with-other": Variant(
        directions=(("revert", risk_model.RISKIER), ("days_since_revert", None)),
        prior_file=OLD_PRIOR,
    ),
    "with-experience+other+spread": Variant(
        directions=(
            *((name, risk_model.SAFER) for name in EXPERIENCE),
            ("revert", risk_model.RISKIER),
            ("days_since_revert", None),
            *((name, risk_model.RISKIER) for name in SPREAD),
        ),
        prior_file=OLD_PRIOR,
    ),
    "no-history-fit": Variant(own_weight=0.0),
    "no-prior": Variant(prior=False),
    "size-only": Variant(unused=_only(SIZE)),
    "size+scope": Variant(unused=_only(SIZE, SCOPE)),
    "size+scope+types": Variant(unused=_only(SIZE, SCOPE, TYPES)),
}


@contextlib.contextmanager
def applied(variant: Variant) -> Iterator[None]:
    saved = dict(risk_model.DIRECTIONS)
    saved_weight, saved_size = risk_model.OWN_WEIGHT, risk_model.SIZE_WEIGHT
    for name in variant.unused:
        risk_model.DIRECTIONS[name] = risk_model.UNUSED
    for name, direction in variant.directions:
        if direction is None:
            risk_model.DIRECTIONS.pop(name, None)
        else:
            risk_model.DIRECTIONS[name] = direction
    if variant.own_weight is not None:
        risk_model.OWN_WEIGHT = variant.own_weight
    if variant.size_weight is not None:
        risk_model.SIZE_WEIGHT = variant.size_weight
    try:
        yield
    finally:
        risk_model.DIRECTIONS.clear()
        risk_model.DIRECTIONS.update(saved)
        risk_model.OWN_WEIGHT, risk_model.SIZE_WEIGHT = saved_weight, saved_size


_DOCS, _TESTS = jit.FEATURES.index("docs_only"), jit.FEATURES.index("tests_only")


@dataclass
class Prepared:
    """One repository's past (rows and the labels deploy-gate fits on) and judged commits."""

    past_rows: list[list[float]]
    past_labels: list[bool]
    judged_rows: list[list[float]]
    lines: np.ndarray
    label: np.ndarray
    scope: np.ndarray  # documentation-only or tests-only (the row's own flags)


def prepare(
    path: Path, szz: dict[str, Any], cache: Path | None, split: float, window_only: bool
) -> Prepared:
    commits = mining.mine(GitRepo.open(path), "HEAD", cache)
    rows, _ = jit.replay(commits)
    index = {c.sha: i for i, c in enumerate(commits)}
    window = [index[sha] for sha in szz["window"] if sha in index]
    cut = window[int(len(window) * split)]
    start = window[0] if window_only else 0
    judged = [i for i in window if i >= cut]
    past = commits[start:cut]
    labels = risk_model.own_labels(
        [c.sha for c in past], reverted(past, until=commits[cut].time), fix_inducing(past)
    )
    induced = szz["induced"]
    return Prepared(
        past_rows=rows[start:cut],
        past_labels=labels,
        judged_rows=[rows[i] for i in judged],
        lines=np.asarray([sum(f.added for f in commits[i].files) for i in judged], dtype=float),
        label=np.asarray([commits[i].sha in induced for i in judged], dtype=bool),
        scope=np.asarray([max(rows[i][_DOCS], rows[i][_TESTS]) > 0 for i in judged]),
    )


def scores(data: Prepared, variant: Variant) -> np.ndarray:
    prior = risk_prior.load_prior() if variant.prior else None
    if variant.prior_file is not None:
        prior = risk_prior.parse_prior(variant.prior_file.read_text(encoding="utf-8"))
    with applied(variant):
        model = risk_model.fit(data.past_rows, data.past_labels, prior)
        if model is None:
            return np.zeros(len(data.judged_rows))
        return np.asarray([model.score(row)[2] for row in data.judged_rows], dtype=float)


def measure(score: np.ndarray, data: Prepared) -> dict[str, float]:
    _, below = delong(score, data.lines, data.label)
    return {
        "auc": auc(score, data.label),
        "lines_auc": auc(data.lines, data.label),
        "top10": top_recall(score, data.label),
        "lines_top10": top_recall(data.lines, data.label),
        "p_below": below,
    }


def report(name: str, per_repo: dict[str, dict[str, float]]) -> str:
    aucs = [r["auc"] for r in per_repo.values()]
    low, high = interval(aucs)
    below = sum(r["auc"] < r["lines_auc"] for r in per_repo.values())
    significant = sum(r["p_below"] < 0.05 for r in per_repo.values())
    lines = np.mean([r["lines_auc"] for r in per_repo.values()])
    top = np.mean([r["top10"] for r in per_repo.values()])
    return (
        f"| {name} | {np.mean(aucs):.4f} [{low:.3f}-{high:.3f}] | {lines:.4f} | {below} | "
        f"{significant} | {top:.1%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--szz", type=Path, required=True)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--split", type=float, default=0.6)
    parser.add_argument("--window-only", action="store_true")
    parser.add_argument("--per-repo", action="store_true", help="each repository's row too")
    parser.add_argument("--save", type=Path, help="every variant's scores, for later reports")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {name: {} for name in args.variants}
    saved: dict[str, np.ndarray] = {}
    scope: dict[str, Prepared] = {}
    for path in args.repos:
        szz = json.loads((args.szz / f"{path.name}.json").read_text())
        data = prepare(path, szz, args.cache, args.split, args.window_only)
        saved[f"{path.name}/label"], saved[f"{path.name}/lines"] = data.label, data.lines
        scope[path.name] = data
        for name in args.variants:
            score = scores(data, VARIANTS[name])
            saved[f"{path.name}/{name}"] = score
            results[name][path.name] = measure(score, data)
        print(f"  {path.name}: {len(data.label)} judged", file=sys.stderr, flush=True)
    if args.save:
        np.savez_compressed(args.save, **saved)
    print("| variant | mean AUC [95 %] | lines added alone | below lines | "
          "significantly below | riskiest 10 % catch |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name in args.variants:
        print(report(name, results[name]))
    if args.per_repo:
        print("\ndefect-inducing share of judged commits: documentation- or tests-only / the rest")
        for repo, data in scope.items():
            inside, rest = data.label[data.scope], data.label[~data.scope]
            print(
                f"  {repo:32} {inside.mean() if len(inside) else float('nan'):.1%} of "
                f"{len(inside)} / {rest.mean():.1%} of {len(rest)}"
            )
        for name in args.variants:
            print(f"\n{name}")
            for repo, r in results[name].items():
                print(
                    f"  {repo:32} AUC {r['auc']:.3f} lines {r['lines_auc']:.3f} top10 "
                    f"{r['top10']:.0%} lines {r['lines_top10']:.0%} DeLong p(below) "
                    f"{r['p_below']:.3f}"
                )


if __name__ == "__main__":
    main()
