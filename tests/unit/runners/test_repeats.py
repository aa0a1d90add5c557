"""The repeats of runners that cannot repeat a test inside one process by a flag: jest's
wrapper of ``test`` and ``it``, and cargo's worst-outcome tally over runs of one build."""

from __future__ import annotations

from cicd_agent.runners.cargo.repeat import counted
from cicd_agent.runners.jest.repeat import repeat_counts, repeating


def test_jests_wrapper_is_added_only_for_more_than_one_run() -> None:
    assert repeating(1) == "" and repeating(0) == ""
    assert "run < 4" in repeating(4)


def test_jests_report_counts_each_run_of_a_test_by_its_file_and_name() -> None:
    document = {"testResults": [
        {"name": "/w/a.test.js", "assertionResults": [
            {"status": "passed", "fullName": "t"}, {"status": "failed", "fullName": "t"},
            {"status": "pending", "fullName": "skipped"}]},
        {"name": "/w/other.test.js", "assertionResults": [{"status": "passed", "fullName": "u"}]},
        "not a result",
    ]}  # fmt: skip
    assert repeat_counts(document, "/w", ["a.test.js"]) == {"a.test.js › t": (1, 1)}
    assert repeat_counts(document, "/w", []) == {"a.test.js › t": (1, 1), "other.test.js › u": (1, 0)}


def test_cargos_runs_keep_each_tests_worst_outcome_and_count_passes_and_failures() -> None:
    outcomes: dict[str, str] = {}
    repeats: dict[str, tuple[int, int]] = {}
    for found in ({"a": "passed", "b": "passed"}, {"a": "failed", "b": "passed"},
                  {"a": "passed", "b": "skipped"}):  # fmt: skip
        counted(outcomes, repeats, found)
    assert outcomes == {"a": "failed", "b": "skipped"}
    assert repeats == {"a": (2, 1), "b": (2, 0)}
