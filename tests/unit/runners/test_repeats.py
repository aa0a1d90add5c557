"""The repeats of runners that cannot repeat a test inside one process by a flag: jest's
wrapper of ``test`` and ``it``, vitest's counts from its canary's line, and cargo's
worst-outcome tally over runs of one build."""

from __future__ import annotations

from cicd_agent.runners.cargo.repeat import counted
from cicd_agent.runners.jest.repeat import repeat_counts, repeating
from cicd_agent.runners.js.report import counted as canary_runs
from cicd_agent.runners.vitest import repeat as vitest


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


def test_vitests_counts_never_soften_the_report_nor_exceed_the_runs_asked() -> None:
    """The canary's line is the test realm's word, as vitest's report is: a count of more runs
    than asked (a forged line hiding a failure among passes) is left out, and so is a test the
    report shows failed with no failure counted; a counted failure of a test the report shows
    passing stays (the worse word)."""
    outcomes = {"a.test.mjs › forged": "failed", "a.test.mjs › hides": "failed",
                "a.test.mjs › lost": "passed", "a.test.mjs › ok": "passed",
                "a.test.mjs › skipped": "skipped"}  # fmt: skip
    line = {"forged": [1000, 1], "hides": [5, 0], "lost": [4, 1], "ok": [5, 0], "skipped": [5, 0],
            "bad": [1, "x"], "neg": [-1, 2], "short": [1]}  # fmt: skip
    runs = canary_runs(line)
    assert {name for name, _, _ in runs} == {"forged", "hides", "lost", "ok", "skipped"}
    assert vitest.repeat_counts(outcomes, {"a.test.mjs": runs}, 5) == {
        "a.test.mjs › lost": (4, 1), "a.test.mjs › ok": (5, 0)}
    assert canary_runs([1]) == () and vitest.repeating(1) == ""
    assert "task.repeats = 7 - 1" in vitest.repeating(7)
