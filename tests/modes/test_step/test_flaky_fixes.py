"""``cicd-agent test-step --fix-flaky suggest`` on real projects, every run in the sandbox: a
victim of another test's state is classified order-dependent with its polluter found by
bisection, fixed with a cleaner's set-up moved into it, and proven (orders, alone, a mutant);
a fork's pull request gets the same patch ``checked``, never ``verified``; a test that fails at
random is "not order-dependent" with its rate, and no fix is claimed."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.analysis.flaky_stats import StoredRun
from cicd_agent.cli import main
from cicd_agent.job.suggested_patch import suggestions
from cicd_agent.local import test_history
from cicd_agent.modes.test_step.dependence import Runs
from cicd_agent.modes.test_step.fixer import BUDGET, _as_named, fix_flaky
from cicd_agent.modes.test_step.mode import NAME
from cicd_agent.modes.test_step.types import FlakyFix
from cicd_agent.runners.table import TABLE
from cicd_agent.verify.orders import OrderedRuns
from tests.git_builder import GitRepoBuilder
from tests.harness.payloads import example, write_event
from tests.helpers.gen_tests import PROJECT_PATH, PROJECT_PYTHON

KEY = ".github/workflows/ci.yml"
PYTEST = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist"]
CONFIG = '''\
SETTINGS = {"mode": "normal"}


def set_mode(mode):
    SETTINGS["mode"] = mode


def reset():
    SETTINGS.clear()
    SETTINGS["mode"] = "normal"


def describe():
    if SETTINGS.get("mode") == "normal":
        return "running normally"
    return "running in " + SETTINGS.get("mode", "?")
'''
POLLUTER = '''\
from app import config


def test_cleaner():
    config.reset()
    assert config.SETTINGS == {"mode": "normal"}


def test_polluter():
    config.set_mode("debug")
    assert config.describe() == "running in debug"


def test_other():
    assert 1 + 1 == 2
'''
VICTIM = '''\
from app.config import describe


def test_victim():
    assert describe() == "running normally"
'''
PROJECT = {"pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
           "app/__init__.py": "", "app/config.py": CONFIG, "tests/test_a.py": POLLUTER,
           "tests/test_b.py": VICTIM}  # fmt: skip


def _step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: Mapping[str, str], *,
    event: str = "push", extra: Sequence[str] = (), flaky_before: str = "",
    github: Mapping[str, str] | None = None, to_default: bool = False,
) -> tuple[int, dict[str, Any], str]:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"README.md": "p\n"})
    head = repo.commit("tests", dict(files))
    payload = dict(example(event))
    if event == "push":
        payload.update(before=base, after=head)
    else:
        pull = payload["pull_request"]
        payload["pull_request"] = {
            **pull,
            "base": {**pull["base"], "sha": base},  # type: ignore[index, dict-item]
            "head": {**pull["head"], "sha": head},
        }
    if to_default:  # a push to the default branch: its outcomes enter the test history
        payload.update(ref="refs/heads/main")
        repository = dict(payload["repository"])  # type: ignore[call-overload]
        payload["repository"] = {**repository, "default_branch": "main"}
    store = tmp_path / "history.jsonl"
    monkeypatch.setattr(test_history, "DEFAULT_FILE", store)
    for number, passed in ((38, True), (39, False), (40, True)) if flaky_before else ():
        test_history.FileStore(store).add(StoredRun(
            str(payload["repository"]["full_name"]), KEY, number, 1, "",  # type: ignore[index]
            f"2026-11-2{number - 38}", {flaky_before: passed}, job_seconds=60.0))  # fmt: skip
    summary = tmp_path / "summary.md"
    environ = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(write_event(tmp_path, payload)),
               "GITHUB_WORKSPACE": str(repo.path), "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_REF_NAME": "main", "GITHUB_JOB": "tests", "GITHUB_RUN_ID": "41",
               "GITHUB_WORKFLOW_REF": f"octocat/Hello-World/{KEY}@refs/heads/main",
               "PATH": PROJECT_PATH, "RUNNER_TEMP": str(tmp_path), **(github or {})}  # fmt: skip
    out = io.StringIO()
    code = main([NAME, "--retries", "1", "--flaky", "pass", "--fix-flaky", "suggest", *extra,
                 "--json", "--", *PYTEST], environ, out)  # fmt: skip
    return code, json.loads(out.getvalue()), summary.read_text(encoding="utf-8")


def test_a_victim_is_classified_fixed_by_a_cleaners_set_up_and_verified_on_a_push(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """The victim classified, its polluter found by bisection, a cleaner's set-up moved into it
    and verified on a push; with ``--fix-flaky pr``, through PyGithub to the validating mock,
    the patched test file committed with the Git Data API on the pushed commit, a new branch, a
    draft into the pushed branch, no ref moved. One run for both: the rows and the summary are
    the same whichever way the fix is published (``pr`` only adds the draft)."""
    code, document, summary = _step(tmp_path, monkeypatch, PROJECT, extra=["--fix-flaky", "pr"],
                                    github=github_api.env(), to_default=True)  # fmt: skip
    assert code == 0, summary
    (fixed,) = document["flaky_fixes"]
    assert fixed["test"] == "tests/test_b.py::test_victim"
    assert fixed["kind"] == "order-dependent"
    assert fixed["related_test"] == "tests/test_a.py::test_polluter"  # by bisection
    assert fixed["status"] == "verified", fixed["evidence"]
    # the history keeps the classification, with the run that found it (analyse-failure says it)
    (row,) = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert (row["run_id"], row["order_dependent"]) == (
        41, {"tests.test_b.test_victim": "tests/test_a.py::test_polluter"})  # fmt: skip
    assert fixed["runs_before"] == {"failed": 4, "runs": 4, "order": [
        "tests/test_a.py::test_polluter", "tests/test_b.py::test_victim"]}  # fmt: skip
    assert fixed["runs_after"]["failed"] == 0 and fixed["runs_after"]["runs"] == 3
    patch = fixed["patch"]
    assert patch.startswith("--- a/tests/test_b.py\n+++ b/tests/test_b.py\n")
    assert "+    config.reset()\n" in patch and "+    from app import config\n" in patch
    assert "assert config.SETTINGS" not in patch  # the cleaner's check stays its own
    assert "tests/test_a.py" not in patch.split("\n", 2)[2].replace(
        "# set-up moved from tests/test_a.py::test_cleaner", "")  # only the victim's file
    assert "mutation check: fails when app/config.py" in fixed["evidence"]
    assert "- `tests/test_b.py::test_victim`: order-dependent, depends on " in summary
    assert "fix: **verified**" in summary and "```diff\n--- a/tests/test_b.py" in summary
    # the draft pull request
    assert fixed["pr_url"].startswith("https://"), summary
    assert "files" not in fixed  # the texts are publish's: --json shows the patch
    proxy = github_api.proxy
    (blob,) = [json.loads(r.body) for r in proxy.calls("POST", r"/repos/[^/]+/[^/]+/git/blobs")]
    assert "    config.reset()\n" in blob["content"] and "def test_victim" in blob["content"]
    (ref,) = [json.loads(r.body) for r in proxy.calls("POST", r"/repos/[^/]+/[^/]+/git/refs")]
    assert ref["ref"].startswith("refs/heads/cicd-agent/flaky-fix-")
    (pull,) = [json.loads(r.body) for r in proxy.calls("POST", r"/repos/[^/]+/[^/]+/pulls")]
    assert pull["draft"] is True and pull["head"] == ref["ref"].removeprefix("refs/heads/")
    assert pull["base"] == "main"  # the branch the push was to (GITHUB_REF_NAME)
    assert "tests/test_b.py::test_victim" in pull["title"] and "verified" in pull["body"]
    assert proxy.calls("PATCH", r"/repos/[^/]+/[^/]+/git/refs/.*") == []  # never moves a branch


ONCE = """\
import pathlib

