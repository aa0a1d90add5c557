"""Attacks on what the test step says it checked when no failure ran no changed line: it names
the failed tests the record could not judge, and why. A test's name is its code's own words
(a parametrized id from a data file, a title), and the reason may be a coverage profile's
problem: both reach the summary as paragraphs, so both must be inert there."""

from __future__ import annotations

from datetime import date

from cicd_agent.analysis.changed_lines import Record, Touched
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.result import TestStepResult
from cicd_agent.modes.test_step.types import Attempt
from tests.helpers.markdown_spans import outside_code_spans

HOSTILE = "t[@admin <img src=x onerror=alert(1)> [a](http://evil.example)\n# heading]"
LIVE = ("@admin", "<img", "[a](http://", "\n# heading")


def test_attack_hostile_test_names_and_reasons_are_inert_in_what_was_checked() -> None:
    record = Record(
        {"a": True},
        False,
        unseen={"a.t1": f"no coverage profile: {HOSTILE}"},
    )
    first = Attempt(
        {"a.t1": False, "a.t2": False},
        1,
        ran_changed=record,
        names={"a.t1": f"tests/a.py::{HOSTILE}", "a.t2": f"tests/b.py::{HOSTILE}"},
    )
    change = Touched({"src/calc.py": frozenset({3})})
    verdict = judge_step([first], (), date(2026, 11, 30), code_is_proof=True, change=change)
    said = [line for line in verdict.said if line.startswith("No failed test is called")]
    assert said and "is not in the record" in said[0], verdict.said
    result = TestStepResult(mode="test-step", headline="", said=list(verdict.said))
    live = outside_code_spans(result.summary_body())
    for word in LIVE:
        assert word not in live, (word, live)
