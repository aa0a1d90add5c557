"""gen-tests' judge of "these tests pass every time" (``modes/gen_tests/reruns.py``), in the
real sandbox: a test that fails every other run is flaky with its counts, a stable one is stable,
one that always fails is failing, one that sleeps past the budget is unchecked (never stable), and
an id that reads as an option is never put on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.conditions import ENOUGH, MAX_REPEAT, Condition, Schedule, varied
from cicd_agent.modes.gen_tests.rerun_counts import Counts, Enough, ReliableTests, planned_runs
from cicd_agent.modes.gen_tests.reruns import TestRuns, _Tally
from cicd_agent.runners.pytest.runner import PLUGIN
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from cicd_agent.sandbox.limits import Limits
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

TESTS = """\
import os
import pathlib
import time


def test_passes():
    assert True


def test_always_fails():
    assert False


def test_every_other_run():
    # A counter file beside the test: deterministic alternation across runs in one copy.
    counter = pathlib.Path(__file__).with_name("runs.txt")
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    assert seen % 2 == 0


def test_exits():
    os._exit(0)  # pytest ends before it reports: the file's round gives no result


def test_sleeps():
    time.sleep(60)
"""
PASSES = "tests/test_things.py::test_passes"
STEADY = "tests/test_steady.py::test_steady"
"""A fast test alone in its file (the hunt's rounds run its whole file)."""
FAILS = "tests/test_things.py::test_always_fails"
ALTERNATES = "tests/test_things.py::test_every_other_run"
SLEEPS = "tests/test_things.py::test_sleeps"
CLAIMS = """\
import pytest


@pytest.mark.parametrize("n", [1, 2])
def test_each(n):
    assert n


class TestGroup:
    def test_one(self):
        assert True

    def test_two(self):
        assert True


def test_other():
    assert True
"""

SPOILS = """\
import os


def test_writes_a_second_report():
    os.write(int(os.environ["CICD_GENTESTS_EVIDENCE_FD"]), b"not a report\\n")
"""
SPOILS_ID = "tests/test_spoils.py::test_writes_a_second_report"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestRuns]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("reruns") / "project")
    repo.commit("tests", {"tests/test_things.py": TESTS, "tests/test_claims.py": CLAIMS,
                          "tests/test_spoils.py": SPOILS,
                          "tests/test_steady.py": "def test_steady():\n    assert True\n",
                          "pyproject.toml": "[project]\nname='p'\n"})  # fmt: skip
    with Sandbox(repo.path, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        pytest_argv = ["python", "-m", "pytest", "-q", *PLUGIN]
        yield TestRuns(sandbox, pytest_argv, timeout=120)


@needs_sandbox
def test_a_test_failing_every_other_run_is_flaky_with_its_counts(runs: TestRuns) -> None:
    said: list[str] = []
    found = runs.judge(ReliableTests((PASSES, FAILS, ALTERNATES)), said=said.append)
    # fast tests (by pytest's own clock): ten rounds, as Datadog's; then the test that failed
    # every round once more alone, where it fails too (it fails whatever runs beside it)
    assert found.runs == 11 and found.alone == {FAILS: "failed"}
    # each round says so as it starts (a judge may run for minutes: never silent between)
    assert said[0] == "reruns: round 1, 3 test(s)" and said[-1].startswith("reruns: round 10, ")
    assert len(said) == 10
    assert found.tests[ALTERNATES] == Counts(passed=5, failed=5, planned=10, rounds=10)
    assert found.tests[PASSES].verdict == "stable"
    assert found.tests[FAILS].verdict == "failing"  # always failing is not flaky
    assert [test for test, counts in found.tests.items() if counts.verdict == "flaky"] == [
        ALTERNATES
    ]


@needs_sandbox
def test_the_hunt_stops_once_every_run_passed_enough_under_each_condition(runs: TestRuns) -> None:
    """A hunt's rounds (here two of its conditions, quiet ones: the first round measures, the
    second repeats in one session): the repeated round runs the passing test 299 times, enough
    that a test failing 1 run in 100 under its condition would have failed one with 95%
    probability, not the 1,000 its share of the budget held; the rest of the budget is not
    spent, and the evidence says what it showed (before: 1,001 runs, and only "stable")."""
    schedule = Schedule(varied(7).conditions[:2], 7, MAX_REPEAT)
    found = runs.judge(ReliableTests((STEADY,), budget=300), schedule=schedule)
    assert found.tests[STEADY] == Counts(passed=1 + ENOUGH, planned=2, rounds=2), found
    assert found.shown == ("stable: 300 runs of each test in 2 conditions, all passed; at least "
                           "299 in each of 1, where a test failing 1 run in 100 would have failed "
                           "one with 95% probability")  # fmt: skip


def test_a_failure_is_never_called_stable_and_keeps_the_cap() -> None:
    """Where a run failed, the test is flaky already: rounds keep the cap (more runs would only
    refine its rate) and nothing is called stable. A test cut short, or that never passed
    enough runs under one condition, is said nothing of."""
    assert ENOUGH == 299 and 0.99**ENOUGH < 0.05 <= 0.99 ** (ENOUGH - 1)
    enough = Enough()
    enough.add("in their files", {"t": (1, 0), "u": (1, 0)})
    assert enough.cap(MAX_REPEAT) == ENOUGH and enough.cap(40) == 40
    enough.add("shuffled", {"t": (ENOUGH, 0), "u": (ENOUGH, 0)})
    assert enough.said(["t", "u"]).startswith("stable: 300 runs of each test in 2 conditions")
    assert enough.said(["t", "u", "never ran"]) == ""
    enough.add("under load", {"t": (ENOUGH, 0), "u": (ENOUGH - 1, 1)})
    assert enough.cap(MAX_REPEAT) == ENOUGH and enough.said(["t", "u"]) == ""
    short = Enough()
    short.add("in their files", {"t": (ENOUGH - 1, 0)})
    assert short.said(["t"]) == ""


@needs_sandbox
def test_a_test_sleeping_past_the_budget_is_unchecked_never_stable(runs: TestRuns) -> None:
    found = runs.judge(ReliableTests((SLEEPS,), budget=3))
    assert found.tests == {SLEEPS: Counts()} and found.tests[SLEEPS].verdict == "unchecked"
    assert found.stopped.startswith("run 1: pytest timed out")


@needs_sandbox
def test_a_test_whose_file_gives_no_result_is_run_alone_for_the_rest(runs: TestRuns) -> None:
    """The fallback: 19 real flaky tests went unchecked because their whole file
    gave no result in the round's time. Here another test of the file ends pytest before it
    reports; the claimed test's other rounds run it alone, their conditions kept, and it is
    caught, with a replay of it alone."""
    in_files = Schedule(
        (Condition("in their files"), Condition("in their files, shuffled", shuffle=1))
    )
    found = runs.judge(ReliableTests((ALTERNATES,), runs=2), schedule=in_files)
    assert found.alone_from == 2 and found.runs == 3  # one round without a word, then 2 alone
    assert found.tests[ALTERNATES] == Counts(passed=1, failed=1, planned=2, rounds=2)
    # its counter moved in round 1 too (it runs before test_exits): round 2 failed, alone
    assert found.failed_under[ALTERNATES] == ("alone, shuffled, order seed 1",)
    assert found.replays[ALTERNATES].endswith(ALTERNATES)  # replayed alone, not its file


def test_the_tests_go_alone_when_their_files_rounds_would_outlast_the_budget() -> None:
    test = "tests/test_a.py::test_x"
    files = Condition("in their files, under load", noise=3)
    tally = _Tally(planned={test: 12}, counted=4, files_took=40.0)
    assert tally.condition(files, 5, [test], left=400.0) == files  # 8 rounds x 40 s fit
    assert tally.alone_from == 0
    alone = tally.condition(files, 6, [test], left=300.0)  # they do not: alone from here on
    assert alone == Condition("alone, under load", files=False, noise=3) and tally.alone_from == 6
    assert tally.condition(Condition("in their files"), 7, [test], left=1000.0).files is False
    # A claim of whole files (gen-tests before its first report) has nothing to run alone.
    whole = _Tally(planned={}, files_took=40.0)
    assert whole.condition(files, 2, ["tests/test_a.py"], left=1.0) == files


@needs_sandbox
def test_attack_a_test_that_spoils_its_sessions_report_costs_no_other_test_its_verdict(
    runs: TestRuns,
) -> None:
    """A test that writes a line of its own into the report's pipe leaves its session no word to
    believe on any test; the round runs again test by test, the flaky one beside it is named,
    and the spoiler is set apart, unchecked, with why."""
    found = runs.judge(ReliableTests((ALTERNATES, SPOILS_ID), runs=2),
                       schedule=Schedule((Condition("alone", False),)))  # fmt: skip
    assert found.tests[ALTERNATES].verdict == "flaky", found
    assert found.tests[SPOILS_ID] == Counts() and found.tests[SPOILS_ID].verdict == "unchecked"
    assert list(found.set_apart) == [SPOILS_ID] and "outcome reports" in found.set_apart[SPOILS_ID]
    assert found.runs == 4 and not found.stopped  # the spoilt round, its two sessions, one more


@needs_sandbox
def test_a_claimed_function_or_class_holds_its_parameters_and_methods(runs: TestRuns) -> None:
    """gen-tests claims a changed test by its function's id (``f.py::test_each``) or its class
    id: each runs alone as every case pytest makes of it, and no other test of the file."""
    claim = ("tests/test_claims.py::test_each", "tests/test_claims.py::TestGroup")
    found = runs.judge(
        ReliableTests(claim, runs=2), schedule=Schedule((Condition("alone", False),))
    )
    assert sorted(found.tests) == [
        "tests/test_claims.py::TestGroup::test_one", "tests/test_claims.py::TestGroup::test_two",
        "tests/test_claims.py::test_each[1]", "tests/test_claims.py::test_each[2]",
    ]  # fmt: skip
    assert {counts.verdict for counts in found.tests.values()} == {"stable"}


@needs_sandbox
def test_an_id_that_reads_as_an_option_is_never_run(runs: TestRuns) -> None:
    found = runs.judge(ReliableTests(("--collect-only",)))
    assert found.tests == {} and found.runs == 0 and found.stopped == "no test to run"


def test_the_run_count_goes_by_the_first_runs_length() -> None:
    assert [planned_runs(s) for s in (0.1, 4.9, 5.0, 29.0, 31.0, 299.0, 300.0)] == [
        10, 10, 5, 5, 2, 2, 0,
    ]  # fmt: skip
    assert Counts(passed=1, planned=0).verdict == "unchecked"  # too slow to run again
    assert Counts(passed=1, failed=1, planned=0).verdict == "flaky"
    assert Counts(passed=3, planned=5).verdict == "unchecked"


FORGER = """\
import json
import os


def test_forges_the_report():
    # The report pytest would send, written first by the test itself, then an exit with the
    # status it claims: an id that reads as an option must never reach the next round.
    fd = int(os.environ["CICD_GENTESTS_EVIDENCE_FD"])
    forged = {"tests": {"--version": "passed", "tests/test_forge.py::test_forges_the_report": "passed"},
              "exitstatus": 0, "seconds": {"--version": 0.0}}
    os.write(fd, json.dumps(forged).encode() + b"\\n")
    os._exit(0)
"""


@needs_sandbox
def test_a_forged_report_never_puts_an_option_on_the_next_command_line(
    tmp_path: Path,
) -> None:
    """Attack: a pull request's test writes the report itself; only ids of the claimed file
    count, so ``--version`` is neither counted nor run in a later round, and the forged pass
    of a test whose function the in-run check never saw return is no pass."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit(
        "forger", {"tests/test_forge.py": FORGER, "pyproject.toml": "[project]\nname='p'\n"}
    )
    with Sandbox(repo.path, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        pytest_argv = ["python", "-m", "pytest", "-q", *PLUGIN]
        found = TestRuns(sandbox, pytest_argv, timeout=120).judge(
            ReliableTests(("tests/test_forge.py",), runs=2)
        )
    assert "--version" not in found.tests
    forged = found.tests["tests/test_forge.py::test_forges_the_report"]
    assert forged == Counts(failed=2, planned=2, rounds=2)
    # two rounds, then the test once alone: its forged pass there is no pass either
    assert found.runs == 3
    assert found.alone.get("tests/test_forge.py::test_forges_the_report") != "passed"


LATE_WRITER = """\
import os
import time


def pytest_unconfigure(config):
    # After pytest has sent its report: write past the run's disk room, then wait to be caught.
    with open("late.bin", "wb") as out:
        out.write(os.urandom(8 << 20))
    time.sleep(30)
"""


@needs_sandbox
def test_a_run_the_sandbox_kills_after_pytest_reported_says_why_it_was_killed(
    tmp_path: Path,
) -> None:
    """A run killed for a limit after its report was sent is unchecked for that reason: the
    words are the sandbox's ("was killed: …"), not a status mismatch that reads as tampering."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("late writer", {"tests/test_things.py": "def test_passes():\n    pass\n",
                                "conftest.py": LATE_WRITER,
                                "pyproject.toml": "[project]\nname='p'\n"})  # fmt: skip
    limits = Limits(disk_bytes=1 << 20)
    with Sandbox(repo.path, {"PATH": path_env(), "HOME": "/nonexistent"}, limits=limits) as box:
        pytest_argv = ["python", "-m", "pytest", "-q", *PLUGIN]
        found = TestRuns(box, pytest_argv, timeout=120).judge(
            ReliableTests(("tests/test_things.py",), runs=2)
        )
    assert all(counts.verdict == "unchecked" for counts in found.tests.values()), found
    assert "was killed:" in found.stopped, found.stopped
    assert "although pytest ended" not in found.stopped, found.stopped


