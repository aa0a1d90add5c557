"""node's own test runner, mocha, AVA and uvu in the test step, each on a real project of its
own run by the step in the sandbox: a test that fails on the first run only is retried alone
and passes (flaky), a broken test fails every run, and a passing test is not run again. Then
what a test or a report can do to the reading: a forged line or a report nested beyond any
recursion limit never passes a failed test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.test_step.attempts import run_attempts, runner_of, unread
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.runners.node import ava, mocha, node_test, uvu
from cicd_agent.runners.node.step import STEPS
from tests.corpus.build import TOOLS_DIR
from tests.corpus.tools import Toolbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun

_ENV = {name: value for name, value in os.environ.items() if name != "PYTEST_ADDOPTS"}
MODULES = TOOLS_DIR / "jsrunners" / "node_modules"

ONCE = ("const fs = require('fs'); const path = require('path');\n"
        "function firstRun(name) {\n  const counter = path.join(__dirname, name + '.count');\n"
        "  const seen = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;\n"
        "  fs.writeFileSync(counter, String(seen + 1));\n  return seen === 0;\n}\n")  # fmt: skip
"""CommonJS: whether this is the first run that asked for ``name`` (a counter beside the test)."""

PROJECTS = {
    "node:test": (["node", "--test"], {"test/calc.test.js": (
        ONCE + "const { describe, it } = require('node:test');\nconst assert = require('assert');\n"
        "it('adds', () => assert.equal(1 + 1, 2));\n"  # outside: a matching suite runs all its tests
        "describe('calc', () => {\n  it('sometimes', () => assert.ok(!firstRun('sometimes')));\n"
        "  it('broken', () => assert.equal(1, 2));\n});\n")},
        ["test/calc.test.js › calc › sometimes", "test/calc.test.js › calc › broken"],
        "test/calc.test.js › adds"),
    "mocha": (["npx", "mocha", "test/*.test.js"], {"test/calc.test.js": (
        ONCE + "const assert = require('assert');\n"
        "describe('calc', () => {\n  it('adds', () => assert.equal(1 + 1, 2));\n"
        "  it('sometimes', () => assert.ok(!firstRun('sometimes')));\n"
        "  it('broken', () => assert.equal(1, 2));\n});\n")},
        ["test/calc.test.js › calc › sometimes", "test/calc.test.js › calc › broken"],
        "test/calc.test.js › calc › adds"),
    "ava": (["npx", "ava"], {"test/calc.test.js": (
        ONCE + "const test = require('ava');\ntest('adds', t => t.is(1 + 1, 2));\n"
        "test('sometimes', t => t.false(firstRun('sometimes')));\n"
        "test('broken', t => t.is(1, 2));\n")},
        ["sometimes", "broken"], "adds"),
    "uvu": (["npx", "uvu", "test"], {"test/calc.test.js": (
        ONCE + "const { suite } = require('uvu');\nconst assert = require('uvu/assert');\n"
        "const calc = suite('calc');\ncalc('adds', () => assert.is(1 + 1, 2));\n"
        "calc('sometimes', () => assert.not.ok(firstRun('sometimes')));\n"
        "calc('broken', () => assert.is(1, 2));\ncalc.run();\n")},
        ["calc.test.js › calc › sometimes", "calc.test.js › calc › broken"], None),
}  # fmt: skip
"""Each runner's command, files, the ids of its two failing tests (flaky, then broken) and of
its passing one (None: uvu names only the tests that failed)."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:  # type: ignore[type-arg]
    """Each runner's attempts on its project, with two retries."""
    if not Toolbox(TOOLS_DIR).prepare(("jsrunners",)):
        pytest.fail(f"mocha, AVA and uvu could not be installed into {TOOLS_DIR}")
    return {name: run_attempts(command, 2, run=JobRun(_ENV),
                               cwd=_project(tmp_path_factory.mktemp(name.replace(":", "_")), files))
            for name, (command, files, _, _) in PROJECTS.items()}  # fmt: skip


