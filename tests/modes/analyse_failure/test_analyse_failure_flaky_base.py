"""A timing assertion that also fails on the default branch is likely flaky, and the evidence
names the default branch's run (the analyse step weighs the runs around this one)."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.flakiness import failing_on_base_too
from cicd_agent.modes.analyse_failure.log_facts import FlakyTest
from tests.modes.analyse_failure.test_noise_not_cause import _analyse, _ava


def test_a_timing_assertion_that_also_fails_on_the_base_says_so() -> None:
    """The evidence names the default branch's run: the change cannot have caused it."""
    here, base = _analyse(_ava(1203), "npx ava"), _analyse(_ava(1187), "npx ava")
    likely = [FlakyTest(name=here.failed_tests[0], verdict="likely",
                        evidence=here.likely_flaky_evidence)]  # fmt: skip
    (flagged,) = failing_on_base_too(likely, [(41, "https://github.com/o/r/actions/runs/41", base)])
    assert flagged.evidence[0] == (
        "it failed on the default branch too, without this change: "
        "run 41 (https://github.com/o/r/actions/runs/41)"
    )
    other = _analyse(_ava(1203).replace(b"Retry-After", b"a reset"), "npx ava")
    (kept,) = failing_on_base_too(likely, [(41, "", other)])
    assert kept.evidence == likely[0].evidence
