"""test-step's table of the workflow's flaky tests and analyse-failure say the same of a test the
history shows failing every run: a new user's parse test, failing after the test before it
mutated ``parse.MONTHS_MAP``, sat in the table as flaky (0 %, 5 of 5) while analyse-failure
named it nowhere. The table still ranks it (it cost CI time), and a line under it says it
fails every time, or what ``--fix-flaky`` found, with the run."""

from __future__ import annotations

from cicd_agent.analysis.flaky_stats import StoredRun, stats
from cicd_agent.modes.test_step.result import seen_lines

VICTIM = "tests.test_months.test_months_map_is_complete"
NAMES = {VICTIM: "tests/test_months.py::test_months_map_is_complete"}


def _run(number: int, depends: str = "") -> StoredRun:
    return StoredRun("newuser/parse", ".github/workflows/ci.yml", number, 1, f"sha{number}",
                     f"2026-11-30T19:{number:02d}Z", {VICTIM: False}, {}, 5.0,
                     retried=(VICTIM,),
                     order_dependent={VICTIM: depends} if depends else {})  # fmt: skip


def test_a_test_failing_every_run_is_said_so_under_the_table() -> None:
    lines = seen_lines(stats([_run(n) for n in range(1, 6)]), {}, NAMES)
    assert (
        "| 1 | `tests/test_months.py::test_months_map_is_complete` | 0% | 5 of 5 | 25 s |" in lines
    )
    assert (
        "Not flaky: `tests/test_months.py::test_months_map_is_complete` failed the first run of "
        "each of its 5 runs here and passed only when retried apart from the suite: it fails "
        "every time (`--fix-flaky suggest` names the test it depends on)."
    ) in lines, lines


def test_the_test_it_depends_on_is_named_with_the_run_that_found_it() -> None:
    polluter = "tests/test_months.py::test_sept_alias_is_accepted"
    rows = [_run(1), _run(2, depends=polluter)]
    lines = seen_lines(stats(rows), {}, NAMES)
    assert (
        "Not flaky: `tests/test_months.py::test_months_map_is_complete` is order-dependent: "
        f"`--fix-flaky` found it failing after `{polluter}` and passing alone in run 2."
    ) in lines, lines


def test_a_test_that_passed_in_the_suite_gets_no_such_line() -> None:
    rows = [_run(1), _run(2), _run(3)]
    rows[1] = StoredRun("newuser/parse", ".github/workflows/ci.yml", 2, 1, "sha2",
                        "2026-11-30T19:02Z", {VICTIM: True}, {}, 5.0)  # fmt: skip
    assert not any(line.startswith("Not flaky") for line in seen_lines(stats(rows), {}, NAMES))
