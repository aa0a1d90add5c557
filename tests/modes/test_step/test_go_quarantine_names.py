"""test-step's side of one go quarantine entry for both modes (analyse-failure's is
``tests/modes/analyse_failure/test_go_quarantine_names.py``; the rule both call,
``analysis.quarantine_match``). A new user's trial (go-humanize): analyse-failure proposed the bare
``TestSharedStartsEmpty``, which test-step ignored without a word. A real ``go test ./...`` of a
cut-down copy of their test."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.job.repo_config import QuarantineEntry
from cicd_agent.modes.test_step.attempts import run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.modes.test_step.types import Attempt
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


def _attempts(root: Path, packages: dict[str, str]) -> list[Attempt]:
    """The step's run and one retry of a module whose ``packages`` (folder → package name) each
    hold the failing test."""
    files = {"go.mod": "module example.com/m\n\ngo 1.19\n"}
    for folder, name in packages.items():
        files[f"{folder}/shared_test.go".lstrip("/")] = SHARED_TEST.format(package=name)
    repo = GitRepoBuilder(root / "mod")
    repo.commit("go", files)
    keep = ("HOME", "GOPATH", "GOMODCACHE")
    env = {"PATH": os.environ["PATH"], "GOFLAGS": "-mod=mod", "GOPROXY": "off",
           "GOCACHE": str(root / "cache"),
           **{k: os.environ[k] for k in keep if k in os.environ}}  # fmt: skip
    return run_attempts(["go", "test", "./..."], 1, cwd=repo.path, run=JobRun(env))


@pytest.fixture(scope="module")
def one_package(tmp_path_factory: pytest.TempPathFactory) -> list[Attempt]:
    return _attempts(tmp_path_factory.mktemp("go-quarantine"), {"": "humanize"})


def _entry(test: str) -> list[QuarantineEntry]:
    return [QuarantineEntry(test, "dustin", date(2026, 12, 30))]


@needs_go
def test_the_package_qualified_entry_excuses_the_test(one_package: list[Attempt]) -> None:
    step = judge_step(one_package, _entry(ROOT), TODAY, code_is_proof=True)
    assert step.passed and step.quarantined == (
        (ROOT, "quarantined until 2026-12-30, owner dustin"),), step  # fmt: skip
    assert not [line for line in step.said if line.startswith("Quarantine entries")]


@needs_go
def test_a_bare_go_name_excuses_nothing_and_is_said_in_one_line(one_package: list[Attempt]) -> None:
    """Before: the step failed and said nothing of the entry."""
    step = judge_step(one_package, _entry("TestSharedStartsEmpty"), TODAY, code_is_proof=True)
    assert not step.passed and step.failing == (ROOT,) and not step.quarantined
    lines = [line for line in step.said if line.startswith("Quarantine entries")]
    assert lines == [
        "Quarantine entries that name none of the tests this run reported, so they excuse "
        f"nothing: `TestSharedStartsEmpty` (this run names `{ROOT}`). An entry names a test as "
        "its runner prints it (go's `package.TestName`, pytest's `file::test`)."
    ], lines


@needs_go
def test_attack_an_entry_for_one_package_excuses_no_other_package_s_test(tmp_path: Path) -> None:
    attempts = _attempts(tmp_path, {"": "humanize", "other": "other"})
    step = judge_step(attempts, _entry(ROOT), TODAY, code_is_proof=True)
    assert not step.passed and step.failing == (OTHER,), step
