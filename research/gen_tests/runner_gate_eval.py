"""gen-tests' runner gate (Go, jest, vitest) on real commits with scripted candidates (issue 65).

The frozen set (``runner_gate_set/cases.json``, committed before any run) names, per project,
one real commit and ten hand-written candidates, each with the verdict it should get. For each
commit, in a temporary folder:

1. the parent's tree (``git archive`` from a folder of bare clones, ``--mirrors``, one
   ``owner+name/repo`` each; fetched code is never committed here) is committed as the base,
   and the commit's change to the named source files only as the head: the tests the commit
   added are left out, as an author who forgot them;
2. JavaScript projects install their devDependencies (``npm ci --ignore-scripts
   --prefer-offline``); a vitest project that does not list ``@vitest/coverage-v8`` gets it at
   its vitest version, as the gate's "could not run" advice says (``npm install --no-save``);
3. gen-tests' own path: :func:`runner_gaps.changes` on base..head, :func:`runner_gaps.measure`
   in the real sandbox (the suite with the changed files' coverage), then
   :func:`runner_gate.judge` for each candidate, with gen-tests' candidate timeout and a fresh
   seed, as :class:`runner_ask.RunnerWriter` calls it. Nothing is mocked.

A candidate that writes outside its copy is pointed at the checkout the sandbox copies from
(``@OUTSIDE@``); after its verdict the script looks whether the file appeared there.

Run: ``nice python -m research.gen_tests.runner_gate_eval --mirrors DIR [--repo OWNER/NAME]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests import runner_gaps
from cicd_agent.modes.gen_tests.arguments import DEFAULT_TEST_TIMEOUT
from cicd_agent.modes.gen_tests.collect import PR_TESTS_BUDGET, SUITE_TIMEOUT
from cicd_agent.modes.gen_tests.runner_gate import Candidate, RunnerVerdict, judge
from cicd_agent.verify.runners.pytest import PytestSandbox

HERE = Path(__file__).parent
SET = HERE / "runner_gate_set"
MARKER = "written-by-candidate"
IDENTITY = {"GIT_AUTHOR_NAME": "eval", "GIT_AUTHOR_EMAIL": "eval@example.invalid",
            "GIT_COMMITTER_NAME": "eval", "GIT_COMMITTER_EMAIL": "eval@example.invalid"}  # fmt: skip


def _git(argv: list[str], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *argv], cwd=cwd, check=True, capture_output=True,
                          env={**os.environ, **IDENTITY}, **kwargs)  # fmt: skip


def prepare(case: dict[str, Any], mirror: Path, work: Path) -> tuple[str, str]:
    """``work`` holding the base (the parent's tree) and the head (the commit's change to its
    named sources only) as two commits; their SHAs."""
    commit, sources = case["commit"], case["sources"]
    work.mkdir()
    _git(["init", "-q"], work)
    (work / ".git" / "info" / "exclude").write_text("node_modules/\n")
    tree = subprocess.run(["git", "--git-dir", str(mirror), "archive", f"{commit}^"],
                          check=True, capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(work)], input=tree, check=True)
    _git(["add", "-A"], work)
    _git(["commit", "-qm", "base"], work)
    diff = subprocess.run(["git", "--git-dir", str(mirror), "diff", "--binary", f"{commit}^",
                           commit, "--", *sources], check=True, capture_output=True).stdout  # fmt: skip
    _git(["apply", "--index", "-"], work, input=diff)
    _git(["commit", "-qm", "head: the commit's source change, its tests left out"], work)
    shas = _git(["rev-parse", "HEAD^", "HEAD"], work).stdout.decode().split()
    return shas[0], shas[1]


def install(work: Path) -> str:
    """The project's devDependencies from npm ("" when installed, else why not)."""
    npm = ["npm", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"]
    run = subprocess.run([*npm[:1], "ci", *npm[1:]], cwd=work, capture_output=True, text=True,
                         check=False)  # fmt: skip
    if run.returncode:
        return f"npm ci failed: {run.stderr.strip()[-300:]}"
    vitest = work / "node_modules" / "vitest" / "package.json"
    if vitest.is_file() and not (work / "node_modules" / "@vitest" / "coverage-v8").is_dir():
        version = json.loads(vitest.read_text())["version"]
        run = subprocess.run([*npm[:1], "install", "--no-save", *npm[1:],
                              f"@vitest/coverage-v8@{version}"], cwd=work, capture_output=True,
                             text=True, check=False)  # fmt: skip
        if run.returncode:
            return f"npm install @vitest/coverage-v8@{version} failed: {run.stderr.strip()[-300:]}"
    return ""


def agrees(expect: str, verdict: RunnerVerdict) -> bool:
    """Whether ``verdict`` is the expected one (``kept``, or one of ``a|b`` stages)."""
    return verdict.kept if expect == "kept" else verdict.stage in expect.split("|")


def evaluate(case: dict[str, Any], mirrors: Path) -> list[dict[str, Any]]:
    """Each candidate's row for one commit (printed as it goes)."""
    mirror = mirrors / case["repo"].replace("/", "+") / "repo"
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="gate-eval-") as folder:
        work = Path(folder) / "repo"
        base, head = prepare(case, mirror, work)
        problem = install(work) if case["language"] == "js" else ""
        if problem:
            print(f"\n### {case['repo']} {case['commit'][:10]}: {problem}", flush=True)
            return rows
        environ = dict(os.environ)
        changes, clauses = runner_gaps.changes(GitCheckout(work), base, head, environ)
        with PytestSandbox(work, environ) as sandbox:
            started = time.monotonic()
            gaps = [runner_gaps.measure(change, sandbox, suite_timeout=SUITE_TIMEOUT,
                                        timeout=DEFAULT_TEST_TIMEOUT, budget=PR_TESTS_BUDGET,
                                        seed=random.randrange(1, 2**31))
                    for change in changes]  # fmt: skip
            suite_seconds = time.monotonic() - started
            print(f"\n### {case['repo']} {case['commit'][:10]} "
                  f"({', '.join(g.change.runner.name for g in gaps) or 'no runner'}"
                  f"{'; ' + '; '.join(clauses) if clauses else ''})", flush=True)  # fmt: skip
            print(f"sandbox: {sandbox.isolation}")
            for found in gaps:
                suite = found.suite
                tests = len(suite.outcomes) if suite is not None else 0
                print(f"suite: {tests} tests, {suite_seconds:.1f} s, problem: "
                      f"{found.problem[:200] or '-'}; uncovered changed lines: "
                      f"{ {p: sorted(v) for p, v in found.uncovered().items()} }")  # fmt: skip
            print("| candidate | expected | got | stage | reason | runs | s | agrees |")
            print("|---|---|---|---|---|---:|---:|---|")
            for entry in case["candidates"]:
                text = (SET / entry["file"]).read_text().replace("@OUTSIDE@", str(work))
                language_gaps = gaps[0] if gaps else None
                started = time.monotonic()
                verdict = (judge(language_gaps, Candidate(entry["path"], text), sandbox,
                                 timeout=DEFAULT_TEST_TIMEOUT,
                                 seed=random.randrange(1, 2**31))
                           if language_gaps is not None
                           else RunnerVerdict(entry["path"], "path", "no runner"))  # fmt: skip
                seconds = time.monotonic() - started
                escaped = (work / MARKER).exists()
                got = "kept" if verdict.kept else "dropped"
                reason = (verdict.reason + (f" [possible bug: {verdict.possible_bug}]"
                                            if verdict.possible_bug else "")
                          + (" [WROTE OUTSIDE ITS COPY]" if escaped else ""))  # fmt: skip
                row = {"repo": case["repo"], "candidate": entry["name"], "expect": entry["expect"],
                       "got": got, "stage": verdict.stage, "reason": reason, "runs": verdict.runs,
                       "seconds": round(seconds, 1), "agrees": agrees(entry["expect"], verdict),
                       "escaped": escaped, "possible_bug": bool(verdict.possible_bug)}  # fmt: skip
                rows.append(row)
                shown = reason.replace("|", "/").replace("\n", " ")[:160]
                print(f"| {entry['name']} | {entry['expect']} | {got} | {verdict.stage or '-'} | "
                      f"{shown or '-'} | {verdict.runs} | {seconds:.1f} | "
                      f"{'yes' if row['agrees'] else 'NO'} |", flush=True)  # fmt: skip
    return rows