@pytest.mark.parametrize("name", PROJECTS)
def test_a_test_that_fails_once_is_flaky_and_a_broken_one_fails(name: str, runs: dict) -> None:  # type: ignore[type-arg]
    command, _, (sometimes, broken), passing = PROJECTS[name]
    assert getattr(runner_of(command), "name", None) == name
    first, *retries = runs[name]
    assert sorted(first.failed()) == sorted(map(canonical_test, [sometimes, broken]))
    if passing is not None:
        assert first.outcomes[canonical_test(passing)] is True
        assert canonical_test(passing) not in retries[0].outcomes  # passed: not run again
    assert retries[0].outcomes == {canonical_test(sometimes): True, canonical_test(broken): False}
    found = judge_step(runs[name], (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert [test for test, _ in found.flaky] == [sometimes]
    assert found.failing == (broken,)
    assert not found.passed


def test_a_command_choosing_its_own_reporter_runs_as_written() -> None:
    """Ours cannot be added beside a reporter the team chose: the step runs once, as written."""
    assert [step.name for step in STEPS] == list(PROJECTS)
    assert node_test.step_command(["node", "--test", "--test-reporter=tap"], Path("/f"), None) is None
    assert mocha.step_command(["mocha", "-R", "dot"], Path("/f"), None) is None
    assert ava.step_command(["ava", "--tap"], Path("/f"), None) is None
    assert uvu.step_command(["uvu", "-b", "tests"], Path("/f"), None) is None  # -b's value?
    assert uvu.step_command(["uvu", "tests", ".*"], Path("/f"), ["a.js › x"]) is None


@pytest.mark.parametrize(("command", "said"), [
    ("node --test --test-reporter tap", "runs node:test, but it chooses its own reporter "
     "(--test-reporter tap), beside which node takes none of cicd-agent's: drop "
     "--test-reporter tap to have its tests counted and retried"),
    ("npx ava --tap", "runs ava, but it chooses its own reporter (--tap)"),
    ("npx uvu tests .test.js$", "runs uvu, but it gives uvu its own pattern (.test.js$)"),
    ("npx uvu -b tests", "runs uvu, but it passes uvu -b tests, where uvu may read the word"),
    ("npx mocha -R=dot", "runs mocha, but it chooses its own reporter (-R=dot)"),
    ("uv run pytest", "runs pytest through another program, where cicd-agent cannot add"),
    ("make check", "is no runner's cicd-agent reads (pytest, jest, vitest, go test"),
])  # fmt: skip
def test_a_command_run_as_written_is_said_so_by_its_runner(command: str, said: str) -> None:
    """A command of a runner the step reads, run once because it chose what the step would add,
    was called "no runner's cicd-agent reads", as if the runner were not one of them."""
    assert runner_of(command.split()) is None
    assert f"its command {said}" in unread(command.split())


@pytest.mark.parametrize(("script", "own"), [
    ("mocha test/", "npx mocha test/"), ("node --test", "node --test"),
    ("jest --ci", "npx jest --ci")])  # fmt: skip
def test_npm_test_names_the_runner_its_script_runs(tmp_path: Path, script: str, own: str) -> None:
    """escape-html's `npm test` (mocha) was told "no runner's cicd-agent reads (pytest, jest,
    …, mocha …)", as if mocha were not one: the script's runner is named, with the command
    to give instead."""
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"test": script}}))
    said = unread(["npm", "test"], tmp_path)
    assert "through package.json's scripts.test" in said and f"make `{own}` the step's" in said
    (tmp_path / "bare").mkdir()  # no package.json: no runner to name
    assert "no runner's" in unread(["npm", "test"], tmp_path / "bare")


