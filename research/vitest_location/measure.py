"""The responsible files analyse-failure names on vitest logs: the runner corpus's five and two
of unjs/scule (no change given, so only what the log names). Run from the repository root."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.corpus.runner_log import write_layout
    from tests.modes.analyse_failure.realruns import RealRun

    from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
    from cicd_agent.modes.analyse_failure.logs.sources import load_logs

    logs = ROOT / "tests/fixtures/logs"
    cases = [(f"vitest-{n}", json.loads((logs / f"runners/vitest-{n}.json").read_text())["output"])
             for n in range(1, 6)]  # fmt: skip
    cases += [(name, (logs / name).read_text()) for name in
              ("vitest_assertion.txt", "vitest_source_error.txt")]  # fmt: skip
    for name, output in cases:
        with tempfile.TemporaryDirectory() as tmp:
            run = RealRun("vitest", "vitest", "npx vitest run", 1, "test_failure", (), (), {}, output)
            jobs = scan_jobs(load_logs(write_layout([run.job()], Path(tmp), "zip_steps")))
            named = analyse_scans(jobs).responsible_files
            print(name, [f"{f.path}:{f.lines[0] if f.lines else ''}" for f in named][:4])


if __name__ == "__main__":
    main()
