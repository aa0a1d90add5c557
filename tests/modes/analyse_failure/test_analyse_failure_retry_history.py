"""A test the test step saw fail and then pass on a retry, on the default branch, is flaky by the
test history: a new user ran google/uuid's test step on four pushes, each saying "flaky:
TestNothingGeneratedYet: failed on the first run, passed on retry 1", and analyse-failure then
said "Flaky? No": the history kept only the first run's outcome (failed, four times: no flip).
The log is that trial's failed run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_agent.analysis.flaky_stats import MAX_RETRIED, StoredRun, stats
from cicd_agent.analysis.history import canonical_test
from cicd_agent.modes.analyse_failure.flakiness import _from_store
from tests.helpers.cli import CliRun, run_cli

LOG = Path(__file__).resolve().parents[2] / "fixtures" / "logs" / "go_uuid_failed_run.log"
TEST = canonical_test("github.com/google/uuid.TestNothingGeneratedYet")
OTHER = canonical_test("github.com/google/uuid.TestZeroRandomly")
KEY = ".github/workflows/ci.yml"


def _run(number: int, retried: bool, passed: bool = False) -> StoredRun:
    return StoredRun("google/uuid", KEY, number, 1, f"sha{number}", f"2026-11-{number:02d}T00:00Z",
                     {TEST: passed, OTHER: True}, {}, 6.0,
                     retried=(TEST,) if retried else ())  # fmt: skip


def test_a_test_that_passed_on_a_retry_is_flaky_naming_the_retries() -> None:
    stored = tuple(stats([_run(n, retried=n != 4, passed=n == 4) for n in range(1, 5)]))
    (found,) = _from_store(stored, ["TestNothingGeneratedYet", "TestZeroRandomly"], set())
    assert (found.name, found.verdict) == ("TestNothingGeneratedYet", "likely")
    assert found.evidence == (
        "passed on a retry in 3 of the last 4 default-branch runs (test history: the test step "
        "saw it fail on the first run and pass when run again, on the same commit)",
    )


def _analysed(tmp_path: Path, runs: int, passed: int = 0) -> CliRun:
    """analyse-failure on the trial's log, the history holding ``runs`` runs each of which
    failed the test first and passed it on a retry, but run ``passed``, where it passed."""
    home = tmp_path / "home"
    history = home / ".cache" / "cicd-agent" / "test-history.jsonl"
    history.parent.mkdir(parents=True)
    history.write_text("".join(json.dumps(_run(n, n != passed, n == passed).to_json()) + "\n"
                               for n in range(1, runs + 1)))  # fmt: skip
    argv = ["analyse-failure", "--logs", str(LOG), "--provider", "none", "--json"]
    done = run_cli(argv, tmp_path, {
        "HOME": str(home), "GITHUB_REPOSITORY": "google/uuid",
        "GITHUB_WORKFLOW_REF": f"google/uuid/{KEY}@refs/heads/master"})  # fmt: skip
    assert done.code == 0, done.stderr
    return done


def test_the_trials_log_and_history_say_flaky(tmp_path: Path) -> None:
    done = _analysed(tmp_path, 5, passed=3)  # it passed once in the suite: flaky
    document = done.document or {}
    assert document["is_flaky"] == "likely", document
    assert "passed on a retry in 4 of the last 5 default-branch runs" in " ".join(
        document["flaky_evidence"])
    # the history said it, not the log: a new user's go-humanize run read "from this log alone"
    assert "Likely, by the test history: " in done.summary, done.summary


def test_an_old_row_without_retries_still_reads() -> None:
    old = _run(1, retried=False).to_json()
    assert "retried" not in old  # a row with none is written as before
    assert StoredRun.from_json(old).retried == ()


def test_attack_a_row_holding_many_retries_is_cut_and_a_bad_one_is_skipped() -> None:
    row = {**_run(1, retried=False).to_json(), "retried": [f"t{n}" for n in range(10_000)]}
    assert len(StoredRun.from_json(row).retried) == MAX_RETRIED
    with pytest.raises(ValueError):
        StoredRun.from_json({**row, "retried": "TestNothingGeneratedYet"})
    many = StoredRun("r", KEY, 1, 1, "", "2026", {}, retried=tuple(f"t{n}" for n in range(999)))
    assert len(many.to_json()["retried"]) == MAX_RETRIED  # type: ignore[arg-type]


def test_a_test_failing_every_first_run_of_five_is_not_flaky_but_apart_only(tmp_path: Path) -> None:
    """tomli's test_starts_empty failed the first run of every push (a test before it leaves
    state) and passed each retry: "Likely flaky, by the test history", and a quarantine proposed.
    Failing every one of five first runs, passing only on retries, it depends on the suite's
    order: "Flaky? No", naming that evidence; from three such runs it fails every time
    (test_new_user11_history.py), and below three it still reads as flaky."""
    stored = tuple(stats([_run(n, retried=True) for n in range(1, 6)]))
    assert _from_store(stored, ["TestNothingGeneratedYet"], set()) == []
    done = _analysed(tmp_path, 5)
    document = done.document or {}
    assert document["is_flaky"] == "false", document
    assert ("**Flaky?** No: `TestNothingGeneratedYet`: it fails every time: it failed the first "
            "run of each of the last 5 default-branch runs of the test history and passed only "
            "when the test step retried it apart from the suite, so it depends on the tests run "
            "before it, not on chance (test-step --fix-flaky suggest names the test it depends "
            "on).") in done.summary
    assert "Quarantine proposal" not in done.summary
    two = tuple(stats([_run(n, retried=True) for n in range(1, 3)]))
    (found,) = _from_store(two, ["TestNothingGeneratedYet"], set())  # two runs: chance can
    assert found.verdict == "likely"
