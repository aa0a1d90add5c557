"""Every runner's log read as well as pytest's, on the frozen real-run set (real projects broken
by one changed line, their own test command's output; tests/fixtures/logs/realruns).

First seen on 19db43c8: type 13/15, failing tests 8/15, root-cause message 5/15, blame 12/15
(``research/failure/realruns_score.py``). The second batch (RSpec and PHPUnit, three projects
each; ``tests/fixtures/logs/realruns_b2``), first seen on 8233fa0f: type 6/6, failing tests
0/6, root cause 0/6, blame 6/6 (``--set realruns_b2``). These floors keep what the runner
table reached. The JVM logs others captured (Surefire, Gradle; ``realruns_jvm``, no change
known, blame scored on the failing test's own frame), first seen on 8233fa0f: type 5/5, tests
3/5, root 1/5, frame 2/5; frame 5/5 since a file's first line is the one the log names first
where no changed line leads (tuned on this batch, not first-seen).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus.runner_log import write_layout
from tests.modes.analyse_failure import realruns

FIRST = realruns.load()
SECOND = realruns.load(realruns.SET_DIR.parent / "realruns_b2")
JVM = realruns.load(realruns.SET_DIR.parent / "realruns_jvm")
CASES = {case.name: case for case in FIRST + SECOND + JVM}
FLOORS = {"type": 14, "tests": 15, "root": 14, "blame": 14}
SECOND_FLOORS = {"type": 6, "tests": 6, "root": 6, "blame": 6}
JVM_FLOORS = {"type": 5, "tests": 5, "root": 5, "blame": 5}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LogAnalysis]:
    root = tmp_path_factory.mktemp("realruns")
    out = {}
    for name, case in CASES.items():
        dest = root / name
        dest.mkdir()
        logs = load_logs(write_layout([case.job()], dest, "zip_steps"))
        out[name] = analyse_scans(
            scan_jobs(logs), changed_files=list(case.changed_lines),
            changed_lines=case.changed_lines,
        )  # fmt: skip
    return out


def test_the_set_has_seven_runners_beyond_pytest_three_projects_each() -> None:
    runners = {"unittest", "mocha", "node-test", "go", "cargo-test", "rspec", "phpunit"}
    for runner in runners:
        assert sum(case.tool.startswith(runner) for case in CASES.values()) >= 3, runner


@pytest.mark.parametrize(("batch", "floors"),
                         [(FIRST, FLOORS), (SECOND, SECOND_FLOORS), (JVM, JVM_FLOORS)],
                         ids=["first", "second", "jvm"])  # fmt: skip
def test_each_batch_keeps_its_scores(
    analysed: dict[str, LogAnalysis], batch: list[realruns.RealRun], floors: dict[str, int]
) -> None:
    totals = dict.fromkeys(floors, 0)
    misses = []
    for case in batch:
        analysis = analysed[case.name]
        for kind, right in case.scores(analysis).items():
            totals[kind] += right
            if not right:
                misses.append((case.name, kind, analysis.root_cause[:100]))
    assert all(totals[kind] >= floor for kind, floor in floors.items()), (totals, misses)


def test_rspec_and_phpunit_name_each_failing_example_once_with_its_message(
    analysed: dict[str, LogAnalysis],
) -> None:
    """RSpec's message is under its ``Failure/Error:`` source line; PHPUnit's data sets are
    tests of their own, its error's message the line under the verdict."""
    which = analysed["rspec-tty-which"]
    assert which.root_cause.endswith(
        "- NameError: undefined method `exists' for class `#<Class:Dir>'"
    )
    assert len(which.failed_tests) == 11 and not any(t[0].isdigit() for t in which.failed_tests)
    assert analysed["rspec-tty-color"].root_cause.endswith(" - expected: false")
    webmozart = analysed["phpunit-webmozart-assert"]
    assert webmozart.root_cause.endswith(
        '- Error: Undefined constant "Webmozart\\Assert\\FILTER_VALIDATE_MAIL"'
    )
    assert len(webmozart.failed_tests) == 25
    assert webmozart.responsible_files[0].path.endswith("src/Assert.php")


def test_a_tap_suite_is_not_a_second_failure(analysed: dict[str, LogAnalysis]) -> None:
    # its suite's line (`# Subtest: WebIDL boolean type`) is not among the lines the reader keeps
    # around the failure: its file with none of its suites would be another test's name
    assert analysed["node-webidl"].failed_tests == (
        "should return `false` for empty strings, but `true` for other strings",
    )


