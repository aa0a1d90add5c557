"""Attacks on the test step's table of the workflow's flaky tests: under it, a line names the
test an order-dependent test fails after and the run that found it, read back from the history
file as it lies. A name or a run's record holding mentions, links, HTML or lines is inert."""

from __future__ import annotations

from dataclasses import replace

from cicd_agent.analysis.flaky_stats import StoredRun, stats
from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.test_step.result import seen_lines
from tests.helpers.markdown_spans import outside_code_spans

VICTIM = "tests/test_months.py::test_months_map_is_complete"
HOSTILE = (
    "t`` @admin <img src=x onerror=alert(1)> [a](http://evil.example)\n# heading "
    "<!-- cicd-agent:failure:x --> ::error::forged"
)
LIVE = ("@admin", "<img", "[a](http://", "\n# heading", "<!--", "\n::error")


def _row(number: int, *, polluter: str = "", recorded: str = "") -> StoredRun:
    victim = canonical_test(VICTIM)
    row = StoredRun("newuser/parse", ".github/workflows/ci.yml", number, 1, f"sha{number}",
                    recorded or f"2026-11-30T19:{number:02d}:00Z", {victim: False}, {}, 5.0,
                    retried=(victim,))  # fmt: skip
    return replace(row, order_dependent={victim: polluter}) if polluter else row


def test_attack_a_hostile_polluter_and_run_reach_the_test_steps_table_inert() -> None:
    rows = [_row(1), _row(0, polluter=HOSTILE, recorded=HOSTILE)]  # no run id: its record
    lines = seen_lines(stats(rows), {}, {})
    said = [line for line in lines if line.startswith("Not flaky")]
    assert said, lines
    live = outside_code_spans("\n".join(lines))
    for word in LIVE:
        assert word not in live, (word, live)
