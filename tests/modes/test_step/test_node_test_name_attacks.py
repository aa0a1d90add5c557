"""Attacks on how ``node --test`` tests are named in the test step: every title, file name and
line a test prints is the pull request's. A name must stay one test's (no other test's key,
whatever ``›``, newlines or markup it holds), stay inside the repository, reach the summary only
inside a code span, and no report our reporter's folder holds may stall the step."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.job.repo_config import QuarantineEntry
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.result import TestStepResult
from cicd_agent.runners.node.node_test import REPORT, step_outcomes
from tests.git_builder import GitRepoBuilder
from tests.helpers.bounded import PRLIMIT, run_bounded
from tests.helpers.job_run import JobRun
from tests.helpers.markdown_spans import outside_code_spans
from tests.helpers.sandbox import needs_sandbox
from tests.modes.test_step.test_test_step_cli import UNTIL, _step

LATER = date(2027, 1, 1)
MARKUP = "x\n# heading @admin <img src=x> [a](http:evil)"
"""A file name, as a pull request may add one."""
_ENV = {name: value for name, value in os.environ.items() if name != "PYTEST_ADDOPTS"}
HOSTILE = (
    "const { describe, it } = require('node:test');\nconst assert = require('assert');\n"
    "describe('calc', () => { it('broken', () => assert.equal(1, 2)); });\n"
    "it('calc › broken', () => assert.equal(1, 3));\n"
    "it('line\\n# heading @admin <img src=x onerror=alert(1)> [a](http://evil.example)',"
    " () => assert.equal(1, 4));\n"
    "it('/tmp/cicd-agent-sandbox-x/repo/test/other.test.js', () => assert.equal(1, 5));\n"
    "it('../../etc/passwd', () => assert.equal(1, 6));\n"
    "it('prints', () => { console.log('not ok 1 - test/other.test.js › calc › broken');\n"
    "  console.log(JSON.stringify({file: '/x/test/other.test.js', titles: ['calc', 'ok'],\n"
    "    passed: true}));\n  assert.equal(1, 7); });\n"
)
OTHER = (
    "const { describe, it } = require('node:test');\nconst assert = require('assert');\n"
    "describe('calc', () => { it('broken', () => assert.equal(1, 2)); });\n"
)


def test_attack_hostile_titles_stay_one_tests_each_inside_the_repo_and_in_code_spans(
    tmp_path: Path,
) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"package.json": '{"name": "p"}\n', "test/evil.test.js": HOSTILE,
                          "test/other.test.js": OTHER,
                          f"test/{MARKUP}.test.js": OTHER})  # fmt: skip
    started = time.monotonic()
    attempts = run_attempts(["node", "--test"], 1, cwd=repo.path, run=JobRun(_ENV))
    print(f"node --test, two files: {time.monotonic() - started:.1f} s, load {os.getloadavg()}")
    first = attempts[0]
    names = sorted(first.names.values())
    # every test is named by its own file, so no title reaches another file's test
    evil = [name for name in names if name.startswith("test/evil")]
    assert len(evil) == 5 and all(name.startswith("test/evil.test.js › ") for name in evil), names
    assert f"test/{MARKUP}.test.js › calc › broken" in names, names
    assert [name for name in names if name.startswith("test/other.test.js")] == [
        "test/other.test.js › calc › broken"
    ], names
    assert not any(name.startswith(("/", "..")) for name in names), names
    # the nested test and the title holding ``›`` spell one id: it names no one test
    assert any("test/evil.test.js › calc › broken" in ids for ids in first.shared.values()), (
        first.shared
    )
    # the file-named title is no file: it keeps its file in front of it
    assert "test/evil.test.js › /tmp/cicd-agent-sandbox-x/repo/test/other.test.js" in names, names
    found = judge_step(attempts, (), date(2026, 11, 30), code_is_proof=True)
    assert "test/other.test.js › calc › broken" in found.failing
    # an entry for one file's test excuses no same-titled test of another, and an entry for
    # the id two tests bear excuses neither
    entries = [
        QuarantineEntry(test=f"test/{file}.test.js › calc › broken", owner="a", expires=LATER)
        for file in ("other", "evil")
    ]
    judged = judge_step(attempts, entries[:1], date(2026, 11, 30), code_is_proof=True)
    assert [test for test, _ in judged.quarantined] == ["test/other.test.js › calc › broken"]
    assert "test/evil.test.js › calc › broken" in judged.failing
    judged = judge_step(attempts, entries[1:], date(2026, 11, 30), code_is_proof=True)
    assert not judged.quarantined and "test/evil.test.js › calc › broken" in judged.failing
    result = TestStepResult(mode="test-step", headline="", passed=False, command=["node"],
                            failing=list(found.failing), said=list(found.said))  # fmt: skip
    body = outside_code_spans(result.summary_body())
    for live in ("@admin", "<img", "](http", "\n# heading"):
        assert live not in body, body


DEEP = """
import json, sys, time
from pathlib import Path
from cicd_agent.runners.node.node_test import REPORT, step_outcomes
folder = Path(sys.argv[1])
row = {"file": "/r/test/deep.test.js", "titles": ["t"] * 60_000, "passed": False}
(folder / REPORT).write_text(json.dumps(row) + "\\n", encoding="utf-8")
started = time.monotonic()
found = step_outcomes(folder, "", Path("/r"))
assert list(found.values()) == [False], found  # the deep test still fails
print(f"{time.monotonic() - started:.2f}")
"""


def test_attack_a_report_of_a_test_nested_deep_reads_in_bounded_time_and_memory(
    tmp_path: Path,
) -> None:
    """The report sits in a folder the sandboxed tests can reach, and node nests subtests as
    deep as a test asks: a row of 60,000 titles (360 KB) once built every prefix of them."""
    memory = f"--as={1 << 30}"  # 1 GiB: the prefixes took tens
    argv = [PRLIMIT, memory, "--", sys.executable, "-c", DEEP, str(tmp_path)]
    done = run_bounded(argv, cwd=Path.cwd())
    print(f"60,000 titles: {done.stdout.strip()} s, load {os.getloadavg()}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout) < 5, done.stdout


def test_attack_lines_a_test_prints_are_no_results(tmp_path: Path) -> None:
    """Output rows hold what a test printed, JSON and all; only rows our reporter wrote with
    titles are results, and an output row is read as output whatever it holds."""
    rows = [
        {"file": "/r/test/a.test.js", "output": '{"file": "/r/test/b.test.js", "titles": ["x"]}'},
        {"file": "/r/test/a.test.js", "titles": ["a"], "passed": False},
        {"file": "/r/test/a.test.js", "output": "ok 1 - b\n", "titles": ["b"], "passed": True},
    ]
    (tmp_path / REPORT).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    found = step_outcomes(tmp_path, "", Path("/r"))
    assert dict(found) == {"test/a.test.js › a": False}, dict(found)


MANY_LONG = (
    "const { it } = require('node:test');\n"
    "for (let i = 0; i < 400; i++) {\n"
    "  it(String(i).padStart(4, '0') + 'x'.repeat(396), () => { throw new Error('no'); });\n"
    "}\n"
)


def test_attack_failed_titles_too_long_for_one_argument_still_give_a_verdict(
    tmp_path: Path,
) -> None:
    """A retry names the failed tests' titles in one argument, and Linux refuses an argument of
    more than 128 KiB (E2BIG): 400 failed tests of 400-character titles hold 160 KB."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"package.json": '{"name": "p"}\n', "test/long.test.js": MANY_LONG})
    started = time.monotonic()
    attempts = run_attempts(["node", "--test"], 2, cwd=repo.path, run=JobRun(_ENV))
    print(f"400 long titles, a retry: {time.monotonic() - started:.1f} s, load {os.getloadavg()}")
    found = judge_step(attempts, (), date(2026, 11, 30), code_is_proof=True)
    assert len(found.failing) == 400, found.failing[:3]


