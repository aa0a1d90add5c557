"""The three kinds the held-out failures were typed wrongly as, on real tools' output.

The fixtures in tests/fixtures/logs are excerpts of output the tools printed on this project's
machine (research/failure/failure_cases.py, builders ``m2_*``, ``t_*`` and ``n_*`` in
research/failure/failure_cases_batch3.py); the pytest and npm cases also run the tool here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.flaky import offline_evidence, timing_miss
from cicd_agent.modes.analyse_failure.logs.sources import JobLog
from tests.helpers.gen_tests import PROJECT_PYTHON

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "logs"


def _analyse(text: str, tmp_path: Path) -> LogAnalysis:
    log = tmp_path / "job.log"
    log.write_text(text + "##[error]Process completed with exit code 1.\n")
    return analyse_scans(scan_jobs([JobLog.from_path("job", log, conclusion="failure")]))


def _pytest(tmp_path: Path, source: str) -> str:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_it.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER")}
    done = subprocess.run(
        [PROJECT_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    return done.stdout + done.stderr


# --- memory an allocator reports -------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture",
    ["php_memory_limit.txt", "ruby_no_memory.txt", "numpy_array_memory.txt",
     "node_array_buffer.txt"],
)  # fmt: skip
def test_an_allocator_that_gave_up_is_out_of_memory(fixture: str, tmp_path: Path) -> None:
    analysis = _analyse((FIXTURES / fixture).read_text(), tmp_path)
    assert analysis.failure_type == "oom", analysis.root_cause


# --- a test that missed a bound on time ------------------------------------------------------


def test_a_pytest_back_off_missed_by_a_small_margin_is_likely_flaky(tmp_path: Path) -> None:
    text = _pytest(
        tmp_path,
        # The wait is a fixed figure, not a measured one: a loaded machine must not turn the
        # small margin this test is about into a large one.
        "def test_backoff_total_wait():\n    waited = 0.0215\n"
        "    assert waited <= 0.02\n",
    )
    analysis = _analyse(text, tmp_path)
    assert analysis.failure_type == "test_failure"
    (reason,) = analysis.likely_flaky_evidence
    assert "test_backoff_total_wait" in reason and "by a small margin" in reason, reason
    assert "against 0.02" in reason


@pytest.mark.parametrize(
    ("fixture", "test", "margin"),
    [("prove_latency_bound.txt", "ping answers within 100 ms", "by a small margin (0.110654"),
     ("pytest_backoff_bound.txt", "test_backoff_total_wait", "by a small margin (0.140541"),
     ("node_tap_timer_bound.txt", "debounce fires within 100ms", "checks a bound on time")],
)  # fmt: skip
def test_tap_and_pytest_reports_of_a_missed_time_bound_are_likely_flaky(
    fixture: str, test: str, margin: str, tmp_path: Path
) -> None:
    analysis = _analyse((FIXTURES / fixture).read_text(), tmp_path)
    assert analysis.failure_type == "test_failure"
    assert not analysis.flaky_by_evidence  # one log: likely, never proven
    (reason,) = analysis.likely_flaky_evidence
    assert repr(test) in reason and margin in reason, reason


@pytest.mark.parametrize("fixture", ["prove_value_control.txt", "pytest_small_margin_control.txt"])
def test_a_small_miss_that_is_not_about_time_is_not_flaky(fixture: str, tmp_path: Path) -> None:
    analysis = _analyse((FIXTURES / fixture).read_text(), tmp_path)
    assert analysis.failure_type == "test_failure"
    assert analysis.likely_flaky_evidence == ()


def test_run_times_runners_print_for_every_test_are_not_a_time_bound() -> None:
    # node's TAP prints duration_ms for every test; an assert.ok that failed is not about time.
    tap = ["not ok 1 - parses the header", "  ---", "  duration_ms: 1.2", "  actual: false",
           "  expected: true", "  ...", "# duration_ms 40.1"]  # fmt: skip
    assert timing_miss(tap) is None
    assert offline_evidence(tap, test_failure=True) == ()


# --- npm ci and a lock file out of step with package.json ------------------------------------


@pytest.mark.parametrize(
    "fixture", ["npm_ci_lock_missing_dependency.txt", "npm_ci_lock_invalid_version.txt"]
)
def test_a_lock_file_out_of_step_with_the_manifest_is_a_dependency_error(
    fixture: str, tmp_path: Path
) -> None:
    analysis = _analyse((FIXTURES / fixture).read_text(), tmp_path)
    assert analysis.failure_type == "dependency_error"
    assert "are in sync" in analysis.root_cause


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_npm_ci_without_any_lock_file_stays_a_configuration_error(tmp_path: Path) -> None:
    # No lock at all is how the job was set up (``npm ci`` in a project that keeps none), not a
    # dependency set that moved; npm checks this before it reads the registry.
    (tmp_path / "package.json").write_text('{"name": "app", "version": "1.0.0"}\n')
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--offline"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    analysis = _analyse(done.stdout + done.stderr, tmp_path)
    assert analysis.failure_type == "config_error", analysis.root_cause


def test_a_plain_break_near_a_timer_and_a_comparison_is_not_a_time_bound(tmp_path: Path) -> None:
    """Seen on cachetools: every test failed with the same AttributeError; one test's source
    holds ``timer = Timer()`` and another of its lines ``<``. Time words and a comparison on
    different lines are no bound on time: "it may be flaky" was pinned on a plain break."""
    text = _pytest(
        tmp_path,
        "class Timer:\n    pass\n\n\n"
        "def test_expiry():\n    timer = Timer()\n    size = 1\n"
        "    if size < 2:\n        timer.expire()\n",
    )
    assert "AttributeError" in text
    assert timing_miss(text.splitlines()) is None
    assert _analyse(text, tmp_path).likely_flaky_evidence == ()