COUNT = pathlib.Path(__file__).with_name("once.count")


def test_once():
    seen = int(COUNT.read_text()) if COUNT.exists() else 0
    COUNT.write_text(str(seen + 1))
    assert seen > 0  # fails on the first run only
"""


def test_quarantine_pr_proposes_the_flaky_test_not_fixed_in_the_settings_file_by_a_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """A push whose test failed, then passed on retry: its entry (owner from CODEOWNERS, 30
    days) added to the settings file as text, its other lines kept, on a new branch."""
    settings = "review:\n  fail-on: high  # the team's\n"
    files = {"tests/test_q.py": ONCE, ".github/CODEOWNERS": "tests/ @acme/db\n",
             ".github/cicd-agent.yml": settings}  # fmt: skip
    code, _, summary = _step(tmp_path, monkeypatch, files, github=github_api.env(),
                             extra=["--fix-flaky", "off", "--quarantine-pr"])  # fmt: skip
    assert code == 0, summary
    until = (date.today() + timedelta(days=30)).isoformat()
    proxy = github_api.proxy
    (blob,) = [json.loads(r.body) for r in proxy.calls("POST", r"/repos/[^/]+/[^/]+/git/blobs")]
    assert blob["content"] == (settings + 'analyse-failure:\n  quarantine:\n'
                               '    - test: "tests/test_q.py::test_once"\n'
                               f'      owner: "@acme/db"\n      expires: "{until}"\n')
    (tree,) = [json.loads(r.body) for r in proxy.calls("POST", r"/repos/[^/]+/[^/]+/git/trees")]
    assert [e["path"] for e in tree["tree"]] == [".github/cicd-agent.yml"]
    (pull,) = [json.loads(r.body) for r in proxy.calls("POST", r"/repos/[^/]+/[^/]+/pulls")]
    assert pull["draft"] is True and pull["base"] == "main"
    assert pull["head"].startswith("cicd-agent/quarantine-")
    assert "Quarantine proposed by a draft pull request: " in summary and "/pull/" in summary
    assert proxy.calls("PATCH", r"/repos/[^/]+/[^/]+/git/refs/.*") == []


def test_quarantine_pr_on_a_pull_request_proposes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    files = {"tests/test_q.py": ONCE, ".github/CODEOWNERS": "tests/ @acme/db\n"}
    _, _, summary = _step(tmp_path, monkeypatch, files, event="pull_request",
                          github=github_api.env(), extra=["--fix-flaky", "off", "--quarantine-pr"])
    assert "No quarantine pull request: it is not from a push GitHub vouches for." in summary
    assert github_api.proxy.calls("POST", r"/repos/[^/]+/[^/]+/pulls") == []


def test_a_forks_pull_request_gets_the_patch_checked_never_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Who wrote the code cannot be asked (no token): the runs hold, the label says less."""
    _, document, _ = _step(tmp_path, monkeypatch, PROJECT, event="pull_request")
    (fixed,) = document["flaky_fixes"]
    assert fixed["status"] == "checked", fixed["evidence"]
    assert fixed["patch"] and "not vouched for by GitHub" in fixed["evidence"]


