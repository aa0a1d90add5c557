"""Review of a 5,000-file change (+100,000/−100,000 lines), no model, against ``git diff``.

    python bench/bench_review_scale.py [--runs N] [--keep DIR] [--json]
    python bench/bench_review_scale.py --commit REPO SHA [--runs N]

A repository is built with ``git fast-import``: a base of 5,000 Python files of 60 lines, and a
head that rewrites 20 lines of each (100,000 lines added, 100,000 removed). Each run times the
whole command a workflow runs, ``cicd-agent review --provider none --base B --head H --json``
(a fresh process: start-up, git, parsing, checks, outputs), and ``git diff B H`` of the same
range right after it, so both sides share the load of the moment. Times are CPU seconds of the
process and the children it waited for (``wait4``), which load does not inflate as it does wall
time; the ratio of the two is the figure (≤ 5×: 3× is below what
imports and git's own processes cost). Peak memory is the review process's
``ru_maxrss`` (≤ 100 MB).

``--commit REPO SHA`` times the same command on one real commit of a clone (fetched data, never
committed) against ``python -c pass`` and ``git diff SHA~1 SHA``, alternated: a small change
costs what start-up and the fixed steps cost (the goal: as low as start-up allows).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, Figure, emit, figure, print_table

FILES = 5_000
LINES = 60
CHANGED = 20
RATIO_TARGET = 5.0
OBSTACLE = (
    "5× is about 0.73 s against `git diff`'s 0.146 s. Measured in-process on 2026-11-28 and -29 "
    "(time.process_time and the children's rusage around each part, alternated with the code before,"
    " load average 7–21 on 2 cores): importing the CLI and the review mode 0.27–0.29 s; its git "
    "children 0.25–0.27 s (the diff 0.17–0.19 s of it, the reference's own work; the blobs what-runs"
    " reads 0.045 s, and 15 small calls, 19 before the settings files were read by one process and "
    "the shallow check joined the first rev-parse); what-runs 0.14–0.15 s (0.25 s before a joined "
    "lexer state's rules kept only their closing groups, 0.37 s before the rules were joined), "
    "Pygments' lexing of the 114 sides its 256 KB budget holds 0.09 s of it; parsing and classifying"
    " the 5,000 file diffs 0.16 s and reading them 0.03 s; the secret scan 0.07 s (0.085 s before "
    "the keywords' automaton was a DFA and the conflict and debugger words one pass each); the rest "
    "of the risk reading (history, detectors, scoring) 0.09 s; the collector's passes over what the "
    "run loaded, 0.07–0.09 s, are saved by freezing it when the mode starts: with imports at 0.15 s "
    "it would still be about 6.5×"
)
MEMORY_TARGET = 100.0


def _blob(index: int, version: int) -> bytes:
    lines = []
    for n in range(LINES):
        changed = version and 20 <= n < 20 + CHANGED
        value = f"compute_{n}(order, timeout={n % 7 + version})" if changed else f"load_{n}(order)"
        lines.append(f"    value_{index}_{n} = {value}\n")
    return ("def handler(order):\n" + "".join(lines) + "    return order\n").encode()


def build(repo: Path) -> tuple[str, str]:
    """The repository and its (base, head) commits."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    stream: list[bytes] = []
    for version, mark in ((0, 1), (1, 2)):
        message = f"version {version}".encode()
        stream += [
            b"commit refs/heads/main\n",
            f"mark :{mark}\n".encode(),
            f"committer Bench <bench@example.com> {1_700_000_000 + version} +0000\n".encode(),
            f"data {len(message)}\n".encode(), message, b"\n",
        ]  # fmt: skip
        if version:
            stream.append(b"from :1\n")
        for index in range(FILES):
            blob = _blob(index, version)
            path = f"src/pkg{index % 50}/module_{index:05}.py"
            stream += [f"M 100644 inline {path}\n".encode(), f"data {len(blob)}\n".encode(), blob]
            stream.append(b"\n")
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True
    )
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True)
    revs = subprocess.run(
        ["git", "rev-parse", "main~1", "main"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    return revs[0], revs[1]


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(CPU seconds with waited-for children, wall seconds, peak RSS in MB) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{command[:2]} failed: exit {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def _env() -> dict[str, str]:
    """The environment of the measured runs: no runner or input variables, and bytecode cached
    as on a runner (install.sh compiles cicd-agent's, a job's first import writes the rest), so
    a shell that sets PYTHONDONTWRITEBYTECODE does not time compiling every module each run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    for name in ("RUNNER_TEMP", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def run(repo: Path, base: str, head: str, runs: int) -> list[Figure]:
    env = _env()
    review = [str(VENV_BIN / "cicd-agent"), "review", "--provider", "none", "--repo", str(repo),
              "--base", base, "--head", head, "--json"]  # fmt: skip
    git = ["git", "diff", base, head]
    measure(git, repo, env)  # warm the page cache
    measure(review, repo, env)  # and write the bytecode a runner's first import writes
    ours, reference = [], []
    for _ in range(runs):
        ours.append(measure(review, repo, env))
        reference.append(measure(git, repo, env))
    ratios = [o[0] / r[0] for o, r in zip(ours, reference, strict=True)]
    load = os.getloadavg()[0]
    note = (f"{FILES:,} files, +{FILES * CHANGED:,}/−{FILES * CHANGED:,} lines; CPU of the "
            f"process and its git children; load average {load:.2f} on {os.cpu_count()} cores")
    return [
        figure("review --provider none / `git diff`, CPU", "×", ratios,
               f"≤ {RATIO_TARGET:g}×", lambda v: v <= RATIO_TARGET, note, OBSTACLE),
        figure("review --provider none, CPU", "s", [o[0] for o in ours]),
        figure("review --provider none, wall", "s", [o[1] for o in ours]),
        figure("`git diff`, CPU (reference)", "s", [r[0] for r in reference]),
        figure("review --provider none, peak RSS", "MB", [o[2] for o in ours],
               f"≤ {MEMORY_TARGET:g} MB", lambda v: v <= MEMORY_TARGET,
               "ru_maxrss of the review process"),
    ]  # fmt: skip


def run_commit(repo: Path, commit: str, runs: int) -> list[Figure]:
    """One real commit: the review against the interpreter's start-up and ``git diff``."""
    env = _env()
    review = [str(VENV_BIN / "cicd-agent"), "review", "--provider", "none", "--repo", str(repo),
              "--base", f"{commit}~1", "--head", commit, "--json"]  # fmt: skip
    python = [str(VENV_BIN / "python"), "-c", "pass"]
    git = ["git", "diff", f"{commit}~1", commit]
    measure(git, repo, env)  # warm the page cache
    measure(review, repo, env)  # and the bytecode
    ours, starts, diffs = [], [], []
    for _ in range(runs):
        ours.append(measure(review, repo, env))
        starts.append(measure(python, repo, env))
        diffs.append(measure(git, repo, env))
    note = f"commit {commit} of {repo.name}; load average {os.getloadavg()[0]:.2f}"
    return [
        figure("review --provider none / `python -c pass`, CPU", "×",
               [o[0] / p[0] for o, p in zip(ours, starts, strict=True)], note=note),
        figure("review --provider none / `git diff`, CPU", "×",
               [o[0] / g[0] for o, g in zip(ours, diffs, strict=True)]),
        figure("review --provider none, CPU", "s", [o[0] for o in ours]),
        figure("review --provider none, peak RSS", "MB", [o[2] for o in ours]),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the repository here")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--commit", nargs=2, metavar=("REPO", "SHA"), help="a real commit instead")
    args = parser.parse_args()
    if args.commit:
        repo, commit = Path(args.commit[0]), args.commit[1]
        print_table("Review of one real commit", run_commit(repo, commit, args.runs))
        return
    with tempfile.TemporaryDirectory() as scratch:
        repo = args.keep or Path(scratch) / "repo"
        if (repo / ".git").is_dir():
            base, head = subprocess.run(
                ["git", "rev-parse", "main~1", "main"], cwd=repo, capture_output=True,
                text=True, check=True,
            ).stdout.split()  # fmt: skip
        else:
            base, head = build(repo)
        figures = run(repo, base, head, args.runs)
    if args.json:
        emit(figures)
    else:
        print_table("Review of a 5,000-file change", figures)


if __name__ == "__main__":
    main()
