"""Time the fitted risk model of deploy-gate on a real repository.

Usage: python research/risk/fit_time.py REPO_PATH

1. first run: the whole deploy-gate risk (``assess_risk``) of HEAD~1 with an empty
   cache: mine up to 20,000 past commits, replay, fit;
2. scored commit: the same for HEAD with the cache the first run left, as the next push on
   the same runner would do.
Prints both, and their ratio to the reference run: ``git rev-list --count HEAD`` in the same
process, so a busy machine shows up in the reference too.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import store
from cicd_agent.risk.checkout import assess_risk, read_history


def cpu() -> float:
    """CPU seconds of this process and its git children (the machine is shared, so wall
    time alone mostly measures the neighbours)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _assess(repo: GitRepo, head: str, cache: Path, now: int) -> tuple[float, float, str]:
    change = read_change_set(repo, head)
    started, cpu_started = time.perf_counter(), cpu()
    history = read_history(repo, change, now=now)
    done = assess_risk(repo, change, history, cache, identity=None, deepened=False, now=now)
    return time.perf_counter() - started, cpu() - cpu_started, done.reasons[0].message


def weekly(repo: GitRepo) -> None:
    """Issue 70's figure: the weekly refit. A run last week (its fit and the mined history
    cached), then the first run of this week, which refits: started from last week's fit
    (as shipped), and again with last week's fit removed (a cold solver start, the history
    still cached)."""
    now = int(time.time())
    last_week = store.checkpoint_of(repo, repo.resolve_commit("HEAD", "head"))
    with tempfile.TemporaryDirectory() as cache_text:
        cache = Path(cache_text)
        wall, used, _ = _assess(repo, last_week, cache, now)
        print(f"last week's run (empty cache): {wall:.1f}s wall, {used:.1f}s CPU")
        cold = Path(cache_text + "-cold")
        shutil.copytree(cache, cold)
        wall, used, said = _assess(repo, "HEAD", cache, now)
        print(f"this week's refit, from last week's fit: {wall:.1f}s wall, {used:.1f}s CPU; {said}")
        for fitted in cold.glob("risk-model-*.json.gz"):
            fitted.unlink()
        wall, used, said = _assess(repo, "HEAD", cold, now)
        print(f"this week's refit, cold start: {wall:.1f}s wall, {used:.1f}s CPU; {said}")
        shutil.rmtree(cold)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", type=Path)
    parser.add_argument("--weekly", action="store_true", help="time the weekly refit")
    args = parser.parse_args()
    repo = GitRepo.open(args.repo)
    if args.weekly:
        weekly(repo)
        return
    started = time.perf_counter()
    total = repo.run("rev-list", "--count", "HEAD").strip()
    reference = time.perf_counter() - started
    now = int(time.time())
    with tempfile.TemporaryDirectory() as cache_text:
        cache = Path(cache_text)
        # First run on this runner: HEAD~1 judged with an empty cache (mine, replay, fit).
        change = read_change_set(repo, "HEAD~1")
        started, cpu_started = time.perf_counter(), cpu()
        first_assessment = assess_risk(
            repo,
            change,
            read_history(repo, change, now=now),
            cache,
            identity=None,
            deepened=False,
            now=now,
        )
        first, first_cpu = time.perf_counter() - started, cpu() - cpu_started
        # The next push: HEAD judged with the cache the first run left.
        change = read_change_set(repo, "HEAD")
        started, cpu_started = time.perf_counter(), cpu()
        history = read_history(repo, change, now=now)
        assessment = assess_risk(
            repo, change, history, cache, identity=None, deepened=False, now=now
        )
        scored, scored_cpu = time.perf_counter() - started, cpu() - cpu_started
    print(f"repository: {args.repo.name}, {total} commits; reference rev-list {reference:.2f}s")
    print(
        f"first run (empty cache): {first:.1f}s wall, {first_cpu:.1f}s CPU "
        f"({first / reference:.0f}x reference): {first_assessment.reasons[0].message}"
    )
    print(
        f"scored commit (cached): {scored:.2f}s wall, {scored_cpu:.2f}s CPU "
        f"({scored / reference:.1f}x reference): "
        f"{assessment.risk_level.value} {assessment.risk_score}; {assessment.reasons[0].message}"
    )


if __name__ == "__main__":
    main()
