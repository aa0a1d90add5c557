"""analyse-failure reads the test history store before the API's 20 runs: a failed test the
store shows flipping is likely flaky, with its flips, window, flip rate and CI time lost; one
the store shows steady is not; a verdict from the runs around this one is not repeated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_agent.analysis.flaky_stats import StoredRun, stats
from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.analyse_failure.flakiness import _from_store
from tests.helpers.cli import run_cli


def _run(number: int, flip: bool) -> StoredRun:
    return StoredRun("acme/shop", "7", number, 1, f"sha{number}", f"2026-11-{number:02d}T00:00Z",
                     {"tests.test_a.test_flip": flip, "tests.test_a.test_steady": number < 4},
                     {}, 120.0)  # fmt: skip


STORED = tuple(stats([_run(n, flip=n % 3 != 0) for n in range(1, 10)]))


def test_a_failed_test_the_store_shows_flipping_is_likely_flaky_with_its_numbers() -> None:
    failed = ["tests/test_a.py::test_flip", "tests/test_a.py::test_steady"]
    (found,) = _from_store(STORED, failed, set())
    assert (found.name, found.verdict, found.default_branch_failures) == (failed[0], "likely", 3)
    assert found.evidence == (
        "flipped between pass and fail 5 time(s) in its last 9 runs on the default branch (test "
        "history; flip rate 62%, 240 s of CI lost to its failures)",
    )
    assert _from_store(STORED, failed, {failed[0]}) == []  # already named by the API's runs


def test_a_go_test_named_without_its_package_is_the_one_stored_test_it_ends() -> None:
    """go's plain output names a failed test ``--- FAIL: TestFlaky``, without its package; the
    test step recorded it as go's ``example.com/m/calc.TestFlaky``. Before: no match, so the
    flaky test the history showed flipping was "not flaky" offline. Two packages holding a
    test of that name place neither."""
    def run(number: int, flip: bool, *more: str) -> StoredRun:
        tests = {canonical_test(f"example.com/m/{pkg}.TestFlaky"): flip for pkg in ("calc", *more)}
        return StoredRun("acme/shop", ".github/workflows/ci.yml", number, 1, f"sha{number}",
                         f"2026-11-{number:02d}T00:00Z", tests, {}, 60.0)  # fmt: skip

    stored = tuple(stats([run(n, n % 2 == 0) for n in range(1, 6)]))
    (found,) = _from_store(stored, ["TestFlaky"], set())
    assert (found.name, found.verdict, found.default_branch_failures) == ("TestFlaky", "likely", 3)
    both = tuple(stats([run(n, n % 2 == 0, "util") for n in range(1, 6)]))
    assert _from_store(both, ["TestFlaky"], set()) == []


def test_a_history_left_unread_is_named_in_the_flaky_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user's run without ``GITHUB_WORKFLOW_REF`` said "Flaky? No: nothing shows this
    failure passing" while the history file held 8 runs of that test: the "No" now names
    what it did not read, and why."""
    home = tmp_path / "home"
    history = home / ".cache" / "cicd-agent" / "test-history.jsonl"
    history.parent.mkdir(parents=True)
    history.write_text(json.dumps(_run(1, flip=True).to_json()) + "\n")
    monkeypatch.setenv("HOME", str(home))  # the store's file is under the process's home
    log = tmp_path / "job.log"
    log.write_text("FAILED tests/test_a.py::test_flip - assert 1 == 2\n"
                   "=== 1 failed, 3 passed in 0.1s ===\n")  # fmt: skip
    argv = ["analyse-failure", "--logs", str(log), "--provider", "none", "--json"]
    done = run_cli(argv, tmp_path, {"HOME": str(home), "GITHUB_REPOSITORY": "acme/shop"})
    assert done.code == 0, done.stderr
    document = done.document or {}
    assert document["is_flaky"] == "false"
    api = (
        "the run's other attempts and the default branch's recent runs (no workflow run and "
        "token were given)"
    )
    assert document["flaky_unread"] == (
        "the test history, as GITHUB_WORKFLOW_REF is not set (it names whose runs to read); "
        + api
    )
    assert "Not read: the test history, as GITHUB_WORKFLOW_REF is not set" in done.summary
    history.unlink()  # no file: the history is not named, the run's other attempts still are
    quiet = run_cli(argv, tmp_path, {"HOME": str(home), "GITHUB_REPOSITORY": "acme/shop"})
    assert (quiet.document or {})["flaky_unread"] == api
    assert f"going. Not read: {api}." in quiet.summary, quiet.summary
