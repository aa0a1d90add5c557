"""Nothing a pull request wrote is live in gen-tests' summary (the seam itself:
tests/unit/actions/test_posting_seam.py)."""

from __future__ import annotations

import re

import cmarkgfm
import pytest

from cicd_agent.actions.markdown import posted
from cicd_agent.modes.gen_tests.result import CandidateReport, GenTestsResult
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
