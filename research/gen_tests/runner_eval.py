"""Offline gen-tests through the runner seam on real commits of public Go modules.

For each ``repo commit`` of the frozen set (``runner_eval_go.txt``), in a fresh clone from a
folder of bare clones (``--mirrors``, one ``owner+name/repo`` each; fetched code is never
committed here): ``cicd-agent gen-tests --base commit^ --head commit --provider none --json``,
its time and what its report finds (uncovered changed lines, line coverage of the changed
files, the change's own tests rerun); and, as the standard tool's word, ``go test
-coverprofile -coverpkg=./... ./...`` run directly in another clone, its profile read here by
its own few lines (a line counts as run when a block on it ran, as gen-tests reads it): the
uncovered changed lines of both are compared.

Run: ``python -m research.gen_tests.runner_eval --mirrors DIR > research/gen_tests/runner_eval_go.md``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
CLI = Path(sys.executable).with_name("cicd-agent")


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def _added(work: Path, commit: str) -> dict[str, set[int]]:
    """The non-test ``.go`` files' added lines of ``commit`` (``git diff -U0``)."""
    found: dict[str, set[int]] = {}
    path = ""
    for line in _git("diff", "-U0", f"{commit}^", commit, "--", "*.go", cwd=work).splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else ""
        elif line.startswith("@@") and path and not path.endswith("_test.go"):
            match = re.search(r"\+(\d+)(?:,(\d+))?", line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or 1)
                found.setdefault(path, set()).update(range(start, start + count))
    return {p: lines for p, lines in found.items() if lines and "testdata/" not in p}


def _standard(work: Path, added: dict[str, set[int]]) -> dict[str, list[int]] | str:
    """The uncovered added lines by ``go test -coverprofile`` run directly, or its failure."""
    module = re.search(r"^module\s+(\S+)", (work / "go.mod").read_text(), re.M)
    profile = work.parent / "standard.out"
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "", "GOTOOLCHAIN": "local",
           "CGO_ENABLED": "0"}  # fmt: skip
    run = subprocess.run(["go", "test", "-count=1", f"-coverprofile={profile}",
                          "-coverpkg=./...", "./..."], cwd=work, env=env, capture_output=True,
                         text=True, check=False)  # fmt: skip
    blocks = profile.read_text().splitlines()[1:] if profile.is_file() else []
    if not blocks or module is None:  # a build failure leaves a profile of no block
        return f"go test exit {run.returncode}: {(run.stdout + run.stderr).strip()[-200:]}"
    measured: dict[str, set[int]] = {}
    ran: dict[str, set[int]] = {}
    for line in blocks:
        name, _, rest = line.partition(":")
        span, _, counts = rest.partition(" ")
        first, last = (int(part.split(".")[0]) for part in span.split(","))
        file = name.removeprefix(module.group(1) + "/")
        measured.setdefault(file, set()).update(range(first, last + 1))
        if int(counts.split()[-1]) > 0:
            ran.setdefault(file, set()).update(range(first, last + 1))
    found = {file: sorted((measured.get(file, set()) & lines) - ran.get(file, set()))
             for file, lines in added.items()}  # fmt: skip
    return {file: lines for file, lines in found.items() if lines}


def _clone(mirror: Path, commit: str, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(mirror), str(into)], check=True)
    _git("checkout", "-q", commit, cwd=into)
    return into


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--set", type=Path, default=HERE / "runner_eval_go.txt")
    args = parser.parse_args()
    cases = [line.split() for line in args.set.read_text().splitlines()
             if line.strip() and not line.startswith("#")]  # fmt: skip
    rows, seconds, agree = [], [], 0
    for repo, commit in cases:
        mirror = args.mirrors / repo.replace("/", "+") / "repo"
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            work = _clone(mirror, commit, root / "a" / "work")
            added = _added(work, commit)
            env = {"PATH": os.environ["PATH"], "HOME": str(root),
                   "GITHUB_STEP_SUMMARY": str(root / "summary.md")}  # fmt: skip
            started = time.monotonic()
            run = subprocess.run([str(CLI), "gen-tests", "--repo", str(work), "--base",
                                  f"{commit}^", "--head", commit, "--provider", "none", "--json"],
                                 env=env, capture_output=True, text=True, check=False)  # fmt: skip
            seconds.append(time.monotonic() - started)
            try:
                document = json.loads(run.stdout)
            except ValueError:
                document = {"headline": f"exit {run.returncode}: {run.stderr.strip()[-200:]}"}
            standard = _standard(_clone(mirror, commit, root / "b" / "work"), added)
            runners = document.get("runners") or [{}]
            ours = runners[0].get("uncovered_lines", {}) if not runners[0].get("problem") else None
            same = isinstance(standard, dict) and ours == standard
            agree += same
            flaky = sum(r["verdict"] == "flaky" for r in document.get("pr_tests", []))
            rows.append(
                f"| {repo} | {commit[:10]} | {run.returncode} | {seconds[-1]:.1f} | "
                f"{sum(len(v) for v in added.values())} | {runners[0].get('coverage')} | "
                f"{'-' if ours is None else sum(len(v) for v in ours.values())} | "
                f"{standard if isinstance(standard, str) else sum(len(v) for v in standard.values())} | "
                f"{'yes' if same else 'NO'} | {len(document.get('pr_tests', []))}/{flaky} | "
                f"{str(document.get('headline', ''))[:160].replace('|', '/')} |"
            )
    print("| repo | commit | exit | s | added lines | line cov. % | uncovered (ours) | "
          "uncovered (go test) | same | reruns/flaky | headline |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---|---|")
    print("\n".join(rows))
    quantiles = statistics.quantiles(seconds, n=10) if len(seconds) > 1 else seconds
    print(f"\n{agree} of {len(cases)} commits: the same uncovered changed lines as go test's own "
          f"profile. Time per run: median {statistics.median(seconds):.1f} s, "
          f"p90 {quantiles[-1]:.1f} s.")  # fmt: skip


if __name__ == "__main__":
    main()
