"""vitest's location lines (`` ❯ test/x.test.ts:144:30`` under the failed assertion, and
`` ❯ Module.titleCase src/index.ts:189:6`` for each frame of an error thrown in the code) name
the responsible file and line as a repository path, as pytest's and jest's do. Both logs are
vitest 1.6's own output on unjs/scule 1.3.0: a ``titleCase`` fix that breaks one expectation,
and a change to line 192 of ``src/index.ts`` that throws a TypeError."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus.runner_log import write_layout
from tests.modes.analyse_failure.realruns import RealRun

LOGS = Path(__file__).parents[2] / "fixtures/logs"


def _analysis(tmp_path: Path, log: str, changed: dict[str, list[int]]):  # type: ignore[no-untyped-def]
    run = RealRun("vitest", "vitest", "npx vitest run", 1, "test_failure", (), (), changed,
                  (LOGS / log).read_text(encoding="utf-8"))  # fmt: skip
    return analyse_scans(
        scan_jobs(load_logs(write_layout([run.job()], tmp_path, "zip_steps"))),
        changed_files=list(changed), changed_lines=changed,
    )  # fmt: skip


def test_a_failed_expectation_names_the_test_line(tmp_path: Path) -> None:
    analysis = _analysis(tmp_path, "vitest_assertion.txt", {"src/index.ts": [192]})
    files = {f.path: f for f in analysis.responsible_files}
    assert "test/scule.test.ts" in files, analysis.responsible_files
    assert files["test/scule.test.ts"].lines[0] == 144
    # the heading's path (`❯ test/scule.test.ts  (63 tests | 1 failed)`) is no location
    assert all(not path.endswith(")") and " " not in path for path in files)


def test_an_error_thrown_in_the_changed_code_names_that_line_first(tmp_path: Path) -> None:
    analysis = _analysis(tmp_path, "vitest_source_error.txt", {"src/index.ts": [192]})
    first = analysis.responsible_files[0]
    assert (first.path, first.lines[0], first.changed, first.from_change) == (
        "src/index.ts", 192, True, False)  # fmt: skip
    assert 189 in first.lines  # the frame of the call that ran it
    files = {f.path: f for f in analysis.responsible_files}
    assert files["test/scule.test.ts"].lines[0] == 144
