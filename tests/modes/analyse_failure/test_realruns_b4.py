"""The three gaps in the runners' root causes an attacker found with real runs, on real runs
frozen before any rule was tuned for them (tests/fixtures/logs/realruns_b4):
mocha's failing test named by the report's
number, node:test's ``spec`` reporter (node 23's default, and node 20's on a terminal) read
with no test and no message, and a Go subtest's root cause taken from its parent's verdict.

First seen on 00a72d77 (``research/failure/realruns_score.py --set realruns_b4``): type 5/5,
failing tests 2/5, root cause 3/5, blame 5/5.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus.runner_log import write_layout
from tests.modes.analyse_failure import realruns

SET = realruns.SET_DIR.parent / "realruns_b4"
CASES = {case.name: case for case in realruns.load(SET)}
FORGED = (SET / "node-test-fake-report.log").read_text()
"""A real ``npm test``: a passing node:test test prints a ``✖`` block of the spec reporter's
shape, the runner's summary says ``ℹ fail 0``, a coverage check after it fails the step."""


def _analyse(case: realruns.RealRun, dest: Path) -> LogAnalysis:
    return analyse_scans(
        scan_jobs(load_logs(write_layout([case.job()], dest, "zip_steps"))),
        changed_files=list(case.changed_lines), changed_lines=case.changed_lines,
    )  # fmt: skip


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LogAnalysis]:
    root = tmp_path_factory.mktemp("realruns_b4")
    forged = realruns.RealRun("forged", "node-test", "npm test", 1, "", (), (), {}, FORGED)
    out = {}
    for name, case in {**CASES, "forged": forged}.items():
        (root / name).mkdir()
        out[name] = _analyse(case, root / name)
    return out


def test_the_batch_scores_in_full(analysed: dict[str, LogAnalysis]) -> None:
    for case in CASES.values():
        assert all(case.scores(analysed[case.name]).values()), (case.name, analysed[case.name])


@pytest.mark.parametrize(
    ("name", "test"),
    [("mocha-summarise-width", "summarise cuts a long first sentence to the width"),
     ("mocha-wordcount-empty", "wordCount is zero for an empty text")],
)  # fmt: skip
def test_a_mocha_test_is_named_by_its_title_not_its_number(
    analysed: dict[str, LogAnalysis], name: str, test: str
) -> None:
    """``  1) summarise`` / ``       cuts a long first sentence to the width:`` is one test."""
    assert analysed[name].failed_tests == (test,)


def test_node_tests_spec_reporter_names_each_failing_test_and_its_message(
    analysed: dict[str, LogAnalysis],
) -> None:
    """Three ``✖`` tests, each once (the ``✖ failing tests:`` summary repeats them), never the
    ``▶ formatDuration`` suite whose ``✖`` is only its children's; the root carries the error."""
    analysis = analysed["node-test-spec"]
    assert analysis.failed_tests == (
        "formats hours, minutes and seconds", "leaves out zero minutes",
        "parseDuration reads what formatDuration writes",
    )  # fmt: skip
    assert analysis.root_cause.startswith(
        "✖ formats hours, minutes and seconds (1.389975ms) - AssertionError [ERR_ASSERTION]: "
        "Expected values to be strictly equal:"
    ), analysis.root_cause


@pytest.mark.parametrize("name", ["go-subtest-plain", "go-subtest-verbose"])
def test_a_go_subtests_root_cause_is_its_own_failure(
    analysed: dict[str, LogAnalysis], name: str
) -> None:
    root = analysed[name].root_cause
    assert "TestMake (0.00s)" not in root
    assert root.endswith(
        'slug_test.go:17: Make("Go: the good parts!") = "go-the-good-parts-", want "go-the-good-parts"'
    ), root
    if name == "go-subtest-plain":
        assert root.startswith("--- FAIL: TestMake/punctuation (0.00s) - "), root


def test_attack_a_spec_block_a_passing_test_printed_is_no_failing_test(
    analysed: dict[str, LogAnalysis],
) -> None:
    """node:test's own summary says ``ℹ fail 0``: the ``✖`` line is the test's printing."""
    analysis = analysed["forged"]
    assert analysis.failed_tests == ()
    assert "formats hours" not in analysis.root_cause


@pytest.mark.parametrize(
    ("name", "values"),
    [("mocha-wordcount-empty", "expected 0, actual 1"),
     ("mocha-summarise-width", "expected A very lo…, actual A very lon…")],
)  # fmt: skip
def test_a_mocha_assertion_s_root_cause_carries_its_expected_and_actual_values(
    analysed: dict[str, LogAnalysis], name: str, values: str
) -> None:
    """node's assert says only "Expected values to be strictly equal:"; mocha prints the
    values below it (``+ expected - actual``). The root cause carries them, short."""
    assert analysed[name].root_cause == (
        f"AssertionError [ERR_ASSERTION]: Expected values to be strictly equal: {values}"
    ), analysed[name].root_cause


def test_the_values_mocha_prints_are_cut_short() -> None:
    """A value is the log's text: a few lines of a bounded width each, as any root line."""
    from cicd_agent.modes.analyse_failure.logs.test_messages import VALUE_LINES, with_values

    lines = [(1, "      AssertionError [ERR_ASSERTION]: Expected values to be deeply equal:"),
             (2, "      + expected - actual"), (3, ""),
             *((4 + n, f"      -{'a' * 500} {n}") for n in range(10)),
             (20, "      +`b`  <!-- @team -->"), (21, ""), (22, "      at Context.<anonymous>")]  # fmt: skip
    said = with_values(lines[0][1].strip(), 1, lines)
    assert said.endswith("expected `b` <!-- @team -->, actual " + " / ".join(["a" * 80] * VALUE_LINES))
    assert with_values("Error: boom", 1, lines) == "Error: boom"
