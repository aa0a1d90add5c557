"""Fit the cross-repository risk prior shipped in ``src/cicd_agent/data/risk_prior.json``.

Usage: python bench/risk_prior_fit.py --cache DIR --out FILE REPO_PATH...

Mines each repository's history (up to 20,000 commits of HEAD, as deploy-gate does), labels
every commit by whether a later commit reverts it, and fits :func:`risk_prior.fit_prior` on
all of them. The output holds only our fitted numbers and their provenance (repositories, the
commit each was read at, commit and revert counts): no fetched code or data. Never pass a
held-out repository (psf/requests, pypa/pip, pytest-dev/pytest, wagtail/wagtail,
saleor/saleor, netbox-community/netbox): the script refuses them.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.labels import reverted

HELD_OUT = frozenset(
    {"psf+requests", "pypa+pip", "pytest-dev+pytest", "wagtail+wagtail", "saleor+saleor",
     "netbox-community+netbox"}
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repos", nargs="+", type=Path, help="clones named owner+name")
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    refused = [path.name for path in args.repos if path.name.lower() in HELD_OUT]
    if refused:
        sys.exit(f"held out for the independent check, not fitted on: {', '.join(refused)}")
    histories, provenance = [], []
    for path in args.repos:
        repo = GitRepo.open(path)
        head = repo.run("rev-parse", "HEAD").strip()
        commits = mining.mine(repo, head, args.cache)
        rows, _ = jit.replay(commits)
        labels = reverted(commits)
        histories.append(
            risk_prior.History(
                rows, [c.sha in labels for c in commits], [c.subject for c in commits]
            )
        )
        provenance.append(
            {"repository": path.name.replace("+", "/"), "head": head,
             "commits": len(commits), "reverted": len(labels)}
        )  # fmt: skip
        print(f"{path.name}: {len(commits)} commits, {len(labels)} reverted", file=sys.stderr)
    prior = risk_prior.fit_prior(histories)
    document = {
        "features": list(jit.FEATURES),
        "coef": [round(value, 6) for value in prior.coef],
        "intercept": round(prior.intercept, 6),
        "words": dict(sorted(prior.words.items())),
        "provenance": {
            "fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
            "command": "python bench/risk_prior_fit.py --cache DIR --out FILE "
            + " ".join(path.name for path in args.repos),
            "model": f"L2 logistic regression, C={risk_prior.REGULARISATION}, balanced, each "
            "repository weighted equally (in proportion to its reverts below "
            f"{risk_prior.FULL_WEIGHT_REVERTS}), features ranked within each repository's past, "
            f"subject words used by at least {risk_prior.MIN_WORD_HISTORIES} histories "
            f"(column value {risk_prior.WORD_SCALE})",
            "labels": "later reverted (git revert's SHA, a reverted merge's commits, or Revert \"subject\")",
            "repositories": [entry["repository"] for entry in provenance],
            "histories": provenance,
        },
    }
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