def test_the_root_cause_is_the_failing_assertion_with_its_message(
    analysed: dict[str, LogAnalysis],
) -> None:
    assert analysed["go-uuid"].root_cause == (
        "--- FAIL: TestConstants (0.00s) - uuid_test.go:163: 6: Constant uuid.Variant:0 gives "
        '"Microsft", expected "Microsoft"'
    )
    assert analysed["node-nanoid"].root_cause.endswith("- '20 == 21': expected 21, actual 20")
    assert "AssertionError: 5 != 11" in analysed["unittest-more-itertools"].root_cause
    assert "panicked at lib.rs:185:9: assertion `left == right` failed" in (
        analysed["cargo-fnv"].root_cause
    )


def test_go_test_json_is_read_as_go_test(analysed: dict[str, LogAnalysis]) -> None:
    lru = analysed["go-lru"]
    assert lru.failure_type.value == "test_failure"
    assert lru.root_cause.endswith("lru_test.go:87: bad len: 129")
    assert "TestCache_EvictionSameKey" not in lru.failed_tests  # its subtests failed, not it
    assert "TestCache_EvictionSameKey/Add" in lru.failed_tests


GO_SKIP_AND_FAIL = (
    "=== RUN   TestNetwork\n    net_test.go:6: skipping: no network in this job\n"
    "--- SKIP: TestNetwork (0.00s)\n=== RUN   TestParse\n"
    "    parse_test.go:7: got 2, expected 4\n--- FAIL: TestParse (0.00s)\nFAIL\n"
    "FAIL\texample.com/p\t0.003s\nFAIL\n"
)
"""``go test -v ./...`` (go 1.19.8) on a package with a test that calls ``t.Skip`` and one that
fails, as printed."""


def test_a_go_skip_is_never_the_cause(tmp_path: Path) -> None:
    run = realruns.RealRun("go-skip", "go-test", "go test -v ./...", 1, "test_failure",
                           ("TestParse",), ("got 2",), {"p.go": [3]}, GO_SKIP_AND_FAIL)  # fmt: skip
    analysis = analyse_scans(
        scan_jobs(load_logs(write_layout([run.job()], tmp_path, "zip_steps"))),
        changed_files=["p.go"], changed_lines={"p.go": [3]},
    )  # fmt: skip
    assert analysis.root_cause == "--- FAIL: TestParse (0.00s) - parse_test.go:7: got 2, expected 4"
    assert analysis.failed_tests == ("TestParse",)
    assert all("net_test.go" not in f.path for f in analysis.responsible_files)


def test_surefire_counts_tests_not_classes_and_reads_java_frames(
    analysed: dict[str, LogAnalysis],
) -> None:
    """Surefire's per-class summary (``Tests run: … <<< FAILURE! - in X``) is neither
    a failure of its own nor the root cause; the root cause is the test's verdict with its
    assertion; Java frames and Gradle's ``Error at File.java:9`` are file references."""
    junit4 = analysed["surefire-junit4"]
    assert len(junit4.failed_tests) == 2
    assert junit4.root_cause.startswith("[ERROR] JUnit4Test.failWithNonEmptyParameters ")
    assert junit4.root_cause.endswith("- java.lang.AssertionError: not empty")
    # captured without its checkout: the frame, shown as the log prints it, not as a file
    first = junit4.responsible_files[0]
    assert (first.path, first.frame) == (
        "JUnit4Test.failWithNonEmptyParameters (JUnit4Test.java)", True)  # fmt: skip
    greeter = analysed["gradle-greeter"]
    assert greeter.root_cause.endswith("FAILED - java.lang.AssertionError at GreeterTest.java:9")
    assert (greeter.responsible_files[0].path, greeter.responsible_files[0].lines[0]) == (
        "GreeterTest.java",
        9,
    )


def test_each_failing_test_counts_once_in_the_distinct_failures(
    analysed: dict[str, LogAnalysis],
) -> None:
    """Where every failure is a test's, the distinct failures' counts add up to the failing
    tests: go-lru's fifteen tests were twelve groups of one (the list's cap) before."""
    wrong = {
        name: (sum(g.count for g in a.failures), len(a.failed_tests))
        for name, a in analysed.items()
        if a.failed_tests and a.failure_type.value == "test_failure"
        and sum(g.count for g in a.failures) != len(a.failed_tests)
    }
    assert not wrong, wrong
