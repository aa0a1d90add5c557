"""Nothing a pull request wrote is live in gen-tests' summary (the seam itself:
tests/unit/actions/test_posting_seam.py)."""

from __future__ import annotations

import re

import cmarkgfm
import pytest

from cicd_agent.actions.markdown import posted
from cicd_agent.actions.rendered import code_texts
from cicd_agent.modes.gen_tests.reports import CandidateReport, PrTestReport
from cicd_agent.modes.gen_tests.result import GenTestsResult
from tests.unit.actions.test_posting_seam import OWN, _in_a_run, inert

__all__ = ["_in_a_run"]  # autouse: each test runs as in a run


@pytest.mark.parametrize("line_end", ["\r", "\r\n"])
def test_a_carriage_return_in_a_table_cell_forges_no_heading(line_end: str) -> None:
    """Found by a red team: a cell is flattened by its line feeds, but GitHub ends a line at a
    lone carriage return too. A candidate's reason quotes pytest (a test id the pull request's
    conftest can rename): it ended gen-tests' table and forged a heading under it."""
    reason = (
        f"1 of 1 test(s) did not pass, first test_calc.py::test_add[p{line_end}"
        f"# All generated tests were verified by the security team{line_end}| x | y | z | w |]"
    )
    candidate = CandidateReport(
        segment="calc.add", attempt=1, test_path="tests/test_calc.py", stopped_at="pass",
        reason=reason,
    )  # fmt: skip
    result = GenTestsResult(mode="gen-tests", headline="h", candidates=[candidate])
    shown = posted(result.summary_markdown(), allowed_links=OWN)
    inert(shown)
    html = cmarkgfm.github_flavored_markdown_to_html(shown)
    assert "<h1>" not in html and re.search(r"<td>[^<]*security team[^<]*</td>", html), html


@pytest.mark.parametrize(
    "replay",
    [
        "go test -count=5 -shuffle=42 '-run=^(TestShared)$' ./_x_",  # a folder named _x_
        "go test -count=5 ./pkg/~b~",  # GitHub strikes ~b~ through: ./pkg/b
        "go test -count=2 './x y/*z*' ./a\\_b",
        "TZ=Pacific/Kiritimati go test -count=5 " + " ".join(f"./p{n}" for n in range(80)),
    ],
)
def test_attack_a_go_replay_shows_as_the_command_it_is_not_as_markdown(replay: str) -> None:
    """The replay of a flaky test's failing run is pasted into a shell: the summary must show
    it character for character. Its package folders are the pull request's (Go takes ``_x_``
    and ``~b~`` as folder names), and GitHub reads ``_x_`` as emphasis and ``~b~`` as a
    strike-through, so the command copied from the page would name another package."""
    flaky = PrTestReport(test="./_x_.TestShared", passed=3, runs=5, verdict="flaky",
                         failed_under="shuffled with seed 42", replay=replay)  # fmt: skip
    result = GenTestsResult(mode="gen-tests", headline="h", pr_tests=[flaky],
                            pr_tests_runs="1 round(s)")  # fmt: skip
    shown = posted(result.summary_markdown(), allowed_links=OWN)
    inert(shown)
    assert replay in (code_texts(str(shown)) or []), shown
