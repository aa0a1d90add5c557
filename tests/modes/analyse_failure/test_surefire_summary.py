"""Maven Surefire says each failed test twice: its report (``[ERROR] org.x.FooTest.bar -- Time
elapsed: … <<< ERROR!`` and the stack trace) and a line of its ``Results:`` summary
(``[ERROR]   FooTest.bar:11 » Parse Unparseable date``, the exception's name without
``Exception``). Each is one failure of one test; where the summary is all a log holds (a
published excerpt, a trimmed log), its line is the failing test and the exception."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs import checkout_places
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs

SUREFIRE = (Path(__file__).parents[2] / "fixtures/logs/surefire_errors.txt").read_text()
"""A real run: ``mvn -o -B test`` (Maven 3.8.7, Surefire 3.2.5, JUnit 5.11.4, Java 17) of a
``DateParser`` whose ``parse`` trims its text and whose ``length`` halves it; three of four
tests fail (a ``ParseException``, a ``NullPointerException``, an ``assertEquals``). The scratch
folder is shown as a runner's checkout."""
TESTS = ("parsesIsoDates", "measures", "trimsNull")


def _analyse(text: str, tmp_path: Path) -> LogAnalysis:
    log = tmp_path / "maven.txt"
    log.write_text(text)
    return analyse_scans(scan_jobs(load_logs(log)))


def test_a_test_in_surefires_report_and_its_summary_is_one_failure(tmp_path: Path) -> None:
    analysis = _analyse(SUREFIRE, tmp_path)
    assert analysis.failed_tests == tuple(f"org.x.DateParserTest.{t}" for t in TESTS)
    assert [sum(g.test.endswith(f".{t}") for g in analysis.failures) for t in TESTS] == [1, 1, 1]
    assert analysis.root_cause.endswith('java.text.ParseException: Unparseable date: "2024-03-01"')


def test_a_summary_alone_names_each_test_and_its_exception(tmp_path: Path) -> None:
    results = SUREFIRE[SUREFIRE.index("[INFO] Results:") :]
    analysis = _analyse(results, tmp_path)
    in_order = ("measures", "parsesIsoDates", "trimsNull")  # Failures, then Errors
    assert analysis.failed_tests == tuple(f"DateParserTest.{t}" for t in in_order)
    assert len(analysis.failures) == 3
    errors = results.replace(
        "[ERROR]   DateParserTest.measures:21 expected: <4> but was: <2>\n", ""
    )
    alone = _analyse(errors, tmp_path)
    assert alone.root_cause == (
        '[ERROR]   DateParserTest.parsesIsoDates:11 » Parse Unparseable date: "2024-03-01"'
    )
    assert alone.failed_tests == ("DateParserTest.parsesIsoDates", "DateParserTest.trimsNull")


_RUNNING = "[INFO] Running org.x.DateParserTest\n"


@pytest.mark.parametrize(
    "printed",
    ["[ERROR] evil.org.x.DateParserTest.measures -- Time elapsed: 0.001 s <<< FAILURE!\n"
     "org.opentest4j.AssertionFailedError: all good\n",
     "[ERROR]   DateParserTest.measures:21 » UnknownHost repo.maven.apache.org\n"],
    ids=["longer-name", "summary-shaped"],
)  # fmt: skip
def test_attack_a_printed_verdict_does_not_take_a_real_failures_place(
    printed: str, tmp_path: Path
) -> None:
    """A passing test of the same class prints a verdict-shaped line (Surefire shows a
    test's stdout after its ``Running`` line); the real ``measures`` failure stays listed with
    its own message and its own name."""
    analysis = _analyse(SUREFIRE.replace(_RUNNING, _RUNNING + printed), tmp_path)
    assert "org.x.DateParserTest.measures" in analysis.failed_tests
    assert any("expected: <4> but was: <2>" in g.line or "DateParserTest.measures -- Time "
               "elapsed: 0.035" in g.line for g in analysis.failures)  # fmt: skip


JEST = """FAIL src/config.test.js
  ● config.get › returns undefined for a missing key

    expect(received).toBeUndefined()

    Received: null

      at Object.<anonymous> (src/config.test.js:4:27)

FAIL src/get.test.js
  ● get › returns undefined for a missing key

    expect(received).toBeUndefined()

    Received: 0

      at Object.<anonymous> (src/get.test.js:4:24)

Tests:       2 failed, 2 total
"""


def test_attack_two_titles_one_ending_in_the_other_are_two_tests(tmp_path: Path) -> None:
    """The package rule read jest's ``config.get › x`` as ``get › x`` with a package, so
    a real failing test was dropped from the list (a dot in a title is a word's)."""
    analysis = _analyse(JEST, tmp_path)
    assert analysis.failed_tests == (
        "config.get › returns undefined for a missing key",
        "get › returns undefined for a missing key",
    )


def _checkout(root: Path, *paths: str) -> Path:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("class X {}\n")
    return root


def _files(text: str, tmp_path: Path, checkout: Path | None) -> list[tuple[str, tuple[int, ...]]]:
    log = tmp_path / "maven.txt"
    log.write_text(text)
    analysis = analyse_scans(scan_jobs(load_logs(log)), checkout=checkout)
    return [(f.path, f.lines) for f in analysis.responsible_files]


