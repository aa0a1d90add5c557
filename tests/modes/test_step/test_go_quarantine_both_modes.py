"""One go quarantine entry, read the same way by test-step and analyse-failure.

A new user's trial (go-humanize): analyse-failure proposed the bare ``TestSharedStartsEmpty``,
which test-step ignored without a word; test-step honoured only
``github.com/dustin/go-humanize.TestSharedStartsEmpty``, which analyse-failure ignored. Here a
real ``go test ./...`` of a cut-down copy of their test runs once: test-step's attempts and the
plain output analyse-failure reads from the job's log, judged against the same entries.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.analysis.log_model import FlakyTest, LogAnalysis
from cicd_agent.job.repo_config import QuarantineEntry, parse
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import JobLog
from cicd_agent.modes.analyse_failure.quarantine import judge
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import Attempt
from tests.corpus.runner_log import Job, Step, render
from tests.git_builder import GitRepoBuilder
from tests.helpers.job_run import JobRun
from tests.helpers.toolchains import needs_go

SHARED_TEST = """\
package {package}

import "testing"

var _shared = map[string]int{{"a": 1, "b": 2}}

func TestSharedStartsEmpty(t *testing.T) {{
\tif len(_shared) != 0 {{
\t\tt.Errorf("expected no entries, got %d", len(_shared))
\t}}
}}