def totals(rows: list[dict[str, Any]]) -> None:
    """What the brief asks for: exactly right, false keeps, false drops, time per candidate."""
    false_keeps = [r for r in rows if r["got"] == "kept" and r["expect"] != "kept"]
    false_drops = [r for r in rows if r["got"] != "kept" and r["expect"] == "kept"]
    other_stage = [r for r in rows if not r["agrees"] and "kept" not in (r["got"], r["expect"])]
    repos = sorted({r["repo"] for r in rows})
    exact = [repo for repo in repos if all(
        (r["got"] == "kept") == (r["expect"] == "kept") for r in rows if r["repo"] == repo)]  # fmt: skip
    print(f"\nCandidates: {len(rows)}; verdict as expected (kept/stage): "
          f"{sum(r['agrees'] for r in rows)}; false keeps: {len(false_keeps)} ({_names(false_keeps)}); "
          f"false drops: {len(false_drops)} ({_names(false_drops)}); dropped at another stage "
          f"than expected: {len(other_stage)} ({_names(other_stage, stage=True)}).")  # fmt: skip
    print(f"Commits that kept exactly the right candidates: {len(exact)} of {len(repos)}.")
    print(f"Writes outside the copy that landed: {sum(r['escaped'] for r in rows)}.")
    bugs = [r for r in rows if r["possible_bug"]]
    print(f"Possible bugs raised (none of the commits has one): {len(bugs)} ({_names(bugs)}).")
    ran = sorted(r["seconds"] for r in rows if r["runs"])
    if len(ran) > 1:
        print(f"Time per judged candidate that ran (s): median {statistics.median(ran):.1f}, "
              f"p90 {statistics.quantiles(ran, n=10)[-1]:.1f} ({len(ran)} candidates, "
              f"{sum(r['runs'] for r in rows)} runs).")  # fmt: skip
    per_run = sorted(r["seconds"] / r["runs"] for r in rows if r["runs"])
    if len(per_run) > 1:
        print(f"Time per runner run (s): median {statistics.median(per_run):.1f}, "
              f"p90 {statistics.quantiles(per_run, n=10)[-1]:.1f}.")  # fmt: skip


def _names(rows: list[dict[str, Any]], *, stage: bool = False) -> str:
    return ", ".join(f"{r['repo']} {r['candidate']}" + (f" at {r['stage']}" if stage else "")
                     for r in rows) or "-"  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--repo", help="only this repository's commit")
    parser.add_argument("--json", type=Path, help="write every row here too")
    args = parser.parse_args()
    tools = [subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
             for argv in (["go", "version"], ["node", "--version"], ["npm", "--version"])]  # fmt: skip
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.1f} at the start; {tools[0]}; "
          f"node {tools[1]}, npm {tools[2]}")  # fmt: skip
    rows: list[dict[str, Any]] = []
    for case in json.loads((SET / "cases.json").read_text())["cases"]:
        if args.repo and case["repo"] != args.repo:
            continue
        rows += evaluate(case, args.mirrors)
    totals(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
