"""``cicd-agent test-step -- pytest ...`` on a real project and a real push payload: a failure
the base's quarantine covers and a test that passes on retry keep the step green under
``--flaky pass``, the summary says which, the push's outcomes enter the test history; on a
pull request (no trust read) nothing is excused and nothing is recorded."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from cicd_agent.analysis.flaky_stats import StoredRun
from cicd_agent.cli import main
from cicd_agent.local import test_history
from cicd_agent.modes.test_step.mode import NAME
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.eslint import needs_node_tool
from tests.helpers.gen_tests import PROJECT_PATH, PROJECT_PYTHON
from tests.helpers.toolchains import needs_go
from tests.modes.test_step.test_test_step_runners import VITEST_TEST

TESTS = """\
import pathlib

COUNTER = pathlib.Path(__file__).with_name("flaky.count")


def test_flaky():
    seen = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(seen + 1))
    assert seen > 0


def test_quarantined():
    assert False
"""
KEY = ".github/workflows/ci.yml"
"""The workflow's file: the key the test step records under and analyse-failure reads."""
UNTIL = (date.today() + timedelta(days=100)).isoformat()
SETTINGS = ("analyse-failure:\n  quarantine:\n    - test: tests/test_s.py::test_quarantined\n"
            f"      owner: '@acme/db'\n      expires: '{UNTIL}'\n")  # fmt: skip


PYTEST = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]


def _step(tmp_path: Path, event: str, monkeypatch: pytest.MonkeyPatch,
          github: dict[str, str] | None = None, head_files: dict[str, str] | None = None,
          issues: bool = True, *, command: Sequence[str] = PYTEST, settings: str = SETTINGS,
          tests: Mapping[str, str] | None = None, path: str = PROJECT_PATH,
          moved: Mapping[str, str] | None = None,
          head_ref: str = "") -> tuple[int, str, Path]:  # fmt: skip
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("settings", {".github/cicd-agent.yml": settings,
                                    ".github/CODEOWNERS": "tests/ @octocat @acme/db\n",
                                    "pyproject.toml": "[project]\nname='p'\n"})  # fmt: skip
    head = repo.commit("tests", {**(tests or {"tests/test_s.py": TESTS}), **(head_files or {})})
    if moved:  # the checkout then holds a later commit than the one the event says was pushed
        repo.commit("not pushed", moved)
    if command[0] == "vitest":  # the project's own install, as npm ci leaves it
        (repo.path / "node_modules").mkdir()
        for name in ("vitest", "@vitest"):
            os.symlink(TOOLS_DIR / "node" / "node_modules" / name, repo.path / "node_modules" / name)
    payload = dict(example(event))
    if event == "push":
        payload.update(before=base, after=head)
    if event == "merge_group":  # the queue's base holds the quarantine
        payload["merge_group"] = {**payload["merge_group"], "base_sha": base, "head_sha": head}  # type: ignore[dict-item]
        if head_ref:  # the replayed payload's queue branch, "{head}" the group's commit
            payload["merge_group"]["head_ref"] = head_ref.format(head=head)  # type: ignore[index]
    if event == "pull_request":
        pull = payload["pull_request"]
        payload["pull_request"] = {
            **pull,
            "base": {**pull["base"], "sha": base},  # type: ignore[index, dict-item]
            "head": {**pull["head"], "sha": head},
        }  # type: ignore[index]
    payload["repository"] = {**payload["repository"], "default_branch": "main"}  # type: ignore[dict-item]
    store = tmp_path / "history.jsonl"
    monkeypatch.setattr(test_history, "DEFAULT_FILE", store)
    for number, passed in ((38, True), (39, False), (40, True)):  # earlier runs of the job
        test_history.FileStore(store).add(StoredRun(
            str(payload["repository"]["full_name"]), KEY, number, 1, "", f"2026-11-2{number - 38}",  # type: ignore[index]
            {"tests.test_s.test_flaky": passed}, job_seconds=60.0))  # fmt: skip
    workflow = "octocat/Hello-World/.github/workflows/ci.yml@refs/heads/main"
    summary = tmp_path / "summary.md"
    environ = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
               "GITHUB_WORKSPACE": str(repo.path), "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_REF_NAME": "main", "GITHUB_JOB": "tests", "GITHUB_RUN_ID": "41",
               "GITHUB_WORKFLOW_REF": workflow,
               "PATH": path, "RUNNER_TEMP": str(tmp_path),
               **(github or {})}  # fmt: skip
    out = io.StringIO()
    issues = ["--issues"] if github and issues else []
    code = main([NAME, "--retries", "1", "--flaky", "pass", *issues, "--", *command], environ, out)
    shown = summary.read_text(encoding="utf-8")
    assert shown.startswith("### cicd-agent test-step")
    return code, shown + out.getvalue(), store


