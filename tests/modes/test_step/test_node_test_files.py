"""``node --test`` names each test as the other runners do: its file relative to the checkout,
then its titles (``test/calc.test.js › calc › broken``), in the sandbox and on the runner alike.
A new user's run named a file that failed to load by the sandbox's random path
(``/tmp/cicd-agent-sandbox-…/repo/test/contentType_format.js``), a test by its bare title
(``random q``, the same in any file), and never said why the file failed: node's output said
``ReferenceError: describe is not defined`` (a mocha file run by node)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun

_ENV = {name: value for name, value in os.environ.items() if name != "PYTEST_ADDOPTS"}
NODE_TEST = (
    "const { describe, it } = require('node:test');\nconst assert = require('assert');\n"
    "it('adds', () => assert.equal(1 + 1, 2));\n"
    "describe('calc', () => {\n  it('broken', () => assert.equal(1, 2));\n});\n"
)
MOCHA = "const assert = require('assert');\ndescribe('x', () => { it('y', () => {}); });\n"


def test_node_tests_are_named_by_their_file_and_a_file_that_failed_to_load_says_why(
    tmp_path: Path,
) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    files = {"package.json": '{"name": "p"}\n', "test/calc.test.js": NODE_TEST,
             "test/other.test.js": NODE_TEST, "test/mocha_style.js": MOCHA}  # fmt: skip
    repo.commit("tests", files)
    attempts = run_attempts(["node", "--test"], 1, cwd=repo.path, run=JobRun(_ENV))
    first = attempts[0]
    assert sorted(first.names.values()) == [
        "test/calc.test.js › adds",
        "test/calc.test.js › calc › broken",
        "test/mocha_style.js",
        "test/other.test.js › adds",
        "test/other.test.js › calc › broken",
    ], first.names
    assert not first.shared  # the same titles in two files are two tests
    found = judge_step(attempts, (), date(2026, 11, 30), code_is_proof=True)
    assert set(found.failing) == {
        "test/calc.test.js › calc › broken",
        "test/other.test.js › calc › broken",
        "test/mocha_style.js",
    }
    assert (
        "`test/mocha_style.js` failed to load: `ReferenceError: describe is not defined` "
        "(its runner's output)."
    ) in found.said, found.said
