"""Mixed failures on real logs: a real assertion or error beats network noise in the same run.

The fixtures are httpx's own suite (encode/httpx) run on this machine without network, pytest's
output as printed: three proxy tests fail on DNS (``ConnectError: [Errno -2] Name or service not
known``); with ``raise_for_status``'s wording changed one test fails on a real ``AssertionError``
(tests/models/test_responses.py:126); Click's ``DeprecationWarning``, raised as an error by the
suite's ``filterwarnings = error``, fails ``test_download``. Re-running clears none of the last
two, so neither run may be called an infrastructure failure; the DNS-only run is one.
"""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "logs"


def _analyse(fixture: str, tmp_path: Path, **options: object) -> LogAnalysis:
    run = Step("Test", run="pytest", output=(FIXTURES / fixture).read_bytes(), exit_code=1)
    job = Job("test (3.11)", [noise.checkout(), noise.setup_python(), noise.pip_install(), run])
    return analyse_scans(
        scan_jobs(load_logs(write_layout([job], tmp_path, "zip_steps"))), **options
    )  # type: ignore[arg-type]


def test_a_real_assertion_among_dns_errors_is_the_root_cause(tmp_path: Path) -> None:
    analysis = _analyse("httpx_dns_and_assertion.txt", tmp_path)
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert "AssertionError" in analysis.root_cause, analysis.root_cause
    assert analysis.responsible_files[0].path == "tests/models/test_responses.py"
    assert 126 in analysis.responsible_files[0].lines


def test_every_distinct_failure_is_listed_once_real_ones_first(tmp_path: Path) -> None:
    failures = _analyse("httpx_dns_and_assertion.txt", tmp_path).failures
    real = [group for group in failures if not group.infrastructure]
    infra = [group for group in failures if group.infrastructure]
    assert failures[: len(real)] == tuple(real), "real failures come before the noise"
    assert any("AssertionError" in group.line for group in real)
    assert any("DeprecationWarning" in group.line for group in real)
    assert all(group.kind is FailureType.TEST_FAILURE for group in real)
    assert infra, "the DNS failures are listed too"
    assert all("Name or service not known" in group.line for group in infra)
    assert sum(group.count for group in infra) >= 3
    assert len({group.line for group in infra}) == len(infra) <= 2, infra


def test_a_deprecation_raised_as_error_among_dns_errors_is_not_infrastructure(
    tmp_path: Path,
) -> None:
    analysis = _analyse("httpx_dns_and_deprecation.txt", tmp_path)
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert "DeprecationWarning" in analysis.root_cause, analysis.root_cause


def test_a_run_whose_every_failure_is_dns_is_infrastructure(tmp_path: Path) -> None:
    analysis = _analyse("httpx_dns_only.txt", tmp_path)
    assert analysis.failure_type is FailureType.INFRASTRUCTURE
    assert "Name or service not known" in analysis.root_cause
    assert analysis.failures and all(group.infrastructure for group in analysis.failures)


def test_a_real_failure_in_one_job_beats_a_dns_failure_in_another(tmp_path: Path) -> None:
    """A matrix where one job lost the network and another broke a test: the test is the cause."""
    dns = Step("Test", run="pytest", output=(FIXTURES / "httpx_dns_only.txt").read_bytes(),
               exit_code=1)  # fmt: skip
    real = Step("Test", run="pytest", output=(FIXTURES / "httpx_dns_and_deprecation.txt")
                .read_bytes().replace(b"Name or service not known", b"refused nothing"),
                exit_code=1)  # fmt: skip
    jobs = [
        Job("network (3.12)", [noise.checkout(), dns]),
        Job("test (3.11)", [noise.checkout(), real]),
    ]
    analysis = analyse_scans(scan_jobs(load_logs(write_layout(jobs, tmp_path, "zip_steps"))))
    assert analysis.failure_type is FailureType.TEST_FAILURE
    assert analysis.failed_jobs[0].name == "test (3.11)"
    assert analysis.failures[-1].infrastructure and not analysis.failures[0].infrastructure


def test_a_tests_verbose_progress_line_and_its_summary_line_are_one_failure(
    tmp_path: Path,
) -> None:
    """pytest -v prints ``tests/x.py::test_a FAILED [ 50%]`` and, at the end, ``FAILED
    tests/x.py::test_a - assert 5 == 6``: one failure, listed once with its message (the
    README's failure comment once listed it twice as "2 distinct")."""
    output = (
        b"============================= test session starts ==============================\n"
        b"collected 2 items\n\n"
        b"tests/test_calc.py::test_add FAILED                                      [ 50%]\n"
        b"tests/test_calc.py::test_sub PASSED                                      [100%]\n\n"
        b"=================================== FAILURES ===================================\n"
        b"___________________________________ test_add ___________________________________\n\n"
        b"    def test_add():\n>       assert add(2, 3) == 6\nE       assert 5 == 6\n\n"
        b"tests/test_calc.py:5: AssertionError\n"
        b"=========================== short test summary info ============================\n"
        b"FAILED tests/test_calc.py::test_add - assert 5 == 6\n"
        b"========================= 1 failed, 1 passed in 0.03s ==========================\n"
    )
    run = Step("Test", run="pytest -v", output=output, exit_code=1)
    job = Job("test", [noise.checkout(), run])
    analysis = analyse_scans(scan_jobs(load_logs(write_layout([job], tmp_path, "zip_steps"))))
    lines = [group.line for group in analysis.failures]
    assert not any(line.startswith("tests/test_calc.py::test_add FAILED") for line in lines), lines
