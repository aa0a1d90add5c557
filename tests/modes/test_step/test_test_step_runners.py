"""The test step's retries beyond pytest, on real projects and real runners (go test, cargo
test, jest, vitest): only the failed tests run again, a test that then passes is flaky, one that
keeps failing fails the step, and the outcomes are the runner's own report (go's ``-json``
events, libtest's result lines, jest's and vitest's JSON report), never a file the checkout held
before."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.modes.test_step.attempts import run_attempts, runner_of
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import Attempt
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.job_run import JobRun
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo, needs_go

GO_TEST = """\
package calc

import (
\t"os"
\t"testing"
)

func TestOk(t *testing.T) {}

func TestFlakyOnce(t *testing.T) {
\tif _, err := os.Stat("flaky.seen"); err != nil {
\t\tos.WriteFile("flaky.seen", nil, 0o644)
\t\tt.Fatal("first run")
\t}
}

func TestBroken(t *testing.T) { t.Fatal("always") }
"""
RUST_TEST = """\
#[test]
fn ok() {}

#[test]
fn flaky_once() {
    let seen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("flaky.seen");
    if !seen.exists() {
        std::fs::write(&seen, "").unwrap();
        panic!("first run");
    }
}

#[test]
fn broken() {
    panic!("always");
}
"""
JEST_TEST = """\
const fs = require("fs");
const path = require("path");

test("ok", () => { expect(1).toBe(1); });

test("flaky once", () => {
  const seen = path.join(__dirname, "flaky.seen");
  const first = !fs.existsSync(seen);
  fs.writeFileSync(seen, "");
  expect(first).toBe(false);
});

test("broken", () => { expect(1).toBe(2); });
"""

VITEST_TEST = """\
import { describe, test, expect } from "vitest";
import fs from "node:fs";

test("ok", () => { expect(1).toBe(1); });

describe("calc", () => {
  test("flaky once", () => {
    const first = !fs.existsSync("flaky.seen");
    fs.writeFileSync("flaky.seen", "");
    expect(first).toBe(false);
  });
});

test("broken", () => { expect(1).toBe(2); });
"""


def _verdict(attempts: list[Attempt]) -> tuple[set[str], set[str]]:
    verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True)
    return {test for test, _ in verdict.flaky}, set(verdict.failing)


def _env(path: str) -> dict[str, str]:
    keep = ("HOME", "GOPATH", "GOCACHE", "GOMODCACHE", "CARGO_HOME", "RUSTUP_HOME")
    return {"PATH": path, "GOFLAGS": "-mod=mod", "GOPROXY": "off",
            **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip


@needs_go
def test_go_test_retries_only_its_failed_tests(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "mod")
    repo.commit("go", {"go.mod": "module example.com/m\n\ngo 1.19\n", "calc/calc_test.go": GO_TEST})
    command = ["go", "test", "./..."]
    assert getattr(runner_of(command), "name", "") == "go test"
    # the job's GOCACHE, a host folder the sandbox does not show: the step's runs keep their own
    env = {**_env(os.environ["PATH"]), "GOCACHE": str(tmp_path / "host-cache")}
    attempts = run_attempts(command, 2, cwd=repo.path, run=JobRun(env))
    assert len(attempts) == 3  # the broken test keeps failing: both retries run
    assert set(attempts[1].outcomes) == {"example.com.m.calc.TestFlakyOnce",
                                         "example.com.m.calc.TestBroken"}  # fmt: skip
    flaky, failing = _verdict(attempts)  # named as go names a package and its test
    assert flaky == {"example.com/m/calc.TestFlakyOnce"}
    assert failing == {"example.com/m/calc.TestBroken"}
    verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True)
    assert verdict.flaky == (("example.com/m/calc.TestFlakyOnce",  # its evidence, as pytest's
                              "failed on the first run, passed on retry 1 (not excused)"),)  # fmt: skip


GO_COUNTED = """\
package calc

import (
\t"syscall"
\t"testing"
)

