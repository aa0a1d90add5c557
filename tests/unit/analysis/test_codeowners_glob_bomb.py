"""CODEOWNERS is text anyone with write access wrote, and the path it is matched against is a
test's file, which a pull request names: a pattern of many ``*`` (``*a*a*…*b``) made Python's
backtracking ``re`` try every way to split a long name among them (eight of them against a
60-letter name: over a minute; thirty: longer than the universe). The patterns are matched by
RE2, in time linear in the name."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.codeowners import owners_of


@pytest.mark.timeout(60)  # a guard against a hang, no measure: the run takes milliseconds
def test_attack_a_codeowners_glob_bomb_is_matched_in_linear_time() -> None:
    bomb = "*a" * 30 + "*b @shop/bomb"
    codeowners = "\n".join(["* @shop/everyone", bomb, "tests/**/*_test.go @shop/testers"])
    assert owners_of(codeowners, "tests/" + "a" * 4000 + "_test.go").names == ("@shop/testers",)
    assert owners_of(codeowners, "a" * 4000).names == ("@shop/everyone",)
    assert owners_of(codeowners, "a" * 4000 + "b").names == ("@shop/bomb",)