def test_a_retry_selects_the_failed_tests_by_their_titles_alone(tmp_path: Path) -> None:
    again = node_test.step_command(["node", "--test", "t/"], tmp_path, ["t/x.js › calc › a (b|c)*"])
    assert again is not None and again[-2:] == ["--test", "t/"]  # ours before node's files
    assert r"--test-name-pattern=^(calc|a\ \(b\|c\)\*)$" in again
    mocha_again = mocha.step_command(["mocha"], tmp_path, ["t.js › calc › a.b"])
    assert mocha_again is not None and mocha_again[-1] == r"--grep=^(calc\ a\.b)$"
    assert (tmp_path / "reporter.cjs").is_file()  # the reporter mocha loads, beside its report
    assert ava.step_command(["ava"], tmp_path, ["t › x"]) == ["ava", "--tap", "--match=t › x", "--match=x"]
    assert uvu.step_command(["uvu", "tests", "-b"], tmp_path, ["a.test.js › s › x"]) == [
        "uvu", "tests", r"^(a\.test\.js)$", "-b"]
    # how lukeed's own projects run uvu: the value of -r is no folder, and stays the option's
    assert uvu.step_command(["npx", "uvu", "-r", "esm", "test"], tmp_path, ["a.js › x"]) == [
        "npx", "uvu", "test", r"^(a\.js)$", "-r", "esm"]


def test_attack_a_printed_line_never_passes_a_failed_test(tmp_path: Path) -> None:
    """What a test prints reaches the log the step reads for AVA and uvu: a forged ``ok`` line
    beside the real ``not ok`` (AVA's counts no longer its lines') leaves AVA's run unread, and
    a forged ``FAIL`` line (or a missing count) uvu's."""
    counts = "1..1\n# tests 1\n# pass 0\n# fail 1\n"
    read = ava.step_outcomes(tmp_path, "not ok 1 - x\n  ok 2 - y\n" + counts, tmp_path)
    assert read == {"x": False}
    assert ava.step_outcomes(tmp_path, "ok 1 - x\nnot ok 1 - x\n" + counts, tmp_path) == {}
    retry = tmp_path / "1"
    retry.mkdir()
    assert uvu.step_command(["uvu"], retry, ["a.test.js › s › x"]) is not None
    printed = "a.test.js\n   FAIL  s  \"y\"\n  Total:     2\n  Passed:    1\n  Skipped:   0\n"
    assert uvu.step_outcomes(retry, printed, tmp_path) == {
        "a.test.js › s › y": False, "a.test.js › s › x": True}
    forged = printed.replace("  Total:", '   FAIL  s  "z"\n  Total:')
    assert uvu.step_outcomes(retry, forged, tmp_path) == {}
    assert uvu.step_outcomes(retry, printed.split("  Total")[0], tmp_path) == {}


def test_attack_a_report_line_that_is_no_test_is_skipped(tmp_path: Path) -> None:
    """Our reporter's lines, each read alone: one nested past any recursion limit, one that is
    no object, one with no titles are skipped, never fatal; a file's printed error line names
    why it failed to load only for that file's own failure."""
    deep = "[" * 20_000 + "]" * 20_000
    file = str(tmp_path / "t" / "a.test.js")
    rows = [deep, "7", json.dumps({"file": file}),
            json.dumps({"file": file, "output": "TypeError: x is not a function\n"}),
            json.dumps({"file": file, "titles": ["s", "x"], "passed": False}),
            json.dumps({"file": file, "titles": [file], "passed": False})]  # fmt: skip
    (tmp_path / node_test.REPORT).write_text("\n".join(rows))
    read = node_test.step_outcomes(tmp_path, "", tmp_path)
    assert read == {"t/a.test.js › s › x": False, "t/a.test.js": False}
    assert read.unloaded == {"t/a.test.js": "TypeError: x is not a function"}


