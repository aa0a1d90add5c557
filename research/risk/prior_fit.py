"""Fit the cross-repository risk prior shipped in ``src/cicd_agent/data/risk_prior.json``.

Usage: python -m research.risk.prior_fit --cache DIR --out FILE REPO_PATH...

Mines each repository's history (up to 20,000 commits of HEAD, as deploy-gate does), labels
every commit by whether a later commit reverts it, and fits :func:`fit_prior` on all of them,
under the same signs as the own fit (:data:`~cicd_agent.risk.model.DIRECTIONS`): a prior fitted
freely and clipped afterwards loses what the other weights would have learnt in place of the
clipped ones. The output holds only our fitted numbers and their provenance (repositories, the
commit each was read at, commit and revert counts): no fetched code or data. Never pass a
held-out repository (psf/requests, pypa/pip, pytest-dev/pytest, wagtail/wagtail,
saleor/saleor, netbox-community/netbox): the script refuses them.

Here, not in the package: nothing in the wheel trains the prior; deploy-gate only reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.helpers.prior_fit import FULL_WEIGHT_REVERTS, REGULARISATION, History, fit_prior

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining
from cicd_agent.risk.jit import reverted

HELD_OUT = frozenset(
    {"psf+requests", "pypa+pip", "pytest-dev+pytest", "wagtail+wagtail", "saleor+saleor",
     "netbox-community+netbox"}
)  # fmt: skip


def window_history(path: Path, cache: Path | None, szz: dict | None) -> History:
    """One clone's rows and labels as the pooled fit reads them: every mined commit labelled
    by later reverts, or (``szz``, :mod:`research.risk.szz`'s file) only the labelled window's
    commits, each positive when defect-inducing or reverted."""
    commits = mining.mine(GitRepo.open(path), "HEAD", cache)
    rows, _ = jit.replay(commits)
    labels = reverted(commits)
    if szz is not None:
        window = set(szz["window"])
        labels |= set(szz["induced"])
        kept = [i for i, c in enumerate(commits) if c.sha in window]
        commits = [commits[i] for i in kept]
        rows = [rows[i] for i in kept]
    return rows, [c.sha in labels for c in commits]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repos", nargs="+", type=Path, help="clones named owner+name")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--free", action="store_true", help="no signs (to compare)")
    parser.add_argument(
        "--szz",
        type=Path,
        help="label by szz.py's files in this folder too: each window commit is positive when "
        "defect-inducing (SZZ) or reverted; only window commits are fitted on",
    )
    args = parser.parse_args()
    batch_h = Path(__file__).with_name("batch_H.txt").read_text(encoding="utf-8").splitlines()
    judged = {line.split()[0].replace("/", "+").lower() for line in batch_h if line[:1].isalnum()}
    refused = [path.name for path in args.repos if path.name.lower() in HELD_OUT | judged]
    if refused:
        sys.exit(f"held out for the independent check, not fitted on: {', '.join(refused)}")
    histories: list[History] = []
    provenance = []
    for path in args.repos:
        head = GitRepo.open(path).run("rev-parse", "HEAD").strip()
        szz = (
            json.loads((args.szz / f"{path.name}.json").read_text(encoding="utf-8"))
            if args.szz
            else None
        )
        rows, labels = window_history(path, args.cache, szz)
        histories.append((rows, labels))
        provenance.append(
            {"repository": path.name.replace("+", "/"), "head": head,
             "commits": len(rows), "reverted": sum(labels)}
        )  # fmt: skip
        print(f"{path.name}: {len(rows)} commits, {sum(labels)} reverted", file=sys.stderr)
    prior = fit_prior(histories, constrained=not args.free)
    document = {
        "features": list(jit.FEATURES),
        "coef": [round(value, 6) for value in prior.coef],
        "intercept": round(prior.intercept, 6),
        "provenance": {
            "fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
            "command": "python -m research.risk.prior_fit --cache DIR --out FILE "
            + ("--szz SZZ_DIR " if args.szz else "")
            + " ".join(path.name for path in args.repos),
            "model": f"L2 logistic regression, C={REGULARISATION}, balanced, each repository "
            f"weighted equally (in proportion to its reverts below {FULL_WEIGHT_REVERTS}), "
            "features ranked within each repository's past, "
            + ("no signs imposed" if args.free else "coefficients within the signs of DIRECTIONS"),
            "labels": (
                "defect-inducing (line-level SZZ, research/risk/szz.py, the last 1,500 commits) "
                "or later reverted"
                if args.szz
                else "later reverted (git revert's SHA, a reverted merge's commits, or "
                'Revert "subject")'
            ),
            "repositories": [entry["repository"] for entry in provenance],
            "histories": provenance,
        },
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