def test_a_push_whose_failures_are_flaky_or_quarantined_passes_and_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, said, store = _step(tmp_path, "push", monkeypatch)
    assert code == 0, said
    assert "- flaky: `tests/test_s.py::test_flaky`: failed on the first run, passed on retry 1" in said
    assert (
        f"- quarantined: `tests/test_s.py::test_quarantined`: quarantined until {UNTIL}, owner "
        "acme/db" in said
    )
    *_, run = test_history.FileStore(store).recent(run_repository(tmp_path), KEY)
    assert run.run_id == 41 and run.outcomes["tests.test_s.test_flaky"] is False
    # and that it passed on the retry: the first run's outcome alone says only "failed"
    assert run.retried == ("tests.test_s.test_flaky",)
    # no GITHUB_SHA (a step run on a terminal): the row names the commit the push event names
    assert run.head_sha == GitRepoBuilder(tmp_path / "project").git("rev-parse", "HEAD").strip()
    # Seen: the job's flaky tests over its history (pass, fail, pass, and now fail)
    assert "**Flaky tests of this workflow** (its last 50 runs on the default branch" in said
    # named as pytest printed it (the history keeps the canonical tests.test_s.test_flaky)
    assert "| 1 | `tests/test_s.py::test_flaky` | 100% | 2 of 4 | " in said
    assert "- `pytest`: ran" in said  # the runner it recognised is listed, as gen-tests lists its
    # and drawn: a Mermaid chart in the summary, the SVG beside it (ranked as the table)
    assert '```mermaid\nxychart-beta horizontal\n' in said and 'x-axis ["#1"]' in said
    image = tmp_path / "cicd-agent-flaky-tests.svg"
    assert f"The chart as an image: `{image}`" in said
    assert "#1 tests/test_s.py::test_flaky" in image.read_text(encoding="utf-8")


ORDERED = """\
SEEN = []


def test_a_fills():
    SEEN.append(1)
    assert SEEN


def test_b_starts_empty():
    assert SEEN == []
"""
"""tomli's order-dependent pair: the second fails in every full run and passes alone."""


def test_a_push_whose_retry_passes_a_test_failing_every_full_run_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``flaky: pass``, tomli's test failing every push's first run (its polluter runs
    first) and passing each retry, run alone, turned every push green. Its history says order,
    not chance: the step fails, saying so."""
    victim = "tests.test_s.test_b_starts_empty"
    store = test_history.FileStore(tmp_path / "history.jsonl")
    for number in range(30, 35):  # five earlier pushes, each its first run failed, its retry passed
        store.add(StoredRun(run_repository(tmp_path), KEY, number, 1, "", f"2026-11-1{number - 30}",
                            {victim: False, "tests.test_s.test_a_fills": True}, job_seconds=60.0,
                            retried=(victim,)))  # fmt: skip
    code, said, _ = _step(tmp_path, "push", monkeypatch, tests={"tests/test_s.py": ORDERED})
    assert code == 1, said
    assert "- failed: `tests/test_s.py::test_b_starts_empty`" in said
    assert ("`tests/test_s.py::test_b_starts_empty` passed on retry 1, but failed the first run of "
            "each of the last 5 runs the test history holds") in said


VITEST = {".gitignore": "node_modules\n", "package.json": '{"name": "p", "type": "module"}\n',
          "tests/calc.test.js": VITEST_TEST}  # fmt: skip
VITEST_SETTINGS = ("analyse-failure:\n  quarantine:\n    - test: tests/calc.test.js › broken\n"
                   f"      owner: '@acme/db'\n      expires: '{UNTIL}'\n")  # fmt: skip
"""vitest's own name for the test (file › full name), as its report and jest's spell it."""


def test_a_vitest_push_is_retried_quarantined_and_recorded_as_pytests_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop reaches vitest (retries, quarantine, history), one real run and its retry."""
    path = needs_node_tool("vitest")
    code, said, store = _step(tmp_path, "push", monkeypatch, command=["vitest", "run"],
                              settings=VITEST_SETTINGS, tests=VITEST, path=path)  # fmt: skip
    assert code == 0, said
    assert ("- flaky: `tests/calc.test.js › calc flaky once`: failed on the first run, passed on "
            "retry 1") in said
    assert f"- quarantined: `tests/calc.test.js › broken`: quarantined until {UNTIL}, owner acme/db" in said
    *_, run = test_history.FileStore(store).recent(run_repository(tmp_path), KEY)
    assert run.run_id == 41 and run.outcomes == {"tests.calc.test.js.ok": True,
                                                 "tests.calc.test.js.calc.flaky.once": False,
                                                 "tests.calc.test.js.broken": False}  # fmt: skip