COLOURS = '''\
NAMES = {"navy": "#000080"}


def to_hex(name, spec="css3"):
    if spec not in ("css3", "html4"):
        raise ValueError("unknown spec " + spec)
    found = NAMES.get(name)
    if found is None:
        raise ValueError("unknown name " + name)
    return found
'''
SEEN = '''\
from app.colours import to_hex

_SEEN = set()


def test_polluter():
    _SEEN.add("navy")


def test_victim():
    assert not _SEEN, "state left behind by another test"
    assert to_hex("navy") == "#000080"


def test_cleaner():
    _SEEN.clear()
'''


def test_a_mutant_in_a_branch_the_victim_never_takes_does_not_refute_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """webcolors' victim, as a new user met it: of the code it calls, the first mutant makes it
    err in that code (before the patch too), the next turns a ``raise`` it never reaches into
    ``pass`` and survives. Only what the unpatched test fails says anything about the patch,
    and an error it made before counts as failing only where no other mutant says more: here
    the next, its own check failing, is named and the fix verified."""
    files = {"pyproject.toml": PROJECT["pyproject.toml"], "app/__init__.py": "",
             "app/colours.py": COLOURS, "tests/test_order.py": SEEN}  # fmt: skip
    _, document, _ = _step(tmp_path, monkeypatch, files)
    (fixed,) = document["flaky_fixes"]
    assert fixed["related_test"] == "tests/test_order.py::test_polluter"
    assert fixed["status"] == "verified", fixed["evidence"]
    assert "mutation check: fails when app/colours.py:10 `return found` mutated to `pass` " \
        "(its check tests/test_order.py:14: AssertionError" in fixed["evidence"]
    assert "`raise ValueError" not in fixed["evidence"]  # the branch it never takes