def test_attack_a_repeated_tests_reported_passes_count_only_as_the_in_run_check_saw_them() -> None:
    """Our plugin's counts are written in the tests' process: a test that rewrites them (40
    passes where its function ran once) keeps one pass, the other 39 runs count failed; a
    failure the in-run check was told of stays a failure whatever the count says."""
    from cicd_agent.runners.pytest.report import _seen_repeats

    test = "tests/test_a.py::test_x"
    assert _seen_repeats({test: (40, 0)}, {test: 1}, {}) == {test: (1, 39)}
    assert _seen_repeats({test: (40, 0)}, {test: 40}, {test: 3}) == {test: (37, 3)}
    assert _seen_repeats({test: (5, 5)}, {test: 10}, {test: 5}) == {test: (5, 5)}
    assert _seen_repeats({test: (5, 0)}, {}, {}) == {test: (0, 5)}  # never seen: no pass


def test_a_rounds_repetitions_fill_its_share_of_the_budget_after_the_sessions_start() -> None:
    from cicd_agent.modes.gen_tests.conditions import Condition

    tally = _Tally(planned={"t": 6}, counted=1)
    alone = Condition("alone", files=False)
    assert tally.repeat(alone, ["t"], 300.0, 900.0, 2_000) == alone  # nothing measured yet
    tally.measured(20.0, [0.5], alone)  # a round of one run: 19.5 s to start, 0.5 s a run
    more = tally.repeat(alone, ["t"], 300.0, 900.0, 2_000)  # 60 s a round, half: 30 - 19.5 s
    assert more.repeat == int(2 * 10.5 / 0.5) and more.repeat_for == 10.5
    assert tally.repeat(alone, ["t"], 300.0, 900.0, 10).repeat == 10  # the schedule's most
    assert tally.repeat(alone, ["t"], 20.0, 900.0, 2_000).repeat == 1  # no room: once
