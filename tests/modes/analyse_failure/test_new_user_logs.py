"""What a new user's logs met: a compiler warning read as the failure, a syntax error blamed on
another file, the test step's own retry verdict not read as flakiness. Each log is a real run
(cargo 1.9x, node 20, pytest and cicd-agent's test step), in tests/fixtures/logs/new_user."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.syntax_place import MAX_TAP_NOTES
from tests.corpus.runner_log import Job, Step, render
from tests.modes.analyse_failure.job_logs import job_log

LOGS = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user"


def _analyse(data: bytes) -> LogAnalysis:
    return analyse_scans(scan_jobs([job_log("test", data)]))


def test_a_green_cargo_log_with_a_warning_is_no_failure() -> None:
    analysis = _analyse((LOGS / "cargo_green_warning.txt").read_bytes())
    assert not analysis.failed_jobs
    assert "trait_impl.rs" not in analysis.root_cause
    assert not analysis.responsible_files


def test_a_warnings_location_is_not_responsible_for_a_real_failure() -> None:
    analysis = _analyse((LOGS / "cargo_red_warning.txt").read_bytes())
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert "panicked at tests/trait_impl.rs:64" in analysis.root_cause
    assert [(f.path, f.lines) for f in analysis.responsible_files] == [
        ("tests/trait_impl.rs", (64,))
    ]


@pytest.mark.parametrize(("name", "path"), [
    ("node_syntax_error.txt", "index.js"),  # required from test/range-parser.js
    ("node_esm_syntax_error.txt", "index.mjs"),  # imported: node prints a file:// address
    ("mocha_syntax_error.txt", "index.js"),  # mocha's "Exception during run: " before the place
    ("node_test_tap_syntax_error.txt", "index.js"),  # node --test's TAP: each line after "# "
])  # fmt: skip
def test_a_node_syntax_error_is_blamed_on_the_file_that_did_not_parse(name: str, path: str) -> None:
    """encodeurl's ``index.js:56`` did not parse: the place node prints above the error is the
    file to open; the test that required it (``test/test.js:3``) comes after, if at all."""
    analysis = _analyse((LOGS / name).read_bytes())
    said = "not ok 1 - " if name.startswith("node_test") else "SyntaxError: Unexpected token"
    assert analysis.root_cause.startswith(said), analysis.root_cause  # TAP's: the file failed
    first = analysis.responsible_files[0]
    line = 56 if name.startswith(("mocha", "node_test")) else 39
    assert (first.path, first.lines[:1], first.from_change) == (path, (line,), False)


def test_a_python_syntax_error_is_blamed_on_its_file_and_line() -> None:
    analysis = _analyse((LOGS / "pytest_syntax_error.txt").read_bytes())
    assert "SyntaxError: expected ':'" in analysis.root_cause
    first = analysis.responsible_files[0]
    assert (first.path, first.lines[:1]) == ("ordered_set/__init__.py", (318,))


def test_the_test_steps_own_retry_verdict_is_evidence_of_flakiness_naming_the_test() -> None:
    analysis = _analyse((LOGS / "test_step_flaky.txt").read_bytes())
    assert analysis.failed_tests == ("tests/test_x.py::test_y",)
    evidence = " ".join(analysis.likely_flaky_evidence)
    assert "test step saw 'tests/test_x.py::test_y' fail on the first run and pass" in evidence


def test_attack_a_test_printing_the_steps_summary_and_progress_forges_no_retry_verdict() -> None:
    # A test that fails on every run prints the step's progress prefix, a retry line, a
    # ``publish:`` line, the summary's title and a flaky line; the real step's own closing lines
    # follow it, since the step prints them only after the test command has ended.
    data = (LOGS / "test_step_forged_summary.txt").read_bytes()
    assert data.count(b"- flaky: `tests/test_x.py::test_z`: failed on the first run") >= 3
    analysis = _analyse(data)
    assert analysis.failed_tests == ("tests/test_x.py::test_z",)
    assert not analysis.likely_flaky_evidence


@pytest.mark.parametrize("name", ["test_step_flaky.txt", "test_step_forged_summary.txt"])
def test_the_retry_verdict_reads_the_same_in_an_actions_job_log(name: str) -> None:
    output = (LOGS / name).read_bytes()
    step = Step("Tests", uses="owner/cicd-agent@v1", output=output, exit_code=1)
    job = Job("test", [Step("Checkout", uses="actions/checkout@v4"), step])
    in_actions = analyse_scans(scan_jobs([job_log("test", render(job)[0])]))
    alone = _analyse(output)
    assert in_actions.likely_flaky_evidence == alone.likely_flaky_evidence
    assert bool(alone.likely_flaky_evidence) is (name == "test_step_flaky.txt")


def test_a_build_error_beside_a_warning_is_blamed_on_the_error_alone() -> None:
    # The warning's block ends where rustc's error starts, with no blank line between.
    analysis = _analyse((LOGS / "cargo_build_error_warning.txt").read_bytes())
    assert analysis.failure_type is FailureType.BUILD_ERROR
    assert analysis.root_cause.startswith("error[E0308]: mismatched types")
    assert [(f.path, f.lines) for f in analysis.responsible_files] == [
        ("tests/trait_impl.rs", (64,))
    ]


@pytest.mark.xfail(strict=True, reason=(
    "open: the retry verdict is read from any failed step's last word, and a plain step (a "
    "`run: pytest` of the pull request's code, on the host) can print the test step's whole "
    "tail; checking the step's header is not enough either, since its output can print a "
    "header of its own (`::group::Run owner/cicd-agent@v1`, which opens a step in a whole-job "
    "log): telling the steps apart needs the run-logs zip's per-step files or the job's steps"
))
def test_attack_a_plain_steps_output_ending_as_the_test_step_forges_no_retry_verdict() -> None:
    # Attack: the pull request's conftest prints, as the plain pytest step's last lines, what
    # cicd-agent's test step prints after a flaky run: its progress, retry, publish and summary.
    output = (LOGS / "test_step_flaky.txt").read_bytes()
    step = Step("Tests", run="python -m pytest tests", output=output, exit_code=1)
    job = Job("test", [Step("Checkout", uses="actions/checkout@v4"), step])
    analysis = analyse_scans(scan_jobs([job_log("test", render(job)[0])]))
    assert not analysis.likely_flaky_evidence


@pytest.mark.parametrize("place", [
    'File "app/__init__.py", line {n}',
    "/home/runner/work/app/app/index.js:{n}",
])  # fmt: skip
def test_attack_a_syntax_errors_place_with_a_huge_line_number_is_no_crash(place: str) -> None:
    # Attack: the log names the place of a syntax error with a 5,000-digit line number, which
    # Python's int() refuses; the error is still the root cause, blamed on no such line.
    number = "9" * 5000
    log = ("Traceback (most recent call last):\n"
           '  File "tests/test_app.py", line 3, in <module>\n    import app\n'
           f"{place.format(n=number)}\n    def f(\n         ^\nSyntaxError: invalid syntax\n")
    analysis = _analyse(log.encode())
    assert analysis.root_cause.startswith("SyntaxError: invalid syntax")
    assert all(len(str(line)) < 20 for f in analysis.responsible_files for line in f.lines)


def test_attack_a_syntax_error_printed_apart_from_a_tap_verdict_names_no_file() -> None:
    """Only the TAP notes right above a file's verdict are what its load printed: a test's own
    output of a fake node error, then a line of its own, then another file's verdict, blames
    nothing on the file the fake names."""
    tap = (LOGS / "node_test_tap_syntax_error.txt").read_text()
    forged = tap.replace("# Node.js v20.20.2\n", "# Node.js v20.20.2\nok 1 - passes\n")
    first = [f.path for f in _analyse(forged.encode()).responsible_files][:1]
    assert first != ["index.js"], first
    assert "# Node.js v20.20.2\nok 1" in forged  # the forged line is there


def test_tap_notes_are_read_only_so_far_above_the_verdict() -> None:
    tap = (LOGS / "node_test_tap_syntax_error.txt").read_text()
    far = tap.replace("# Node.js v20.20.2\n", "# Node.js v20.20.2\n" + "# note\n" * MAX_TAP_NOTES)
    near = tap.replace("# Node.js v20.20.2\n", "# Node.js v20.20.2\n" + "# note\n" * 10)
    assert [f.path for f in _analyse(near.encode()).responsible_files][:1] == ["index.js"]
    assert [f.path for f in _analyse(far.encode()).responsible_files][:1] != ["index.js"]


def test_attack_a_syntax_error_a_test_printed_above_its_real_error_names_no_file() -> None:
    """Failed before: the TAP notes above a file's verdict were read up to the first syntax
    error, past the error node stopped on: a test file that printed a fake node syntax error
    (``index.js:56``) and then failed to load with a TypeError of its own had the untouched
    ``index.js`` blamed as the file that did not parse. The error a load stopped on is the
    last one printed before its verdict."""
    tap = (LOGS / "node_test_tap_syntax_error.txt").read_text()
    real = ("# /home/runner/work/encodeurl/encodeurl/test/test.js:9\n#   foo.bar()\n"
            "#       ^\n# TypeError: Cannot read properties of undefined (reading 'bar')\n"
            "#     at Object.<anonymous> (/home/runner/work/encodeurl/encodeurl/test/test.js:9:7)\n"
            "# Node.js v20.20.2\n")  # fmt: skip
    forged = tap.replace("# Node.js v20.20.2\n", real)
    assert forged != tap
    first = [f.path for f in _analyse(forged.encode()).responsible_files][:1]
    assert first != ["index.js"], first
