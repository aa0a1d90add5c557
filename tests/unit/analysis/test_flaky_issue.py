"""A flaky test's issue text (``analysis/flaky_issue.py``) and its owners
(``analysis/codeowners.py``): the checks a person makes at a glance, and the attack of a test
whose name and output carry mentions, markup, references and our own marker."""

from __future__ import annotations

from datetime import date

import pytest

from cicd_agent.actions.rendered import live_on_github
from cicd_agent.analysis.codeowners import Owners, owners_of
from cicd_agent.analysis.flaky_issue import FlakyEvidence, issue_body, issue_key, issue_title
from cicd_agent.analysis.flaky_stats import FlakyStat

CODEOWNERS = """\
# the whole repository
*                 @octo-org/core
/tests/           @alice @bob not-an-owner <img> carol@example.com
tests/unit/*.py   @carol
/docs/
"""


def test_owners_come_from_the_last_matching_line() -> None:
    assert owners_of(CODEOWNERS, "tests/unit/test_a.py").names == ("@carol",)
    assert owners_of(CODEOWNERS, "tests/it/test_b.py").names == ("@alice", "@bob")
    assert owners_of(CODEOWNERS, "src/app.py").users == ()  # a team is nobody to assign
    assert owners_of(CODEOWNERS, "docs/a.md") == Owners()  # a line with no owners unowns
    assert owners_of("", "tests/test_a.py") == Owners()
    with pytest.raises(ValueError, match="not a GitHub login"):
        Owners(("@alice @bob",))


HOSTILE = "tests/test_x.py::test_[@everyone <img src=x onerror=alert(1)> #1 cicd-agent:]"
OUTPUT = (
    "E   AssertionError: cc @octo-org/security see #12 and evil/repo#3\n"
    "<details><summary>click</summary>![x](https://evil.example/p.png)</details>\n"
    "<!-- cicd-agent:flaky-test:0000 -->\n```\n[link](https://evil.example)"
)


def test_attack_a_tests_name_and_output_are_shown_never_live() -> None:
    stat = FlakyStat(HOSTILE, runs=10, failures=3, flips=4, lost_seconds=90.0, last_failed="7")
    evidence = FlakyEvidence(stat, OUTPUT, "python -m pytest '" + HOSTILE + "'", "in their files")
    body = issue_body(evidence, owners_of(CODEOWNERS, "tests/test_x.py"), date(2026, 1, 1))
    title = issue_title(HOSTILE)
    assert live_on_github(body) == [] and live_on_github(title) == []
    assert "<!-- cicd-agent:flaky-test:0000" not in body  # no marker of ours from the output
    assert "flip rate **44%**" in body and "3 failing run(s)" in body  # 4 flips over 9 chances
    assert "expires: 2026-01-31" in body and 'owner: "@alice"' in body
    assert issue_key(HOSTILE) == issue_key(HOSTILE) != issue_key(HOSTILE + " ")
