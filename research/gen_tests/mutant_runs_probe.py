"""Each mutant run of a candidate with its runner's output: why a held-out commit's mutant runs
gave no outcome (htmlparser2 in set 3 under ts-jest: its type check refused each).

The commit is prepared and measured as :mod:`.runner_gate_eval` does (same ``--mirrors``
layout), then :func:`candidate_runs.depends` runs the named candidates, and every run of the
runner prints its time, exit status, problem, the candidate's outcomes and its output's tail.

Run: ``nice python -m research.gen_tests.mutant_runs_probe --mirrors DIR --set runner_gate_set3
--repo fb55/htmlparser2 right tautology``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from research.gen_tests import runner_gate_eval

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests import candidate_runs, runner_gaps
from cicd_agent.modes.gen_tests.arguments import DEFAULT_TEST_TIMEOUT, SUITE_TIMEOUT
from cicd_agent.modes.gen_tests.collect import PR_TESTS_BUDGET
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.verify import mutation

COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--set", default="runner_gate_set3")
    parser.add_argument("--repo", required=True)
    parser.add_argument("names", nargs="+", help="the candidates to run against the mutants")
    args = parser.parse_args()
    folder = runner_gate_eval.HERE / args.set
    case = next(c for c in json.loads((folder / "cases.json").read_text())["cases"]
                if c["repo"] == args.repo)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="mutant-probe-") as temporary:
        work = Path(temporary) / "repo"
        mirror = args.mirrors / case["repo"].replace("/", "+") / "repo"
        base, head = runner_gate_eval.prepare(case, mirror, work)
        print("install:", runner_gate_eval.install(work) or "done", flush=True)
        environ = dict(os.environ)
        changes, _ = runner_gaps.changes(GitCheckout(work), base, head, environ)
        with PytestSandbox(work, environ) as sandbox:
            gaps = runner_gaps.measure(changes[0], sandbox, suite_timeout=SUITE_TIMEOUT,
                                       timeout=DEFAULT_TEST_TIMEOUT, budget=PR_TESTS_BUDGET,
                                       seed=1)  # fmt: skip
            lines = gaps.uncovered()
            print("uncovered:", {path: sorted(found) for path, found in lines.items()})
            _watch(type(gaps.change.runner))
            for entry in case["candidates"]:
                if entry["name"] in args.names:
                    _probe(entry, folder, gaps, sandbox, lines)


def _watch(runner: Any) -> None:
    """Print each run of ``runner`` (its class's ``run``) as it returns."""
    real = runner.run

    def run(self: Any, *given: Any, **options: Any) -> Any:
        started = time.monotonic()
        report = real(self, *given, **options)
        print(f"--- run: {time.monotonic() - started:.1f} s, status {report.returncode}, "
              f"problem {report.problem[:300]!r}\noutcomes: {dict(report.outcomes)}\n"
              f"output's tail:\n{COLOURS.sub('', report.output[-2500:])}", flush=True)  # fmt: skip
        return report

    runner.run = run


def _probe(entry: dict[str, Any], folder: Path, gaps: Any, sandbox: Any, lines: Any) -> None:
    candidate = candidate_runs.Candidate(entry["path"], (folder / entry["file"]).read_text())
    print(f"\n===== {entry['name']}", flush=True)
    for mutant in mutation.of_lines(sandbox.pristine, lines):
        print("mutant:", mutant)
    found = candidate_runs.depends(gaps, candidate, sandbox, lines, DEFAULT_TEST_TIMEOUT)
    print("dependence:", found, flush=True)


if __name__ == "__main__":
    main()