def _project(path: Path, files: dict[str, str]) -> Path:
    """A git project of ``files`` with mocha, AVA and uvu installed as npm ci leaves them."""
    if not Toolbox(TOOLS_DIR).prepare(("jsrunners",)):
        pytest.fail(f"mocha, AVA and uvu could not be installed into {TOOLS_DIR}")
    repo = GitRepoBuilder(path / "project")
    package = '{"name": "p", "version": "1.0.0", "ava": {"files": ["test/**/*.test.js"]}}\n'
    repo.commit("tests", {"package.json": package, ".gitignore": "node_modules\n", **files})
    # hard links of the toolbox's files, not links to it: the sandbox empties /tmp, where a
    # clean clone's toolbox may live, and binds only the checkout's own node_modules
    shutil.copytree(MODULES, repo.path / "node_modules", symlinks=True, copy_function=_link)
    return repo.path


def _link(source: str, target: str) -> None:
    """A hard link of ``source`` (a copy where the two folders are on different devices)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def test_attack_a_line_a_uvu_test_prints_on_retry_never_passes_it(tmp_path: Path) -> None:
    """uvu names a file on a line of its own: a broken test that logs a line ending in ``.js``
    on the retry alone (a cache the first run wrote) moved its ``FAIL`` line to that "file",
    and the test, named by no ``FAIL`` line, read as passed on retry: flaky."""
    files = {"test/calc.test.js": (
        ONCE + "const { suite } = require('uvu');\nconst assert = require('uvu/assert');\n"
        "const calc = suite('calc');\ncalc('adds', () => assert.is(1 + 1, 2));\n"
        "calc('broken', () => {\n  if (!firstRun('cache')) console.log('\\nread cache.js');\n"
        "  assert.is(1, 2);\n});\ncalc.run();\n")}  # fmt: skip
    attempts = run_attempts(["npx", "uvu", "test"], 2, cwd=_project(tmp_path, files),
                            run=JobRun(_ENV))
    broken = canonical_test("calc.test.js › calc › broken")
    assert attempts[0].outcomes == {broken: False}
    assert all(attempt.outcomes.get(broken) is not True for attempt in attempts)
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert not found.flaky and not found.passed


def test_a_uvu_run_that_preloads_a_module_is_retried_with_it(tmp_path: Path) -> None:
    """``uvu -r esm test`` (clsx, kleur) was run once and not retried, and the advice to drop
    ``-r esm`` broke the suite, which needs its preload: the retry keeps the preload (here a
    module the tests need), and the flaky test passes on it."""
    files = {"test/calc.test.js": (
        ONCE + "const { suite } = require('uvu');\nconst assert = require('uvu/assert');\n"
        "const calc = suite('calc');\ncalc('adds', () => assert.is(globalThis.BASE + 1, 3));\n"
        "calc('sometimes', () => {\n  assert.is(globalThis.BASE, 2);\n"
        "  assert.not.ok(firstRun('sometimes'));\n});\ncalc.run();\n")}  # fmt: skip
    project = _project(tmp_path, files)
    preload = project / "node_modules" / "base-preload"  # uvu requires -r's value by name
    preload.mkdir()
    (preload / "index.js").write_text("globalThis.BASE = 2;\n")
    command = ["npx", "uvu", "-r", "base-preload", "test", "-i", "fixtures"]
    attempts = run_attempts(command, 2, cwd=project, run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert [test for test, _ in found.flaky] == ["calc.test.js › calc › sometimes"], found
    assert found.passed


def test_attack_a_mocha_hook_that_fails_once_hides_no_test_it_kept_from_running(
    tmp_path: Path,
) -> None:
    """mocha skips the rest of a suite once its ``beforeEach`` fails: the hook failed the first
    test on the first run only, the retry ran that test alone, and it passed (flaky, the step
    passing) while the broken test after it never ran. Such a run is now not read."""
    files = {"test/calc.test.js": (
        ONCE + "const assert = require('assert');\n"
        "describe('calc', () => {\n  beforeEach(() => assert.ok(!firstRun('hook')));\n"
        "  it('adds', () => assert.equal(1 + 1, 2));\n"
        "  it('broken', () => assert.equal(1, 2));\n});\n")}  # fmt: skip
    command = ["npx", "mocha", "test/*.test.js"]
    attempts = run_attempts(command, 2, cwd=_project(tmp_path, files), run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert not found.passed and not found.flaky
    assert attempts[0].outcomes == {}  # unread: the log says which tests did not run


def test_attack_avas_fail_fast_in_the_projects_settings_hides_no_test_it_left_unrun(
    tmp_path: Path,
) -> None:
    """``failFast`` in package.json's ``ava`` settings stops the run at its first failure: the
    flaky test, retried alone, passed (the step passing) while the broken test after it never
    ran. AVA counts the tests left as failed in its TAP's closing counts; a run whose counts
    are not its lines' is now not read."""
    package = '{"name": "p", "version": "1.0.0", "ava": {"failFast": true}}\n'
    files = {"package.json": package, "test.js": (
        ONCE + "const test = require('ava');\n"
        "test.serial('sometimes', t => t.false(firstRun('sometimes')));\n"
        "test.serial('broken', t => t.is(1, 2));\n")}  # fmt: skip
    attempts = run_attempts(["npx", "ava"], 2, cwd=_project(tmp_path, files), run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert not found.passed and not found.flaky
    assert attempts[0].outcomes == {}


def test_attack_a_uvu_retry_cannot_rewrite_the_ids_it_was_asked_to_run(tmp_path: Path) -> None:
    """The ids a uvu retry runs were written into the run's own folder, which its tests can
    write: a test that widened the list to the "file" it printed then passed itself."""
    folder = tmp_path / "1"
    folder.mkdir()
    broken = "calc.test.js › calc › broken"
    assert uvu.step_command(["uvu", "test"], folder, [broken]) is not None
    (folder / uvu.RETRIED).write_text(f'["{broken}", "read cache.js › calc › broken"]')
    printed = ("calc.test.js\n calc  • \nread cache.js\n✘   (1 / 2)\n"
               '   FAIL  calc  "broken"\n  Total:     2\n  Passed:    1\n  Skipped:   0\n')  # fmt: skip
    assert uvu.step_outcomes(folder, printed, tmp_path).get(broken) is not True


def test_attack_a_node_test_file_whose_process_exits_is_a_failure(tmp_path: Path) -> None:
    """node reports a test file whose process ended early (``process.exit(1)`` in it, a crash)
    as one failed test named by the file's path: its tests never ran, so a flaky test elsewhere
    passing on retry does not pass the step (held)."""
    files = {
        "test/crash.test.js": "const { test } = require('node:test');\n"
        "test('exits', () => { process.exit(1); });\n"
        "test('broken', () => { throw new Error('never run'); });\n",
        "test/calc.test.js": ONCE + "const { it } = require('node:test');\n"
        "const assert = require('assert');\n"
        "it('sometimes', () => assert.ok(!firstRun('sometimes')));\n",
    }
    attempts = run_attempts(["node", "--test"], 2, cwd=_project(tmp_path, files), run=JobRun(_ENV))
    assert attempts[0].failed() and all(
        passed is False for test, passed in attempts[0].outcomes.items() if "crash" in test)
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert not found.passed


def test_a_mocharc_naming_a_reporter_output_does_not_move_our_report(tmp_path: Path) -> None:
    """mocha adds a ``reporter-option`` of the project's configuration after ours, and the
    later ``output`` won: the report was written where the project said, and a failing run
    read as one that stopped before any test reported."""
    files = {".mocharc.json": '{"reporter-option": ["output=elsewhere.json"]}\n',
             "test/calc.test.js": PROJECTS["mocha"][1]["test/calc.test.js"]}  # fmt: skip
    command = ["npx", "mocha", "test/*.test.js"]
    attempts = run_attempts(command, 1, cwd=_project(tmp_path, files), run=JobRun(_ENV))
    assert sorted(attempts[0].failed()) == sorted(map(canonical_test, PROJECTS["mocha"][2]))


def test_attack_mochas_bail_in_parallel_hides_no_file_it_left_unrun(tmp_path: Path) -> None:
    """In parallel mode mocha's reporter sees no tree of the run's tests, so the ones
    ``--bail`` left unrun went uncounted: the flaky test, retried alone, passed (the step
    passing) while the other files' broken tests never ran. ``--bail`` is now undone: every
    file runs, and their broken tests fail the step."""
    broken = "const assert = require('assert');\nit('broken', () => assert.equal(1, 2));\n"
    files = {"test/a.test.js": (ONCE + "const assert = require('assert');\n"
                                "it('sometimes', () => assert.ok(!firstRun('sometimes')));\n"),
             "test/b.test.js": ("it('slow', (done) => { setTimeout(done, 3000); });\n"),
             **{f"test/c{n}.test.js": broken for n in range(3)}}  # fmt: skip
    command = ["npx", "mocha", "--parallel", "--jobs", "2", "--bail", "test/*.test.js"]
    attempts = run_attempts(command, 2, cwd=_project(tmp_path, files), run=JobRun(_ENV))
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert not found.passed
    assert {f"test/c{n}.test.js › broken" for n in range(3)} <= set(found.failing), found


def test_mocha_with_its_own_reporter_is_run_once_and_says_which_option_to_drop(
    tmp_path: Path,
) -> None:
    """A new user's ``npx mocha --reporter spec``: the step failed saying its command was no
    runner's cicd-agent reads, naming mocha among those it reads."""
    files = {"test/calc.test.js": PROJECTS["mocha"][1]["test/calc.test.js"]}
    command = ["npx", "mocha", "--reporter", "spec", "test/*.test.js"]
    attempts = run_attempts(command, 2, cwd=_project(tmp_path, files), run=JobRun(_ENV))
    assert len(attempts) == 1 and not attempts[0].outcomes
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert not found.passed
    (said,) = found.said
    assert ("its command runs mocha, but it chooses its own reporter (--reporter spec) and "
            "mocha runs one, so the one cicd-agent reads cannot be added: drop --reporter spec "
            "to have its tests counted and retried (`npx mocha 'test/*.test.js'`): its tests "
            "were neither counted nor retried") in said


# encodeurl's package.json, as a new user ran it
ENCODEURL_SCRIPTS = {"lint": "eslint .", "test": "mocha --check-leaks --reporter spec",
                     "test-ci": "nyc --reporter=lcov --reporter=text npm test"}  # fmt: skip


@pytest.mark.parametrize("command", [["npm", "test"], ["npx", "mocha", "--check-leaks",
                                                       "--reporter", "spec"]])  # fmt: skip
def test_a_refused_command_is_told_the_one_the_step_reads(
    tmp_path: Path, command: list[str]
) -> None:
    """encodeurl's ``npm test`` was told "no runner's cicd-agent reads"; its script's
    command, then "drop --reporter spec": two rounds to a command the step read. The one line
    now gives that command, which the step reads as it is."""
    (tmp_path / "package.json").write_text(json.dumps({"scripts": ENCODEURL_SCRIPTS}))
    said = unread(command, tmp_path)
    assert said.count("`npx mocha --check-leaks`") == 1, said
    assert runner_of(["npx", "mocha", "--check-leaks"]) is not None


@pytest.mark.parametrize("script", ["mocha --reporter spec && eslint .", "NODE_ENV=test mocha",
                                    "mocha $ARGS"])  # fmt: skip
def test_a_script_of_more_than_one_command_gets_no_command_made_up(
    tmp_path: Path, script: str
) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"test": script}}))
    assert "make `npx mocha" not in unread(["npm", "test"], tmp_path)


