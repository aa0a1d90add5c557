"""At a glance, through the real CLI and the real sandbox: the tests a change adds are run again
and again by the verifier (``modes/gen_tests/pr_tests.py``); a test that fails every other run
is named flaky with its counts in the summary, the --json and the ``tests_flaky`` output; a
stable one is not; one that always fails is failing, not flaky; a test the change did not touch
is never run again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import run_gen_tests
from tests.helpers.plugin_run import BOOT, PLUGIN
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

ADDED = """\
import os
import pathlib


def test_stable():
    assert 1 + 1 == 2


def test_always_fails():
    assert 1 + 1 == 3


def test_every_other_run():
    # A counter file beside the test: it fails on every second run, deterministically.
    counter = pathlib.Path(__file__).with_name("counter.txt")
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    assert seen % 2 == 0


def test_clean_environment():
    # fails beside the change's other test file, which sets this as it is imported: alone, passes
    assert "POLLUTED_BY_AN_IMPORT" not in os.environ
"""
POLLUTER = """\
import os

os.environ["POLLUTED_BY_AN_IMPORT"] = "1"


def test_sets_at_import():
    assert True
"""
FLAKY = "tests/test_added.py::test_every_other_run"
VICTIM = "tests/test_added.py::test_clean_environment"
UNCOVERED = "def double(x):\n    return 2 * x\n"


def test_a_test_the_change_adds_that_fails_every_other_run_is_flaky(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit(
        "base",
        {
            "pyproject.toml": "[project]\nname='p'\n",
            "tests/test_old.py": "def test_old():\n    assert True\n",
        },
    )
    # with new code no test runs, as a change often is: the headline's coverage gap is not all
    head = repo.commit(
        "add tests",
        {"tests/test_added.py": ADDED, "tests/test_polluter.py": POLLUTER, "p.py": UNCOVERED},
    )
    # A test timeout of 15 s bounds each round's repetitions to about half of it (its share of
    # the hunt's budget, at most the timeout): the same six rounds, each repeating the tests
    # for seconds, not the default's half-minute (under load, noise beside them all along).
    argv = ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none"]
    code, document, outputs, _ = run_gen_tests([*argv, "--test-timeout", "15"], tmp_path)
    assert code == 0
    verdicts = {r["test"]: (r["verdict"], r["passed"], r["runs"]) for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    # six rounds, each after the first repeating the tests in its one session: many runs
    assert {test: verdict for test, (verdict, _, _) in verdicts.items()} == {
        "tests/test_added.py::test_stable": "stable",
        "tests/test_added.py::test_always_fails": "failing",
        FLAKY: "flaky",
        VICTIM: "failing",
        "tests/test_polluter.py::test_sets_at_import": "stable",
    }
    # run once more alone, the always-failing tests are told apart (as test-step would)
    alone = {r["test"]: r["alone"] for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    assert alone[VICTIM] == "passed" and alone["tests/test_added.py::test_always_fails"] == "failed"
    named = ("tests/test_added.py::test_stable", "tests/test_added.py::test_always_fails", FLAKY)
    stable, failing, flaky = (verdicts[test][1:] for test in named)
    assert stable[0] == stable[1] > 6 and failing[0] == 0 < failing[1] and 0 < flaky[0] < flaky[1]
    assert document["tests_flaky"] == 1
    assert "tests_flaky<<" in outputs
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    # the condition of its first failing run (the second: its file shuffled) and its replay
    assert f"test_every_other_run` passed {flaky[0]} of {flaky[1]} run(s): flaky; it failed in " \
        "their files, shuffled, order seed " in summary
    assert "replay: `PYTHONPATH=" in summary  # the plugin's folder: no cicd-agent import needed
    assert "python -m pytest -p cicd_agent_pytest_plugin --cicd-shuffle " in summary
    # how many times each test ran, in how many sessions, and what passing them all shows
    assert "1 flaky, 2 passed every one of their runs" in summary, summary
    assert "ten runs" not in summary
    assert " round(s) in " in summary and "each a pytest session that runs every test" in summary
    assert "test_old" not in summary  # not touched by the change: not run again
    assert "test_clean_environment` passed 0 of " in summary
    assert "failing; it passed alone: it fails only after another test (order-dependent)" in summary
    assert "test_always_fails` passed 0 of " in summary and "failing; it failed alone too" in summary
    # The headline names the flaky test and its evidence first, before the coverage gap.
    headline = str(document["headline"])
    assert headline.startswith(
        f"A test the change adds or changes is flaky: `{FLAKY}` failed "
        f"{flaky[1] - flaky[0]:,} of {flaky[1]:,} runs. "
        # tomli's always-failing test was in the body alone, the headline naming the flaky one
        "A test the change adds or changes failed every run beside other tests and passed "
        f"alone: `{VICTIM}` failed {verdicts[VICTIM][2]:,} of {verdicts[VICTIM][2]:,} runs. "
        "A test the change adds or changes failed every run: "
        f"`tests/test_added.py::test_always_fails` failed {failing[1]:,} of {failing[1]:,} runs. "
    ), headline
    assert "not covered" in headline or "never imported" in headline, headline


def test_repetitions_cut_by_the_rounds_time_leave_no_stable_test_failing(tmp_path: Path) -> None:
    """A round's repetitions stop at ``--cicd-repeat-for``; the test run before the first one
    left out kept its file's fixtures for it, so the next test of another file met them still
    set up and errored: a test that only passes was named flaky whenever a round's time ran
    out (seen on a loaded machine, and by any test slow enough to outlast its round)."""
    for name in ("a", "b"):
        (tmp_path / f"test_{name}.py").write_text(
            "import pytest\n\n\n@pytest.fixture(scope='module')\ndef held():\n    yield 1\n\n\n"
            f"def test_{name}(held):\n    assert held == 1\n", encoding="utf-8")  # fmt: skip
    read, write = os.pipe()
    environ = {**os.environ, "CICD_GENTESTS_EVIDENCE_FD": str(write), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
               "PYTHONPATH": BOOT}  # the plugin by its name, from its boot folder
    environ.pop("PYTEST_ADDOPTS", None)
    # every repetition starts past the round's time (a millisecond): only each test's first
    # run runs, shuffled among the left-out repetitions of both files
    argv = ["-p", PLUGIN, "-p", "no:cacheprovider", "--cicd-repeat", "50", "--cicd-repeat-for",
            "0.001", "--cicd-shuffle", "3", "test_a.py", "test_b.py"]  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", *argv], cwd=tmp_path, env=environ,
                         pass_fds=(write,), capture_output=True, text=True, check=False,
                         timeout=120)  # fmt: skip
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        document = json.loads(pipe.read().decode().splitlines()[0])
    assert "not torn down" not in run.stdout, run.stdout[-2000:]
    assert document["tests"] == {"test_a.py::test_a": "passed", "test_b.py::test_b": "passed"}
    assert document["repeats"] == {"test_a.py::test_a": [1, 0], "test_b.py::test_b": [1, 0]}
    assert (run.returncode, document["exitstatus"]) == (0, 0), run.stdout[-2000:]


OLD = "import time\n\n\ndef test_old():\n    time.sleep(0.01)\n    assert True\n"


def test_a_change_that_adds_no_test_runs_its_changed_tests_once_a_round(tmp_path: Path) -> None:
    """The hunt's repetitions fill each round's share of the budget (300 s for a slow file):
    spent on the tests a change adds, whose flakiness no earlier run has seen. A test the
    change only edits runs once under each condition, and the summary says why."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"pyproject.toml": "[project]\nname='p'\n", "tests/test_old.py": OLD})
    head = repo.commit("edit a test", {"tests/test_old.py": OLD.replace("True", "1 == 1")})
    code, document, _, _ = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none"], tmp_path
    )
    assert code == 0, document
    ((test, runs),) = [(r["test"], r["runs"]) for r in document["pr_tests"]]  # type: ignore[union-attr, index]
    assert test == "tests/test_old.py::test_old" and runs == 6, document["pr_tests"]
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "the change adds no test" in summary and "up to 1,000 times" not in summary