RANDOM = '''\
import os


def test_sometimes():
    assert os.urandom(1)[0] % 4 != 0


def test_fine():
    assert True
'''


def test_a_test_the_history_shows_flaky_that_fails_at_random_is_not_order_dependent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test that fails one run in four, flaky in the history (this step's own run may pass
    it): classified from its runs alone and after the others, it is "not order-dependent", its
    rate over its reruns alone named; with no model, no fix is claimed (``none``)."""
    _, document, summary = _step(tmp_path, monkeypatch, {"tests/test_r.py": RANDOM},
                                 flaky_before="tests.test_r.test_sometimes")  # fmt: skip
    (fixed,) = document["flaky_fixes"]
    assert fixed["test"] == "tests/test_r.py::test_sometimes"
    assert fixed["kind"] == "not-order-dependent" and fixed["status"] == "none", fixed
    assert fixed["patch"] == "" and fixed["related_test"] == ""
    assert fixed["runs_before"]["runs"] == 20 and fixed["runs_before"]["failed"] < 20
    assert "no fix is offered" in fixed["evidence"] and "fix: **none**" in summary


SETTER = '''\
from app import config


def test_setter():
    config.set_mode("debug")
    assert config.SETTINGS["mode"] == "debug"
'''
BRITTLE = '''\
from app.config import describe


def test_brittle():
    assert describe() == "running in debug"
'''


def test_a_brittle_test_gets_its_missing_state_setters_statements(tmp_path: Path) -> None:
    """It fails alone and passes after the test that sets its state: that test's statements are
    moved into it, and proven as a victim's cleaner's are (here on trusted code: ``verified``)."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {**PROJECT, "tests/test_a.py": SETTER, "tests/test_b.py": BRITTLE})
    orders = next(row.in_order for row in TABLE if row.in_order is not None)
    command = orders.command(PYTEST)
    assert command is not None
    environ = {"PATH": PROJECT_PATH, "HOME": "/nonexistent"}
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        fixes, why = fix_flaky(runs, ["tests.test_b.test_brittle"], trusted=True)
    assert why == ""
    (fixed,) = fixes
    assert (fixed.kind, fixed.related_test) == ("order-dependent", "tests/test_a.py::test_setter")
    assert fixed.status == "verified", fixed.evidence
    assert "+    config.set_mode(\"debug\")\n" in fixed.patch
    assert fixed.runs_before == Runs(4, 4, ("tests/test_b.py::test_brittle",))
    # The suite; alone and after its setter, 4 times each; 3 more after it (bisection over
    # one test runs none) and 3 more alone; the patch alone, which is also the failing order; the
    # written order patched, the reverse unpatched and patched; the failing order twice over;
    # the mutation check's 8.
    assert runs.sessions == 28


