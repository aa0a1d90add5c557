"""Long work shows progress: a line per stage and counts of how far, on stderr only (stdout
keeps ``--json``'s one document), plain on a terminal, grouped on a GitHub runner."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cicd_agent.actions.progress import Progress
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import REPO_ROOT
from tests.helpers.cli import run_cli

EXAMPLE_LOGS = REPO_ROOT / "examples" / "logs" / "pytest-failure.zip"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_stages_are_plain_lines_off_a_runner_and_groups_on_one() -> None:
    plain, grouped = io.StringIO(), io.StringIO()
    for stream, on_runner in ((plain, False), (grouped, True)):
        progress = Progress(stream, label="gen-tests", grouped=on_runner, clock=Clock())
        progress.stage("collect")
        progress.say("3 file(s)")
        progress.stage("analyse")
        progress.end()
    assert plain.getvalue().splitlines() == [
        "gen-tests [  0.0s] collect",
        "gen-tests [  0.0s]   3 file(s)",
        "gen-tests [  0.0s] analyse",
    ]
    assert grouped.getvalue().splitlines() == [
        "::group::gen-tests [  0.0s] collect",
        "gen-tests [  0.0s]   3 file(s)",
        "::endgroup::",
        "::group::gen-tests [  0.0s] analyse",
        "::endgroup::",
    ]


def test_off_a_runner_a_stage_that_ends_in_a_mistake_before_any_work_says_nothing() -> None:
    """A mistake found at once stays one line on a terminal: the error alone."""
    stream = io.StringIO()
    progress = Progress(stream, label="review", clock=Clock())
    progress.stage("collect")
    progress.end(finished=False)
    assert stream.getvalue() == ""


def test_a_count_shows_the_first_the_last_and_one_line_every_few_seconds() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = Progress(stream, label="deploy-gate", clock=clock, every=2.0)
    for done in range(1, 20_001):
        clock.now = done / 1000  # 20 s in all
        progress.count("past commits read", done, 20_000)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("past commits read: 1 of 20,000")
    assert lines[-1].endswith("past commits read: 20,000 of 20,000")
    assert 10 <= len(lines) <= 12


def test_no_line_of_ours_can_start_a_workflow_command() -> None:
    stream = io.StringIO()
    progress = Progress(stream, label="review", grouped=True, clock=Clock())
    progress.say("::error::forged\n::add-mask::x")
    (line,) = stream.getvalue().splitlines()
    assert line.startswith("review ") and "\n" not in line.strip()


def test_a_json_run_keeps_stdout_to_the_document_and_says_its_stages_on_stderr(
    tmp_path: Path,
) -> None:
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(EXAMPLE_LOGS), "--json"],
        tmp_path,
        on_runner=False,
    )
    assert done.code == 0
    json.loads(done.stdout)  # one document, nothing else
    stages = [line for line in done.stderr.splitlines() if line.startswith("analyse-failure [")]
    assert any("collect" in line for line in stages)
    assert any("1 job log(s) read" in line for line in stages)
    assert any("publish" in line for line in stages)


def test_on_a_runner_every_group_is_closed_before_the_summary(tmp_path: Path) -> None:
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(EXAMPLE_LOGS)],
        tmp_path,
        {"GITHUB_ACTIONS": "true"},
    )
    assert done.code == 0
    lines = done.stderr.splitlines()
    opened = [line for line in lines if line.startswith("::group::")]
    assert len(opened) >= 3
    assert lines.count("::endgroup::") == len(opened)
    assert lines[-1] == "::endgroup::"


def test_a_failed_run_closes_its_group_too(tmp_path: Path) -> None:
    done = run_cli(
        ["analyse-failure", "--provider", "none", "--logs", str(tmp_path / "missing.zip")],
        tmp_path,
        {"GITHUB_ACTIONS": "true"},
    )
    assert done.code == 2
    lines = done.stderr.splitlines()
    assert lines.count("::endgroup::") == sum(line.startswith("::group::") for line in lines)


def test_deploy_gate_says_how_many_past_commits_it_mines(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    for number in range(5):
        repo.commit(f"Change {number}", {"app.py": f"VALUE = {number}\n"})
    base = repo.head()
    head = repo.commit("Last change", {"app.py": "VALUE = 9\n"})
    done = run_cli(
        ["deploy-gate", "--provider", "none", "--repo", str(repo.path), "--base", base,
         "--head", head, "--json", "--cache-dir", str(tmp_path / "cache")],
        tmp_path,
        on_runner=False,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    json.loads(done.stdout)
    assert "the change: 1 file(s) in 1 commit(s)" in done.stderr
    assert "past commits read: 5 of 5" in done.stderr


def test_a_slow_start_says_so_before_the_mode_begins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading a mode's modules, settings and event took 4 to 9 s on two busy cores, before its
    first line: past ``SLOW_START`` a line says what is loading (here the bound is 0)."""
    from cicd_agent import cli

    monkeypatch.setattr(cli, "SLOW_START", 0.0)
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(EXAMPLE_LOGS)],
                   tmp_path)  # fmt: skip
    assert done.code == 0
    [said] = [line for line in done.stderr.splitlines() if "loading the mode" in line]
    assert said.startswith("analyse-failure [") and said.endswith(
        "loading the mode, its settings and the event")


def test_quick_work_says_nothing_of_being_slow() -> None:
    """A mistake found at once stays one line: nothing is said of work that ended in time."""
    stream = io.StringIO()
    progress = Progress(stream, label="review", clock=Clock())
    with progress.if_slow(60.0, "loading"):
        pass
    assert stream.getvalue() == ""
