"""A test step run in a terminal with a push event (a new user's pytimeparse run, no runner)
added its outcomes to the home's ``~/.cache/cicd-agent/test-history.jsonl``, which every
project run on that machine shares: one push event written for one project and run in
another's clone mixes their histories. Off a runner each checkout keeps a file of its own."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cicd_agent.cli import main
from cicd_agent.local import test_history
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import PROJECT_PATH, PROJECT_PYTHON

FLAKY = """\
import pathlib

MARK = pathlib.Path(__file__).with_name("ran.mark")


def test_sometimes():
    if not MARK.exists():
        MARK.write_text("")
        assert False, "first run fails"
"""
PUSH = {"ref": "refs/heads/master", "before": "", "after": "", "repository": {
    "name": "pytimeparse", "owner": {"login": "wroberts", "name": "wroberts"},
    "full_name": "wroberts/pytimeparse", "default_branch": "master"}}  # fmt: skip


def _terminal_push(tmp_path: Path, name: str) -> Path:
    repo = GitRepoBuilder(tmp_path / name)
    before = repo.commit("start", {"pyproject.toml": "[project]\nname='p'\n"})
    after = repo.commit("flaky", {"pytimeparse/tests/test_flaky.py": FLAKY})
    event = tmp_path / f"{name}-push.json"
    event.write_text(json.dumps(PUSH | {"before": before, "after": after}))
    environ = {"HOME": str(tmp_path / "home"), "PATH": PROJECT_PATH, "GITHUB_EVENT_NAME": "push",
               "GITHUB_EVENT_PATH": str(event)}  # fmt: skip
    argv = ["test-step", "--provider", "none", "--repo", str(repo.path), "--retries", "1", "--",
            PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist",
            "pytimeparse/tests"]  # fmt: skip
    main(argv, environ, io.StringIO(), io.StringIO())
    return repo.path


def test_terminal_runs_of_two_clones_keep_two_histories_and_leave_the_shared_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "home" / ".cache" / "cicd-agent" / "test-history.jsonl"
    monkeypatch.setattr(test_history, "DEFAULT_FILE", shared)
    first = _terminal_push(tmp_path, "pytimeparse")
    second = _terminal_push(tmp_path, "fork")
    assert not shared.exists()
    files = {test_history.history_file({}, first), test_history.history_file({}, second)}
    assert len(files) == 2
    for path in files:
        assert path.parent == shared.parent and path.name.startswith("test-history-")
        (line,) = path.read_text().splitlines()
        assert json.loads(line)["repository"] == "wroberts/pytimeparse"
    # a workflow's run keeps the file the action caches and analyse-failure reads
    workflow = {"GITHUB_WORKFLOW_REF": "wroberts/pytimeparse/.github/workflows/ci.yml@refs/h"}
    assert test_history.history_file(workflow, first) == shared


@pytest.mark.parametrize("name", ["..", "a\nb", "x" * 300, "-rf", "history.jsonl\u202e", " "])
def test_attack_a_checkouts_name_keeps_its_history_file_in_the_cache_folder(
    tmp_path: Path, name: str
) -> None:
    """The file is named by the checkout's path, never kept in it (the pull request's own
    files, a link or a FIFO among them, are no part of it): whatever the folder's name, the
    file is one plain name in the shared file's folder, and two paths get two files."""
    shared = test_history.DEFAULT_FILE
    checkout = tmp_path / "clones" / name
    found = test_history.history_file({}, checkout)
    assert found.parent == shared.parent, found
    assert found.name.startswith("test-history-") and found.suffix == ".jsonl", found
    assert len(found.name) < 80 and found.name.isprintable() and "/" not in found.name
    assert "\u202e" not in found.name and found != test_history.history_file({}, tmp_path / name)


def test_the_history_file_is_in_the_runs_home_not_this_processs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run handed its own environment (a test, the tool that renders the docs' pictures)
    read the history of whoever's machine it ran on: ``~`` was this process's ``HOME``."""
    monkeypatch.setenv("HOME", str(tmp_path / "machine"))
    run_home = tmp_path / "run"
    shared = test_history.history_file({"HOME": str(run_home), **WORKFLOW}, tmp_path)
    assert shared == run_home / ".cache" / "cicd-agent" / "test-history.jsonl"
    own = test_history.history_file({"HOME": str(run_home)}, tmp_path / "clone")
    assert own.parent == shared.parent


WORKFLOW = {"GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_WORKFLOW_REF": "acme/shop/.github/workflows/ci.yml@refs/heads/main"}  # fmt: skip
