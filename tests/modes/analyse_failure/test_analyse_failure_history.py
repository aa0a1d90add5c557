"""analyse-failure learning from past runs, against GitHub's validating mock (Prism via PyGithub).

The run, job, attempt, artifact and compare answers are GitHub's own OpenAPI examples, edited
only where the test needs its facts (ids, conclusions, attempts, commits); the logs are real
pytest output from the corpus generator and the JUnit report is written by real pytest.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.failed_run import failed_run
from tests.helpers.failure_github import (
    FAILED_JOB,
    GREEN_JOB,
    GREEN_RUN,
    REPO,
    RUN_ID,
    GitHubState,
    rehome,
)
from tests.helpers.gen_tests import PROJECT_PYTHON

TEST_ID = "tests/test_failing.py::test_add_small_numbers"
EARLIER_RUN, EARLIER_JOB, ARTIFACT = 400, 41, 7001


@pytest.fixture
def state(github_api: Any, tmp_path: Path) -> GitHubState:
    return GitHubState(github_api, tmp_path)


def _jobs_with_attempts(state: GitHubState, run_id: int, *jobs: tuple[int, str, int]) -> None:
    """Jobs ``(id, conclusion, run_attempt)`` named ``test`` of every attempt of a run."""

    def edit(listing: dict[str, Any]) -> dict[str, Any]:
        template = listing["jobs"][0]
        step = template["steps"][0]
        made = [
            rehome(template, job_id, run_id=run_id, name="test", run_attempt=attempt,
                   status="completed", conclusion=conclusion,
                   steps=[{**step, "name": "Run tests", "number": 1, "conclusion": conclusion}])
            for job_id, conclusion, attempt in jobs
        ]  # fmt: skip
        return {"total_count": len(made), "jobs": made}

    state.proxy.script("GET", rf"{REPO}/actions/runs/{run_id}/jobs", edit=edit)


def _junit_zip(tmp_path: Path) -> bytes:
    """A JUnit report written by real pytest for a failing ``test_add_small_numbers``."""
    project = tmp_path / "junit-project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "__init__.py").write_text("")
    (project / "tests" / "test_failing.py").write_text(
        "def test_add_small_numbers():\n    assert 2 + 3 == 6\n\n\ndef test_other():\n    pass\n"
    )
    report = project / "report.xml"
    subprocess.run(
        [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=project,
        capture_output=True,
        check=False,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.xml", report.read_bytes())
    return buffer.getvalue()


def _artifacts(state: GitHubState, run_id: int, content: bytes) -> None:
    def edit(listing: dict[str, Any]) -> dict[str, Any]:
        item = listing["artifacts"][0]
        made = {**item, "id": ARTIFACT, "name": "junit-report", "expired": False,
                "size_in_bytes": len(content)}  # fmt: skip
        return {"total_count": 1, "artifacts": [made]}

    state.proxy.script("GET", rf"{REPO}/actions/runs/{run_id}/artifacts", edit=edit)
    blob = state.proxy.serve(f"/blobs/artifact-{ARTIFACT}.zip", content)
    state.proxy.script(
        "GET", rf"{REPO}/actions/artifacts/{ARTIFACT}/zip", status=302, headers={"Location": blob}
    )


def _compare(state: GitHubState, base: str, head: str, files: list[str]) -> None:
    def edit(comparison: dict[str, Any]) -> dict[str, Any]:
        template = comparison["files"][0]
        return {**comparison, "files": [{**template, "filename": name} for name in files]}

    state.proxy.script("GET", rf"{REPO}/compare/{base}\.\.\.{head}", edit=edit)


def test_a_test_that_passed_in_a_re_run_of_the_same_commit_is_flaky_with_the_runs(
    state: GitHubState,
) -> None:
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    _jobs_with_attempts(state, RUN_ID, (FAILED_JOB, "failure", 1), (13, "success", 2))

    code, outputs, summary, document = state.analyse(state.event(run_attempt=1))

    assert code == 0, document["notes"]
    assert outputs["is_flaky"] == "true"
    assert outputs["failure_type"] == "flaky_test"
    (flaky,) = json.loads(outputs["flaky_tests"])
    assert flaky["name"] == TEST_ID and flaky["verdict"] == "true"
    assert "passed in attempt 2 of run" in flaky["evidence"][0]
    assert {(o["run_id"], o["attempt"], o["outcome"]) for o in flaky["outcomes"]} == {
        (RUN_ID, 1, "failed"),
        (RUN_ID, 2, "passed"),
    }
    assert document["is_flaky"] == "true"
    assert "Quarantine proposal" not in summary  # one pass on a re-run: not yet 3 flakes on main


def _flip_on_main(state: GitHubState, tmp_path: Path, forks: frozenset[int] = frozenset()) -> str:
    """main: run 400 failed at ``base`` (JUnit artifact), run 500 passed at ``later``."""
    run = failed_run()
    later = state.repo.commit("docs", {"README.md": "hello\n"})
    state.standard()
    state.runs(
        (RUN_ID, "failure", state.head), (GREEN_RUN, "success", later),
        (EARLIER_RUN, "failure", state.base), forks=forks,
    )  # fmt: skip
    state.jobs(EARLIER_RUN, (EARLIER_JOB, run.job_name, "failure"))
    state.job_log(EARLIER_JOB, run.job_log)
    state.run(EARLIER_RUN)
    _artifacts(state, EARLIER_RUN, _junit_zip(tmp_path))
    state.comments(rf"{REPO}/commits/{state.head}/comments")
    return later


def test_a_test_flipping_on_main_without_a_change_to_its_file_is_flaky(
    state: GitHubState, tmp_path: Path
) -> None:
    later = _flip_on_main(state, tmp_path)
    _compare(state, state.base, later, ["README.md"])

    code, outputs, summary, document = state.analyse(state.event())

    assert code == 0
    (flaky,) = json.loads(outputs["flaky_tests"])
    assert flaky["verdict"] == "true"
    assert "flipped between pass and fail 1 time(s) on main" in flaky["evidence"][0]
    assert [(o["run_id"], o["outcome"]) for o in flaky["outcomes"]][1:] == [
        (EARLIER_RUN, "failed"),
        (GREEN_RUN, "passed"),
    ]
    assert outputs["is_flaky"] == "true"
    # The JUnit report was read from the artifact, and the commits compared.
    paths = [r.api_path for r in state.proxy.requests]
    assert f"{REPO}/actions/artifacts/{ARTIFACT}/zip" in paths
    assert f"{REPO}/compare/{state.base}...{later}" in paths
    # The same failure was seen in run 400, and went away with run 500's commit.
    recurrence = document["recurrence"]
    assert [p["run_id"] for p in recurrence["earlier"]] == [EARLIER_RUN]
    assert recurrence["stopped_at_sha"] == later
    assert f"It stopped after commit `{later[:12]}`" in summary


def test_attack_a_forks_runs_from_a_branch_named_main_are_no_flips_on_main(
    state: GitHubState, tmp_path: Path
) -> None:
    """GitHub's ``branch=main`` filter matches a run's head branch, and a fork's pull request
    from its own ``main`` has that head branch: its red and green runs would read as the
    default branch flipping, making the real failure "flaky" (and, three times, a test to
    quarantine). Only runs of the repository's own branch count: a push, a schedule, a
    dispatch, never a pull request's event."""
    later = _flip_on_main(state, tmp_path, forks=frozenset({GREEN_RUN, EARLIER_RUN}))
    _compare(state, state.base, later, ["README.md"])

    code, outputs, _, document = state.analyse(state.event())

    assert code == 0
    assert outputs["is_flaky"] == "false", outputs["flaky_tests"]
    assert json.loads(outputs["flaky_tests"]) == []
    assert not (document.get("recurrence") or {}).get("earlier")


