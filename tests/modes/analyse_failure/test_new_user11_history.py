"""What an eleventh new user's test history met (tests/fixtures/logs/new_user11, the trial's
failed run of parse): ``test_months_map_is_complete`` fails after
``test_sept_alias_is_accepted`` mutates ``parse.MONTHS_MAP``, on every push, and passes when the
test step retries it alone. After three or four pushes analyse-failure proposed it for
quarantine as "passed on a retry in 4 of the last 4"; after the fifth it named it nowhere, as
another test of the run was flaky by chance. A test failing every run is said to fail every
time, whatever the verdict; where the test step classified it order-dependent, that is said,
with the run that found it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from cicd_agent.analysis.flaky_stats import StoredRun
from cicd_agent.analysis.history import canonical_test
from tests.helpers.cli import CliRun, run_cli

LOG = Path(__file__).parents[2] / "fixtures" / "logs" / "new_user11" / "py-failed-run.log"
KEY = ".github/workflows/ci.yml"
VICTIM = "tests/test_months.py::test_months_map_is_complete"
POLLUTER = "tests/test_months.py::test_sept_alias_is_accepted"


def _run(number: int, *, classified: bool = False) -> StoredRun:
    """A push's row as test-step writes it: the victim failed the first run, passed its retry
    (and, with ``--fix-flaky``, was classified order-dependent on the polluter)."""
    victim, polluter = canonical_test(VICTIM), canonical_test(POLLUTER)
    row = StoredRun(
        "newuser/parse",
        KEY,
        100 + number,
        1,
        f"sha{number}",
        f"2026-11-30T19:{number:02d}:00Z",
        {victim: False, polluter: True},
        {},
        5.0,
        url=f"https://github.com/newuser/parse/actions/runs/{100 + number}",
        retried=(victim,),
    )
    return replace(row, order_dependent={victim: POLLUTER}) if classified else row


def _analysed(tmp_path: Path, rows: list[StoredRun]) -> CliRun:
    home = tmp_path / "home"
    history = home / ".cache" / "cicd-agent" / "test-history.jsonl"
    history.parent.mkdir(parents=True)
    history.write_text("".join(json.dumps(row.to_json()) + "\n" for row in rows))
    argv = ["analyse-failure", "--logs", str(LOG), "--provider", "none", "--json"]
    environ = {
        "HOME": str(home),
        "GITHUB_REPOSITORY": "newuser/parse",
        "GITHUB_WORKFLOW_REF": f"newuser/parse/{KEY}@refs/heads/main",
    }
    done = run_cli(argv, tmp_path, environ)
    assert done.code == 0, done.stderr
    return done


def test_four_failing_pushes_say_it_fails_every_time_and_propose_no_quarantine(
    tmp_path: Path,
) -> None:
    done = _analysed(tmp_path, [_run(n) for n in range(1, 5)])
    assert "Quarantine proposal" not in done.summary, done.summary
    assert (
        f"- Not flaky by the test history: `{VICTIM}`: it fails every time: it failed the first "
        "run of each of the last 4 default-branch runs of the test history and passed only when "
        "the test step retried it apart from the suite (test-step --fix-flaky suggest names the "
        "test it depends on)."
    ) in done.summary, done.summary
    document = done.document or {}
    assert VICTIM not in [test["name"] for test in document.get("flaky_tests", [])]
    # the other failed test is flaky by its own random draw: the verdict stays its
    assert document["is_flaky"] == "likely"


def test_a_fifth_push_never_drops_it_silently(tmp_path: Path) -> None:
    done = _analysed(tmp_path, [_run(n) for n in range(1, 6)])
    assert (
        f"`{VICTIM}`: it fails every time: it failed the first run of each of the last 5 "
        "default-branch runs of the test history and passed only when the test step retried it "
        "apart from the suite, so it depends on the tests run before it, not on chance"
    ) in done.summary, done.summary


def test_the_test_steps_classification_is_said_with_the_run_that_found_it(
    tmp_path: Path,
) -> None:
    rows = [_run(1), _run(2, classified=True), _run(3)]
    done = _analysed(tmp_path, rows)
    assert (
        f"`{VICTIM}`: order-dependent: the test step (--fix-flaky) found it failing after "
        f"{POLLUTER} and passing alone in run 102; "
        "it failed 3 of the last 3 default-branch runs of the test history."
    ) in done.summary, done.summary
    assert "Quarantine proposal" not in done.summary
    row = StoredRun.from_json(json.loads(json.dumps(rows[1].to_json())))
    assert row.order_dependent == {canonical_test(VICTIM): POLLUTER}
