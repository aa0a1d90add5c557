"""Whether gen-tests' gates raise a real possible bug, on the frozen ``realbug_set``.

Each case of ``realbug_set/cases.json`` (committed before any run) is a real bug-fix commit whose
parent contradicts a contract written before the fix. Every candidate names the head it is judged
on (``on``):

- ``parent``: the base is the parent's tree with the fix's change to the named sources applied
  (the fixed code), the head is the parent's tree, so the head's changed lines are the fix's
  touched lines at the parent, and the head is the buggy code;
- ``fix``: the base is the parent and the head the parent with the fix's source change (its tests
  left out), as :func:`runner_gate_eval.prepare` builds a head.

Each head is judged in two coverage modes: ``as_is`` (the suite's real coverage, as gen-tests runs)
and ``forced`` (the head's changed lines are taken as uncovered, so that the failing-candidate path
and the contract check are reached however much the suite already runs them). The judging is
gen-tests' own, as ``runner_gate_eval.py`` calls it: :func:`runner_gaps.changes` /
:func:`runner_gaps.measure` and :func:`runner_gate.judge` for Go and JavaScript,
:func:`collect.run_suite` under :class:`CoverageMeter`, :func:`segments.find_segments` and
:meth:`gate.Gate.evaluate` for Python. Nothing is mocked; the forced mode only drops the changed
lines from the suite's measured coverage before the gate reads it.

Run: ``nice -n 10 python -m research.gen_tests.realbug_eval --mirrors DIR [--repo OWNER/NAME]
[--mode as_is|forced] [--json OUT]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from research.gen_tests import runner_gate_eval
from research.gen_tests.runner_gate_eval import (
    _git,
    install,
    python_environment,
    segments_with_gaps,
)

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests import runner_gaps
from cicd_agent.modes.gen_tests.arguments import DEFAULT_TEST_TIMEOUT, SUITE_TIMEOUT
from cicd_agent.modes.gen_tests.collect import PR_TESTS_BUDGET, run_suite
from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter
from cicd_agent.modes.gen_tests.gate import Gate
from cicd_agent.modes.gen_tests.runner_gate import Candidate, judge
from cicd_agent.modes.gen_tests.segments import find_test_files, related_tests
from cicd_agent.modes.gen_tests.suite import ProjectCommand
from cicd_agent.modes.gen_tests.targets import Targets, changed_targets, gaps
from cicd_agent.runners.pytest.runner import PytestSandbox

HERE = Path(__file__).parent
SET = HERE / "realbug_set"
MODES = ("as_is", "forced")


def prepare(case: dict[str, Any], mirror: Path, work: Path, on: str) -> tuple[str, str]:
    """``work`` holding base and head as commits (module doc), their SHAs: the fix's head is
    :func:`runner_gate_eval.prepare`'s; the parent's is one more commit that takes the fix back."""
    base, head = runner_gate_eval.prepare(case, mirror, work)
    if on == "fix":
        return base, head
    undo = _git(["diff", "--binary", base, head], work).stdout
    _git(["apply", "-R", "--index", "-"], work, input=undo)
    _git(["commit", "-qm", "head: the parent (the buggy code), after the fix as its base"], work)
    return head, _git(["rev-parse", "HEAD"], work).stdout.decode().strip()


def evaluate(
    case: dict[str, Any], mirrors: Path, on: str, modes: list[str]
) -> list[dict[str, Any]]:
    """The rows of the case's candidates judged on head ``on``, in each of ``modes``."""
    entries = [entry for entry in case["candidates"] if entry["on"] == on]
    if not entries:
        return []
    mirror = mirrors / case["repo"].replace("/", "+") / "repo"
    with tempfile.TemporaryDirectory(prefix="realbug-eval-") as temporary:
        work = Path(temporary) / "repo"
        base, head = prepare(case, mirror, work, on)
        print(f"\n### {case['repo']} {case['commit'][:10]}, head: {on}", flush=True)
        if case["language"] == "python":
            return _python(case, entries, work, base, head, modes)
        problem = install(work) if case["language"] == "js" else ""
        if problem:
            print(problem)
            return []
        environ = dict(os.environ)
        changes, _ = runner_gaps.changes(GitCheckout(work), base, head, environ)
        rows = []
        with PytestSandbox(work, environ) as sandbox:
            found = [runner_gaps.measure(change, sandbox, suite_timeout=SUITE_TIMEOUT,
                                         timeout=DEFAULT_TEST_TIMEOUT, budget=PR_TESTS_BUDGET,
                                         seed=random.randrange(1, 2**31))
                     for change in changes]  # fmt: skip
            for gap in found:
                suite = gap.suite
                print(f"{gap.change.runner.name}: suite {len(suite.outcomes) if suite else 0} tests, "
                      f"problem: {gap.problem[:200] or '-'}; changed lines "
                      f"{ {p: sorted(v) for p, v in gap.change.sources.items()} }; uncovered "
                      f"{ {p: sorted(v) for p, v in gap.uncovered().items()} }")  # fmt: skip
            for mode in modes:
                for entry in entries:
                    if not found:
                        rows.append(_row(case, entry, mode, False, "no runner", "", "", 0, 0.0))
                        continue
                    gap = _forced(found[0]) if mode == "forced" else found[0]
                    text = (SET / entry["file"]).read_text()
                    started = time.monotonic()
                    verdict = judge(
                        gap,
                        Candidate(entry["path"], text),
                        sandbox,
                        timeout=DEFAULT_TEST_TIMEOUT,
                        seed=random.randrange(1, 2**31),
                    )
                    named = verdict.contracts[0].describe() if verdict.contracts else ""
                    rows.append(_row(case, entry, mode, verdict.kept, verdict.stage, verdict.reason,
                                     verdict.possible_bug and named, verdict.runs,
                                     time.monotonic() - started))  # fmt: skip
    return rows