@pytest.mark.parametrize("event", ["workflow_dispatch", "issue_comment"])
def test_attack_untrusted_code_whose_failure_matches_a_known_flaky_test_is_not_excused(
    state: GitHubState, tmp_path: Path, event: str
) -> None:
    """ATTACK: the test flips on main without a change, so it is a known flaky
    test; a run of a commit GitHub places on no branch of the repository and in no pull
    request of it (a fork's head, checked out by a comment's or a dispatch's workflow) prints
    that test's failure. Its own code wrote that log: it matches a known flaky test's failure,
    and that is what the summary says, but the run is not excused as flaky."""
    later = _flip_on_main(state, tmp_path)
    state.commit_on_branches(state.head, held=False)
    _compare(state, state.base, later, ["README.md"])

    code, outputs, summary, _ = state.analyse(
        state.event(event=event, pull_requests=[])
    )

    assert code == 0
    assert outputs["is_flaky"] != "true" and outputs["failure_type"] != "flaky_test", summary
    assert "matches a known flaky test's failure" in summary
    assert f"commit {state.head[:12]}" in summary  # the code the verdict judged, named
    (flaky,) = json.loads(outputs["flaky_tests"])
    assert flaky["verdict"] != "true"


def test_a_flip_that_came_with_a_change_to_the_test_file_is_not_flaky(
    state: GitHubState, tmp_path: Path
) -> None:
    later = _flip_on_main(state, tmp_path)
    _compare(state, state.base, later, ["tests/test_failing.py"])

    code, outputs, _, document = state.analyse(state.event())

    assert code == 0
    assert outputs["is_flaky"] == "false"
    assert json.loads(outputs["flaky_tests"]) == []
    assert document["recurrence"]["stopped_at_sha"] == later  # still a candidate fix


