"""gen-tests' runner gate (Go, jest, vitest) on real commits with scripted candidates.

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

Python projects (``"language": "python"``, the held-out ``runner_gate_set2``) go through
Python's own gate the way gen-tests' ask step calls it: a virtual environment per project with
the case's PyPI packages and a ``.pth`` naming its import root (no build step), then
:func:`targets.changed_targets`, :func:`collect.run_suite` under :class:`CoverageMeter` (the
baseline), the segment the case names (:func:`segments.find_segments` on :func:`targets.gaps`),
and :meth:`gate.Gate.evaluate` with the segment's related tests. A language no runner in the job
takes (Rust on code without cargo's gen-tests) gives each candidate "no runner".

A candidate that writes outside its copy is pointed at the checkout the sandbox copies from
(``@OUTSIDE@``); after its verdict the script looks whether the file appeared there.

Run: ``nice python -m research.gen_tests.runner_gate_eval --mirrors DIR [--set runner_gate_set2]
[--repo OWNER/NAME]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests import runner_gaps
from cicd_agent.modes.gen_tests.arguments import DEFAULT_TEST_TIMEOUT, SUITE_TIMEOUT
from cicd_agent.modes.gen_tests.collect import PR_TESTS_BUDGET, run_suite
from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter
from cicd_agent.modes.gen_tests.gate import Gate
from cicd_agent.modes.gen_tests.runner_gate import Candidate, RunnerVerdict, judge
from cicd_agent.modes.gen_tests.segments import (
    Segment,
    find_segments,
    find_test_files,
    related_tests,
)
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.modes.gen_tests.targets import Targets, changed_targets, gaps
from cicd_agent.runners.pytest.runner import PytestSandbox

HERE = Path(__file__).parent
SET = HERE / "runner_gate_set"
"""The frozen set in use (``--set`` names another folder here, e.g. ``runner_gate_set2``)."""
MARKER = "written-by-candidate"
IDENTITY = {"GIT_AUTHOR_NAME": "eval", "GIT_AUTHOR_EMAIL": "eval@example.invalid",
            "GIT_COMMITTER_NAME": "eval", "GIT_COMMITTER_EMAIL": "eval@example.invalid"}  # fmt: skip



def segments_with_gaps(
    work: Path, targets: Targets, missing_lines: Mapping[str, Collection[int]],
    missing_arcs: Mapping[str, Collection[tuple[int, int]]], qualname: str,
) -> tuple[list[Segment], Segment | None]:  # fmt: skip
    """The changed files' segments with missing lines or arcs, and the one a case judges: the
    segment it names, else the first (None when none has a gap)."""
    segments = [segment for path in targets.paths
                for segment in find_segments(path, (work / path).read_text(),
                                             missing_lines.get(path, ()),
                                             missing_arcs.get(path, ()))]  # fmt: skip
    named = [s for s in segments if s.qualname == qualname]
    return segments, ((named or segments)[0] if segments else None)


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
    _git(["apply", "--index", "-"], work, input=_without_hunks(diff, case.get("drop_hunks", [])))
    _git(["commit", "-qm", "head: the commit's source change, its tests left out"], work)
    shas = _git(["rev-parse", "HEAD^", "HEAD"], work).stdout.decode().split()
    return shas[0], shas[1]


def _without_hunks(diff: bytes, drop: list[int]) -> bytes:
    """``diff`` (one file's) without the hunks numbered in ``drop`` (0-based): a test the commit
    added in the source file itself, as Rust's unit tests are, is left out like a test file."""
    if not drop:
        return diff
    parts = re.split(rb"(?m)^(?=@@ )", diff)
    return b"".join(part for index, part in enumerate(parts) if index - 1 not in drop)


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


def python_environment(case: dict[str, Any], work: Path) -> tuple[Path, str]:
    """A virtual environment beside ``work`` with the case's PyPI packages and ``work``'s
    import root on its path (a ``.pth``, no build step); its python, or "" and why not."""
    venv = work.parent / "venv"
    python = venv / "bin" / "python"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    if made.returncode:
        return python, f"venv failed: {made.stderr.strip()[-300:]}"
    run = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                          *case["packages"]], capture_output=True, text=True, check=False)  # fmt: skip
    if run.returncode:
        return python, f"pip install failed: {run.stderr.strip()[-300:]}"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (Path(site) / "eval_project.pth").write_text(str(work / case["import_root"]) + "\n")
    return python, ""


