"""Risk scoring time per commit on a synthetic history of 10,000 commits.

Two figures per sampled commit: the scoring itself in-process (``assess_range``: diff, commits,
history passes, score) and the whole command a workflow runs
(``cicd-agent deploy-gate --provider none --repo DIR --base SHA^ --head SHA --json``, process
start-up and imports included). Reported as median, min and max over the sample.

    python bench/bench_risk.py [--commits 10000] [--sample 60] [--cli-sample 15] [--repo DIR]
                               [--json] [--what-runs-cpu]

``--what-runs-cpu`` measures instead what reading what runs (both sides of each changed file
tokenised) costs: per sampled commit, the CPU time (this process and its git children) of
the scoring as shipped and of the same scoring with what-runs read as nothing (the older
reading), alternated in one process so the machine's load weighs on both alike; the
ratio of the medians is the figure to compare across trees.

With ``--json`` the figures for ``bench/run.py`` are the last line of stdout (progress goes to
stderr). Targets: scoring ≤ 1 s median per commit; the command well under 10 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, emit, figure
from risk_replay import assess_range, what_runs_cost
from synthetic_history import generate

SCORING_TARGET = 1.0
CLI_TARGET = 10.0


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--cli-sample", type=int, default=15)
    parser.add_argument("--repo", type=Path, help="reuse a history generated before")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--what-runs-cpu", action="store_true", help="see the module docstring")
    args = parser.parse_args()
    progress = sys.stderr if args.json else sys.stdout
    with tempfile.TemporaryDirectory() as scratch:
        repo = args.repo or Path(scratch) / "history"
        if not (repo / ".git").exists():
            truth = generate(repo, args.commits, seed=7)
            print(
                f"generated {truth.commits} commits with git fast-import in {truth.seconds:.1f} s",
                file=progress,
            )
        shas = subprocess.run(
            ["git", "-C", str(repo), "rev-list", "main"], capture_output=True, text=True, check=True
        ).stdout.split()[:-1]
        step = max(1, len(shas) // args.sample)
        sample = shas[::step][: args.sample]
        if args.what_runs_cpu:
            what_runs_cpu(repo, sample)
            return
        scoring = []
        for sha in sample:
            started = time.perf_counter()
            assess_range(repo, sha)
            scoring.append(time.perf_counter() - started)
        cli = []
        script = Path(sys.executable).with_name("cicd-agent")
        for sha in sample[:: max(1, len(sample) // args.cli_sample)][: args.cli_sample]:
            started = time.perf_counter()
            done = subprocess.run(
                [str(script), "deploy-gate", "--provider", "none", "--repo", str(repo),
                 "--base", f"{sha}^", "--head", sha, "--json"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            cli.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"deploy-gate failed on {sha}: {done.stderr[-500:]}")
            json.loads(done.stdout)
    report = {
        "history_commits": len(shas) + 1,
        "scoring_seconds_per_commit": spread(scoring),
        "scored": len(scoring),
        "cli_seconds_per_commit": spread(cli),
        "cli_runs": len(cli),
    }
    if args.json:
        emit(risk_figures(len(shas) + 1, scoring, cli))
        return
    print(f"{'what':<44} {'median':>7} {'min':>7} {'max':>7}")
    for name, key, count in (
        ("risk scoring in-process (s/commit)", "scoring_seconds_per_commit", len(scoring)),
        ("cicd-agent deploy-gate --json (s/commit)", "cli_seconds_per_commit", len(cli)),
    ):
        figures = report[key]
        assert isinstance(figures, dict)
        print(
            f"{name:<44} {figures['median']:7.3f} {figures['min']:7.3f} {figures['max']:7.3f}  n={count}"
        )
    print(json.dumps(report))


def _cpu() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def what_runs_cpu(repo: Path, sample: list[str]) -> None:
    """CPU per commit of the scoring as shipped and with what-runs read as nothing, alternated."""
    cost = what_runs_cost(repo, sample, _cpu)
    mid = {name: statistics.median(values) for name, values in cost.items()}
    total = {name: sum(values) for name, values in cost.items()}
    ratio = total["shipped"] / total["reference"]
    print(f"CPU s/commit over {len(sample)}: shipped median {mid['shipped']:.4f} total "
          f"{total['shipped']:.2f}; without what-runs median {mid['reference']:.4f} total "
          f"{total['reference']:.2f}; ratio of totals {ratio:.3f}")  # fmt: skip


def risk_figures(commits: int, scoring: list[float], cli: list[float]) -> list[Figure]:
    history = f"commits sampled evenly from a {commits:,}-commit synthetic history"
    return [
        figure("risk scoring per commit (in-process `assess_range`)", "s", scoring,
               f"≤ {SCORING_TARGET:g} s median", lambda v: v <= SCORING_TARGET, history),
        figure("`cicd-agent deploy-gate --provider none --json` per commit", "s", cli,
               f"< {CLI_TARGET:g} s", lambda v: v < CLI_TARGET,
               "the whole command a workflow runs: start-up, git, history, scoring, output"),
    ]  # fmt: skip


if __name__ == "__main__":
    main()
