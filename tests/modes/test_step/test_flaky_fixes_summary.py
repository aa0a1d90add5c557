"""The flaky fixes as a person reads them: each test's kind, the test it depends on, the status
with its evidence, the runs before and after, and the patch as a diff. A test id is the pull
request's text (a parametrized id holds anything): shown in code spans, the evidence that
repeats it neutralised, the patch in a block nothing inside can close."""

from __future__ import annotations

from cicd_agent.modes.test_step.dependence import Runs
from cicd_agent.modes.test_step.result import fixes_lines
from cicd_agent.modes.test_step.types import FlakyFix

HOSTILE = "tests/t.py::test_x[<img src=x onerror=alert(1)> @octocat #12 ``` ](http://e.vil)]"


def test_an_attack_a_test_id_and_a_patch_written_to_break_out_of_the_summary_stay_inert() -> None:
    fixed = FlakyFix(HOSTILE, "order-dependent", HOSTILE, "verified",
                     "--- a/x\n+++ b/x\n+```\n+# evil heading\n", Runs(3, 3, (HOSTILE, HOSTILE)),
                     Runs(0, 3, (HOSTILE, HOSTILE)), f"it fails after {HOSTILE}")  # fmt: skip
    text = "\n".join(fixes_lines([fixed]))
    outside = text.replace(f"````{HOSTILE}````", "")
    patch_block = "````diff\n--- a/x\n+++ b/x\n+```\n+# evil heading\n````"
    assert patch_block in outside
    outside = outside.replace(patch_block, "")
    assert "<img" not in outside and "](http://e.vil)" not in outside
    assert "@octocat" not in outside and "#12" not in outside  # no mention, no reference
    assert "fix: **verified**" in text and "failed 0 of 3 run(s) after" in text


def test_no_fix_no_section() -> None:
    assert fixes_lines([]) == []