TEST_SOURCE = "src/test/java/org/x/DateParserTest.java"


def test_a_summary_alone_names_the_tests_source_file_in_the_checkout(tmp_path: Path) -> None:
    """The ``Results:`` summary is all the log holds: ``DateParserTest.parsesIsoDates:11`` is
    line 11 of the checkout's one ``DateParserTest.java`` under a test root (a same-named file
    under ``src/main`` is no test's), and the summary's other lines add theirs, the first
    failure's (``measures:21``, the root cause) first."""
    results = SUREFIRE[SUREFIRE.index("[INFO] Results:") :]
    checkout = _checkout(tmp_path / "repo", TEST_SOURCE, "src/main/java/DateParserTest.java")
    assert _files(results, tmp_path, None) == []
    assert _files(results, tmp_path, checkout) == [(TEST_SOURCE, (21, 11, 16))]


def test_a_summary_names_no_file_where_the_class_is_ambiguous_linked_or_framed(
    tmp_path: Path,
) -> None:
    results = SUREFIRE[SUREFIRE.index("[INFO] Results:") :]
    two = _checkout(tmp_path / "two", TEST_SOURCE, "other/src/test/kotlin/DateParserTest.kt")
    assert _files(results, tmp_path, two) == []
    outside = _checkout(tmp_path / "outside", "src/test/java/DateParserTest.java")
    linked = tmp_path / "linked"
    (linked / "src").mkdir(parents=True)
    (linked / "src/test").symlink_to(outside / "src/test")
    assert _files(results, tmp_path, linked) == []
    # the whole log: the stack frames name DateParserTest.java, placed by its package in the
    # checkout (a repository path, not the frame's file name); the summary adds no second one
    framed = [
        path for path, _ in _files(SUREFIRE, tmp_path, _checkout(tmp_path / "one", TEST_SOURCE))
    ]
    assert framed.count(TEST_SOURCE) == 1 and "DateParserTest.java" not in framed


def test_a_checkout_past_the_walk_budget_names_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request that adds a flood of files makes the lookup give up, never hold the run."""
    results = SUREFIRE[SUREFIRE.index("[INFO] Results:") :]
    checkout = _checkout(tmp_path / "repo", TEST_SOURCE, "a.txt", "b.txt")
    # 8 entries: src, a.txt, b.txt, then test, java, org, x and the source down the path
    monkeypatch.setattr(checkout_places, "MAX_WALKED_FILES", 7)
    assert _files(results, tmp_path, checkout) == []
    monkeypatch.setattr(checkout_places, "MAX_WALKED_FILES", 8)
    assert _files(results, tmp_path, checkout) == [(TEST_SOURCE, (21, 11, 16))]


@pytest.mark.parametrize("flood", ["links", "folders"])
def test_attack_a_flood_of_links_or_folders_counts_against_the_walk_budget(
    flood: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget counted regular files only, so a checkout of links (git checks
    them out; 0.34 s of CPU per 100,000 here) or of folders was walked to its end whatever
    the budget. Every entry the walk looks at counts."""
    results = SUREFIRE[SUREFIRE.index("[INFO] Results:") :]
    checkout = _checkout(tmp_path / "repo", TEST_SOURCE)
    for index in range(40):
        if flood == "links":
            (checkout / f"l{index}").symlink_to("nowhere")
        else:
            (checkout / f"d{index}").mkdir()
    monkeypatch.setattr(checkout_places, "MAX_WALKED_FILES", 20)
    assert _files(results, tmp_path, checkout) == []


def test_attack_a_checkout_with_a_very_deep_folder_names_the_file_and_never_crashes(
    tmp_path: Path,
) -> None:
    """A pull request that commits one file 1,100 folders deep (``d/d/…/x``, a path of
    2,200 characters, which git checks out) crashed the mode with a RecursionError in the walk
    that looks for Surefire's test source (exit 3, internal error). Folders past the walk's
    depth are not entered; the test source at its usual depth is still named."""
    checkout = _checkout(tmp_path / "repo", TEST_SOURCE)
    fd = os.open(checkout, os.O_RDONLY)
    for _ in range(1_100):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(os.open("X.java", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)
    results = SUREFIRE[SUREFIRE.index("[INFO] Results:") :]
    try:
        assert _files(results, tmp_path, checkout) == [(TEST_SOURCE, (21, 11, 16))]
    finally:  # pytest's own clean-up recurses too: take the folders down from the deepest
        deepest = checkout.joinpath(*["d"] * 1_100)
        (deepest / "X.java").unlink()
        for folder in [deepest, *deepest.parents][:1_100]:
            folder.rmdir()


def test_attack_a_summary_line_number_past_python_s_digit_limit_is_no_line(
    tmp_path: Path,
) -> None:
    """The summary shape's new ``line`` group took any run of digits; a test that
    prints ``[ERROR]   FooTest.m:`` and 5,000 nines crashed the mode (ValueError from
    ``int``, exit 3). A line number is at most 12 digits; past that the line names none."""
    results = SUREFIRE[SUREFIRE.index("[INFO] Results:") :]
    huge = results.replace("measures:21", "measures:" + "9" * 5_000)
    checkout = _checkout(tmp_path / "repo", TEST_SOURCE)
    assert _files(huge, tmp_path, checkout) == [(TEST_SOURCE, (11, 16))]