func TestCounted(t *testing.T) { // syscall, not os: go's test cache does not see this file
\tfd, err := syscall.Open("%s", syscall.O_WRONLY|syscall.O_CREAT|syscall.O_APPEND, 0o644)
\tif err != nil {
\t\tt.Fatal(err)
\t}
\tsyscall.Write(fd, []byte("ran\\n"))
\tsyscall.Close(fd)
}
"""


@needs_go
def test_a_pushed_go_test_runs_every_time_never_a_cached_pass_replayed(tmp_path: Path) -> None:
    """On the runner (pushed code), with the job's build cache: go replays a package's cached
    pass ("ok … (cached)") without running a test, and the history then counted a run that
    never happened (a flaky test passed six pushes in a row). The step asks for ``-count=1``
    unless the command sets a count. Before: the second step ran no test."""
    repo = GitRepoBuilder(tmp_path / "mod")
    runs = tmp_path / "runs.txt"
    repo.commit("go", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                       "calc/calc_test.go": GO_COUNTED % runs})  # fmt: skip
    env = _env(os.environ["PATH"])  # the machine's build cache: warm, and the job's as on a runner
    for _ in range(2):
        attempts = run_attempts(["go", "test", "./..."], 1, cwd=repo.path, run=JobRun(env),
                                trusted=True)
        assert attempts[0].outcomes == {"example.com.m.calc.TestCounted": True}
    assert runs.read_text() == "ran\nran\n"


@needs_cargo
def test_cargo_test_retries_only_its_failed_tests(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("crate", {"Cargo.toml": '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n',
                          "src/lib.rs": "", "tests/flaky.rs": RUST_TEST})  # fmt: skip
    command = ["cargo", "test", "--offline"]
    assert getattr(runner_of(command), "name", "") == "cargo test"
    attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(os.environ["PATH"])))
    flaky, broken = "tests/flaky.rs › flaky_once", "tests/flaky.rs › broken"
    assert set(attempts[1].names.values()) == {flaky, broken}
    assert _verdict(attempts) == ({flaky}, {broken})


def test_jest_retries_only_its_failed_tests(tmp_path: Path) -> None:
    path = needs_node_tool("jest")
    repo = GitRepoBuilder(tmp_path / "pkg")
    repo.commit("pkg", {"package.json": '{"name": "p", "version": "1.0.0"}\n',
                        "calc.test.js": JEST_TEST})  # fmt: skip
    command = ["jest", "--ci"]
    assert getattr(runner_of(command), "name", "") == "jest"
    attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(path)))
    assert set(attempts[1].outcomes) == {"calc.test.js.flaky.once", "calc.test.js.broken"}
    assert _verdict(attempts) == ({"calc.test.js › flaky once"}, {"calc.test.js › broken"})


@needs_sandbox
def test_vitest_retries_only_its_failed_tests_in_the_sandbox(tmp_path: Path) -> None:
    """Code GitHub does not vouch for runs in the sandbox, whose address-space limit let no
    WebAssembly module load (vitest's lexers): every vitest step there exited 1 with no report,
    its tests never run. The retry names the failed test by its full name, ``describe`` and all."""
    path = needs_node_tool("vitest")
    repo = GitRepoBuilder(tmp_path / "pkg")
    repo.commit("pkg", {".gitignore": "node_modules\n", "package.json": '{"name": "p", "type": "module"}\n',
                        "calc.test.js": VITEST_TEST})  # fmt: skip
    (repo.path / "node_modules").mkdir()
    for name in ("vitest", "@vitest"):  # the project's own install, as npm ci leaves it
        os.symlink(TOOLS_DIR / "node" / "node_modules" / name, repo.path / "node_modules" / name)
    command = ["vitest", "run"]
    assert getattr(runner_of(command), "name", "") == "vitest"
    attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(path)), trusted=False)
    assert attempts[0].outcomes == {"calc.test.js.ok": True, "calc.test.js.calc.flaky.once": False,
                                    "calc.test.js.broken": False}  # fmt: skip
    assert set(attempts[1].outcomes) == {"calc.test.js.calc.flaky.once", "calc.test.js.broken"}
    assert _verdict(attempts) == ({"calc.test.js › calc flaky once"}, {"calc.test.js › broken"})


def test_attack_a_project_that_fakes_pytests_usage_status_excuses_nothing(tmp_path: Path) -> None:
    """pytest's exit status is the project's to set (a ``conftest.py`` hook): a run that
    reported a failed test and then exits 4 is no usage error, its failure stands; one whose
    tests all passed and exits 4 is not believed. Real pytest, one run each."""
    fake = "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 4\n"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    for name, body, failing in (("failed", "assert False", True), ("passed", "pass", False)):
        repo = tmp_path / name
        repo.mkdir()
        (repo / "conftest.py").write_text(fake)
        (repo / "test_x.py").write_text(f"def test_x():\n    {body}\n")
        attempts = run_attempts(command, 0, cwd=repo, run=JobRun({"PATH": os.environ["PATH"]}),
                                trusted=True)  # fmt: skip
        assert attempts[0].exit_status == 4 and attempts[0].outcomes, attempts
        verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True, policy="pass")
        assert not verdict.passed, verdict.said
        assert bool(verdict.failing) is failing, verdict


FLAKY_FIRST = """\
// the larger file: with no timings yet, jest runs it first
const fs = require("fs");
const path = require("path");

test("flaky once", () => {
  const seen = path.join(__dirname, "flaky.seen");
  const first = !fs.existsSync(seen);
  fs.writeFileSync(seen, "");
  expect(first).toBe(false);
});
"""
BROKEN_AFTER = 'test("broken", () => { expect(1).toBe(2); });\n'


def test_attack_jest_s_bail_leaves_no_broken_test_unrun(tmp_path: Path) -> None:
    """``jest --bail`` (or ``bail`` in its configuration) stopped after the flaky test's file,
    the broken test's file never ran, the flaky test passed on retry and the step passed with
    ``--flaky pass``. The step's runs add ``--no-bail``: every test file runs once."""
    path = needs_node_tool("jest")
    for name, command, config in (("cli", ["jest", "--ci", "-i", "--bail"], {}),
                                  ("count", ["jest", "--ci", "-i", "--bail=1"], {}),
                                  ("config", ["jest", "--ci", "-i"], {"bail": 1})):  # fmt: skip
        package = {"name": "p", "version": "1.0.0", **({"jest": config} if config else {})}
        repo = GitRepoBuilder(tmp_path / name)
        repo.commit("pkg", {"package.json": json.dumps(package), "a.test.js": FLAKY_FIRST,
                            "b.test.js": BROKEN_AFTER})  # fmt: skip
        attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(path)))
        assert "b.test.js.broken" in attempts[0].outcomes, (name, attempts[0])
        verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True, policy="pass")
        assert verdict.failing == ("b.test.js › broken",) and not verdict.passed, name


