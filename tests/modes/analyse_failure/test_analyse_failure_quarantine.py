"""Quarantine that expires: ``analyse-failure.quarantine`` in the settings file at the trusted
commit, judged against real pytest output of a real failing suite, through the real CLI and
real git.

The attacks first: an entry the pull request adds itself, an entry that tries to cover more
than its test or to carry markup, a real failure riding along with a quarantined one, and an
expired entry.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.repo_config import CONFIG_PATH, parse
from cicd_agent.modes.analyse_failure.log_facts import FlakyTest
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.quarantine import judge
from tests.corpus import noise
from tests.corpus.runner_log import Job, Step, write_layout
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import PROJECT_PYTHON
from tests.modes.analyse_failure.job_logs import job_log

NET = "tests/test_net.py::test_fetch_retries"
CALC = "tests/test_calc.py::test_add"
SUITE = {
    "tests/test_net.py": "def test_fetch_retries():\n    assert 1 == 2, 'connection reset'\n",
    "tests/test_calc.py": "def test_add():\n    assert 1 + 1 == 3\n",
    "tests/test_ok.py": "def test_fine():\n    assert True\n",
}
TODAY = datetime.now(UTC).date()


def _entries(*entries: tuple[str, str, str]) -> str:
    lines = [f"    - test: {json.dumps(t)}\n      owner: {json.dumps(o)}\n      expires: {e}\n"
             for t, o, e in entries]  # fmt: skip
    return "analyse-failure:\n  quarantine:\n" + "".join(lines)


def _in(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def _pytest_log(tmp_path: Path, failing: tuple[str, ...]) -> bytes:
    """Real pytest output of a suite in which the tests of ``failing`` fail."""
    project = tmp_path / "suite"
    for path, text in SUITE.items():
        if path == "tests/test_ok.py" or any(f.startswith(path) for f in failing):
            (project / path).parent.mkdir(parents=True, exist_ok=True)
            (project / path).write_text(text)
    done = subprocess.run(
        [PROJECT_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-rf", "tests"],
        cwd=project, capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    return done.stdout


def _run(
    tmp_path: Path, base_settings: str, head_settings: str | None, failing: tuple[str, ...]
) -> tuple[int, dict[str, str], dict[str, Any], str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"app.py": "A = 1\n", CONFIG_PATH: base_settings})
    head_files = {"app.py": "A = 2\n"}
    if head_settings is not None:
        head_files[CONFIG_PATH] = head_settings
    head = repo.commit("change", head_files)
    step = Step("Test", run="pytest -rf tests", output=_pytest_log(tmp_path, failing), exit_code=1)
    logs = write_layout([Job("test", [noise.checkout(), step])], tmp_path, "zip_steps")
    argv = ["analyse-failure", "--provider", "none", "--logs", str(logs), "--repo",
            str(repo.path), "--base", base, "--head", head, "--json"]  # fmt: skip
    done = run_cli(argv, tmp_path)
    return done.code, done.outputs, json.loads(done.stdout), done.summary


def test_a_run_whose_only_failure_is_quarantined_is_quarantined_flaky(tmp_path: Path) -> None:
    code, outputs, document, summary = _run(
        tmp_path, _entries((NET, "alice", _in(30))), None, (NET,)
    )
    assert code == 0
    assert outputs["failure_type"] == "quarantined_flaky"
    assert json.loads(outputs["quarantined"]) == [
        {"test": NET, "owner": "alice", "expires": _in(30), "status": "active"}
    ]
    assert "only in quarantined flaky test(s) (owner `@alice`)" in document["headline"]
    assert f"quarantined until {_in(30)}" in summary


def test_a_quarantine_entry_the_pull_request_adds_has_no_effect(tmp_path: Path) -> None:
    """The head's settings file quarantines the very test it breaks: read from the base only."""
    code, outputs, _, summary = _run(
        tmp_path, "analyse-failure: {}\n", _entries((CALC, "mallory", _in(30))), (CALC,)
    )
    assert outputs["failure_type"] == "test_failure"
    assert outputs["quarantined"] == "[]"
    assert "mallory" not in summary and "Quarantine" not in summary
    assert code == 0


