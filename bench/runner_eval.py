"""Failure type and root-cause line on the frozen runner set, per tool, with no model.

    python bench/runner_eval.py [--misses] [--json]

Each case of tests/fixtures/logs/runners (real output of pytest, unittest, jest, vitest, mocha, AVA,
tap, go test, cargo test, rspec, phpunit, eslint, xo, ruff, flake8, mypy, tsc and shellcheck on
small failing projects, built by ``research/failure/runner_set_build.py``) is wrapped as a GitHub
Actions job log and analysed as ``--provider none`` would. A case is right when the failure type is
the expected one and the root-cause line names the failure (``tests/modes/analyse_failure/runner_set``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from common import emit, figure  # noqa: E402
from tests.corpus.runner_log import write_layout  # noqa: E402
from tests.modes.analyse_failure import runner_set  # noqa: E402

from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs  # noqa: E402
from cicd_agent.modes.analyse_failure.logs.sources import load_logs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    per_tool: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    misses = []
    with tempfile.TemporaryDirectory() as scratch:
        for case in runner_set.load():
            dest = Path(scratch) / case.name
            dest.mkdir()
            analysis = analyse_scans(
                scan_jobs(load_logs(write_layout([case.job()], dest, "zip_steps")))
            )
            typed, rooted = case.type_right(analysis), case.root_right(analysis)
            per_tool[case.tool].append((typed, rooted))
            if not (typed and rooted):
                misses.append(f"  miss {case.name}: type {analysis.failure_type.value} (want "
                              f"{case.failure_type}), root {analysis.root_cause[:110]!r}")  # fmt: skip
    rows = [pair for pairs in per_tool.values() for pair in pairs]
    both = sum(t and r for t, r in rows)
    if args.json:
        share = 100 * both / len(rows)
        emit([figure("analyse-failure (runner set): type and root-cause line right", "%",
                     [share], note=f"{len(rows)} real failing runs of {len(per_tool)} tools; first seen "
                     "74.4 % (67/90) before the rules were written for it")])  # fmt: skip
        return
    for tool, pairs in sorted(per_tool.items()):
        print(f"{tool:11} type {sum(t for t, _ in pairs)}/{len(pairs)}  root "
              f"{sum(r for _, r in pairs)}/{len(pairs)}  both {sum(t and r for t, r in pairs)}"
              f"/{len(pairs)}")  # fmt: skip
    print(
        f"all: {len(rows)} cases, type {sum(t for t, _ in rows)}, root "
        f"{sum(r for _, r in rows)}, both {both} ({100 * both / len(rows):.1f} %)"
    )
    if args.misses:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
