"""The test history store, a JSON-lines file: runs go in and come back a job's newest
first-to-last, the file stays bounded, a damaged line costs only
itself, and only pushed code on the default branch is recorded (a pull request's reports
cannot flip another test's history)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cicd_agent.analysis.flaky_stats import StoredRun, stats
from cicd_agent.github.trust import Trust
from cicd_agent.local import test_history
from cicd_agent.local.test_history import FileStore, may_record
from tests.helpers.history_rows import page_claim


def _run(number: int, passed: bool, job: str = "tests") -> StoredRun:
    return StoredRun("acme/shop", job, number, 1, f"sha{number}", f"2026-11-26T10:{number:02d}:00Z",
                     {"tests.test_a.test_flip": passed, "tests.test_a.test_ok": True},
                     {"tests.test_a.test_flip": 0.5}, 300.0)  # fmt: skip


RUNS = [_run(n, passed=n % 2 == 0) for n in range(1, 7)]


def test_the_file_keeps_runs_between_jobs_and_reads_one_jobs_newest(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    for run in [*RUNS, _run(7, True)]:
        FileStore(path).add(run)
    FileStore(path).add(_run(8, False, job="lint"))
    found = FileStore(path).recent("acme/shop", "tests", runs=4)
    assert [r.run_id for r in found] == [4, 5, 6, 7]
    assert stats(FileStore(path).recent("acme/shop", "tests"))[0].flips == 5  # F T F T F T T


def test_attack_a_damaged_or_forged_line_costs_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    FileStore(path).add(RUNS[0])
    with path.open("a", encoding="utf-8") as out:
        out.write('{"repository": "acme/shop", "job": "tests", "run_id": "x"}\n[1, 2]\n\x00\n')
    FileStore(path).add(RUNS[1])
    assert [r.run_id for r in FileStore(path).recent("acme/shop", "tests")] == [1, 2]


def test_the_file_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_history, "MAX_RUNS", 3)
    store = FileStore(tmp_path / "history.jsonl")
    for run in RUNS:
        store.add(run)
    assert [r.run_id for r in store.recent("acme/shop", "tests")] == [4, 5, 6]
    assert len(store.path.read_text(encoding="utf-8").splitlines()) == 3


def test_a_large_suite_is_bounded_by_bytes_keeping_the_newest_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 tests of 80-character names a run: about 27 KB a line. The file keeps the newest
    runs within its bytes, and a file grown past the bound (an older one's) is read from its
    newest end."""
    name = "tests/unit/shop/test_checkout_basket.py::TestBasketTotals::test_case_number_{:03}"
    many = {name.format(n): n % 7 != 0 for n in range(300)}
    runs = [replace(_run(n, True), outcomes=many) for n in range(1, 9)]
    line = len(json.dumps(runs[0].to_json(), sort_keys=True)) + 1
    per_run, per_test = page_claim()  # what docs/modes/test-step.md says a row costs
    assert abs(line - (per_run + 300 * per_test)) < 0.1 * line  # 80 characters, not 75
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(r.to_json()) + "\n" for r in runs[:6]))  # grown, old
    monkeypatch.setattr(test_history, "MAX_FILE_BYTES", 3 * line + 10)
    assert [r.run_id for r in FileStore(path).recent("acme/shop", "tests")] == [4, 5, 6]
    FileStore(path).add(runs[6])
    FileStore(path).add(runs[7])
    assert [r.run_id for r in FileStore(path).recent("acme/shop", "tests")] == [6, 7, 8]
    assert path.stat().st_size <= 3 * line + 10


def test_attack_only_pushed_code_on_the_default_branch_is_recorded() -> None:
    """A pull request's tests write its JUnit reports: recorded, one could name another test
    failed and flip its history. Only pushed code on the default branch enters it."""
    assert may_record(Trust.pushed(), "main", "main")
    assert not may_record(Trust.pushed(), "feature", "main")
    assert not may_record(Trust.pushed(), "", "")
    assert not may_record(Trust.unknown(), "main", "main")  # no answer from GitHub: nothing
