"""Which constraint costs the ranking: the evaluation of :mod:`research.risk.eval` with one
part of the monotone model undone at a time (a group of signs freed, the level window widened,
the prior fitted instead of clipped), on one batch.

Usage: python -m research.risk.ablate --cache DIR [--prior FILE] [--variants NAME...] REPO_PATH...

Prints the mean per-repository AUC within repository of each variant. Signs are freed by
editing :data:`~cicd_agent.risk.model.DIRECTIONS` for that variant only (the own fit's bounds
and the clipping of the prior both read it); ``loro-*`` fits the prior leave-one-repository-out
on the given histories, clipped (``loro-clipped``) or within the signs (``loro-bounded``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tests.helpers.prior_fit import fit_prior
from tests.helpers.risk_measures import mean_auc, within_auc

from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from research.risk.eval import History, evaluate, load

GROUPS: dict[str, tuple[str, ...]] = {
    "revert": ("revert",),
    "fix": ("fix",),
    "entropy": ("entropy",),
    "age": ("age_days",),
    "author-reverted": ("author_reverted_share",),
    "size": ("lines_added", "lines_deleted", "files", "directories", "subsystems", "new_files",
             "deleted_files", "binary_files"),
    "file-past": ("past_changes", "developers", "past_fixes", "past_reverts"),
    "experience": ("author_experience", "recent_experience", "subsystem_experience",
                   "new_to_file"),
    "scope": ("docs_only", "tests_only"),
    "types": tuple(name for name in risk_model.DIRECTIONS if name.startswith("type_")),
}  # fmt: skip


@contextlib.contextmanager
def freed(names: tuple[str, ...], window: int | None = None) -> Iterator[None]:
    """``names``' signs free (and the level window ``window``) inside the block."""
    saved = dict(risk_model.DIRECTIONS)
    saved_window = risk_model.LEVEL_WINDOW
    for name in names:
        risk_model.DIRECTIONS.pop(name, None)
    if window is not None:
        risk_model.LEVEL_WINDOW = window
    try:
        yield
    finally:
        risk_model.DIRECTIONS.clear()
        risk_model.DIRECTIONS.update(saved)
        risk_model.LEVEL_WINDOW = saved_window


def run(
    histories: dict[Path, History], prior_of: dict[Path, risk_prior.CrossRepoPrior | None]
) -> tuple[float, float]:
    scores, labels, groups = [], [], []
    for path, history in histories.items():
        result = evaluate(history, 5, prior_of[path])
        scores.append(result["score"])
        labels.append(result["label"].astype(bool))
        groups.append(np.full(len(result["label"]), path.name))
    s, y, g = np.concatenate(scores), np.concatenate(labels), np.concatenate(groups)
    return mean_auc(s, y, g)[0], within_auc(s, y, g)


def loro(histories: dict[Path, History], constrained: bool) -> dict[Path, risk_prior.CrossRepoPrior | None]:
    out: dict[Path, risk_prior.CrossRepoPrior | None] = {}
    for path in histories:
        fitted = fit_prior(
            [(rows, [c.sha in labels for c in commits])
             for other, (commits, rows, labels) in histories.items() if other != path],
            constrained=constrained,
        )  # fmt: skip
        out[path] = fitted
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--prior", type=Path, help="a prior JSON instead of the shipped one")
    parser.add_argument("--variants", nargs="*", default=None)
    args = parser.parse_args()
    histories = {path: load(path, args.cache) for path in args.repos}
    shipped = (
        risk_prior.parse_prior(args.prior.read_text("utf-8"))
        if args.prior
        else risk_prior.load_prior()
    )
    prior_of: dict[Path, risk_prior.CrossRepoPrior | None] = dict.fromkeys(histories, shipped)
    variants: dict[str, tuple[tuple[str, ...], int | None, str]] = {
        "as-is": ((), None, "shipped"),
        **{f"free-{group}": (names, None, "shipped") for group, names in GROUPS.items()},
        "whole-past-levels": ((), 10**9, "shipped"),
        "all-free": (tuple(risk_model.DIRECTIONS), 10**9, "shipped"),
        "loro-clipped": ((), None, "loro-clipped"),
        "loro-bounded": ((), None, "loro-bounded"),
        "no-prior": ((), None, "none"),
    }
    chosen = args.variants or list(variants)
    cached: dict[str, dict[Path, risk_prior.CrossRepoPrior | None]] = {}
    for name in chosen:
        names, window, prior_kind = variants[name]
        if prior_kind.startswith("loro"):
            if prior_kind not in cached:
                cached[prior_kind] = loro(histories, prior_kind == "loro-bounded")
            priors = cached[prior_kind]
        elif prior_kind == "none":
            priors = dict.fromkeys(histories)
        else:
            priors = prior_of
        with freed(names, window):
            mean, within = run(histories, priors)
        print(json.dumps({"variant": name, "mean_per_repository": round(mean, 4),
                          "pooled_within": round(within, 4)}), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