VITEST_FLAKY = """\
import { test, expect } from "vitest";
import fs from "node:fs";

test("flaky once", () => {
  const first = !fs.existsSync("flaky.seen");
  fs.writeFileSync("flaky.seen", "");
  expect(first).toBe(false);
});

test("broken", () => { expect(1).toBe(2); });
"""


@needs_sandbox
def test_attack_vitest_s_bail_leaves_no_broken_test_unrun(tmp_path: Path) -> None:
    """``vitest run --bail 1`` (or ``bail`` in its configuration) stops at its first failed
    test: the broken one after the flaky one never ran, and the step passed with ``--flaky
    pass``. vitest takes one ``--bail`` only: the step's runs put ``--bail=0`` in its place."""
    path = needs_node_tool("vitest")
    for name, command, config in (
        ("cli", ["vitest", "run", "--bail", "1"], ""),
        ("equals", ["vitest", "run", "--bail=1"], ""),
        ("config", ["vitest", "run"], "export default { test: { bail: 1 } };\n"),
    ):
        repo = GitRepoBuilder(tmp_path / name)
        files = {".gitignore": "node_modules\n", "calc.test.js": VITEST_FLAKY,
                 "package.json": '{"name": "p", "type": "module"}\n'}  # fmt: skip
        repo.commit("pkg", {**files, **({"vitest.config.js": config} if config else {})})
        (repo.path / "node_modules").mkdir()
        for module in ("vitest", "@vitest"):  # the project's own install, as npm ci leaves it
            os.symlink(TOOLS_DIR / "node" / "node_modules" / module,
                       repo.path / "node_modules" / module)  # fmt: skip
        attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(path)), trusted=False)
        assert "calc.test.js.broken" in attempts[0].outcomes, (name, attempts[0])
        verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True, policy="pass")
        assert verdict.failing == ("calc.test.js › broken",) and not verdict.passed, name