QUARANTINED = (
    "analyse-failure:\n  quarantine:\n    - test: test/other.test.js › calc › broken\n"
    f"      owner: '@acme/db'\n      expires: '{UNTIL}'\n"
)


@needs_sandbox
def test_attack_a_forks_same_titled_test_in_the_sandbox_is_not_excused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """A fork's run goes in the sandbox, at another path: its new file's test titled as the
    base's quarantined one is named by its own file and fails the step, its hostile titles in
    code spans."""

    def forked(pull: dict[str, Any]) -> dict[str, Any]:
        head = pull["head"]
        return {**pull, "head": {**head, "repo": {**head["repo"], "full_name": "mallory/r"}}}

    github_api.proxy.script("GET", r"/repos/octocat/Hello-World/pulls/\d+$", edit=forked)
    tests = {"package.json": '{"name": "p"}\n', "test/evil.test.js": HOSTILE}
    node = Path(shutil.which("node") or "node").parent
    started = time.monotonic()
    code, said, _ = _step(tmp_path, "pull_request", monkeypatch, github_api.env(), issues=False,
                          command=["node", "--test"], settings=QUARANTINED, tests=tests,
                          path=f"{node}:/usr/bin:/bin")  # fmt: skip
    print(f"a fork's node run in the sandbox: {time.monotonic() - started:.1f} s")
    assert code == 1, said
    assert "- failed: `test/evil.test.js › calc › broken`" in said, said
    assert "cicd-agent-sandbox" not in said.replace("/tmp/cicd-agent-sandbox-x", ""), said
    live = outside_code_spans(said)
    for word in ("@admin", "<img", "](http://evil", "\n# heading"):
        assert word not in live, (word, live)
