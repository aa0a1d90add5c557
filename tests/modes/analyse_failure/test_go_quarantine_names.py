"""analyse-failure's side of one go quarantine entry for both modes (test-step's is
``tests/modes/test_step/test_go_quarantine_names.py``; the rule both call,
``analysis.quarantine_match``). A new user's trial (go-humanize): analyse-failure matched and
proposed the log's bare ``TestSharedStartsEmpty`` and ignored the
``github.com/dustin/go-humanize.TestSharedStartsEmpty`` test-step honours. go's real output of a
cut-down copy of their test, read from a job's log."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.job.repo_config import QuarantineEntry, parse
from cicd_agent.modes.analyse_failure.log_facts import FlakyTest, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.quarantine import judge
from tests.corpus.runner_log import Job, Step, render
from tests.git_builder import GitRepoBuilder
from tests.helpers.toolchains import needs_go
from tests.modes.analyse_failure.job_logs import job_log

SHARED_TEST = """\
package {package}

import "testing"

var _shared = map[string]int{{"a": 1, "b": 2}}

func TestSharedStartsEmpty(t *testing.T) {{
\tif len(_shared) != 0 {{
\t\tt.Errorf("expected no entries, got %d", len(_shared))
\t}}
}}
"""
ROOT = "example.com/m.TestSharedStartsEmpty"
OTHER = "example.com/m/other.TestSharedStartsEmpty"
TODAY = date(2026, 11, 30)


def _read(output: bytes) -> LogAnalysis:
    step = Step("Run go test ./...", run="go test ./...", output=output, exit_code=1)
    return analyse_scans(scan_jobs([job_log("test", render(Job("test", [step]))[0])]))


def _go(root: Path, packages: dict[str, str]) -> LogAnalysis:
    """analyse-failure's reading of a job whose ``go test ./...`` ran a module whose
    ``packages`` (folder → package name) each hold the failing test."""
    files = {"go.mod": "module example.com/m\n\ngo 1.19\n"}
    for folder, name in packages.items():
        files[f"{folder}/shared_test.go".lstrip("/")] = SHARED_TEST.format(package=name)
    repo = GitRepoBuilder(root / "mod")
    repo.commit("go", files)
    keep = ("HOME", "GOPATH", "GOMODCACHE")
    env = {"PATH": os.environ["PATH"], "GOFLAGS": "-mod=mod", "GOPROXY": "off",
           "GOCACHE": str(root / "cache"),
           **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip
    done = subprocess.run(["go", "test", "./..."], cwd=repo.path, env=env, capture_output=True,
                          check=False, timeout=300)  # fmt: skip
    assert done.returncode == 1, done.stdout
    return _read(done.stdout)


@pytest.fixture(scope="module")
def one_package(tmp_path_factory: pytest.TempPathFactory) -> LogAnalysis:
    return _go(tmp_path_factory.mktemp("go-quarantine"), {"": "humanize"})


def _entry(test: str) -> list[QuarantineEntry]:
    return [QuarantineEntry(test, "dustin", date(2026, 12, 30))]


@needs_go
def test_the_package_qualified_entry_excuses_the_test(one_package: LogAnalysis) -> None:
    """Before: no quarantine section, and the test proposed again."""
    report = judge(one_package, _entry(ROOT), TODAY)
    assert report is not None and report.applies, report
    assert [item.test for item in report.matched] == [ROOT]
    assert "Quarantine entries that name none" not in report.markdown()


@needs_go
def test_a_bare_go_name_excuses_nothing_and_is_said_in_one_line(one_package: LogAnalysis) -> None:
    """Before: the bare name excused the test here, and nothing in test-step."""
    report = judge(one_package, _entry("TestSharedStartsEmpty"), TODAY)
    assert report is not None and not report.applies and not report.matched, report
    assert report.idle.startswith(
        "Quarantine entries that name none of this run's failed tests, so they excuse nothing: "
        f"`TestSharedStartsEmpty` (this run names `{ROOT}`)."), report.idle  # fmt: skip
    assert report.markdown().count("Quarantine entries that name none") == 1


@needs_go
def test_the_proposal_writes_the_id_that_excuses_the_test(one_package: LogAnalysis) -> None:
    """The history names the test as the log does (``TestSharedStartsEmpty``); the entry it
    proposes is the package-qualified id, which pasted back excuses it (as in test-step)."""
    flaky = [FlakyTest(name="TestSharedStartsEmpty", verdict="likely", default_branch_failures=5)]
    report = judge(one_package, (), TODAY, flaky)
    assert report is not None and report.proposed == [ROOT], report
    block = report.markdown().split("```yaml\n", 1)[1].rsplit("```", 1)[0]
    entries = parse(block.replace("@OWNER", "@dustin"), "analyse-failure", TODAY).quarantine
    assert [entry.test for entry in entries] == [ROOT]
    again = judge(one_package, entries, TODAY, flaky)
    assert again is not None and again.applies and not again.proposed, again


@needs_go
def test_attack_an_entry_for_one_package_excuses_no_other_package_s_test(tmp_path: Path) -> None:
    """Two packages each fail ``TestSharedStartsEmpty``: the log's verdict lines name the same
    bare test twice. Before, a bare entry excused both packages' failures."""
    analysis = _go(tmp_path, {"": "humanize", "other": "other"})
    assert analysis.failed_tests == ("TestSharedStartsEmpty",)
    report = judge(analysis, _entry(ROOT), TODAY)
    assert report is not None and not report.applies and report.unquarantined == [OTHER], report
    bare = judge(analysis, _entry("TestSharedStartsEmpty"), TODAY)
    assert bare is not None and not bare.applies and not bare.matched, bare


def test_a_parent_s_entry_covers_its_failed_subtest_as_in_test_step() -> None:
    """test-step's rule (``test_go_subtests``): an entry naming ``pkg.TestQ`` covers
    ``pkg.TestQ/sub/deep``, and one naming a sibling subtest covers nothing."""
    analysis = _read(b"--- FAIL: TestQ (0.00s)\n    --- FAIL: TestQ/sub (0.00s)\n"
                     b"        --- FAIL: TestQ/sub/deep (0.00s)\n            q_test.go:5: always\n"
                     b"FAIL\nFAIL\texample.com/m/calc\t0.01s\nFAIL\n")  # fmt: skip
    assert analysis.failed_tests == ("TestQ/sub/deep",), analysis.failed_tests
    report = judge(analysis, _entry("example.com/m/calc.TestQ"), TODAY)
    assert report is not None and report.applies, report
    assert [item.test for item in report.matched] == ["example.com/m/calc.TestQ/sub/deep"]
    sibling = judge(analysis, _entry("example.com/m/calc.TestQ/other"), TODAY)
    assert sibling is not None and not sibling.applies and not sibling.matched, sibling