def test_one_quarantined_and_one_real_failure_is_a_failure_naming_the_real_one(
    tmp_path: Path,
) -> None:
    _, outputs, document, summary = _run(
        tmp_path, _entries((NET, "alice", _in(30))), None, (NET, CALC)
    )
    assert outputs["failure_type"] == "test_failure"
    assert "quarantined flaky" not in document["headline"]
    assert f"Not quarantined: `{CALC}`: the run counts as failed." in summary
    assert json.loads(outputs["quarantined"])[0]["test"] == NET


def test_an_expired_entry_counts_again_and_says_when_it_expired(tmp_path: Path) -> None:
    """The expiry day itself counts: from that day the test is a failure again."""
    _, outputs, _, summary = _run(tmp_path, _entries((NET, "alice", _in(0))), None, (NET,))
    assert outputs["failure_type"] == "test_failure"
    assert f"its quarantine expired on {_in(0)}; it counts as a failure again" in summary
    assert json.loads(outputs["quarantined"])[0]["status"] == "expired"


def test_an_entry_near_its_expiry_warns(tmp_path: Path) -> None:
    _, outputs, _, summary = _run(tmp_path, _entries((NET, "alice", _in(3))), None, (NET,))
    assert outputs["failure_type"] == "quarantined_flaky"
    assert f"quarantined until {_in(3)}, fewer than 7 days from now" in summary
    assert json.loads(outputs["quarantined"])[0]["status"] == "expiring"


