"""Time the fitted risk model of deploy-gate on a real repository (issue 17).

Usage: python bench/bench_risk_fit.py REPO_PATH [--commits N]

1. first fit: mine up to 20,000 past commits of HEAD~1 into an empty cache, replay, fit;
2. scored commit: the whole deploy-gate risk of HEAD (``assess_for_deploy``) with that cache,
   as a later run on the same runner would do (the cache extends by one commit).
Prints both, and their ratio to the reference run: ``git rev-list --count HEAD`` in the same
process, so a busy machine shows up in the reference too.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from cicd_agent.analysis import jit, mining, risk_model
from cicd_agent.analysis.changes import read_change_set
from cicd_agent.analysis.gitrepo import GitRepo
from cicd_agent.analysis.history import read_history
from cicd_agent.analysis.risk_fit import assess_for_deploy


def cpu() -> float:
    """CPU seconds of this process and its git children (the machine is shared, so wall
    time alone mostly measures the neighbours)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", type=Path)
    parser.add_argument("--commits", type=int, default=mining.MAX_COMMITS)
    args = parser.parse_args()
    repo = GitRepo.open(args.repo)
    started = time.perf_counter()
    total = repo.run("rev-list", "--count", "HEAD").strip()
    reference = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as cache_text:
        cache = Path(cache_text)
        started, cpu_started = time.perf_counter(), cpu()
        commits = mining.mine(repo, "HEAD~1", cache, args.commits)
        mined = time.perf_counter() - started
        rows, _ = jit.replay(commits)
        labels = mining.reverted(commits) | mining.fix_inducing(commits)
        model = risk_model.fit(rows, [c.sha in labels for c in commits])
        first, first_cpu = time.perf_counter() - started, cpu() - cpu_started
        change = read_change_set(repo, "HEAD")
        started, cpu_started = time.perf_counter(), cpu()
        history = read_history(repo, change)
        assessment = assess_for_deploy(repo, change, history, cache)
        scored, scored_cpu = time.perf_counter() - started, cpu() - cpu_started
    print(f"repository: {args.repo.name}, {total} commits; reference rev-list {reference:.2f}s")
    print(
        f"first fit: {len(commits)} commits mined in {mined:.1f}s, fitted in {first:.1f}s "
        f"wall, {first_cpu:.1f}s CPU "
        f"({first / reference:.0f}x reference); model {'fitted' if model else 'priors'}"
    )
    print(
        f"scored commit (cached): {scored:.2f}s wall, {scored_cpu:.2f}s CPU "
        f"({scored / reference:.1f}x reference): "
        f"{assessment.risk_level.value} {assessment.risk_score}; {assessment.reasons[0].message}"
    )


if __name__ == "__main__":
    main()