def test_a_change_adds_a_test_when_it_declares_one_in_any_runners_language(tmp_path: Path) -> None:
    """What counts as adding a test: a new test file, or a line the change adds that declares
    a test, as the file's runner declares one (its own rule, in its folder); an edit inside
    one, or a helper, adds none. Before: one table of patterns missed jest's and vitest's
    tagged-template tables (``test.each`...```), Go's examples and an attribute with
    arguments (``#[tokio::test(flavor = ...)]``, ``#[rstest]``), so the hunt ran such a new
    test once a round."""
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.gen_tests.targets import adds_a_test as adds_for
    from cicd_agent.runners.table import RUNNERS

    runner = {r.name: r for r in RUNNERS}
    by_suffix = {".py": runner["pytest"], ".ts": runner["vitest"], ".go": runner["go test"],
                 ".rs": runner["cargo test"]}  # fmt: skip

    def adds_a_test(changed: Any) -> bool:
        return adds_for(changed, by_suffix[Path(changed.path).suffix])

    repo = GitRepoBuilder(tmp_path / "project")
    start = {"tests/test_a.py": OLD, "calc.test.ts": "it('adds', () => {\n  x(1)\n})\n",
             "calc_test.go": "package c\n\nfunc TestAdd(t *testing.T) {\n}\n",
             "lib.rs": "#[test]\nfn adds() {\n}\n"}  # fmt: skip
    base = repo.commit("base", start)
    go = start["calc_test.go"].replace("}\n", "\tt.Log()\n}\n")
    edits = repo.commit("edits", {"tests/test_a.py": OLD + "\n\ndef helper():\n    pass\n",
                                  "calc.test.ts": start["calc.test.ts"].replace("1", "2"),
                                  "calc_test.go": go,
                                  "lib.rs": "#[test]\nfn adds() {\n  1;\n}\n"})  # fmt: skip
    adds = repo.commit("adds", {"tests/test_a.py": OLD + "\n\nasync def test_b():\n    pass\n",
                                "calc.test.ts": "it('adds', () => {\n  x(2)\n})\ntest.each([1])('b', f)\n",
                                "calc_test.go": go + "\nfunc TestB(t *testing.T) {}\n",
                                "lib.rs": "#[test]\nfn adds() {\n  1;\n}\n#[tokio::test]\nasync fn b() {}\n",
                                "tests/test_new.py": "x = 1\n"})  # fmt: skip
    more = repo.commit("more", {"calc.test.ts": "it('adds', () => {\n  x(2)\n})\n"
                                                "test.each`\n  a | b\n`('c', f)\n",
                                "calc_test.go": go + "\nfunc ExampleSign() {}\n",
                                "lib.rs": "#[test]\nfn adds() {\n  1;\n}\n"
                                          '#[tokio::test(flavor = "multi_thread")]\n'
                                          "async fn b() {}\n#[rstest]\nfn c() {}\n"})  # fmt: skip
    checkout = GitCheckout(repo.path)
    assert not any(adds_a_test(f) for f in checkout.diff(base, edits).files)
    assert all(adds_a_test(f) for f in checkout.diff(edits, adds).files)
    added = {f.path: adds_a_test(f) for f in checkout.diff(adds, more).files}
    assert added == dict.fromkeys(("calc.test.ts", "calc_test.go", "lib.rs"), True)