def evaluate(case: dict[str, Any], mirrors: Path, folder: Path) -> list[dict[str, Any]]:
    """Each candidate's row for one commit (printed as it goes)."""
    mirror = mirrors / case["repo"].replace("/", "+") / "repo"
    with tempfile.TemporaryDirectory(prefix="gate-eval-") as temporary:
        work = Path(temporary) / "repo"
        base, head = prepare(case, mirror, work)
        if case["language"] == "python":
            return _evaluate_python(case, work, base, head, folder)
        problem = install(work) if case["language"] == "js" else ""
        if problem:
            print(f"\n### {case['repo']} {case['commit'][:10]}: {problem}", flush=True)
            return []
        environ = dict(os.environ)
        changes, clauses = runner_gaps.changes(GitCheckout(work), base, head, environ)
        with PytestSandbox(work, environ) as sandbox:
            started = time.monotonic()
            found = [runner_gaps.measure(change, sandbox, suite_timeout=SUITE_TIMEOUT,
                                         timeout=DEFAULT_TEST_TIMEOUT, budget=PR_TESTS_BUDGET,
                                         seed=random.randrange(1, 2**31))
                     for change in changes]  # fmt: skip
            suite_seconds = time.monotonic() - started
            print(f"\n### {case['repo']} {case['commit'][:10]} "
                  f"({', '.join(g.change.runner.name for g in found) or 'no runner'}"
                  f"{'; ' + '; '.join(clauses) if clauses else ''})", flush=True)  # fmt: skip
            print(f"sandbox: {sandbox.isolation}")
            for gap in found:
                suite = gap.suite
                tests = len(suite.outcomes) if suite is not None else 0
                print(f"suite: {tests} tests, {suite_seconds:.1f} s, problem: "
                      f"{gap.problem[:200] or '-'}; uncovered changed lines: "
                      f"{ {p: sorted(v) for p, v in gap.uncovered().items()} }")  # fmt: skip
            _header()
            rows = []
            for entry in case["candidates"]:
                text = (folder / entry["file"]).read_text().replace("@OUTSIDE@", str(work))
                started = time.monotonic()
                verdict = (judge(found[0], Candidate(entry["path"], text), sandbox,
                                 timeout=DEFAULT_TEST_TIMEOUT, seed=random.randrange(1, 2**31))
                           if found else RunnerVerdict(entry["path"], "path", "no runner"))  # fmt: skip
                rows.append(_row(case, entry, work, verdict.kept, verdict.stage, verdict.reason,
                                 verdict.possible_bug, verdict.runs, time.monotonic() - started))  # fmt: skip
    return rows


def _evaluate_python(
    case: dict[str, Any], work: Path, base: str, head: str, folder: Path
) -> list[dict[str, Any]]:
    """Python's gate (:class:`Gate`) on each candidate, as gen-tests' ask step runs it."""
    python, problem = python_environment(case, work)
    if problem:
        print(f"\n### {case['repo']} {case['commit'][:10]}: {problem}", flush=True)
        return []
    words = case["command"].split()
    command = ProjectCommand.parse(" ".join([str(python), *words[1:]]))
    environ = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}"}
    targets = changed_targets(GitCheckout(work), base, head)
    with PytestSandbox(work, environ) as sandbox:
        meter = CoverageMeter(sandbox, targets.paths)
        started = time.monotonic()
        baseline, coverage, result = run_suite(meter, command, timeout=SUITE_TIMEOUT,
                                               label="baseline", rerun=True)  # fmt: skip
        suite_seconds = time.monotonic() - started
        missing_lines, missing_arcs = gaps(coverage, targets)
        segments, segment = segments_with_gaps(work, targets, missing_lines, missing_arcs,
                                               case["segment"])  # fmt: skip
        print(f"\n### {case['repo']} {case['commit'][:10]} (python gate: {command.suite[-2:]})",
              flush=True)  # fmt: skip
        print(f"sandbox: {sandbox.isolation}")
        print(f"suite: {baseline.tests_run} tests, {len(baseline.passed or ())} passed, "
              f"{suite_seconds:.1f} s, {result.describe()}; segments with gaps: "
              f"{[(s.qualname, sorted(s.missing_lines)) for s in segments]}; judged against: "
              f"{segment.qualname if segment else '-'}")  # fmt: skip
        _header()
        rows: list[dict[str, Any]] = []
        if segment is None:
            return rows
        gate = Gate(meter, command, baseline, timeout=DEFAULT_TEST_TIMEOUT)
        related = related_tests(segment.path, find_test_files(sandbox.pristine))
        for entry in case["candidates"]:
            text = (folder / entry["file"]).read_text().replace("@OUTSIDE@", str(work))
            started = time.monotonic()
            verdict = gate.evaluate(text, segment, entry["path"], related, entry["name"])
            stage = verdict.stopped_at.value if verdict.stopped_at is not None else ""
            rows.append(_row(case, entry, work, verdict.accepted, stage, verdict.reason,
                             verdict.possible_bug, verdict.runs, time.monotonic() - started))  # fmt: skip
    return rows


def _header() -> None:
    print("| candidate | expected | got | stage | reason | runs | s | agrees |")
    print("|---|---|---|---|---|---:|---:|---|")


