"""Where in a failed job the error is: the weightiest finding, in the first failed step, the
first line of the last cluster; a pytest summary line cut to the terminal's width gets its
message back from the test's report."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.logs.region import (
    CLUSTER_GAP_LINES,
    completed_root,
    is_runner_step,
    rank,
)
from tests.modes.analyse_failure.findings import finding


def test_the_runners_closing_steps_never_fail_a_job() -> None:
    assert is_runner_step("Complete job")
    assert is_runner_step("Post Run actions/checkout@v4")
    assert not is_runner_step("Run pytest")
    assert not is_runner_step("Postgres setup")


def test_the_weightiest_finding_ranks_first() -> None:
    generic, assertion = finding("Error: something", 50), finding("E       assert 5 == 6", 10)
    assert rank([generic, assertion]) == [assertion, generic]


def test_among_equals_the_first_failed_step_wins() -> None:
    later = finding("E       assert 1 == 2", 5, step=3)
    first = finding("E       assert 5 == 6", 900, step=2)
    assert rank([later, first])[0] == first


def test_among_equals_in_one_step_the_last_cluster_starts_the_ranking() -> None:
    survived = finding("E       assert 1 == 2", 10)
    stopped = [finding("E       assert 5 == 6", 10 + CLUSTER_GAP_LINES + 1 + n) for n in range(2)]
    assert rank([survived, *stopped]) == [*stopped, survived]
    close = finding("E       assert 5 == 6", 10 + CLUSTER_GAP_LINES)
    assert rank([survived, close]) == [survived, close]  # one cluster: its first line


def test_a_cut_pytest_summary_gets_the_message_of_its_report() -> None:
    ranked = [
        finding("E       assert 5 == 6", 40),
        finding("tests/test_x.py:12: AssertionError", 41),
        finding("FAILED tests/test_x.py::test_add - ...", 60),
    ]
    root = ranked[-1]
    assert completed_root(root, ranked) == "FAILED tests/test_x.py::test_add - assert 5 == 6"


def test_a_whole_summary_line_is_kept_as_printed() -> None:
    root = finding("FAILED tests/test_x.py::test_add - assert 5 == 6", 60)
    assert completed_root(root, [root]) == "FAILED tests/test_x.py::test_add - assert 5 == 6"