def test_attack_a_uvu_retry_runs_the_folder_uvu_read(tmp_path: Path) -> None:
    """uvu's parser reads ``--color false`` as the option's value, so its run is of the whole
    project: a retry that took ``false`` for the folder ran ``false/test/calc.test.js``, a file
    of the pull request's own printed under the same name, and the broken test passed on it."""
    broken = (ONCE + "const { suite } = require('uvu');\nconst assert = require('uvu/assert');\n"
              "const calc = suite('calc');\ncalc('adds', () => assert.is(1 + 1, 2));\n"
              "calc('broken', () => assert.is(1, 2));\ncalc.run();\n")  # fmt: skip
    files = {"test/calc.test.js": broken, "false/test/calc.test.js": broken.replace(
        "assert.is(1, 2)", "assert.is(2, 2)")}
    attempts = run_attempts(["npx", "uvu", "--color", "false"], 2,
                            cwd=_project(tmp_path, files), run=JobRun(_ENV))
    test = canonical_test("test/calc.test.js › calc › broken")
    assert attempts[0].outcomes == {test: False}, attempts
    assert all(attempt.outcomes.get(test) is not True for attempt in attempts)
    found = judge_step(attempts, (), date(2026, 11, 29), code_is_proof=True, policy="pass")
    assert not found.flaky and not found.passed


