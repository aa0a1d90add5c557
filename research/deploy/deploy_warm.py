"""deploy-gate on a real repository: the first run (empty cache: mine, replay, fit) and the next
commits (the fit cached), whole command, CPU and wall time.

    python research/deploy/deploy_warm.py REPO [--commits N] [--json]

REPO is a clone (fetched data, never committed). The first run scores ``HEAD~N`` with an empty
cache; then ``HEAD~(N-1)`` … ``HEAD`` are scored with the cache it left, one process each, as a
workflow does per push (a commit of a later week than the cached fit is fitted again, and
counted). Each is the whole command, ``cicd-agent deploy-gate --provider none --json``; CPU
seconds include git children (``wait4``), with ``python -c pass`` timed in alternation as the
reference. Targets: the next commit ≤ 1 s CPU; the first run ≤ 60 s wall.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.common import VENV_BIN, Figure, emit, figure, print_table

WARM_TARGET = 1.0
COLD_TARGET = 60.0


def timed(command: list[str]) -> tuple[float, float]:
    """(CPU seconds with waited-for children, wall seconds) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert process.stderr is not None
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{command[1:3]} failed: {process.stderr.read().decode()[-800:]}")
    return usage.ru_utime + usage.ru_stime, wall


def measure(repo: Path, commits: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as cache:

        def gate(n: int) -> list[str]:
            return [str(VENV_BIN / "cicd-agent"), "deploy-gate", "--provider", "none",
                    "--repo", str(repo), "--base", f"HEAD~{n + 1}", "--head", f"HEAD~{n}",
                    "--json", "--cache-dir", cache,
                    "--deploy-time", "2026-11-18T12:00:00+00:00"]  # fmt: skip

        cold = timed(gate(commits))
        warm, reference = [], []
        for n in range(commits - 1, -1, -1):
            reference.append(timed([sys.executable, "-c", "pass"])[0])
            warm.append(timed(gate(n)))
        fits = len(list(Path(cache).glob("risk-model-*.json.gz")))
    load = os.getloadavg()[0]
    note = (
        f"{repo.name}; load average {load:.2f} on {os.cpu_count()} cores; {fits} fit(s) "
        "cached at the end (a commit of a later week refits)"
    )
    return [
        figure("deploy-gate, next commit, fit cached, CPU", "s", [w[0] for w in warm],
               f"≤ {WARM_TARGET:g} s", lambda v: v <= WARM_TARGET, note),
        figure("deploy-gate, next commit, fit cached, wall", "s", [w[1] for w in warm]),
        figure("deploy-gate, next commit / `python -c pass`, CPU", "×",
               [w[0] / r for w, r in zip(warm, reference, strict=True)]),
        figure("deploy-gate, first run (empty cache), CPU", "s", [cold[0]]),
        figure("deploy-gate, first run (empty cache), wall", "s", [cold[1]],
               f"≤ {COLD_TARGET:g} s", lambda v: v <= COLD_TARGET),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--commits", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure(args.repo.resolve(), args.commits)
    if args.json:
        emit(figures)
    else:
        print_table("deploy-gate, first run and next commits", figures)


if __name__ == "__main__":
    main()