GO_CHATTY = """\
package calc

import "testing"

func TestQuiet(t *testing.T) { t.Log("a passing test's own log line") }

func TestLoud(t *testing.T) { t.Fatal("the failing test's message") }
"""


@needs_go
def test_the_step_shows_go_s_failures_and_results_not_every_passing_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-json`` makes go print every test (``=== RUN``, ``--- PASS``, their logs): the step
    showed all of it. It shows what ``go test`` prints: a failed test's lines, and the
    package's result."""
    repo = GitRepoBuilder(tmp_path / "mod")
    repo.commit("go", {"go.mod": "module example.com/m\n\ngo 1.19\n",
                       "calc/calc_test.go": GO_CHATTY})  # fmt: skip
    run = JobRun(_env(os.environ["PATH"]))
    run_attempts(["go", "test", "./..."], 0, cwd=repo.path, run=run, trusted=True)
    shown = capsys.readouterr().err
    assert "the failing test's message" in shown and "--- FAIL: TestLoud" in shown, shown
    assert "FAIL\texample.com/m/calc" in shown, shown
    assert "=== RUN" not in shown and "a passing test's own log line" not in shown, shown
    assert "TestQuiet" not in shown, shown


def test_attack_a_separator_in_jest_s_command_keeps_no_bail_an_option(tmp_path: Path) -> None:
    """``jest --bail -- a.test.js b.test.js``: words after ``--`` are test paths to jest, so the
    step's ``--no-bail`` and report options put after them were read as paths: bail stayed on,
    the broken test's file went unrun. The step's options go before the separator."""
    path = needs_node_tool("jest")
    package = {"name": "p", "version": "1.0.0"}
    repo = GitRepoBuilder(tmp_path / "separator")
    repo.commit("pkg", {"package.json": json.dumps(package), "a.test.js": FLAKY_FIRST,
                        "b.test.js": BROKEN_AFTER})  # fmt: skip
    command = ["jest", "--ci", "-i", "--bail", "--", "a.test.js", "b.test.js"]
    attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(path)))
    assert "b.test.js.broken" in attempts[0].outcomes, attempts[0]
    verdict = judge_step(attempts, [], date(2026, 1, 1), code_is_proof=True, policy="pass")
    assert verdict.failing == ("b.test.js › broken",) and not verdict.passed, verdict


def test_attack_jest_s_own_output_file_leaves_the_step_its_report(tmp_path: Path) -> None:
    """``jest --json --outputFile=out.json``, a CI's usual report: the step's own
    ``--outputFile`` is a second one, and the step still reads each test's outcome."""
    path = needs_node_tool("jest")
    repo = GitRepoBuilder(tmp_path / "own")
    repo.commit("pkg", {"package.json": '{"name": "p", "version": "1.0.0"}',
                        "a.test.js": FLAKY_FIRST, "b.test.js": BROKEN_AFTER})  # fmt: skip
    command = ["jest", "--ci", "-i", "--json", "--outputFile=out.json"]
    attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(path)))
    assert "b.test.js.broken" in attempts[0].outcomes, attempts[0]


@needs_sandbox
def test_attack_vitest_s_own_output_file_leaves_the_step_its_report(tmp_path: Path) -> None:
    """``vitest run --reporter=json --outputFile=out.json``: the step's own
    ``--outputFile.json`` beside it still leaves the step each test's outcome."""
    path = needs_node_tool("vitest")
    repo = GitRepoBuilder(tmp_path / "own")
    repo.commit("pkg", {".gitignore": "node_modules\n", "calc.test.js": VITEST_FLAKY,
                        "package.json": '{"name": "p", "type": "module"}\n'})  # fmt: skip
    (repo.path / "node_modules").mkdir()
    for module in ("vitest", "@vitest"):
        os.symlink(TOOLS_DIR / "node" / "node_modules" / module,
                   repo.path / "node_modules" / module)  # fmt: skip
    for own in (["--outputFile=out.json"], ["--outputFile", "out.json"]):
        command = ["vitest", "run", "--reporter=json", *own]
        attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(path)), trusted=False)
        assert "calc.test.js.broken" in attempts[0].outcomes, (own, attempts[0])


