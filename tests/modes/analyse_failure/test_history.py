"""Flakiness from one log and from history, recurring failures, the log diff's normal form, and
pytest's truncated summary lines, on real tool output where a tool makes it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from cicd_agent.analysis.history import PastRun, RunTests, canonical_test
from cicd_agent.modes.analyse_failure.history import (
    changed_when_flipped,
    recurrence,
    shown_by_history,
)
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.baseline import BaselineIndex, diff_key
from cicd_agent.modes.analyse_failure.logs.flaky import offline_evidence
from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_tests
from cicd_agent.modes.analyse_failure.logs.sources import JobLog
from cicd_agent.runners.junit import outcomes, outcomes_in_zip
from tests.helpers.gen_tests import PROJECT_PYTHON

TEST = "tests/test_api.py::test_fetch"


def _pytest(tmp_path: Path, files: dict[str, str], *args: str, columns: int = 80) -> str:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    # the test run as a user runs it: not under CI, and without options meant for this suite
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER", "PYTEST_ADDOPTS")}
    env["COLUMNS"] = str(columns)
    done = subprocess.run(
        [PROJECT_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=tmp_path, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


def _analyse(text: str, tmp_path: Path, baseline: BaselineIndex | None = None) -> object:
    log = tmp_path / "job.log"
    log.write_text(text)
    return analyse_scans(
        scan_jobs([JobLog.from_path("test", log, conclusion="failure")]), baseline=baseline
    )


# --- a cut that kept part of the message is not repeated ---------------------


def test_a_summary_line_cut_inside_its_message_names_the_message_once(tmp_path: Path) -> None:
    """Before: "… - TypeError: 'PosixPat - TypeError: 'PosixPath' object is not iterable"."""
    source = (
        "from pathlib import Path\n\n\n"
        "def test_iterates_paths():\n    for part in Path('a'):\n        pass\n"
    )
    text = _pytest(tmp_path, {"tests/test_paths.py": source}, "tests", columns=70)
    summary = next(line for line in text.splitlines() if line.startswith("FAILED"))
    assert summary.endswith("...") and " - TypeErr" in summary, summary  # cut inside the message

    root = str(_analyse(text, tmp_path).root_cause)  # type: ignore[attr-defined]

    assert root.count("TypeError") == 1, root
    assert root.endswith("TypeError: 'PosixPath' object is not iterable"), root


# --- pytest cuts its summary line to "- ..." at 80 columns ------------------

_TIMEOUT_TEST = """\
import pytest


class TestTimeout:
    @pytest.mark.parametrize("timeout", ((0.1, None), (0.2, None)))
    def test_connect_timeout(self, timeout):
        try:
            pass
            pytest.fail("The connect() request should time out.")
        except ValueError:
            pass