UVU_READS = """const Module = require('module'); const load = Module._load;
Module._load = function (request, ...rest) {
  if (request !== './parse') return load.call(this, request, ...rest);
  return { parse: async (dir, pattern, opts) => {
    process.stdout.write(JSON.stringify([dir || '.', pattern || null, { ...opts, _: [] }]));
    process.exit(0);
  } };
};
process.argv = ['node', 'uvu', ...JSON.parse(process.argv[1])];
require(process.env.UVU_BIN);"""
"""uvu's own command line (its bin.js, the parser it declares) reading the words given, stopped
where it would run: the folder, pattern and options it read, as JSON."""


def _uvu_reads(words: list[str]) -> list[object]:
    """The folder, pattern and options uvu itself reads from ``words``."""
    if not Toolbox(TOOLS_DIR).prepare(("jsrunners",)):
        pytest.fail(f"uvu could not be installed into {TOOLS_DIR}")
    done = subprocess.run(["node", "-e", UVU_READS, json.dumps(words)], capture_output=True,
                          text=True, check=True, env={**_ENV, "UVU_BIN": str(MODULES / "uvu" /
                          "bin.js"), "NODE_PATH": str(MODULES)}, timeout=60)  # fmt: skip
    read: list[object] = json.loads(done.stdout)
    return read


@pytest.mark.parametrize("words", [
    ["--color", "false"], ["-c", "true"], ["-c", "true", "test"],  # a boolean's own value
    ["-x=", "test"], ["-r=", "esm", "test"],  # nothing after "=": the next word is the value
    ["-r", "-b", "test"], ["-r", "esm", "-b"],  # -r before a flag is true; -b takes "test"
    ["--", "-b"], ["test", "--"],  # after "--" every word is a folder or a pattern
    ["--no-bail", "test"], ["-c", "test", "-r", "esm"], ["test", "-r", "esm"],
])
def test_attack_a_uvu_retry_reads_its_words_as_uvu_does(words: list[str], tmp_path: Path) -> None:
    """A retry is declined, or uvu reads it as the first run with the failed tests' files for
    its pattern: the same folder and options, so no other file runs under a retried name."""
    retry = uvu.step_command(["uvu", *words], tmp_path, ["a.test.js › s › x"])
    if retry is None:
        return
    first, again = _uvu_reads(words), _uvu_reads(retry[1:])
    assert first[1] is None, first
    assert (again[0], again[1], again[2]) == (first[0], r"^(a\.test\.js)$", first[2]), retry