def test_attack_jest_s_own_name_pattern_leaves_the_retry_its_tests(tmp_path: Path) -> None:
    """``jest -t flaky``: the retry's ``--testNamePattern`` was a second one, which jest joined
    to the command's with a comma, a pattern no test matched: the retry ran nothing and a
    flaky test read as broken. The retry's pattern (full names, inside the command's) alone."""
    path = needs_node_tool("jest")
    repo = GitRepoBuilder(tmp_path / "pattern")
    repo.commit("pkg", {"package.json": '{"name": "p", "version": "1.0.0"}',
                        "a.test.js": FLAKY_FIRST})  # fmt: skip
    attempts = run_attempts(["jest", "--ci", "-i", "-t", "flaky"], 1, cwd=repo.path,
                            run=JobRun(_env(path)))  # fmt: skip
    assert [a.outcomes.get("a.test.js.flaky.once") for a in attempts] == [False, True], attempts


@needs_sandbox
@needs_cargo
def test_a_crate_built_on_the_host_is_built_again_where_it_names_the_checkouts_path(
    tmp_path: Path,
) -> None:
    """A test built by an earlier ``cargo test`` on the host holds the checkout's own
    ``target/tmp`` (``CARGO_TARGET_TMPDIR``, read at build time), read-only from the sandbox;
    its copy, with the same times, was fresh to cargo there: autocfg's 16 tests that write
    there failed in the sandbox, never on the runner. The same tests pass in both places."""
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("crate", {"Cargo.toml": '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n',
                          "src/lib.rs": "", "tests/tmp.rs": RUST_TMPDIR_TEST})  # fmt: skip
    command = ["cargo", "test", "--offline"]
    env = _env(os.environ["PATH"])
    on_host = run_attempts(command, 0, cwd=repo.path, run=JobRun(env), trusted=True)
    assert on_host[0].names == {"tests.tmp.rs.writes_its_target_tmpdir": TMPDIR_TEST}, on_host
    assert on_host[0].outcomes == {"tests.tmp.rs.writes_its_target_tmpdir": True}, on_host
    assert (repo.path / "target" / "tmp" / "written").is_file()
    (repo.path / "target" / "tmp" / "written").unlink()
    sandboxed = run_attempts(command, 0, cwd=repo.path, run=JobRun(env), trusted=False)
    assert sandboxed[0].outcomes == {"tests.tmp.rs.writes_its_target_tmpdir": True}, sandboxed
    assert not (repo.path / "target" / "tmp" / "written").exists()  # the copy's own, written


TMPDIR_TEST = "tests/tmp.rs › writes_its_target_tmpdir"
RUST_TMPDIR_TEST = """\
#[test]
fn writes_its_target_tmpdir() {
    let tmp = std::path::Path::new(option_env!("CARGO_TARGET_TMPDIR").unwrap());
    std::fs::write(tmp.join("written"), "").unwrap();
}
"""


SAME_NAME_LIB = """\
#[cfg(test)]
mod tests {
    #[test]
    fn t() { panic!("always"); }
}
"""
SAME_NAME_OTHER = """\
mod tests {
    #[test]
    fn t() {
        let seen = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("flaky.seen");
        if !seen.exists() {
            std::fs::write(&seen, "").unwrap();
            panic!("first run");
        }
    }
}
"""


@needs_cargo
def test_a_cargo_test_is_named_by_its_target_where_two_share_a_name(tmp_path: Path) -> None:
    """``tests::t`` in the library (failing always) and in ``tests/other.rs`` (failing once):
    one name for both made one test that failed and kept failing, and the other target's
    flaky run was never told apart; each is now its own test, named by its target's file."""
    repo = GitRepoBuilder(tmp_path / "crate")
    repo.commit("crate", {"Cargo.toml": '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n',
                          "src/lib.rs": SAME_NAME_LIB, "tests/other.rs": SAME_NAME_OTHER})  # fmt: skip
    command = ["cargo", "test", "--offline"]
    attempts = run_attempts(command, 1, cwd=repo.path, run=JobRun(_env(os.environ["PATH"])),
                            trusted=True)  # fmt: skip
    lib, other = "src/lib.rs › tests::t", "tests/other.rs › tests::t"
    assert set(attempts[0].names.values()) == {lib, other}, attempts[0]
    assert _verdict(attempts) == ({other}, {lib})