def _row(case: dict[str, Any], entry: dict[str, Any], work: Path, kept: bool, stage: str,
         reason: str, bug: str, runs: int, seconds: float) -> dict[str, Any]:  # fmt: skip
    """One candidate's row, printed; whether it wrote outside its copy is looked up here."""
    escaped = (work / MARKER).exists()
    if escaped:
        (work / MARKER).unlink()  # the next candidate's write is its own
    expect = entry["expect"]
    agreed = kept if expect == "kept" else (not kept and stage in expect.split("|"))
    shown_reason = (reason + (f" [possible bug: {bug}]" if bug else "")
                    + (" [WROTE OUTSIDE ITS COPY]" if escaped else ""))  # fmt: skip
    row = {"language": case["language"], "repo": case["repo"], "candidate": entry["name"],
           "expect": expect, "got": "kept" if kept else "dropped", "stage": stage,
           "reason": shown_reason, "runs": runs, "seconds": round(seconds, 1),
           "agrees": agreed, "escaped": escaped, "possible_bug": bool(bug),
           "bug_expected": bool(entry.get("possible_bug", False))}  # fmt: skip
    shown = shown_reason.replace("|", "/").replace("\n", " ")[:160]
    print(f"| {entry['name']} | {expect} | {row['got']} | {stage or '-'} | {shown or '-'} | "
          f"{runs} | {seconds:.1f} | {'yes' if agreed else 'NO'} |", flush=True)  # fmt: skip
    return row


def totals(rows: list[dict[str, Any]], title: str = "All") -> None:
    """What the brief asks for: exactly right, false keeps, false drops, time per candidate."""
    if not rows:
        return
    false_keeps = [r for r in rows if r["got"] == "kept" and r["expect"] != "kept"]
    false_drops = [r for r in rows if r["got"] != "kept" and r["expect"] == "kept"]
    other_stage = [r for r in rows if not r["agrees"] and "kept" not in (r["got"], r["expect"])]
    repos = sorted({r["repo"] for r in rows})
    exact = [repo for repo in repos if all(
        (r["got"] == "kept") == (r["expect"] == "kept") for r in rows if r["repo"] == repo)]  # fmt: skip
    print(f"\n{title}: candidates: {len(rows)}; verdict as expected (kept/stage): "
          f"{sum(r['agrees'] for r in rows)}; false keeps: {len(false_keeps)} ({_names(false_keeps)}); "
          f"false drops: {len(false_drops)} ({_names(false_drops)}); dropped at another stage "
          f"than expected: {len(other_stage)} ({_names(other_stage, stage=True)}).")  # fmt: skip
    print(f"{title}: commits that kept exactly the right candidates: {len(exact)} of {len(repos)}.")
    print(f"{title}: writes outside the copy that landed: {sum(r['escaped'] for r in rows)}.")
    bugs = [r for r in rows if r["possible_bug"]]
    wrong = [r for r in bugs if not r["bug_expected"]]
    print(f"{title}: possible bugs raised: {len(bugs)} ({_names(bugs)}); of them not a bug of "
          f"the code (none is expected): {len(wrong)}.")  # fmt: skip
    ran = sorted(r["seconds"] for r in rows if r["runs"])
    if len(ran) > 1:
        print(f"{title}: time per judged candidate that ran (s): median "
              f"{statistics.median(ran):.1f}, p90 {statistics.quantiles(ran, n=10)[-1]:.1f} "
              f"({len(ran)} candidates, {sum(r['runs'] for r in rows)} runs).")  # fmt: skip
    per_run = sorted(r["seconds"] / r["runs"] for r in rows if r["runs"])
    if len(per_run) > 1:
        print(f"{title}: time per runner run (s): median {statistics.median(per_run):.1f}, "
              f"p90 {statistics.quantiles(per_run, n=10)[-1]:.1f}.")  # fmt: skip


def _names(rows: list[dict[str, Any]], *, stage: bool = False) -> str:
    return ", ".join(f"{r['repo']} {r['candidate']}" + (f" at {r['stage']}" if stage else "")
                     for r in rows) or "-"  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--set", default=SET.name, help="the frozen set's folder here")
    parser.add_argument("--repo", help="only this repository's commit")
    parser.add_argument("--json", type=Path, help="write every row here too")
    args = parser.parse_args()
    folder = HERE / args.set
    tools = [subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
             for argv in (["go", "version"], ["node", "--version"], ["npm", "--version"],
                          ["cargo", "--version"])]  # fmt: skip
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.1f} at the start; {tools[0]}; "
          f"node {tools[1]}, npm {tools[2]}; {tools[3] or 'no cargo'}")  # fmt: skip
    rows: list[dict[str, Any]] = []
    for case in json.loads((folder / "cases.json").read_text())["cases"]:
        if args.repo and case["repo"] != args.repo:
            continue
        try:
            rows += evaluate(case, args.mirrors, folder)
        except Exception as exc:  # one project's failure is reported, the others still run
            print(f"\n### {case['repo']} {case['commit'][:10]}: the evaluation failed: "
                  f"{type(exc).__name__}: {str(exc)[:400]}", flush=True)  # fmt: skip
        if args.json:  # as it goes: a long run stopped early keeps what it measured
            args.json.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\nLoad at the end: {os.getloadavg()[0]:.1f}.")
    for language in sorted({r["language"] for r in rows}):
        totals([r for r in rows if r["language"] == language], language)
    totals(rows)


if __name__ == "__main__":
    main()
