"""A quick stand-in for the approval shares, to design the level's knots and the recent-risk
rule on a batch before the slow measurement (``common_sense.py --shares-only``) judges them.

Usage: python -m research.risk.level_shares --cache CACHE [--high 0.90] [--recent-riskier 7]
       [--recent-window 50] BATCH/owner+name...

For each clone: the mined rows (deploy-gate's own mining and replay), refitted every 25
commits over the newest 100 (a weekly refit's rough stand-in), each of the 100 scored by the
fit before it. Prints the share ranked at or above ``--high`` (high or above, what offline
approval follows) and at or above 0.97 (critical) over the newest 30 and 100, and the
recent-risk count of each fit (0: steady). Floors, ceilings and the change types' approvals
are left out, so it reads below the real shares by the few changes a floor lifts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import jit, mining
from cicd_agent.risk import model as risk_model
from cicd_agent.risk import prior as risk_prior
from cicd_agent.risk.jit import fix_inducing, reverted

STEP, LAST, SHORT = 25, 100, 30


def shares(path: Path, cache: Path | None, high: float) -> str:
    commits = mining.mine(GitRepo.open(path), "HEAD", cache)
    rows, _ = jit.replay(commits)
    got: list[tuple[float, int]] = []
    for cut in range(len(rows) - LAST, len(rows), STEP):
        past = commits[:cut]
        labels = risk_model.own_labels(
            [c.sha for c in past], reverted(past, until=commits[cut].time), fix_inducing(past)
        )
        model = risk_model.fit(rows[:cut], labels, risk_prior.load_prior())
        if model is None:
            return f"{path.name[:28]:29} too little history to fit"
        got += [(model.score(rows[i])[2], model.recent_riskier) for i in range(cut, cut + STEP)]
    got.reverse()  # newest first

    def share(n: int, bar: float) -> float:
        return sum(value >= bar for value, _ in got[:n]) / n

    return (
        f"{path.name[:28]:29} high+ {share(SHORT, high):.2f}/{share(LAST, high):.2f} "
        f"critical {share(SHORT, 0.97):.2f}/{share(LAST, 0.97):.2f} "
        f"recent-risk {[count for _, count in got[::STEP]]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--high", type=float, default=0.90)
    parser.add_argument("--recent-riskier", type=int, default=risk_model.RECENT_RISKIER)
    parser.add_argument("--recent-window", type=int, default=risk_model.RECENT_WINDOW)
    args = parser.parse_args()
    risk_model.RECENT_RISKIER = args.recent_riskier
    risk_model.RECENT_WINDOW = args.recent_window
    for path in args.repos:
        print(shares(path, args.cache, args.high), flush=True)


if __name__ == "__main__":
    main()
