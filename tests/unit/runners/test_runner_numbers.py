"""A number a test prints is the test's word (no input makes a mode throw): every
runner's reader of a report that code under test can write (libtest's and Maven's console, go's
coverage profile) reads a count of any length as no count, never as Python's ``int`` refusing a
string past 4,300 digits, which once ended the mode on its catch-all."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.runners.cargo.report import read_blocks
from cicd_agent.runners.go.profile import read_profile
from cicd_agent.runners.maven.runner import read_console

HUGE = "9" * 5000


@pytest.mark.parametrize("console", [
    f"running {HUGE} tests\n",
    f"running 1 test\ntest a ... ok\n\ntest result: ok. {HUGE} passed; 0 failed; 0 ignored;\n",
])  # fmt: skip
def test_attack_a_huge_count_in_libtests_block_is_no_result_not_a_crash(console: str) -> None:
    outcomes, why = read_blocks(console, 0)
    assert outcomes == {} or why, (outcomes, why)


def test_attack_a_huge_count_in_mavens_console_is_no_result_not_a_crash() -> None:
    console = f"Tests run: {HUGE}, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 1 s - in a.BTest\n"
    assert read_console(console + "BUILD SUCCESS\n", 0)[0] == {}


def test_attack_a_huge_count_or_line_in_a_go_profile_is_not_coverage(tmp_path: Path) -> None:
    """ATTACK: the profile is written by the test binary (a pull request's ``TestMain`` can
    append to it after ``m.Run``)."""
    (tmp_path / "go.mod").write_text("module example.com/m\n")
    (tmp_path / "cover.out").write_text(
        f"mode: set\nexample.com/m/calc/calc.go:3.1,4.2 1 {HUGE}\n"
        f"example.com/m/calc/calc.go:{HUGE}.1,4.2 1 1\nexample.com/m/calc/calc.go:7.1,8.2 1 1\n"
    )
    executed, measured, why = read_profile(tmp_path / "cover.out", tmp_path, ("calc/calc.go",))
    assert (executed, measured, why) == ({"calc/calc.go": frozenset({7, 8})},
                                         {"calc/calc.go": frozenset({7, 8})}, "")  # fmt: skip
