"""Score analyse-failure (``--provider none``) on the frozen real-run set, per case and in all.

    python research/failure/realruns_score.py [--misses] [--set realruns_b2]

Each case of tests/fixtures/logs/realruns (or another batch beside it) is wrapped as a GitHub
Actions job, analysed with the change's lines (as on ``workflow_run`` with a range), and scored
on type, failing tests, root-cause line and blame (``tests/modes/analyse_failure/realruns``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.corpus.runner_log import write_layout  # noqa: E402
from tests.modes.analyse_failure import realruns  # noqa: E402

from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.sources import load_logs  # noqa: E402

KINDS = ("type", "tests", "root", "blame")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--set", default="realruns", help="a folder of tests/fixtures/logs")
    args = parser.parse_args()
    totals = dict.fromkeys(KINDS, 0)
    cases = realruns.load(realruns.SET_DIR.parent / args.set)
    with tempfile.TemporaryDirectory() as scratch:
        for case in cases:
            dest = Path(scratch) / case.name
            dest.mkdir()
            analysis = analyse_scans(
                scan_jobs(load_logs(write_layout([case.job()], dest, "zip_steps"))),
                changed_files=list(case.changed_lines),
                changed_lines=case.changed_lines,
            )
            scores = case.scores(analysis)
            for kind in KINDS:
                totals[kind] += scores[kind]
            marks = " ".join(f"{kind} {'ok' if scores[kind] else '--'}" for kind in KINDS)
            print(f"{case.name:26} {marks}")
            if args.misses and not all(scores.values()):
                first = analysis.responsible_files[:1]
                print(f"    type {analysis.failure_type.value}, root {analysis.root_cause[:120]!r}")
                print(f"    tests {len(analysis.failed_tests)} (want {len(case.failing_tests)}): "
                      f"{list(analysis.failed_tests[:4])}")  # fmt: skip
                print(f"    blame {[(f.path, f.lines[:2]) for f in first]} want {case.changed_lines}")
    count = len(cases)
    print("all:", ", ".join(f"{kind} {totals[kind]}/{count}" for kind in KINDS))


if __name__ == "__main__":
    main()
