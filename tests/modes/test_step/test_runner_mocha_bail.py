"""mocha's ``--bail`` in the test step, as vary's ``npm test`` has it: the step's advice kept
it, then refused the command it gave ("exited 1 before any test reported", though the log said
"1 passing, 1 failing"). A first run is made to run every test, as jest's ``--bail`` is, and a
run that still leaves tests unrun says what mocha reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from tests.helpers.job_run import JobRun
from tests.modes.test_step.test_runner_node import _ENV, ONCE, _project

FLAKY_FIRST = {"test/calc.test.js": (
    ONCE + "const assert = require('assert');\n"
    "describe('calc', () => {\n  it('sometimes', () => assert.ok(!firstRun('sometimes')));\n"
    "  it('adds', () => assert.equal(1 + 1, 2));\n"
    "  it('broken', () => assert.equal(1, 2));\n});\n")}  # fmt: skip


@pytest.mark.parametrize("bail", ["--bail", "-b"])
def test_mochas_bail_is_made_to_run_every_test(tmp_path: Path, bail: str) -> None:
    command = ["npx", "mocha", bail, "--check-leaks", "test/*.test.js"]
    attempts = run_attempts(command, 2, cwd=_project(tmp_path, FLAKY_FIRST), run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")

    assert not attempts[0].doubt, attempts[0].doubt
    assert attempts[0].outcomes == {canonical_test(f"test/calc.test.js › calc › {name}"): passed
                                    for name, passed in [("sometimes", False), ("adds", True),
                                                         ("broken", False)]}  # fmt: skip
    assert [test for test, _ in found.flaky] == ["test/calc.test.js › calc › sometimes"]
    assert found.failing == ("test/calc.test.js › calc › broken",) and not found.passed


def test_a_run_a_failed_hook_left_short_says_what_mocha_reported(tmp_path: Path) -> None:
    """A ``beforeEach`` that always fails skips the rest of its suite: the run is not read
    (a retry of the failed test alone would not speak for the rest), and the step says what
    mocha reported, never that no test reported."""
    files = {"test/calc.test.js": (
        "const assert = require('assert');\nit('first', () => assert.ok(true));\n"
        "describe('calc', () => {\n  beforeEach(() => assert.ok(false));\n"
        "  it('adds', () => assert.equal(1 + 1, 2));\n"
        "  it('broken', () => assert.equal(1, 2));\n});\n")}  # fmt: skip
    command = ["npx", "mocha", "test/*.test.js"]
    attempts = run_attempts(command, 2, cwd=_project(tmp_path, files), run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")

    assert not found.passed and not found.flaky and len(attempts) == 1
    (said,) = found.said
    assert "before any test reported" not in said, said
    assert "mocha reported 1 passing, 1 failing and 1 test not run" in said, said