func TestFine(t *testing.T) {{}}
"""
ROOT = "example.com/m.TestSharedStartsEmpty"
OTHER = "example.com/m/other.TestSharedStartsEmpty"
TODAY = date(2026, 11, 30)
UNTIL = date(2026, 12, 30)


def _go(root: Path, packages: dict[str, str]) -> tuple[list[Attempt], LogAnalysis]:
    """test-step's attempts (one retry) and analyse-failure's analysis of one module whose
    ``packages`` (folder → package name) each hold the failing test."""
    files = {"go.mod": "module example.com/m\n\ngo 1.19\n"}
    for folder, name in packages.items():
        files[f"{folder}/shared_test.go".lstrip("/")] = SHARED_TEST.format(package=name)
    repo = GitRepoBuilder(root / "mod")
    repo.commit("go", files)
    keep = ("HOME", "GOPATH", "GOMODCACHE")
    env = {"PATH": os.environ["PATH"], "GOFLAGS": "-mod=mod", "GOPROXY": "off",
           "GOCACHE": str(root / "cache"), **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip
    attempts = run_attempts(["go", "test", "./..."], 1, cwd=repo.path, run=JobRun(env))
    plain = subprocess.run(["go", "test", "./..."], cwd=repo.path, env=env, capture_output=True,
                           check=False, timeout=300)  # fmt: skip
    assert plain.returncode == 1, plain.stdout
    step = Step("Run go test ./...", run="go test ./...", output=plain.stdout, exit_code=1)
    log = JobLog.from_bytes("test", render(Job("test", [step]))[0])
    return attempts, analyse_scans(scan_jobs([log]))


@pytest.fixture(scope="module")
def one_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Attempt], LogAnalysis]:
    return _go(tmp_path_factory.mktemp("go-quarantine"), {"": "humanize"})


def _entry(test: str) -> list[QuarantineEntry]:
    return [QuarantineEntry(test, "dustin", UNTIL)]


@needs_go
def test_one_entry_excuses_the_go_test_in_both_modes(
    one_package: tuple[list[Attempt], LogAnalysis],
) -> None:
    attempts, analysis = one_package
    step = judge_step(attempts, _entry(ROOT), TODAY, code_is_proof=True)
    assert step.passed and step.quarantined == (
        (ROOT, "quarantined until 2026-12-30, owner dustin"),), step  # fmt: skip
    report = judge(analysis, _entry(ROOT), TODAY)
    assert report is not None and report.applies, report
    assert [item.test for item in report.matched] == [ROOT]
    assert "Quarantine entries that name none" not in report.markdown()


@needs_go
def test_a_bare_go_name_excuses_nothing_in_either_mode_and_says_so(
    one_package: tuple[list[Attempt], LogAnalysis],
) -> None:
    """``TestSharedStartsEmpty`` alone could be any package's test: neither mode takes it, and
    each says in one line that it names no test, with the name to write instead."""
    attempts, analysis = one_package
    said = (f"Quarantine entries that name none of {{}}, so they excuse nothing: "
            f"`TestSharedStartsEmpty` (this run names `{ROOT}`).")  # fmt: skip
    step = judge_step(attempts, _entry("TestSharedStartsEmpty"), TODAY, code_is_proof=True)
    assert not step.passed and step.failing == (ROOT,) and not step.quarantined
    lines = [line for line in step.said if line.startswith("Quarantine entries")]
    assert len(lines) == 1 and lines[0].startswith(said.format("the tests this run reported")), lines
    report = judge(analysis, _entry("TestSharedStartsEmpty"), TODAY)
    assert report is not None and not report.applies and not report.matched, report
    assert report.idle.startswith(said.format("this run's failed tests")), report.idle
    assert report.markdown().count("Quarantine entries that name none") == 1


@needs_go
def test_the_proposal_writes_the_id_both_modes_match(
    one_package: tuple[list[Attempt], LogAnalysis],
) -> None:
    """The history names the test as the log does (``TestSharedStartsEmpty``); the entry it
    proposes is the one id both modes match, and pasted back it excuses the test in both."""
    attempts, analysis = one_package
    flaky = [FlakyTest(name="TestSharedStartsEmpty", verdict="likely", default_branch_failures=5)]
    report = judge(analysis, (), TODAY, flaky)
    assert report is not None and report.proposed == [ROOT], report
    block = report.markdown().split("```yaml\n", 1)[1].rsplit("```", 1)[0]
    entries = parse(block.replace("@OWNER", "@dustin"), "analyse-failure", TODAY).quarantine
    assert judge_step(attempts, entries, TODAY, code_is_proof=True).passed
    again = judge(analysis, entries, TODAY, flaky)
    assert again is not None and again.applies and not again.proposed, again


@needs_go
def test_attack_an_entry_for_one_package_excuses_no_other_package_s_test(
    tmp_path: Path,
) -> None:
    """Two packages each fail a test named ``TestSharedStartsEmpty``: the log names both
    ``--- FAIL: TestSharedStartsEmpty``. The entry of one package must leave the other's
    failure a failure in both modes (before, analyse-failure matched the bare log name)."""
    attempts, analysis = _go(tmp_path, {"": "humanize", "other": "other"})
    assert analysis.failed_tests == ("TestSharedStartsEmpty",)  # one name in the log, twice
    step = judge_step(attempts, _entry(ROOT), TODAY, code_is_proof=True)
    assert not step.passed and step.failing == (OTHER,), step
    report = judge(analysis, _entry(ROOT), TODAY)
    assert report is not None and not report.applies, report
    assert report.unquarantined == [OTHER]
    bare = judge(analysis, _entry("TestSharedStartsEmpty"), TODAY)
    assert bare is not None and not bare.applies and not bare.matched, bare


def test_a_go_log_names_each_failed_test_by_its_package_s_closing_line() -> None:
    """go prints each package's output whole, closed by ``FAIL``/``ok`` and its path; a bare
    ``FAIL`` closes the run and names none; a test no package line closes gets no id."""
    from cicd_agent.runners.go.log import step_ids

    lines = [
        "--- FAIL: TestA (0.00s)", "    a_test.go:3: no", "FAIL", "FAIL\texample.com/m\t0.01s",
        "--- FAIL: TestA (0.00s)", "    --- FAIL: TestB/case (0.00s)", "FAIL",
        "FAIL\texample.com/m/sub [build failed]", "ok  \texample.com/m/fine\t(cached)",
        "--- FAIL: TestLost (0.00s)", "FAIL",
    ]  # fmt: skip
    assert step_ids(lines) == {
        "TestA": ("example.com/m.TestA", "example.com/m/sub.TestA"),
        "TestB/case": ("example.com/m/sub.TestB/case",),
    }


def test_a_parent_s_entry_covers_its_failed_subtest_in_analyse_failure_as_in_test_step() -> None:
    """test-step's rule (``test_go_subtests``): an entry naming ``pkg.TestQ`` covers
    ``pkg.TestQ/sub/deep``, and one naming a sibling subtest covers nothing."""
    output = (b"--- FAIL: TestQ (0.00s)\n    --- FAIL: TestQ/sub (0.00s)\n"
              b"        --- FAIL: TestQ/sub/deep (0.00s)\n            q_test.go:5: always\n"
              b"FAIL\nFAIL\texample.com/m/calc\t0.01s\nFAIL\n")  # fmt: skip
    step = Step("Run go test ./...", run="go test ./...", output=output, exit_code=1)
    analysis = analyse_scans(scan_jobs([JobLog.from_bytes("test", render(Job("t", [step]))[0])]))
    assert analysis.failed_tests == ("TestQ/sub/deep",), analysis.failed_tests
    report = judge(analysis, _entry("example.com/m/calc.TestQ"), TODAY)
    assert report is not None and report.applies, report
    assert [item.test for item in report.matched] == ["example.com/m/calc.TestQ/sub/deep"]
    sibling = judge(analysis, _entry("example.com/m/calc.TestQ/other"), TODAY)
    assert sibling is not None and not sibling.applies and not sibling.matched, sibling