"""


@pytest.mark.parametrize("name", ["test_connect_timeout", "test_connect_timeout_that_fills_a_line"])
def test_a_truncated_summary_line_gets_the_crash_message_and_the_test_line(
    tmp_path: Path, name: str
) -> None:
    source = _TIMEOUT_TEST.replace("test_connect_timeout", name)
    text = _pytest(tmp_path, {"tests/test_requests.py": source}, "tests")
    summary = next(line for line in text.splitlines() if line.startswith("FAILED"))
    assert summary.endswith(" - ...") or " - " not in summary, summary  # pytest cut it

    analysis = _analyse(text, tmp_path)

    assert analysis.root_cause == (  # type: ignore[attr-defined]
        summary.removesuffix(" - ...") + " - Failed: The connect() request should time out."
    )
    top = analysis.responsible_files[0]  # type: ignore[attr-defined]
    assert (top.path, top.lines) == ("tests/test_requests.py", (9,))
    assert any("time out" in e for e in analysis.likely_flaky_evidence)  # type: ignore[attr-defined]


# --- flakiness from one log -----------------------------------------------------------------


def test_a_pytest_rerun_a_timing_assertion_and_a_network_error_in_a_test_are_likely_flaky(
    tmp_path: Path,
) -> None:
    timing = _pytest(
        tmp_path / "timing",
        {"tests/test_speed.py": "import time\n\n\ndef test_fast():\n    start = time.monotonic()\n"
         "    time.sleep(0.02)\n    elapsed = time.monotonic() - start\n"
         "    assert elapsed < 0.001\n"},
        "tests",
    )  # fmt: skip
    network = _pytest(
        tmp_path / "network",
        {"tests/test_client.py": "import urllib.request\n\n\ndef test_health():\n"
         "    urllib.request.urlopen('http://127.0.0.1:9/health', timeout=1)\n"},
        "tests",
    )  # fmt: skip
    for text, word in ((timing, "timing"), (network, "network")):
        evidence = offline_evidence(text.splitlines(), test_failure=True)
        assert any(word in item for item in evidence), text[-1500:]
    rerun = ["tests/test_a.py::test_b RERUN", "==== 1 failed, 1 rerun in 0.2s ===="]
    assert "re-ran" in offline_evidence(rerun, test_failure=True)[0]


def test_plain_failures_and_network_errors_outside_tests_are_not_flaky(tmp_path: Path) -> None:
    plain = _pytest(tmp_path, {"tests/test_calc.py": "def test_add():\n    assert 1 + 1 == 3\n"})
    assert offline_evidence(plain.splitlines(), test_failure=True) == ()
    install = [
        "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='pypi.org',"
        " port=443): Max retries exceeded with url: /simple/requests/ (Caused by "
        "ConnectTimeoutError(...))"
    ]
    assert offline_evidence(install, test_failure=False) == ()
    assert offline_evidence(install, test_failure=True) == ()  # not a test's report line


def test_failed_tests_are_named_as_their_runners_name_them() -> None:
    lines = [
        "FAILED tests/test_a.py::TestX::test_b[1] - assert 1 == 2",
        "  ● calc › adds numbers",
        "--- FAIL: TestAdd (0.00s)",
        "test tests::halves ... FAILED",
        "FAIL: test_upper (test_strings.TestStrings.test_upper)",
        "FAILED tests/test_a.py::TestX::test_b[1] - assert 1 == 2",
    ]
    assert failing_tests(lines) == (
        "tests/test_a.py::TestX::test_b[1]", "calc › adds numbers", "TestAdd", "tests::halves",
        "test_strings.TestStrings.test_upper",
    )  # fmt: skip


# --- history ----------------------------------------------------------------------------------


def _run(
    run_id: int, sha: str, passed: bool | None, *, attempt: int = 1, where: str = "main"
) -> RunTests:
    outcomes = {} if passed is None else {canonical_test(TEST): passed}
    return RunTests(run_id, attempt, sha, where, outcomes=outcomes)


HERE = _run(9, "c" * 40, False, where="this run")


def test_a_test_that_passed_in_another_attempt_of_the_same_commit_is_flaky() -> None:
    other = RunTests(9, 2, "c" * 40, "this run", all_passed=True)
    (flaky,) = shown_by_history([TEST], HERE, [other], [], lambda *_: None)
    assert "attempt 2 of run 9" in flaky.evidence[0]
    assert [(o.attempt, o.outcome) for o in flaky.outcomes] == [(1, "failed"), (2, "passed")]


def test_flips_on_main_count_only_without_a_change_to_the_test_file() -> None:
    main = [_run(3, "b" * 40, True), _run(2, "a" * 40, False), _run(1, "9" * 40, True)]

    def untouched(older: str, newer: str, path: str | None) -> bool | None:
        return path == "tests/test_api.py"

    (flaky,) = shown_by_history([TEST], HERE, [], main, untouched)
    assert "flipped between pass and fail 2 time(s) on main" in flaky.evidence[0]
    assert flaky.default_branch_failures == 1  # what a quarantine proposal waits for (3)
    assert shown_by_history([TEST], HERE, [], main, lambda *_: False) == []
    assert shown_by_history([TEST], HERE, [], main, lambda *_: None) == []  # unknown ≠ evidence
    assert changed_when_flipped([TEST], main, lambda *_: False) is True
    assert changed_when_flipped([TEST], main, untouched) is False


def test_failures_on_main_are_counted_only_when_the_test_flipped_there() -> None:
    """Three failures among passes on unchanged code: a quarantine proposal's count. A test
    that only passed in another attempt flipped nowhere on main: it counts none."""
    main = [_run(n, f"{n:040x}", n % 2 == 0) for n in range(6, 0, -1)]
    (flaky,) = shown_by_history([TEST], HERE, [], main, lambda *_: True)
    assert flaky.default_branch_failures == 3
    other = RunTests(9, 2, "c" * 40, "this run", all_passed=True)
    steady = [_run(n, f"{n:040x}", False) for n in range(6, 0, -1)]
    (flaky,) = shown_by_history([TEST], HERE, [other], steady, lambda *_: True)
    assert flaky.default_branch_failures == 0


def test_a_test_another_run_did_not_report_is_no_evidence() -> None:
    main = [_run(3, "b" * 40, None), _run(2, "a" * 40, False)]
    assert shown_by_history([TEST], HERE, [], main, lambda *_: True) == []


def test_a_recurring_failure_links_earlier_runs_and_the_commit_after_which_it_stopped() -> None:
    runs = [
        PastRun(8, "success", "f" * 40, "https://x/8"),
        PastRun(7, "success", "e" * 40),
        PastRun(6, "failure", "d" * 40, fingerprint="abc"),
        PastRun(5, "failure", "c" * 40, fingerprint="other"),
        PastRun(4, "failure", "b" * 40, fingerprint="abc"),
    ]
    found = recurrence("abc", runs)
    assert found is not None
    assert [p.run_id for p in found.earlier] == [6, 4]
    assert (found.stopped_at_run, found.stopped_at_sha) == (7, "e" * 40)
    assert recurrence("never", runs) is None
    assert recurrence("abc", runs[2:]).stopped_at_sha == ""  # type: ignore[union-attr]


def test_junit_reports_written_by_pytest_give_outcomes_under_the_logs_names(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.xml"
    _pytest(
        tmp_path,
        {"tests/__init__.py": "", "tests/test_api.py": "def test_fetch():\n    assert 0\n\n\n"
         "def test_ok():\n    pass\n"},
        f"--junitxml={report}",
    )  # fmt: skip
    found = outcomes(report.read_bytes())
    assert found == {
        canonical_test(TEST): False,
        canonical_test("tests/test_api.py::test_ok"): True,
    }
    assert outcomes_in_zip(b"not a zip") == {}


def test_a_junit_report_with_entities_is_not_expanded() -> None:
    billion = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<testsuite><testcase classname="t" name="&b;"/></testsuite>'
    )
    assert outcomes(billion) == {}
    assert outcomes(b"<testsuite><testcase") == {}


# --- the log diff -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("green", "red"),
    [
        ("===== 3 passed in 1.23s =====", "===== 3 passed in 9.87s ====="),
        ("started 2024-05-14T09:12:03.1200000Z", "started 2026-11-22T16:00:00Z"),
        (
            "wrote /tmp/pytest-of-runner/pytest-3/x0/a.txt",
            "wrote /tmp/pytest-of-runner/pytest-9/y1/a.txt",
        ),
        ("cache key 5b0e4f2a9c", "cache key 9d1a3c7e11"),
        (
            "run 3f2504e0-4f89-11d3-9a0c-0305e82c3301 ok",
            "run 6ba7b810-9dad-11d1-80b4-00c04fd430c8 ok",
        ),
    ],
)
def test_lines_that_differ_only_in_what_varies_between_runs_are_the_same(
    green: str, red: str
) -> None:
    assert diff_key(green) == diff_key(red)


def test_different_messages_stay_different() -> None:
    assert diff_key("E   KeyError: 'timeout'") != diff_key("E   KeyError: 'retries'")
    assert diff_key("FAILED tests/test_a.py::test_b") != diff_key("FAILED tests/test_a.py::test_c")


def test_the_log_diff_drops_the_green_runs_lines_and_counts_them(tmp_path: Path) -> None:
    source = (
        "import warnings\n\n\ndef test_a():\n    warnings.warn('old api', DeprecationWarning)\n"
    )
    red = _pytest(tmp_path / "red", {"tests/test_a.py": source + "    assert 1 == 2\n"}, "tests")
    green = _pytest(tmp_path / "green", {"tests/test_a.py": source}, "tests")
    analysis = _analyse(red, tmp_path, BaselineIndex(green.splitlines()))
    assert 0 < analysis.diff_dropped < analysis.diff_lines  # type: ignore[attr-defined]
    assert analysis.root_cause.startswith("FAILED tests/test_a.py::test_a")  # type: ignore[attr-defined]
    assert "old api" not in analysis.excerpt  # type: ignore[attr-defined]


# --- the CLI offline: outputs and what a hostile test id can do to the summary -----------------


def test_offline_likely_flaky_run_gives_outputs_and_a_summary_a_test_id_cannot_restyle(
    tmp_path: Path,
) -> None:
    from tests.helpers.cli import run_cli

    hostile = "@everyone <img src=x onerror=alert(1)> [link](https://evil.example)"
    text = _pytest(
        tmp_path / "project",
        {"tests/test_speed.py": "import time\n\nimport pytest\n\n\n"
         f"@pytest.mark.parametrize('n', [1], ids=[{hostile!r}])\n"
         "def test_fast(n):\n    start = time.monotonic()\n    time.sleep(0.02)\n"
         "    elapsed = time.monotonic() - start\n    assert elapsed < 0.001\n"},
        "-rf", "tests", columns=300,
    )  # fmt: skip
    log = tmp_path / "job.log"
    log.write_text(text)

    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log)], tmp_path)
    outputs, summary = done.outputs, done.summary

    assert done.code == 0
    assert outputs["is_flaky"] == "likely" and outputs["failure_type"] == "test_failure"
    (flaky,) = json.loads(outputs["flaky_tests"])
    assert flaky["verdict"] == "likely" and "timing" in flaky["evidence"][0]
    assert "@everyone" in flaky["name"]  # the output keeps the id as the runner printed it
    assert "it may be flaky" in summary
    outside_code = re.sub(r"(`{3,})[^\n]*\n.*?\n\1", "", summary, flags=re.S)
    outside_code = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", outside_code)
    assert "<img" not in outside_code and "](https://evil" not in outside_code
    assert "@everyone" not in outside_code
