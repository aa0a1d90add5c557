"""analyse-failure on httpx's suite run without network: the verdict and the advice a person gets.

One real assertion among DNS failures is a test failure with a code fix, every distinct failure
listed; only the DNS-only run is infrastructure with re-run advice. Real pytest output of the
real project (see tests/modes/analyse_failure/test_mixed.py), wrapped as a job's log.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout
from tests.helpers.cli import run_cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "logs"


def _run(tmp_path: Path, fixture: str) -> tuple[dict[str, object], str]:
    step = Step("Test", run="pytest", output=(FIXTURES / fixture).read_bytes(), exit_code=1)
    job = Job("test (3.11)", [noise.checkout(), noise.setup_python(), step])
    logs = write_layout([job], tmp_path, "zip_steps")
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(logs), "--json"],
                   tmp_path)  # fmt: skip
    assert done.code == 0, done.stdout
    return json.loads(done.stdout), done.summary


def test_an_assertion_among_dns_errors_gets_a_code_fix_not_a_re_run(tmp_path: Path) -> None:
    document, summary = _run(tmp_path, "httpx_dns_and_assertion.txt")
    assert document["failure_type"] == "test_failure"
    assert document["advice"]["type"] == "code"
    assert "re-run the job" not in summary and "infrastructure problem" not in summary
    assert "**Failures**" in summary and "Name or service not known" in summary
    assert "A re-run cannot clear the failures that are not infrastructure." in summary
    kinds = [group["infrastructure"] for group in document["failures"]]
    assert kinds == sorted(kinds) and kinds[0] is False and kinds[-1] is True


def test_a_run_that_failed_only_on_dns_is_re_run(tmp_path: Path) -> None:
    document, summary = _run(tmp_path, "httpx_dns_only.txt")
    assert document["failure_type"] == "infrastructure"
    assert document["advice"]["type"] == "retry"
    assert "re-run the job" in summary