def test_attack_a_push_whose_checkout_is_not_the_pushed_commit_is_trusted_with_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push event vouches for one commit, the one pushed (``after``); a re-run or a step that
    checks out another ref (a pull request's head) holds other code, whose reports could name
    any test: no retry and no quarantine excuses its failures, and its outcomes never enter the
    test history; the summary says why in one line. Before: every push was pushed code."""
    code, said, store = _step(tmp_path, "push", monkeypatch, moved={"pr.txt": "its code\n"})
    assert code == 1, said
    assert "passed on retry 1 (not excused)" in said and "Every failure was" not in said
    (line,) = [line for line in said.splitlines() if "is not the pushed commit" in line]
    assert "trusted with nothing" in line, line
    assert len(store.read_text(encoding="utf-8").splitlines()) == 3  # only the earlier runs


def test_with_issues_a_flaky_test_gets_its_issue_assigned_to_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """Owned: the push's flaky test (its history: pass, fail, pass, fail) gets one issue,
    labelled, its owner from the base's CODEOWNERS assigned, the replay the job's command."""
    code, said, _ = _step(tmp_path, "push", monkeypatch, github_api.env())
    assert code == 0, said
    assert "- `tests.test_s.test_flaky`: created" in said
    (request,) = github_api.proxy.calls("POST", r"/repos/octocat/Hello-World/issues$")
    sent = request.json()
    assert sent["labels"] == ["flaky-test"] and sent["assignees"] == ["octocat"]
    assert "tests.test_s.test_flaky" in sent["title"] and "-m pytest -q" in sent["body"]
    assert 'owner: "@octocat"' in sent["body"]


def run_repository(tmp_path: Path) -> str:
    return str(example("push")["repository"]["full_name"])  # type: ignore[index]


def test_a_bad_settings_file_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit(
        "settings", {".github/cicd-agent.yml": SETTINGS.replace(UNTIL, "2099-01-01")}
    )
    head = repo.commit("x", {"x.txt": "x"})
    payload = {**example("push"), "before": base, "after": head}
    environ = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
               "GITHUB_WORKSPACE": str(repo.path)}  # fmt: skip
    out = io.StringIO()
    assert main([NAME, "--", "true"], environ, out, out) == 2
    assert (
        "more than 366 days away" in out.getvalue()
        and "Fix .github/cicd-agent.yml" in out.getvalue()
    )


def test_attack_on_a_pull_request_nothing_is_excused_or_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, said, store = _step(tmp_path, "pull_request", monkeypatch)
    assert code == 1 and "could not be asked (no GitHub token)" in said
    # one verdict per test: the flaky one is not also "failed on every run"
    assert ("The test step failed: 1 test(s) failed, then passed on retry (flaky, not "
            "excused); 1 quarantined test(s) failed (not excused).") in said  # fmt: skip
    assert "passed on retry 1 (not excused)" in said and "- failed:" not in said
    assert "No failure is called flaky" not in said
    assert len(store.read_text(encoding="utf-8").splitlines()) == 3  # only the earlier runs


OWN_ENTRY = {  # the pull request's own tree quarantines its own failing test
    ".github/cicd-agent.yml": SETTINGS + "    - test: tests/test_t.py::test_broken\n"
    f"      owner: '@mallory'\n      expires: '{UNTIL}'\n",
    "tests/test_t.py": "def test_broken():\n    assert False\n",
}


@pytest.mark.parametrize(
    ("fork", "head_files", "passes"),
    [(False, {}, True), (False, OWN_ENTRY, False), (True, {}, False)],
    ids=["same-repository writer: base quarantine excuses", "attack: its own entry",
         "attack: a fork"],
)  # fmt: skip
def test_on_a_pull_request_only_the_bases_quarantine_excuses_and_only_trusted_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any, fork: bool,
    head_files: dict[str, str], passes: bool,
) -> None:  # fmt: skip
    """Quarantine keeps a pull request's job green: trust is GitHub's answer for the pull
    request (``github/trust``: a same-repository head whose author can push), and the entries
    are the base's live ones. A pull request that quarantines its own failing test in its own
    tree changes nothing; a fork's failures are excused by nothing (its code writes its reports)."""
    if fork:
        github_api.proxy.script("GET", r"/repos/octocat/Hello-World/pulls/\d+$", edit=lambda pull: {
            **pull, "head": {**pull["head"], "repo": {**pull["head"]["repo"],
                                                      "full_name": "mallory/Hello-World"}}})  # fmt: skip
    code, said, store = _step(tmp_path, "pull_request", monkeypatch, github_api.env(),
                              head_files, issues=False)  # fmt: skip
    assert (code == 0) is passes, said
    if passes:
        assert "- quarantined: `tests/test_s.py::test_quarantined`" in said
    if head_files:
        assert "- failed: `tests/test_t.py::test_broken`" in said
    if fork:
        assert "cannot push" in said
    assert len(store.read_text(encoding="utf-8").splitlines()) == 3  # a PR's runs: not recorded


def test_attack_a_merge_group_is_trusted_by_githubs_word_for_its_commit_not_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """A queued pull request's code may come from a fork, and a ``merge_group`` workflow may
    check out any commit: trust is GitHub's answer for the commit the checkout holds (in an
    open pull request: that pull request's; else on the queue's branch: pushed), never the
    event's name. Before: every ``merge_group`` run was pushed code, its quarantine excused.
    The event is replayed (``--event``, no ``GITHUB_REF``): the queue's branch is the one the
    real payload names (``merge_group.head_ref``), as a push payload's ``ref`` is; before, only
    the default branch was asked, so a replayed group's commit was trusted with nothing."""
    said, compare = {}, r"/repos/octocat/Hello-World/compare/.*"
    for held in (False, True):
        status = "behind" if held else "ahead"
        github_api.proxy.script("GET", compare, edit=lambda answer, s=status: {**answer, "status": s})
        github_api.proxy.script("GET", r"/repos/octocat/Hello-World/commits/\w+/pulls", body=[])
        code, said[held], _ = _step(tmp_path / str(held), "merge_group", monkeypatch,
                                    github_api.env(), issues=False)  # fmt: skip
        assert (code == 0) is held, said[held]
    # The queue's branch, one path segment with its slashes as %2F, quoted once (as GitHub's
    # own clients send it; quoted twice, real GitHub knows no such branch and trusts nothing).
    asked = [r.api_path for r in github_api.proxy.calls("GET", compare)]
    branch = example("merge_group")["merge_group"]["head_ref"].removeprefix("refs/heads/")  # type: ignore[index]
    assert "/" in branch and any(f"/{quote(branch, safe='')}..." in path for path in asked), asked
    assert "- quarantined: `tests/test_s.py::test_quarantined`" in said[True]
    assert "GitHub does not vouch for the merge group's commit" in said[False], said[False]
    # the queue's change (base_sha to head_sha) is the one whose lines a failed test is checked
    # for having run (before: no change was read on a merge_group event, and nothing was said)
    assert "for running none of the changed lines" in said[True], said[True]


def test_attack_a_queue_branch_named_as_a_commit_or_a_pull_ref_vouches_for_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """A replayed ``merge_group`` payload names its queue's branch, and compare resolves its
    base as git does: a commit's hex name is that commit (compared with itself: identical), and
    ``pull/2/head`` is ``refs/pull/2/head``, a fork's pushed code. A branch name compare would
    read as anything but a branch of this repository is never asked: the commit is trusted
    with nothing, its quarantine excuses nothing. Before: a payload naming the group's own
    commit as its branch made GitHub vouch for it."""
    compare = r"/repos/octocat/Hello-World/compare/.*"
    github_api.proxy.script("GET", compare, edit=lambda answer: {**answer, "status": "ahead"})
    # GitHub's answer where the base resolves to the commit itself (or a pull request's head)
    itself = r"/repos/octocat/Hello-World/compare/(?:[0-9a-f]{7,40}|pull%2F2%2Fhead)\.\.\..*"
    github_api.proxy.script("GET", itself, edit=lambda answer: {**answer, "status": "identical"})
    github_api.proxy.script("GET", r"/repos/octocat/Hello-World/commits/\w+/pulls", body=[])
    code, said, _ = _step(tmp_path, "merge_group", monkeypatch, github_api.env(), issues=False,
                          head_ref="refs/heads/{head}")  # fmt: skip
    assert code != 0, said
    assert "GitHub does not vouch for the merge group's commit" in said, said
    from cicd_agent.github.trust import branch_name

    assert [n for n in ("main", "gh-readonly-queue/main/pr-2-" + "a" * 40, "release/1.x",
                        "feature-cafe", "v2") if not branch_name(n)] == []  # fmt: skip
    refused = ("a" * 40, "deadbee", "pull/2/head", "refs/heads/main", "tags/v1",
               "remotes/origin/x", "HEAD", "a..b", "fork:main", "")  # fmt: skip
    assert [n for n in refused if branch_name(n)] == []


def test_issues_without_a_token_are_one_line_never_the_steps_fate(tmp_path: Path) -> None:
    from cicd_agent.analysis.flaky_stats import FlakyStat
    from cicd_agent.modes.test_step.flaky_issues import own
    from cicd_agent.runners.lookups import file_of_test

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_s.py").write_text("")
    assert file_of_test(tmp_path, "tests.test_s.TestX.test_y[a.b]") == "tests/test_s.py"
    assert file_of_test(tmp_path, "other.test_z") == ""
    found = [FlakyStat("tests.test_s.test_y", 4, 2, 3, 60.0)]
    day = date(2026, 1, 1)
    lines = own(found, [], {}, tmp_path, commit=None, command=["pytest"], today=day,
                stable_after=10, file_of=lambda test: file_of_test(tmp_path, test))  # fmt: skip
    assert lines[-1].startswith("- not opened: No GitHub token was given.")
    assert own([], [], {}, tmp_path, commit=None, command=["pytest"], today=day,
               stable_after=10, file_of=lambda test: "") == []  # fmt: skip


def test_on_a_terminal_the_step_runs_and_says_it_cannot_tell_who_wrote_the_code(
    tmp_path: Path,
) -> None:
    """No event, no GITHUB_REF_NAME: the step still runs, and its summary says it cannot tell
    who wrote the code (before: "the code is from someone who cannot push")."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"tests/test_s.py": TESTS, "pyproject.toml": "[project]\nname='p'\n"})
    out = io.StringIO()
    code = main([NAME, "--retries", "1", "--flaky", "pass", "--", *PYTEST],
                {"PATH": PROJECT_PATH, "GITHUB_WORKSPACE": str(repo.path)}, out, out)  # fmt: skip
    said = out.getvalue()
    assert code == 1, said
    assert "No event says who wrote this code" in said and "cannot push" not in said


def test_the_command_is_required_and_the_input_is_split_as_a_shell_would(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main([NAME], {"PATH": "/usr/bin:/bin"}, out, out) == 2
    assert "test-step needs the test command" in out.getvalue()
    inputs = '{"mode": "test-step", "command": "sh -c \'exit 0\'"}'
    environ = {"PATH": "/usr/bin:/bin", "GITHUB_WORKSPACE": str(tmp_path),
               "CICD_AGENT_INPUTS": inputs}  # fmt: skip
    out = io.StringIO()
    assert main([], environ, out, out) == 0, out.getvalue()
    assert "Test command: sh -c 'exit 0'" in out.getvalue()


def test_branch_from_ref_when_ref_name_is_missing() -> None:
    from cicd_agent.modes.test_step.publish import branch_name

    assert branch_name({"GITHUB_REF": "refs/heads/main"}) == "main"
    assert branch_name({"GITHUB_REF": "refs/tags/v1"}) == ""
    assert branch_name({"GITHUB_REF_NAME": "v1", "GITHUB_REF_TYPE": "tag"}) == ""
    assert branch_name({"GITHUB_REF_NAME": "main"}) == "main"
    # on a terminal, a push event's own ref (before: no branch, so nothing was recorded)
    assert branch_name({}, "refs/heads/main") == "main"
    assert branch_name({}, "refs/tags/v1") == ""
    assert branch_name({"GITHUB_REF": "refs/heads/dev"}, "refs/heads/main") == "dev"


PYTEST_LOG = """\
2026-11-27T10:00:00.0000000Z ============================= test session starts ==============================
2026-11-27T10:00:01.0000000Z collected 2 items
2026-11-27T10:00:01.0000000Z
2026-11-27T10:00:01.0000000Z tests/test_s.py F.                                                       [100%]
2026-11-27T10:00:01.0000000Z
2026-11-27T10:00:01.0000000Z =================================== FAILURES ===================================
2026-11-27T10:00:01.0000000Z _________________________________ test_flaky __________________________________
2026-11-27T10:00:01.0000000Z
2026-11-27T10:00:01.0000000Z     def test_flaky():
2026-11-27T10:00:01.0000000Z >       assert seen > 0
2026-11-27T10:00:01.0000000Z E       assert 0 > 0
2026-11-27T10:00:01.0000000Z
2026-11-27T10:00:01.0000000Z tests/test_s.py:9: AssertionError
2026-11-27T10:00:01.0000000Z =========================== short test summary info ============================
2026-11-27T10:00:01.0000000Z FAILED tests/test_s.py::test_flaky - assert 0 > 0
2026-11-27T10:00:01.0000000Z ========================= 1 failed, 1 passed in 0.02s ==========================
2026-11-27T10:00:01.0000000Z ##[error]Process completed with exit code 1.
"""


def test_the_loop_closes_what_the_step_records_analyse_failure_reads_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test step records a push's outcomes under the workflow's file; analyse-failure,
    given only the failed job's log and the same workflow (no token, no run id), reads that
    history and calls the test flaky by its flips: the two halves share one key."""
    code, said, _ = _step(tmp_path, "push", monkeypatch)
    assert code == 0, said
    log = tmp_path / "test.txt"
    log.write_text(PYTEST_LOG, encoding="utf-8")
    environ = {"PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": run_repository(tmp_path),
               "GITHUB_WORKFLOW_REF": f"{run_repository(tmp_path)}/{KEY}@refs/heads/main"}  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    assert main(["analyse-failure", "--logs", str(log), "--json", "--repo", str(tmp_path)],
                environ, out, err) == 0, err.getvalue()  # fmt: skip
    found = json.loads(out.getvalue())
    (flaky,) = found["flaky_tests"]
    assert flaky["name"].endswith("test_flaky") and flaky["verdict"] == "likely"
    assert "test history" in " ".join(flaky["evidence"])
    # and the verdict says so: before, "it does not look flaky" above that very test
    assert found["is_flaky"] == "likely" and "may be flaky" in found["headline"], found
    assert "test history" in " ".join(found["flaky_evidence"]), found


def test_a_flaky_tests_file_is_found_whichever_runner_named_it(tmp_path: Path) -> None:
    """Its owners come from CODEOWNERS by its file: jest's, JUnit's and go's names find theirs."""
    from cicd_agent.runners.lookups import file_of_test

    for path in ("src/calc.test.js", "src/test/java/a/BTest.java", "calc/calc_test.go"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    assert file_of_test(tmp_path, "src.calc.test.js.adds.two") == "src/calc.test.js"
    assert file_of_test(tmp_path, "a.BTest.adds") == "src/test/java/a/BTest.java"
    assert file_of_test(tmp_path, "example.com.m.calc.TestFlakyOnce") == "calc/calc_test.go"


def test_with_json_standard_output_holds_the_document_alone(tmp_path: Path) -> None:
    """``--json`` prints one JSON object on standard output and nothing else: the test
    command's own output (a runner prints its progress there) is shown on standard error."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"pyproject.toml": "[project]\nname='p'\n"})
    environ = {"PATH": os.environ["PATH"], "GITHUB_WORKSPACE": str(repo.path),
               "HOME": str(tmp_path)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "cicd_agent", NAME, "--json", "--", "sh", "-c",
         "echo the runner says; echo its errors >&2"],
        capture_output=True, text=True, env=environ, cwd=repo.path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["mode"] == NAME
    assert "the runner says" in done.stderr and "its errors" in done.stderr


def test_a_pytest_usage_error_is_exit_2_quoting_pytests_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``addopts`` naming a plugin's flag the project's environment lacks: pytest exits 4
    before any test, and the step said "the step's report is not believed: it exited 4"
    (exit 1), which reads as tampering; it is the command's usage, exit 2, pytest's line quoted."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '--no-such-flag'\n",
                          "tests/test_a.py": "def test_a():\n    pass\n"})  # fmt: skip
    monkeypatch.chdir(repo.path)
    out = io.StringIO()
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    code = main([NAME, "--repo", str(repo.path), "--provider", "none", "--", sys.executable,
                 "-m", "pytest", "-q"], environ, out, out)  # fmt: skip
    said = out.getvalue()
    assert code == 2, said
    (line,) = [text for text in said.splitlines() if "usage error" in text]
    assert "pytest stopped on a usage error before running any test: " in line
    assert "unrecognized arguments: --no-such-flag" in line and "Fix the test command" in line
    assert "not believed" not in said


def test_tests_pytest_could_not_collect_are_said_so_with_the_error_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """webcolors' tests run with a Python the project is not installed in, as a new user met it:
    each test module's import error was "4 test(s) failed on every run: tests.test_conformance",
    with no word of why. It is a step that failed as a step does (exit 1, the result written),
    saying pytest could not collect them, the error and the fix."""
    repo = GitRepoBuilder(tmp_path / "project")
    test = "import app\n\n\ndef test_a():\n    assert app.NAME\n"
    repo.commit("tests", {"src/app/__init__.py": "NAME = 'app'\n", "tests/test_a.py": test,
                          "tests/test_b.py": test})  # fmt: skip
    monkeypatch.chdir(repo.path)
    out = io.StringIO()
    environ = {"PATH": PROJECT_PATH, "HOME": str(tmp_path)}
    code = main([NAME, "--repo", str(repo.path), "--provider", "none", "--json", "--",
                 *PYTEST], environ, out, out)  # fmt: skip
    said = out.getvalue()
    assert code == 1, said
    document = json.loads(said[said.index("{"):])
    assert document["failing"] == [] and document["passed"] is False, document
    (line,) = document["said"]
    assert line.startswith("The step failed: pytest could not collect its tests: tests.test_a "
                           "and 1 more raised ModuleNotFoundError: No module named 'app'; "
                           "install the project"), line  # fmt: skip
    assert "`pip install -e .`" in line and "failed on every run" not in said


def _go_test_step(
    repo: GitRepoBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *flags: str
) -> tuple[int, dict[str, Any], str]:
    """``test-step -- go test ./...`` on ``repo`` with no module proxy: its exit code, its
    ``--json`` document and all it printed."""
    monkeypatch.chdir(repo.path)
    out = io.StringIO()
    keep = ("GOPATH", "GOCACHE", "GOMODCACHE")
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GOFLAGS": "-mod=mod",
               "GOPROXY": "off", **{k: os.environ[k] for k in keep if k in os.environ}}
    code = main([NAME, "--repo", str(repo.path), "--provider", "none", "--json", *flags, "--",
                 "go", "test", "./..."], environ, out, out)  # fmt: skip
    said = out.getvalue()
    return code, json.loads(said[said.index("\n{") + 1:]), said


@needs_go
def test_go_tests_that_do_not_build_are_said_so_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test file that does not compile: go exits 2 naming no test, and the step said its
    report "is not believed", as if it were forged."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {"go.mod": "module example.com/calc\n\ngo 1.19\n",
                          "calc_test.go": "package calc\n\nimport \"testing\"\n\n"
                          "func TestA(t *testing.T) {\n\tvar x int = \"s\"\n\t_ = x\n}\n"})
    code, document, said = _go_test_step(repo, tmp_path, monkeypatch)
    assert code == 1, said
    (line,) = document["said"]
    assert line.startswith("The step failed: go test could not build the tests of "
                           "example.com/calc (build failed"), line  # fmt: skip
    assert "not believed" not in said and "`go mod tidy`" in line


def test_the_flaky_table_names_a_go_test_as_go_names_it(tmp_path: Path) -> None:
    """The history keeps go's test in its canonical dotted form
    (``github.com.buger.jsonparser.TestParseIntUnderLoad``); the table names it by its package
    path and function, as this run's ``go test -json`` events did."""
    from cicd_agent.analysis.flaky_stats import FlakyStat
    from cicd_agent.analysis.history import canonical_test
    from cicd_agent.modes.test_step.result import seen_lines
    from cicd_agent.runners.go import step

    events = "\n".join(json.dumps({"Action": action, "Package": "github.com/buger/jsonparser",
                                   "Test": "TestParseIntUnderLoad"})
                       for action in ("run", "fail"))  # fmt: skip
    ran = step.outcomes(tmp_path, events)
    names = {canonical_test(test): test for test in ran}
    found = [FlakyStat("github.com.buger.jsonparser.TestParseIntUnderLoad", 4, 2, 3, 60.0)]
    table = "\n".join(seen_lines(found, {}, names))
    assert "| 1 | `github.com/buger/jsonparser.TestParseIntUnderLoad` |" in table, table
    assert "github.com.buger" not in table


def test_a_failure_in_the_sandbox_says_the_tests_ran_at_another_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pkg/errors' tests expect their own file's path in a stack trace: in the sandbox's copy of
    the checkout that path is another, and they fail there, with nothing saying why."""
    here = tmp_path / "project" / "tests" / "test_s.py"
    own = f"def test_here():\n    assert __file__ == {str(here)!r}\n"
    code, shown, _ = _step(tmp_path, "pull_request", monkeypatch, tests={"tests/test_s.py": own})
    assert code == 1, shown
    assert "copy of the checkout at another path" in shown, shown


def test_a_test_writing_a_fixed_tmp_path_is_told_to_use_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user's flaky test wrote a marker to a literal ``/tmp`` path: in the sandbox it
    failed on every run with "Permission denied", and nothing said why."""
    own = ("import tempfile, pathlib\n\n\ndef test_marks():\n"
           "    pathlib.Path(tempfile.gettempdir(), 'ok').write_text('x')\n"
           "    pathlib.Path('/tmp/cicd-agent-trial-mark').write_text('x')\n")  # fmt: skip
    code, shown, _ = _step(tmp_path, "pull_request", monkeypatch, tests={"tests/test_m.py": own})
    assert code == 1, shown  # the write under TMPDIR passed; the one under /tmp failed
    assert "`/tmp` cannot be written there" in shown and "`TMPDIR`" in shown, shown


def test_the_tests_a_refused_tmp_write_failed_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note on /tmp named no test: the one whose failure is a PermissionError on a /tmp
    path is named from the runner's report, and the one failing otherwise is not."""
    own = ("import pathlib\n\n\ndef test_marks():\n"
           "    pathlib.Path('/tmp/cicd-agent-trial-mark').write_text('x')\n\n\n"
           "def test_other():\n    assert 1 == 2, '/tmp/elsewhere'\n")  # fmt: skip
    code, shown, _ = _step(tmp_path, "pull_request", monkeypatch, tests={"tests/test_m.py": own})
    assert code == 1, shown
    assert ("1 failed test(s) were refused a write to a fixed `/tmp` path (PermissionError, "
            "EACCES or EROFS), which the sandbox does not allow: `tests/test_m.py::test_marks`."
            ) in shown, shown  # fmt: skip
    assert "`tests/test_m.py::test_other`." not in shown


def test_a_test_writing_a_host_path_is_told_the_sandbox_keeps_the_host_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user's flaky test wrote a marker to a host path (python-semanticversion's
    ``markers/py`` folder beside its checkout): "failed on every run", with ``OSError: [Errno 30]
    Read-only file system``, and only ``/tmp`` named in a note. The path is named, with why
    and what to do."""
    marker = "/etc/cicd-agent-trial-mark"
    own = ("import pathlib\n\n\ndef test_first_run_fails():\n"
           f"    pathlib.Path({marker!r}).write_text('x')\n")  # fmt: skip
    code, shown, _ = _step(tmp_path, "pull_request", monkeypatch, tests={"tests/test_f.py": own})
    assert code == 1, shown
    assert ("1 failed test(s) were refused a write to a path on the host, which the sandbox "
            "shows read-only (docs/sandbox.md): `tests/test_f.py::test_first_run_fails` "
            f"(`{marker}`). Write under the folder the tests run in (a relative path) or the "
            "one `$TMPDIR` names instead") in shown, shown  # fmt: skip
    assert "refused a write to a fixed `/tmp` path" not in shown, shown


@needs_go
def test_attack_a_test_that_prints_go_s_build_failure_line_hides_no_failed_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package that built and ran its tests prints go's own line for one that did not (from
    its ``TestMain``, outside any test): its real failure was hidden behind "could not build",
    the failed test named nowhere, not in the summary nor in the outputs. It is named now (the
    forged line's own words are still shown, beside it)."""
    repo = GitRepoBuilder(tmp_path / "project")
    main_go = ("package calc\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"testing\"\n)\n\n"
               "func TestMain(m *testing.M) {\n"
               "\tfmt.Println(\"FAIL\\texample.com/ghost [build failed]\")\n"
               "\tos.Exit(m.Run())\n}\n\n"
               "func TestBroken(t *testing.T) {\n\tt.Fatal(\"a real failure\")\n}\n")  # fmt: skip
    repo.commit("tests", {"go.mod": "module example.com/calc\n\ngo 1.19\n",
                          "calc_test.go": main_go})  # fmt: skip
    code, document, said = _go_test_step(repo, tmp_path, monkeypatch)
    assert code == 1, said
    assert any("TestBroken" in test for test in document["failing"]), document
    assert any("TestBroken" in test for test in document["failed_tests"]), document


@needs_go
def test_a_panic_that_ends_a_package_never_lets_its_unrun_tests_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test panicking on its first run only ended the package's test binary before a test
    that always fails ran; the retry ran the panicking test alone, it passed, and the step
    passed under ``--flaky pass`` with the broken test named nowhere (a new user's trial)."""
    repo = GitRepoBuilder(tmp_path / "project")
    calc_test = ("package calc\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\n"
                 "func TestAAAPanicsFirst(t *testing.T) {\n"
                 "\tif _, err := os.Stat(\"ran\"); err != nil {\n"
                 "\t\tos.WriteFile(\"ran\", nil, 0o600)\n\t\tpanic(\"first run\")\n\t}\n}\n\n"
                 "func TestZZZAlwaysFails(t *testing.T) {\n\tt.Fatal(\"always\")\n}\n")  # fmt: skip
    repo.commit("tests", {"go.mod": "module example.com/calc\n\ngo 1.19\n",
                          "calc_test.go": calc_test})  # fmt: skip
    code, document, said = _go_test_step(repo, tmp_path, monkeypatch, "--flaky", "pass")
    assert code == 1, said
    assert document["passed"] is False, document
    said_lines = " ".join(document["said"])
    assert "ended at a panic in example.com/calc.TestAAAPanicsFirst" in said_lines, said_lines