def _forced(gap: runner_gaps.RunnerGaps) -> runner_gaps.RunnerGaps:
    """``gap`` with the change's lines dropped from the suite's coverage: all uncovered."""
    suite = gap.suite
    if suite is None or suite.coverage is None:
        return gap
    coverage = {path: lines - gap.change.sources.get(path, frozenset())
                for path, lines in suite.coverage.items()}  # fmt: skip
    return dataclasses.replace(gap, suite=dataclasses.replace(suite, coverage=coverage))


def _python(case: dict[str, Any], entries: list[dict[str, Any]], work: Path, base: str, head: str,
            modes: list[str]) -> list[dict[str, Any]]:  # fmt: skip
    """Python's gate on each candidate, as gen-tests' ask step runs it."""
    python, problem = python_environment(case, work)
    if problem:
        print(problem)
        return []
    words = case["command"].split()
    command = ProjectCommand.parse(" ".join([str(python), *words[1:]]))
    environ = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}"}
    targets = changed_targets(GitCheckout(work), base, head)
    rows: list[dict[str, Any]] = []
    with PytestSandbox(work, environ) as sandbox:
        meter = CoverageMeter(sandbox, targets.paths)
        baseline, coverage, result = run_suite(meter, command, timeout=SUITE_TIMEOUT,
                                               label="baseline", rerun=True)  # fmt: skip
        print(f"pytest: suite {baseline.tests_run} tests, {len(baseline.passed or ())} passed, "
              f"{result.describe()}; changed lines "
              f"{ {p: sorted(v or ()) for p, v in targets.files.items()} }")  # fmt: skip
        for mode in modes:
            missing_lines, missing_arcs = gaps(coverage, targets)
            if mode == "forced":
                missing_lines = _all_changed(coverage, targets)
            segments, segment = segments_with_gaps(work, targets, missing_lines, missing_arcs,
                                                   case["segment"])  # fmt: skip
            print(
                f"{mode}: segments with gaps {[(s.qualname, sorted(s.missing_lines)) for s in segments]}"
            )
            if segment is None:
                rows += [_row(case, entry, mode, False, "no_segment", "no segment with a gap",
                              "", 0, 0.0) for entry in entries]  # fmt: skip
                continue
            gate = Gate(meter, command, baseline, timeout=DEFAULT_TEST_TIMEOUT)
            related = related_tests(segment.path, find_test_files(sandbox.pristine))
            for entry in entries:
                text = (SET / entry["file"]).read_text()
                started = time.monotonic()
                verdict = gate.evaluate(text, segment, entry["path"], related, entry["name"])
                stage = verdict.stopped_at.value if verdict.stopped_at is not None else ""
                named_contract = verdict.contracts[0].describe() if verdict.contracts else ""
                rows.append(_row(case, entry, mode, verdict.accepted, stage, verdict.reason,
                                 verdict.possible_bug and named_contract, verdict.runs,
                                 time.monotonic() - started))  # fmt: skip
    return rows


