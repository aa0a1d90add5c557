"""What a fourth new user's logs met, on projects nobody here wrote: each log is a real run
(mocha, node:test, pytest, ruff, cargo) in tests/fixtures/logs/new_user4, read with the change
the user made beside it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.doctests import doctest_placed
from cicd_agent.modes.analyse_failure.logs.labels import MAX_LABELS
from cicd_agent.modes.analyse_failure.logs.on_change import ChangePlaces
from cicd_agent.modes.analyse_failure.logs.region import LogFinding
from tests.modes.analyse_failure.job_logs import job_log

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user4"


def _analyse(name: str, changed_lines: Mapping[str, Collection[int]]) -> LogAnalysis:
    data = (LOGS / name).read_bytes()
    return analyse_scans(scan_jobs([job_log("test", data)]),
                         changed_files=list(changed_lines), changed_lines=changed_lines)


def test_a_test_file_sharing_the_changed_files_name_is_not_in_the_change() -> None:
    # escape-html's change wrote index.js:52; mocha names test/index.js, which it did not touch.
    analysis = _analyse("mocha_escape_html.txt", {"index.js": [52]})
    files = {f.path: f for f in analysis.responsible_files}
    assert not files["test/index.js"].changed
    assert files["index.js"].changed and files["index.js"].lines[:1] == (52,)


def test_the_changes_own_lint_finding_leads_and_an_untouched_files_is_named_so() -> None:
    # webcolors' change added `import os` at conversion.py:5; ruff lists first a RUF022 of
    # __init__.py, which the change did not touch (the rule was on before it).
    analysis = _analyse("ruff_webcolors.txt", {"src/webcolors/conversion.py": [5]})
    assert "src/webcolors/conversion.py:5" in analysis.root_cause
    lines = [g.line.split()[0] for g in analysis.failures]
    assert lines[:2] == ["I001", "F401"] and lines.index("RUF022") > 1
    untouched = {g.line.split()[0] for g in analysis.failures if g.untouched}
    assert untouched == {"RUF022", "TRY004", "FURB136", "RUF046"}


def test_without_the_change_the_tools_order_stands_and_nothing_is_named_untouched() -> None:
    analysis = _analyse("ruff_webcolors.txt", {})
    assert analysis.root_cause.startswith("RUF022")
    assert not any(g.untouched for g in analysis.failures)


def test_a_change_named_from_the_checkouts_folder_places_the_same_findings() -> None:
    # The change's paths as a step prints them (``./src/...``) are the repository's paths.
    places = ChangePlaces(["./src/webcolors/conversion.py"])
    assert places.files == {"src/webcolors/conversion.py"} and not ChangePlaces([]).known()
    analysis = _analyse("ruff_webcolors.txt", {"./src/webcolors/conversion.py": [5]})
    assert "src/webcolors/conversion.py:5" in analysis.root_cause


def test_pytest_failures_with_one_message_are_one_group_when_the_summary_cut_it() -> None:
    # pytest's short summary, cut at 80 columns, names two tests with no message and two with
    # "Type..."; each test's report says the same TypeError.
    analysis = _analyse("pytest_webcolors.txt", {"src/webcolors/normalization.py": [44]})
    assert [(g.line, g.count) for g in analysis.failures] == [
        ("TypeError: expected string or bytes-like object, got 'int'", 4)
    ]


def test_node_tests_root_cause_holds_the_expected_and_actual_values() -> None:
    analysis = _analyse("node_test_escape_html.txt", {"index.js": [52]})
    assert analysis.root_cause == (
        "not ok 1 - escapes ampersands - Expected values to be strictly equal: "
        "expected 'a&amp;b', actual 'a&ampb'"
    )


def test_attack_node_tests_values_are_cut_and_read_only_from_the_blocks_own_keys() -> None:
    # Attack: the test's error text holds an `expected:` line of its own, and its values run
    # to 50 lines of 500 characters; the root cause keeps the block's keys, 3 lines of 80.
    long = "x" * 500
    data = (LOGS / "node_test_escape_html.txt").read_text()
    data = data.replace("        + actual - expected\n",
                        "        + actual - expected\n        expected: forged\n", 1)
    data = data.replace("      actual: 'a&ampb'\n",
                        "      actual: |-\n" + f"        {long}\n" * 50, 1)
    analysis = analyse_scans(scan_jobs([job_log("test", data.encode())]))
    assert "forged" not in analysis.root_cause
    actual = analysis.root_cause.partition(", actual ")[2]
    assert actual == " / ".join(["x" * 80] * 3)


def test_a_rustc_note_naming_the_changed_line_puts_it_before_the_compilers_own() -> None:
    # The change made `upper` return String at lib.rs:334; rustc stops at 337, a match arm,
    # and its note under 334 says why ("expected `String` because of return type").
    analysis = _analyse("cargo_build_return_type.txt", {"src/lib.rs": [334]})
    first = analysis.responsible_files[0]
    assert (first.path, first.lines, first.line_changed) == ("src/lib.rs", (334, 337), True)
    alone = _analyse("cargo_build_return_type.txt", {})
    assert alone.responsible_files[0].lines == (337, 334)


def test_attack_a_block_of_many_labelled_lines_names_a_few_of_them() -> None:
    # Attack: a build log prints 5,000 labelled lines under one arrow, and numbers too long
    # to be a line; the arrow's file keeps its own line and a few labelled ones.
    for first in (5, 10**12):
        rows = "".join(f"{n} | x\n    | --- note {n}\n" for n in range(first, first + 5000))
        log = f"error[E0308]: mismatched types\n   --> src/lib.rs:3:1\n    |\n{rows}\n"
        analysis = analyse_scans(scan_jobs([job_log("test", log.encode())]))
        lines = analysis.responsible_files[0].lines
        assert lines[0] == 3 and len(lines) <= 1 + MAX_LABELS and all(n < 10**7 for n in lines)


def test_a_failing_doctest_is_named_with_its_assertion_and_blamed_on_its_line() -> None:
    # rustdoc runs the example at lib.rs:22 as a program of its own: its panic names thread
    # 'main' and line 17 of that program, which is no line of src/lib.rs to open.
    analysis = _analyse("cargo_doctest.txt", {"src/lib.rs": [397]})
    assert analysis.root_cause.startswith("test src/lib.rs - (line 22) ... FAILED - panicked")
    assert analysis.root_cause.endswith("assertion `left == right` failed")
    assert analysis.failed_tests == ("src/lib.rs - (line 22)",)
    assert [(f.path, f.lines) for f in analysis.responsible_files] == [("src/lib.rs", (397, 22))]


def test_attack_a_main_thread_panic_is_only_its_own_reports_message() -> None:
    # Attack: a test prints a panic of a thread named 'main' in its own report; the next test,
    # whose report holds no panic, does not take it as its message.
    log = ("test a::one ... FAILED\ntest a::two ... FAILED\n\nfailures:\n\n"
           "---- a::one stdout ----\nthread 'main' (7) panicked at src/a.rs:3:5:\nforged\n\n"
           "---- a::two stdout ----\nexit status 3\n\n"
           "failures:\n    a::one\n    a::two\n\ntest result: FAILED. 0 passed; 2 failed\n")
    analysis = analyse_scans(scan_jobs([job_log("test", log.encode())]))
    by_test = {g.test: g.line for g in analysis.failures}
    assert "forged" in by_test["a::one"] and "forged" not in by_test["a::two"]


def test_only_a_panic_in_a_doctests_report_of_its_file_takes_the_doctests_line() -> None:
    for opening, line in [("---- src/lib.rs - (line 22) stdout ----", 22),
                          ("---- src/other.rs - (line 22) stdout ----", 17),
                          ("---- tests::adds stdout ----", 17)]:  # fmt: skip
        log = f"{opening}\nthread 'main' (9) panicked at src/lib.rs:17:1:\nboom\n"
        step = scan_jobs([job_log("test", log.encode())])[0].steps[0]
        panics = [LogFinding(0, hit) for hit in step.hits if hit.match.path]
        placed = doctest_placed(panics, list(enumerate(log.splitlines(), start=1)))
        assert [f.hit.match.source_line for f in placed] == [line]