@pytest.mark.parametrize(
    "test_id",
    [
        "tests/*",  # a glob
        "tests/test_*.py::test_?",
        "tests/test_net.py::test_fetch_retries\n- test: tests/test_calc.py::test_add",
        "tests/test_net.py::test_\x1b[31mfetch",  # control characters
        "tests/test_net.py::test_\u202efetch",  # a direction override
        "t" * 301,  # very long
        "",
    ],
)
def test_an_odd_test_id_is_refused_with_the_fix(test_id: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(_entries((test_id, "alice", _in(30))), "analyse-failure", TODAY)
    assert "analyse-failure.quarantine entry 1: test must be one test id" in raised.value.message


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (
            "    - test: a\n      owner: alice\n      expires: 2026-02-30\n",
            "a date that does not exist",
        ),
        (
            "    - test: a\n      owner: alice\n      expires: '2026-02-30'\n",
            "expires must be a date",
        ),
        ("    - test: a\n      owner: alice\n      expires: tomorrow\n", "expires must be a date"),
        (
            "    - test: a\n      owner: alice\n      expires: 2026-01-01T00:00:00\n",
            "expires must be a date",
        ),
        (
            f"    - test: a\n      owner: alice\n      expires: {_in(400)}\n",
            "more than 366 days away",
        ),
        (
            "    - test: a\n      owner: '@a <img src=x>'\n      expires: 2026-01-01\n",
            "owner must be a GitHub login",
        ),
        ("    - test: a\n      owner: alice\n", "must have exactly test, owner and expires"),
        (
            "    - test: a\n      owner: alice\n      expires: 2026-01-01\n      until: x\n",
            "must have exactly test, owner and expires",
        ),
        ("    - a\n", "must have exactly test, owner and expires"),
    ],
)
def test_a_bad_entry_is_refused_in_one_line_naming_it(entry: str, says: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse("analyse-failure:\n  quarantine:\n" + entry, "analyse-failure", TODAY)
    assert says in raised.value.message and "\n" not in raised.value.message


@pytest.mark.parametrize("owner", ['"@OWNER"', "OWNER"])
def test_the_snippets_placeholder_owner_is_refused_by_name(owner: str) -> None:
    """analyse-failure's entry says ``owner: "@OWNER"``; pasted as it is, it was read as a
    login ("quarantined until …, owner OWNER"): nobody owned the quarantine."""
    entry = f"    - test: a\n      owner: {owner}\n      expires: {_in(30)}\n"
    with pytest.raises(UsageError) as raised:
        parse("analyse-failure:\n  quarantine:\n" + entry, "analyse-failure", TODAY)
    message = raised.value.message
    assert "owner must be a GitHub login or org/team" in message and "\n" not in message
    assert "@OWNER is the placeholder" in message, message


def test_a_quarantine_list_in_another_modes_section_is_refused() -> None:
    with pytest.raises(UsageError, match=r"unknown setting review\.quarantine"):
        parse("review:\n  quarantine: []\n", "review", TODAY)


def test_a_bad_settings_file_is_exit_2_with_outputs_written(tmp_path: Path) -> None:
    code, outputs, _, summary = _run(
        tmp_path, _entries(("tests/*", "alice", _in(30))), None, (NET,)
    )
    assert code == 2
    assert "test must be one test id" in summary
    assert "test must be one test id" in outputs["error"]


def test_a_past_date_parses_and_counts_as_expired() -> None:
    """A date in the past is not an error: the entry is read, and it counts for nothing."""
    config = parse(_entries((NET, "@alice", "2020-01-31")), "analyse-failure", TODAY)
    assert config.quarantine[0].expires == date(2020, 1, 31)
    assert config.quarantine[0].owner == "alice"


def _analysis(tmp_path: Path, failing: tuple[str, ...]) -> Any:
    step = Step("Test", run="pytest -rf tests", output=_pytest_log(tmp_path, failing), exit_code=1)
    logs = write_layout([Job("test", [noise.checkout(), step])], tmp_path, "job_text")
    from cicd_agent.modes.analyse_failure.logs.sources import JobLog

    return analyse_scans(
        scan_jobs([JobLog.from_path("test", logs, conclusion="failure")]), budget=2000
    )


def test_an_entry_matches_its_test_exactly_never_a_neighbour(tmp_path: Path) -> None:
    """``tests/test_net.py`` (a file) or a prefix of the id covers nothing."""
    analysis = _analysis(tmp_path, (NET,))
    assert analysis.failed_tests == (NET,)
    for wider in ("tests/test_net.py", "tests/test_net.py::test_fetch", "tests", "test_net"):
        config = parse(_entries((wider, "alice", _in(30))), "analyse-failure", TODAY)
        found = judge(analysis, config.quarantine, TODAY)
        assert found is not None and not found.applies and not found.matched, wider
        assert f"so they excuse nothing: `{wider}`" in found.idle, found.idle
    config = parse(_entries((NET, "alice", _in(30))), "analyse-failure", TODAY)
    report = judge(analysis, config.quarantine, TODAY)
    assert report is not None and report.applies


def test_a_test_that_flaked_often_gets_an_entry_to_paste_that_parses_back(
    tmp_path: Path,
) -> None:
    """The proposal is YAML for the settings file; the test's name, the pull request's words,
    is quoted so that pasted it is the one test again (no second entry, no markup)."""
    analysis = _analysis(tmp_path, (NET,))
    odd = "tests/t.py::test_x[a\"\n- test: '@admin'"
    flaky = [
        FlakyTest(name=NET, verdict="true", default_branch_failures=3),
        FlakyTest(name=odd.replace("\n", " "), verdict="true", default_branch_failures=4),
        FlakyTest(name=CALC, verdict="true", default_branch_failures=2),  # not often enough
    ]
    report = judge(analysis, (), TODAY, flaky)
    assert report is not None and not report.applies
    text = report.markdown()
    assert "**Quarantine proposal:** 2 test(s) failed at least 3 times" in text
    block = text.split("```yaml\n", 1)[1].rsplit("```", 1)[0]
    document = yaml.safe_load(block)
    tests = [item["test"] for item in document["analyse-failure"]["quarantine"]]
    assert tests == [NET, odd.replace("\n", " ")]
    filled = block.replace("@OWNER", "alice")
    assert [e.test for e in parse(filled, "analyse-failure", TODAY).quarantine] == tests


def test_a_quarantined_run_annotates_a_warning_not_an_error(tmp_path: Path) -> None:
    """The root cause is still shown on the failed run, as a warning: not a failure."""
    from cicd_agent.modes.analyse_failure.quarantine import QuarantinedTest, QuarantineReport
    from cicd_agent.modes.analyse_failure.result import FailureResult, JobOutcome

    entry = QuarantinedTest(test=NET, owner="alice", expires=_in(30), status="active")
    result = FailureResult(
        mode="analyse-failure", headline="", failure_type="quarantined_flaky",
        deterministic_failure_type="test_failure", root_cause=f"FAILED {NET}", confidence=0.8,
        signature="s", excerpt="", quarantine=QuarantineReport(applies=True, matched=[entry]),
        failed_jobs=[JobOutcome(name="test", failed_step="Test", conclusion="failure",
                                failure_type="test_failure")],
    )  # fmt: skip
    (annotation,) = result.annotations()
    assert annotation.level == "warning"
    assert result.mode_outputs()["quarantined"] == [entry]
    unquarantined = replace(result, quarantine=None, failure_type="test_failure")
    assert unquarantined.annotations()[0].level == "error"


@pytest.mark.parametrize(
    ("owner", "event", "on_branch", "quarantined"),
    [
        ("Codertocat", "push", True, True),
        ("mallory", "pull_request", True, False),
        ("Codertocat", "issue_comment", False, False),
        ("Codertocat", "workflow_run", False, False),
        ("Codertocat", "workflow_dispatch", False, False),
        ("Codertocat", "schedule", False, False),
        ("Codertocat", "push", False, False),
        ("Codertocat", "workflow_dispatch", True, True),
    ],
)
def test_attack_a_log_from_code_that_cannot_be_trusted_is_not_excused_by_a_quarantine(
    github_api: Any, tmp_path: Path, owner: str, event: str, on_branch: bool, quarantined: bool
) -> None:
    """The failed tests' names come from the run's log, and a pull request's own code wrote
    that log: its conftest can give a real failure the quarantined test's node id (or print
    that test's ``FAILED`` line and hide its own). A fork's run is excused by no quarantine;
    the same log from a push to the repository is (the control).

    ATTACK: trust was the event's name. An ``issue_comment``, ``workflow_run`` or
    ``workflow_dispatch`` run whose head repository is the base and that names no pull request
    (how ``/ok-to-test`` workflows run a fork's head) was trusted as pushed code. Trust is
    GitHub's answer for the commit: no open pull request contains it and it is on no branch of
    the repository (compare says the branch does not hold it), so whatever the event, nothing
    excuses it; on the branch, pushed by someone who can push, it is excused."""
    from tests.helpers.failure_github import REPO, GitHubState

    state = GitHubState(github_api, tmp_path)
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    state.commit_on_branches(state.head, on_branch)
    test_id = "tests/test_failing.py::test_add_small_numbers"  # what the log names as failed
    settings = state.repo.commit("settings", {CONFIG_PATH: _entries((test_id, "alice", _in(30)))})
    run = state.event()
    payload = json.loads(run.read_text())
    head = {**payload["workflow_run"]["head_repository"], "full_name": f"{owner}/Hello-World"}
    payload["workflow_run"].update(event=event, head_repository=head, pull_requests=[])
    run.write_text(json.dumps(payload))

    code, outputs, summary, _ = state.analyse(run, "--base", settings)

    assert code == 0
    assert json.loads(outputs["quarantined"])[0]["test"] == test_id
    assert (outputs["failure_type"] == "quarantined_flaky") is quarantined, summary
    if not quarantined:
        assert "cannot push: the log that names the failed tests is its own" in summary


JEST_FAILURE = (
    "FAIL tests/net.test.js\n  ● tests › test_net › test_fetch_retries\n\n"
    "    expect(received).toBe(expected) // Object.is equality\n\n    Expected: 2\n"
    "    Received: 1\n\nTests:       1 failed, 3 passed, 4 total\n"
)


def test_attack_an_entry_excuses_no_other_test_that_shares_its_canonical_spelling() -> None:
    """``tests/test_net.py::test_fetch_retries`` (pytest) and jest's ``tests › test_net ›
    test_fetch_retries`` share one canonical spelling (``tests.test_net.test_fetch_retries``),
    the one a log and a JUnit report meet in: a new jest test named so failed, and the pytest
    entry excused it. An entry names one test exactly as its runner prints it."""
    from tests.corpus.runner_log import render

    step = Step("Test", run="npx jest", output=JEST_FAILURE.encode(), exit_code=1)
    analysis = analyse_scans(scan_jobs([job_log("test", render(Job("test", [step]))[0])]))
    assert analysis.failed_tests == ("tests › test_net › test_fetch_retries",)
    entries = parse(_entries((NET, "alice", _in(30))), "analyse-failure", TODAY).quarantine
    report = judge(analysis, entries, TODAY)
    assert report is None or not report.applies, report


def test_attack_a_module_that_fails_to_collect_is_not_hidden_by_a_quarantined_test(
    tmp_path: Path,
) -> None:
    """Real pytest, ``--continue-on-collection-errors``: the quarantined test fails (its usual
    flake) and another test module no longer imports (a name it imports was removed): a real
    break, which must keep the run a failure."""
    from tests.corpus.runner_log import render

    project = tmp_path / "suite"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "__init__.py").write_text("")
    (project / "tests" / "test_net.py").write_text(SUITE["tests/test_net.py"])
    (project / "tests" / "test_ok.py").write_text(SUITE["tests/test_ok.py"])
    (project / "tests" / "test_uses.py").write_text(
        "from tests.test_ok import REMOVED\n\n\ndef test_x():\n    assert REMOVED\n"
    )
    done = subprocess.run(
        [PROJECT_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-rfE",
         "--continue-on-collection-errors", "tests"],
        cwd=project, capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    assert b"ERROR tests/test_uses.py" in done.stdout, done.stdout
    step = Step("Test", run="pytest -rfE tests", output=done.stdout, exit_code=1)
    analysis = analyse_scans(scan_jobs([job_log("test", render(Job("test", [step]))[0])]))
    entries = parse(_entries((NET, "alice", _in(30))), "analyse-failure", TODAY).quarantine
    report = judge(analysis, entries, TODAY)
    assert report is None or not report.applies, report


def test_the_verdict_reads_the_quarantine_before_the_model_and_decide_keeps_it() -> None:
    """The quarantine list is the analyse step's to read, with the facts alone: the verdict
    carries it, and a model answer calling the failure a real one does not undo it."""
    from cicd_agent.job.repo_config import QuarantineEntry
    from cicd_agent.modes.analyse_failure import verdict
    from cicd_agent.modes.analyse_failure.decide import decide
    from cicd_agent.modes.analyse_failure.types import ExcerptFit, FailureFacts, FailureOpinion
    from tests.helpers.failed_run import opinion
    from tests.modes.analyse_failure.test_analyse import TRACEBACK, _job

    entry = QuarantineEntry("tests/test_api.py::test_ratio", "alice", TODAY + timedelta(days=30))
    scans = scan_jobs([_job("test", TRACEBACK)])
    facts = FailureFacts(
        None, scans, [], None, None, TODAY, quarantine=(entry,), code_is_proof=True
    )
    judged = verdict.analyse(facts, ExcerptFit(redact=str))

    assert judged.quarantine is not None and judged.quarantine.applies
    result = decide(judged, FailureOpinion(opinion(is_flaky=False)), redact=str)
    assert result.failure_type == "quarantined_flaky"
    assert result.quarantine is judged.quarantine