def _all_changed(coverage: Any, targets: Targets) -> dict[str, frozenset[int]]:
    """Every changed statement of the targets, as if no test ran it (the forced mode)."""
    found: dict[str, frozenset[int]] = {}
    for path in targets.paths:
        measured = coverage.files.get(path)
        if measured is not None:
            lines = measured.executed_lines | measured.missing_lines
            found[path] = frozenset(n for n in lines if targets.counts(path, n))
    return found


def _row(case: dict[str, Any], entry: dict[str, Any], mode: str, kept: bool, stage: str,
         reason: str, bug: str, runs: int, seconds: float) -> dict[str, Any]:  # fmt: skip
    expect = entry["expect"] if mode == "forced" else entry["expect_as_is"]
    agreed = kept if expect == "kept" else (not kept and stage in expect.split("|"))
    bug_right = bool(bug) == entry["possible_bug"] or (
        mode == "as_is" and stage in ("path", "no_segment")
    )
    row = {"language": case["language"], "repo": case["repo"], "candidate": entry["name"],
           "on": entry["on"], "mode": mode, "expect": expect, "got": "kept" if kept else "dropped",
           "stage": stage, "reason": reason, "possible_bug": bug, "bug_expected": entry["possible_bug"],
           "agrees": agreed and bug_right, "runs": runs, "seconds": round(seconds, 1)}  # fmt: skip
    shown = (reason + (f" [POSSIBLE BUG; contract: {bug}]" if bug else "")).replace("\n", " ")
    print(f"| {mode} | {entry['name']} | {expect} | {row['got']} | {stage or '-'} | "
          f"{shown[:400] or '-'} | {runs} | {seconds:.1f} | {'yes' if row['agrees'] else 'NO'} |",
          flush=True)  # fmt: skip
    return row


def totals(rows: list[dict[str, Any]]) -> None:
    """Possible bugs raised rightly, missed and false, per mode; verdicts as expected."""
    for mode in MODES:
        mine = [r for r in rows if r["mode"] == mode]
        if not mine:
            continue
        truth = [r for r in mine if r["bug_expected"]]
        raised = [r for r in truth if r["possible_bug"]]
        false = [r for r in mine if r["possible_bug"] and not r["bug_expected"]]
        missed = ", ".join(f"{r['repo']} at {r['stage']}" for r in truth if not r["possible_bug"])
        print(f"\n{mode}: candidates {len(mine)}, verdict as expected {sum(r['agrees'] for r in mine)}; "
              f"real possible bugs raised {len(raised)} of {len(truth)} "
              f"({', '.join(r['repo'] for r in raised) or '-'}); missed: {missed or '-'}; "
              f"false possible bugs {len(false)} "
              f"({', '.join(r['repo'] + ' ' + r['candidate'] for r in false) or '-'}).")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--repo", help="only this repository's commit")
    parser.add_argument("--mode", choices=MODES, help="one coverage mode (default: both)")
    parser.add_argument("--json", type=Path, help="write every row here too")
    args = parser.parse_args()
    modes = [args.mode] if args.mode else list(MODES)
    print(f"load {os.getloadavg()[0]:.1f} at the start")
    print(
        "| mode | candidate | expected | got | stage | reason | runs | s | agrees |\n"
        "|---|---|---|---|---|---|---:|---:|---|"
    )
    rows: list[dict[str, Any]] = []
    for case in json.loads((SET / "cases.json").read_text())["cases"]:
        if args.repo and case["repo"] != args.repo:
            continue
        for on in ("parent", "fix"):
            try:
                rows += evaluate(case, args.mirrors, on, modes)
            except Exception as exc:  # one case's failure is reported, the others still run
                print(f"\n### {case['repo']} ({on}): the evaluation failed: "
                      f"{type(exc).__name__}: {str(exc)[:400]}", flush=True)  # fmt: skip
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\nload {os.getloadavg()[0]:.1f} at the end")
    totals(rows)


if __name__ == "__main__":
    main()
