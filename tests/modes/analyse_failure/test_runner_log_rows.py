"""A runner's log knowledge is its folder's: the signature rows its shape names (headings,
details) are rows of the table, its own rows sit where the table's ``[runners]`` puts them,
and its flaky signs read what its plugins print."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.logs.signatures import (
    SIGNATURES,
    TOOL_SIGNATURES,
    VERDICT_SIGNATURES,
)
from cicd_agent.runners.pytest.log import SHAPE as PYTEST
from cicd_agent.runners.shapes import LOG_SHAPES


def test_the_rows_a_shape_names_are_rows_of_the_table() -> None:
    names = {signature.name for signature in SIGNATURES}
    for shape in LOG_SHAPES:
        assert set(shape.headings) | set(shape.details) <= names, shape.name


def test_the_runners_rows_sit_after_the_named_rows_in_their_order() -> None:
    verdicts = [signature.name for signature in VERDICT_SIGNATURES]
    at = verdicts.index("runner.canceled")
    assert verdicts[at + 1 : at + 4] == ["pytest.failed", "pytest.progress", "pytest.error"]
    assert verdicts.index("cargo.test") < verdicts.index("unittest.fail") < verdicts.index("timeout.test")
    tools = [signature.name for signature in TOOL_SIGNATURES]
    assert tools[tools.index("lint.summary") + 1] == "pytest.E"


def test_pytests_flaky_signs_read_its_plugins_lines() -> None:
    signs = PYTEST.flaky
    assert signs.reruns is not None and signs.reruns.search("tests/test_x.py::test_a RERUN")
    assert signs.timed_out is not None and signs.timed_out.search("E   Failed: Timeout >2.0s")
    assert not signs.timed_out.search("E   assert 5 == 6")