def test_the_summary_says_how_much_the_log_diff_dropped(state: GitHubState) -> None:
    state.standard()
    state.comments(rf"{REPO}/commits/{state.head}/comments")

    code, outputs, summary, document = state.analyse(state.event())

    assert code == 0
    assert document["diff_lines"] > 0 and 0 < document["diff_dropped"] < document["diff_lines"]
    assert f"**Log diff:** {document['diff_dropped']} of {document['diff_lines']} line(s)" in (
        summary
    )
    assert outputs["root_cause"].startswith("FAILED tests/test_failing.py::")
    assert f"{REPO}/actions/jobs/{GREEN_JOB}/logs" in [r.api_path for r in state.proxy.requests]


def test_history_reads_stay_bounded_on_a_long_red_streak(state: GitHubState) -> None:
    """Ten red runs on main: at most MAX_READS of them are read for test outcomes."""
    from cicd_agent.github.run_history import MAX_READS

    run = failed_run()
    state.standard()
    red = [(600 + n, "failure", state.base) for n in range(10)]
    state.runs((RUN_ID, "failure", state.head), *red)
    for run_id, _, _ in red:
        state.jobs(run_id, (run_id * 10, run.job_name, "failure"))
        state.job_log(run_id * 10, run.job_log)
        state.run(run_id)
    state.comments(rf"{REPO}/commits/{state.head}/comments")

    code, outputs, _, document = state.analyse(state.event())

    assert code == 0
    logs = {r.api_path for r in state.proxy.requests if r.api_path.endswith("/logs")}
    history_jobs = {p for p in logs if re.search(r"/jobs/6\d\d0/logs$", p)}
    assert 0 < len(history_jobs) <= MAX_READS
    artifact_lists = state.proxy.calls("GET", rf"{REPO}/actions/runs/\d+/artifacts")
    assert len(artifact_lists) <= MAX_READS
    # A failure that never went away on main is recurring, with no candidate fix.
    assert document["recurrence"], document["notes"]
    assert len(document["recurrence"]["earlier"]) >= 1
    assert document["recurrence"]["stopped_at_sha"] == ""
    assert outputs["is_flaky"] == "false"


@pytest.mark.parametrize("event", ["issue_comment", "pull_request_target", "workflow_run"])
def test_attack_a_run_whose_recorded_commit_is_the_default_branchs_is_not_excused(
    state: GitHubState, tmp_path: Path, event: str
) -> None:
    """ATTACK: GitHub records a comment's, a ``pull_request_target``'s or a
    ``workflow_run``'s run at the default branch's last commit, whatever its workflow checked
    out (``/ok-to-test`` checks out a fork's head). That commit is on main, so asking GitHub
    about it says "pushed"; the log is still the checked-out code's, so a known flaky test's
    failure in it is not excused."""
    later = _flip_on_main(state, tmp_path)
    state.commit_on_branches(state.head, held=True)
    _compare(state, state.base, later, ["README.md"])

    code, outputs, summary, _ = state.analyse(state.event(event=event, pull_requests=[]))

    assert code == 0
    assert outputs["is_flaky"] != "true" and outputs["failure_type"] != "flaky_test", summary
    assert "matches a known flaky test's failure" in summary