def test_an_attack_a_victim_whose_file_is_a_link_gets_no_patch(tmp_path: Path) -> None:
    """The victim's file is a link the pull request made (here to a file of the checkout; it
    could lead anywhere): it is classified from its runs, but never read to be patched, and
    no fix is offered."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.write({**PROJECT, "tests/victim_source.py": VICTIM})
    (repo.path / "tests" / "test_b.py").unlink()
    (repo.path / "tests" / "test_b.py").symlink_to("victim_source.py")
    repo.commit("tests")
    orders = next(row.in_order for row in TABLE if row.in_order is not None)
    command = orders.command(PYTEST)
    assert command is not None
    with orders.sandbox(repo.path, {"PATH": PROJECT_PATH, "HOME": "/nonexistent"}) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        assert runs.text("tests/test_b.py") is None
        fixes, _ = fix_flaky(runs, ["tests/test_b.py::test_victim"], trusted=True)
    (fixed,) = fixes
    assert fixed.kind == "order-dependent" and fixed.status == "none" and fixed.patch == ""
    assert fixed.evidence.endswith("no fix: its file is a link or too large to read")
    assert runs.sessions == 18  # its classification's: no cleaner is looked for


def test_on_the_pull_request_that_made_a_test_flaky_its_fix_is_a_suggestion_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    """The pull request adds the victim: its fix lies on the pull request's own lines, so it is
    one review of ``suggestion`` blocks pinned to the head, through PyGithub to the validating
    mock; a fix whose lines the pull request did not change is only shown."""
    victim = VICTIM.splitlines(keepends=True)
    patch = "".join(f"+{line}" for line in victim)
    github_api.proxy.script("GET", r"/repos/[^/]+/[^/]+/pulls/2/files", edit=lambda files: [
        {**files[0], "filename": "tests/test_b.py", "status": "added", "patch":
         f"@@ -0,0 +1,{len(victim)} @@\n{patch}"}])  # fmt: skip
    _, document, summary = _step(tmp_path, monkeypatch, PROJECT, event="pull_request",
                                    github=github_api.env())  # fmt: skip
    (fixed,) = document["flaky_fixes"]
    assert fixed["status"] in ("verified", "checked") and fixed["patch"], summary
    (review,) = [json.loads(r.body) for r in
                 github_api.proxy.calls("POST", r"/repos/[^/]+/[^/]+/pulls/2/reviews")]  # fmt: skip
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path / "project", text=True,
                          capture_output=True, check=True).stdout.strip()  # fmt: skip
    assert review["commit_id"] == head  # pinned to the commit the fix was found on
    (comment,) = review["comments"]
    assert comment["path"] == "tests/test_b.py" and "```suggestion\n" in comment["body"]
    assert "    config.reset()\n" in comment["body"] and "Flaky test fix" in comment["body"]
    assert "**Suggested on the pull request:**" in summary and "1 suggestion(s)" in summary


def test_a_fix_off_the_pull_requests_lines_is_not_suggested() -> None:
    """A suggestion can only sit on the pull request's own lines: a patch with a hunk off them
    (the test's file untouched by the pull request) is shown, never suggested."""
    patch = ("--- a/tests/test_b.py\n+++ b/tests/test_b.py\n@@ -3,2 +3,3 @@\n \n"
             " def test_victim():\n+    config.reset()\n")  # fmt: skip
    head = {3: "", 4: "def test_victim():"}  # the pull request's lines there, as its diff has them
    assert suggestions(patch, {"README.md": {1: "p"}}, "Flaky test fix") is None
    assert suggestions(patch, {"tests/test_b.py": {3: ""}}, "Flaky test fix") is None  # one short
    (comment,) = suggestions(patch, {"tests/test_b.py": head}, "Flaky test fix") or []
    assert (comment.path, comment.line, comment.start_line) == ("tests/test_b.py", 4, 3)


FAILS_FIRST = '''\
import pathlib

SEEN = pathlib.Path(__file__).with_name("once.seen")


def test_once_only():
    first = not SEEN.exists()
    SEEN.write_text("x")
    assert not first
'''
# chaimleib/intervaltree's layout: tests in a package ``test/`` named ``*_test.py``, a folder
# of data modules beside them (``test/issues/``), pytest configured in setup.cfg's [pytest]
INTERVALTREE_LIKE = {
    "setup.py": "from setuptools import setup\nsetup(name='iv', packages=['iv'])\n",
    "setup.cfg": "[tool:pytest]\naddopts = --ignore=setup.py --doctest-modules\n",
    "iv/__init__.py": "", "iv/config.py": CONFIG, "test/__init__.py": "",
    "test/issues/__init__.py": "", "test/issues/issue4.py": "DATA = [1, 2]\n",
    "test/order_a_test.py": POLLUTER.replace("from app import", "from iv import"),
    "test/order_b_test.py": VICTIM.replace("from app.config", "from iv.config"),
    "test/once_test.py": FAILS_FIRST,
}  # fmt: skip


def test_every_flaky_test_of_an_intervaltree_like_layout_gets_a_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, document, summary = _step(tmp_path, monkeypatch, INTERVALTREE_LIKE)
    assert code == 0, summary
    rows = {row["test"]: row for row in document.get("flaky_fixes", [])}
    wanted = {"test/order_b_test.py::test_victim", "test/once_test.py::test_once_only"}
    assert set(rows) >= wanted, (document.get("flaky_fixes"), document["notes"], summary)
    for row in rows.values():
        assert row["kind"] != "unclassified" or row["evidence"], row
    assert rows["test/order_b_test.py::test_victim"]["kind"] == "order-dependent", summary


def test_a_flaky_test_the_sandboxs_run_does_not_hold_gets_a_row_saying_so(tmp_path: Path) -> None:
    """A flaky test of the step (or its history) that the suite's own run in the sandbox did not
    list was dropped without a word: the step classified nothing and said nothing why."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", PROJECT)
    orders = next(row.in_order for row in TABLE if row.in_order is not None)
    command = orders.command(PYTEST)
    assert command is not None
    with orders.sandbox(repo.path, {"PATH": PROJECT_PATH, "HOME": "/nonexistent"}) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        fixes, why = fix_flaky(runs, ["tests/test_gone.py::test_missing"], trusted=True)
    assert why == ""
    (row,) = fixes
    assert (row.test, row.kind, row.status) == ("tests/test_gone.py::test_missing",
                                                "unclassified", "none")  # fmt: skip
    assert "not among the tests" in row.evidence, row.evidence


def test_a_sandbox_run_that_ran_no_test_says_what_it_ran(tmp_path: Path) -> None:
    """Seen on chaimleib/intervaltree: the suite's own run in the sandbox (the step's runner
    with the project's configuration, not the step's arguments) stopped at a collection error,
    so it listed no test, and each flaky test was "not among" them: the row now says that
    run ran nothing, and what it ran."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {**PROJECT, "tests/test_c.py": "import not_installed_anywhere\n"})
    orders = next(row.in_order for row in TABLE if row.in_order is not None)
    command = orders.command(PYTEST)
    assert command is not None
    with orders.sandbox(repo.path, {"PATH": PROJECT_PATH, "HOME": "/nonexistent"}) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        fixes, why = fix_flaky(runs, ["tests/test_b.py::test_victim"], trusted=True)
    (row,) = fixes
    assert (row.kind, row.status) == ("unclassified", "none")
    assert "ran no test" in row.evidence and "-m pytest" in row.evidence, row.evidence
    assert why and "ran no test" in why



def test_a_test_the_step_and_the_history_both_name_gets_one_row() -> None:
    """The step names a flaky test by its id, the history by its dotted name: one test, one
    row; a subtest classified as the test it runs within gets a row of its own, saying so."""
    row = FlakyFix("tests/test_r.py::test_a", "not-order-dependent", "", "none", "", Runs(1, 4),
                   Runs(0, 0), "it fails 1 of 4 runs alone")  # fmt: skip
    ids = {"tests/test_r.py::test_a": row.test, "tests.test_r.test_a": row.test}
    assert _as_named([row], ids) == [row]
    go = replace(row, test="m/calc.TestVictim")
    (sub,) = _as_named([go], {"m/calc.TestVictim/case_1": go.test})
    assert sub.test == "m/calc.TestVictim/case_1"
    assert sub.evidence.startswith("classified as m/calc.TestVictim, the test it runs within")
    # its patch is the parent's, which its draft pull request names (go-homedir's draft for
    # TestBVictim's patch was titled after its first subtest, cache_empty)
    assert sub.fixed_test == "m/calc.TestVictim" and row.fixed_test == row.test
