"""A test step's verdict after its failed tests were retried and its quarantine read: the
checks a person makes on a red or green job (what failed, what was excused and why), and the
attacks: a retried test that writes its own pass, a quarantine entry the pull request adds,
code from someone who cannot push."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from cicd_agent.analysis.changed_lines import Touched
from cicd_agent.job.repo_config import QuarantineEntry, load
from cicd_agent.modes.test_step.attempts import attempt_of, runner_of
from cicd_agent.modes.test_step.judge import Attempt, judge_step
from tests.git_builder import GitRepoBuilder

TODAY = date(2026, 11, 26)
FLIP, BROKEN, QUIET = "tests.test_a.test_flip", "tests.test_a.test_broken", "tests.test_b.test_q"
FIRST = Attempt({FLIP: False, BROKEN: False, QUIET: False, "tests.test_a.test_ok": True}, 1)
RETRY = Attempt({FLIP: True, BROKEN: False, QUIET: False}, 1)
ENTRIES = (
    QuarantineEntry("tests/test_b.py::test_q", "@acme/db-team", date(2026, 12, 20)),
    QuarantineEntry("tests/test_a.py::test_broken", "@acme/web", date(2026, 11, 26)),
)


def test_only_a_test_that_passed_on_retry_is_flaky_and_the_policy_decides() -> None:
    found = judge_step([FIRST, RETRY], ENTRIES, TODAY, code_is_proof=True, policy="pass")
    # "retry 1 of 1" read as if one retry were allowed: the count allowed is not the count run
    assert found.flaky == ((FLIP, "failed on the first run, passed on retry 1"),)
    assert found.quarantined == ((QUIET, "quarantined until 2026-12-20, owner @acme/db-team"),)
    assert found.failing == (BROKEN,)  # its entry expires today: it counts again
    assert not found.passed and found.said[-1] == "1 test(s) failed on every run: the step fails."


def test_a_failure_no_retry_ran_again_is_never_said_to_fail_on_every_run() -> None:
    """A new user's Rust doctest: the retry selected no doctest, so it had one run, yet the
    step said it "failed on every run"."""
    from cicd_agent.modes.test_step.result import decide

    missed = judge_step([FIRST, Attempt({FLIP: True, QUIET: False}, 1)], (), TODAY,
                        code_is_proof=True)  # fmt: skip
    assert missed.once == (BROKEN,) and set(missed.failing) == {BROKEN, QUIET}
    assert missed.said[-1] == ("1 test(s) failed on every run; 1 test(s) failed on their one run "
                               "(no retry ran them again, so whether they are flaky is not "
                               "known): the step fails.")  # fmt: skip
    assert "every run" not in decide(missed, ["cargo", "test"]).headline.split(";")[1]
    alone = judge_step([Attempt({BROKEN: False}, 1)], (), TODAY, code_is_proof=True)
    assert alone.said[-1] == ("1 test(s) failed on their one run (no retry was made, so whether "
                              "they are flaky is not known): the step fails.")  # fmt: skip
    assert decide(alone, ["x"]).headline == (
        "The test step failed: 1 test(s) failed on their one run (not retried).")
    doubted = judge_step([Attempt({BROKEN: False}, 1), Attempt({}, 1)], (), TODAY,
                         code_is_proof=True)  # fmt: skip
    assert "(no retry's report was believed, so" in doubted.said[-1], doubted.said


def test_every_failure_flaky_or_quarantined_passes_the_step_saying_which() -> None:
    first = Attempt({FLIP: False, QUIET: False}, 1)
    retry = Attempt({FLIP: True, QUIET: False}, 1)
    green = judge_step([first, retry], ENTRIES, TODAY, code_is_proof=True, policy="pass")
    assert green.passed
    # the entry for test_broken names no test of these runs, and is said to excuse nothing
    assert green.said == ("Every failure was flaky (passed on retry) or a quarantined test: the "
                          "step passes.",
                          "Quarantine entries that name none of the tests this run reported, so "
                          "they excuse nothing: `tests/test_a.py::test_broken`. An entry names a "
                          "test as its runner prints it (go's `package.TestName`, pytest's "
                          "`file::test`).")  # fmt: skip
    red = judge_step([first, retry], ENTRIES, TODAY, code_is_proof=True, policy="fail")
    assert not red.passed and red.flaky and "policy (flaky: fail)" in red.said[0]
    only_quarantined = judge_step([Attempt({QUIET: False}, 1)], ENTRIES, TODAY, code_is_proof=True)
    assert only_quarantined.passed and only_quarantined.quarantined[0][0] == QUIET


def test_a_quarantined_test_that_passes_on_retry_stays_quarantined_whatever_the_policy() -> None:
    """A new user's tomli: with retries on, the quarantined test passed on retry and was shown
    "flaky (not excused)" with its entry unmentioned, so retries made the step stricter."""
    first, retry = Attempt({QUIET: False}, 1), Attempt({QUIET: True}, 0)
    for policy in ("fail", "pass"):
        found = judge_step([first, retry], ENTRIES, TODAY, code_is_proof=True, policy=policy)
        assert found.passed and found.flaky == () and found.failing == ()
        assert found.quarantined == ((QUIET, "quarantined until 2026-12-20, owner "
                                      "@acme/db-team, passed on retry 1"),)  # fmt: skip
    forked = judge_step([first, retry], ENTRIES, TODAY, code_is_proof=False, policy="pass")
    assert not forked.passed and "(not excused)" in forked.quarantined[0][1]


def test_an_entry_without_an_owner_excuses_nothing() -> None:
    ownerless = (QuarantineEntry("tests/test_b.py::test_q", "", date(2027, 1, 1)),)
    found = judge_step([Attempt({QUIET: False}, 1)], ownerless, TODAY, code_is_proof=True)
    assert not found.passed and found.failing == (QUIET,)


def test_attack_a_retried_test_that_writes_its_own_pass_is_not_believed() -> None:
    """Its report says every test passed, the process still failed: that retry counts for
    nothing, so the test failed on every believed run."""
    forged = Attempt({FLIP: True, BROKEN: True, QUIET: True}, 1)
    found = judge_step([FIRST, forged], (), TODAY, code_is_proof=True, policy="pass")
    assert not found.passed and found.flaky == () and set(found.failing) == {FLIP, BROKEN, QUIET}
    assert found.said[0] == ("retry 1 is not believed: it exited 1 although its report names "
                             "no failed test.")  # fmt: skip
    lying_first = Attempt({FLIP: False}, 0)  # a report with a failure, a step that exited 0
    assert not judge_step([lying_first], (), TODAY, code_is_proof=True).passed


def test_attack_untrusted_code_is_excused_nothing() -> None:
    """A fork's tests write the reports the retry reads: a pass on retry or a quarantined name
    in them proves nothing, so the step fails and says what it would have excused."""
    first = Attempt({FLIP: False, QUIET: False}, 1)
    retry = Attempt({FLIP: True, QUIET: False}, 1)
    # ENTRIES[:1]: test_broken's entry names no test of these runs (said last, when given)
    found = judge_step([first, retry], ENTRIES[:1], TODAY, code_is_proof=False, policy="pass")
    assert not found.passed and found.flaky and found.quarantined
    assert "cannot push" in found.said[-1]


def test_code_nobody_could_vouch_for_is_said_so_not_called_untrusted() -> None:
    """No event (a run on a terminal) or no answer: the step cannot tell who wrote the code,
    and says that, not that its author cannot push; it still excuses nothing."""
    first = Attempt({FLIP: False, QUIET: False}, 1)
    retry = Attempt({FLIP: True, QUIET: False}, 1)
    found = judge_step([first, retry], ENTRIES[:1], TODAY, code_is_proof=False, policy="pass",
                       unsure="No event says who wrote this code")  # fmt: skip
    assert not found.passed
    assert found.said[-1].startswith("No event says who wrote this code: its own reports")
    assert "cannot push" not in found.said[-1]
    # with the change's lines too: no line of the summary says the author cannot push
    change = Touched({"tests/test_a.py": frozenset({1})})
    found = judge_step([first, retry], ENTRIES[:1], TODAY, code_is_proof=False, policy="pass",
                       unsure="No event says who wrote this code", change=change)  # fmt: skip
    assert not [said for said in found.said if "cannot push" in said], found.said
    assert ("Whether a failed test ran the changed lines was not checked: the record of them is "
            "written in the tests' process, by code no one vouched for (No event says who wrote "
            "this code).") in found.said


def test_attack_a_quarantine_entry_in_the_pull_requests_tree_changes_nothing(
    tmp_path: Path,
) -> None:
    """The entries are read at the base commit: the one the change adds is not among them."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {"tests/test_b.py": "def test_q():\n    assert False\n"})
    repo.commit("quarantine my own failure", {".github/cicd-agent.yml": (
        "analyse-failure:\n  quarantine:\n    - test: tests/test_b.py::test_q\n"
        "      owner: '@me'\n      expires: '2026-12-20'\n")})  # fmt: skip
    entries = load(repo.path, base, "analyse-failure", TODAY).quarantine
    assert entries == ()
    found = judge_step([Attempt({QUIET: False}, 1)], entries, TODAY, code_is_proof=True)
    assert not found.passed and found.failing == (QUIET,)
    head_entries = load(repo.path, "HEAD", "analyse-failure", TODAY).quarantine
    assert judge_step([Attempt({QUIET: False}, 1)], head_entries, TODAY, code_is_proof=True).passed


def test_a_run_that_stopped_before_any_test_says_so_not_only_that_it_is_not_believed() -> None:
    """Seen on real projects in the sandbox: ``npx`` fetching a runner the copy did not hold,
    go failing to make its build cache. No test reported: the step fails and says the run
    stopped before its tests, its own output saying why; a report naming tests that all
    passed beside a failing status is still one not believed."""
    stopped = judge_step([Attempt({}, 1)], (), TODAY, code_is_proof=True)
    assert not stopped.passed
    assert stopped.said == ("The step's report is not believed: it exited 1 before any test "
                            "reported (a missing tool or package, a build that failed: its own "
                            "output above says which).",)  # fmt: skip
    belied = judge_step([Attempt({FLIP: True}, 1)], (), TODAY, code_is_proof=True)
    assert belied.said == ("The step's report is not believed: it exited 1 although its report "
                           "names no failed test.",)  # fmt: skip


def _report(*cases: str) -> bytes:
    return ('<?xml version="1.0"?><testsuites><testsuite name="pytest">' + "".join(cases)
            + "</testsuite></testsuites>").encode()  # fmt: skip


def _read(tmp_path: Path, report: bytes) -> Attempt:
    """The step's first run of pytest, failing, whose JUnit report is ``report``: read as the
    step reads it (the runner's reader, then keyed canonically)."""
    (tmp_path / "report.xml").write_bytes(report)
    runner = runner_of(["pytest", "-q"])
    assert runner is not None and runner.name == "pytest"
    assert runner.step is not None
    return attempt_of(runner.step.step_outcomes(tmp_path, "", tmp_path), 1)


FAILED = '<failure message="assert False"/>'
QUARANTINED = (QuarantineEntry("tests/test_s.py::test_quarantined", "@acme/db", date(2027, 1, 1)),)


def test_an_honest_quarantined_test_in_a_junit_only_report_is_still_excused(tmp_path: Path) -> None:
    """A report that names no file (JUnit's classname and name alone, as surefire's or
    pytest's xunit2) gives only the canonical name: the entry meets it there, and no other
    test of the run bears that name, so it excuses it."""
    first = _read(tmp_path, _report(
        f'<testcase classname="tests.test_s" name="test_quarantined">{FAILED}</testcase>',
        '<testcase classname="tests.test_s" name="test_ok"/>'))  # fmt: skip
    assert first.names == {"tests.test_s.test_quarantined": "tests.test_s.test_quarantined",
                           "tests.test_s.test_ok": "tests.test_s.test_ok"}  # fmt: skip
    found = judge_step([first], QUARANTINED, TODAY, code_is_proof=True)
    assert found.passed, found.said
    assert found.quarantined == (("tests.test_s.test_quarantined",
                                  "quarantined until 2027-01-01, owner @acme/db"),)  # fmt: skip


def test_attack_a_twin_whose_canonical_name_meets_a_quarantined_one_is_not_excused(
    tmp_path: Path,
) -> None:
    """pytest names the pull request's new ``tests.py::test_s::test_quarantined`` and the
    quarantined ``tests/test_s.py::test_quarantined`` alike canonically: named by file, the
    entry names only the second; alone (its twin deleted), the new one is not the entry's;
    side by side, whichever fails, the shared name is excused by nothing, the summary saying
    why."""
    twin = ('<testcase file="tests.py" classname="tests.test_s" name="test_quarantined">'
            f"{FAILED}</testcase>")  # fmt: skip
    alone = judge_step([_read(tmp_path, _report(twin))], QUARANTINED, TODAY, code_is_proof=True)
    assert not alone.passed and alone.failing == ("tests.py::test_s::test_quarantined",)
    assert alone.said[0] == (
        "`tests.py::test_s::test_quarantined` is not excused by the quarantine entry "
        "`tests/test_s.py::test_quarantined`: the entry names it only by its canonical spelling "
        "`tests.test_s.test_quarantined`; an entry excuses a test named as its runner names it."
    )
    for original in ("", FAILED):  # the quarantined one passing, then failing too
        both = _read(tmp_path, _report(twin, '<testcase file="tests/test_s.py" '
                                       f'classname="tests.test_s" name="test_quarantined">'
                                       f"{original}</testcase>"))  # fmt: skip
        assert both.outcomes == {"tests.test_s.test_quarantined": False}
        found = judge_step([both], QUARANTINED, TODAY, code_is_proof=True)
        assert not found.passed and found.quarantined == ()
        assert found.said[0].endswith(
            "the tests `tests.py::test_s::test_quarantined`, `tests/test_s.py::test_quarantined` "
            "share its canonical name `tests.test_s.test_quarantined`, so the entry cannot tell "
            "which it names.")  # fmt: skip
    honest = '<testcase file="tests/test_s.py" classname="tests.test_s" name="test_quarantined">'
    named = _read(tmp_path, _report(f"{honest}{FAILED}</testcase>"))
    assert judge_step([named], QUARANTINED, TODAY, code_is_proof=True).passed


def test_the_ordinary_quarantined_tests_are_still_excused(tmp_path: Path) -> None:
    """A pytest function and a method of a class written in its own file, and a vitest test
    within a describe, each quarantined by its runner's id, are excused: one result bears
    each id, written in the file it names."""
    entries = (
        *QUARANTINED,
        QuarantineEntry("tests/test_c.py::TestC::test_m", "@acme/db", date(2027, 1, 1)),
        QuarantineEntry("tests/calc.test.js › calc broken", "@acme/web", date(2027, 1, 1)),
    )
    first = _read(
        tmp_path,
        _report(
            f'<testcase file="tests/test_s.py" classname="tests.test_s" name="test_quarantined">'
            f"{FAILED}</testcase>",
            f'<testcase file="tests/test_c.py" classname="tests.test_c.TestC" name="test_m">'
            f"{FAILED}</testcase>",
        ),
    )
    found = judge_step([first], entries, TODAY, code_is_proof=True)
    assert found.passed and [t for t, _ in found.quarantined] == [
        "tests/test_s.py::test_quarantined",
        "tests/test_c.py::TestC::test_m",
    ], found.said
    vitest = _vitest(tmp_path, ("calc broken", "failed"), ("calc works", "passed"))
    found = judge_step([vitest], entries, TODAY, code_is_proof=True)
    assert found.passed and found.quarantined == (
        ("tests/calc.test.js › calc broken", "quarantined until 2027-01-01, owner @acme/web"),
    )


def test_attack_an_id_two_results_bear_or_one_written_elsewhere_is_excused_by_no_entry(
    tmp_path: Path,
) -> None:
    """vitest's ``calc broken`` beside ``calc`` › ``broken`` (one full name), and a method
    pytest's report places in another file than its class path's (inherited: the step can
    only rebuild its dotted name): the entry naming the id cannot tell which test it names."""
    entry = (QuarantineEntry("tests/calc.test.js › calc broken", "@acme/web", date(2027, 1, 1)),)
    for outcomes in (("failed", "passed"), ("passed", "failed")):
        twins = _vitest(tmp_path, *zip(("calc broken", "calc broken"), outcomes, strict=True))
        found = judge_step([twins], entry, TODAY, code_is_proof=True)
        assert not found.passed and found.failing == ("tests/calc.test.js › calc broken",)
        assert found.said[0] == (
            "`tests/calc.test.js › calc broken` is not excused by the quarantine entry "
            "`tests/calc.test.js › calc broken`: the run's report gives that id to more than one "
            "test, or to a test written in another file than the one it names, so the entry "
            "cannot tell which test it names."
        )
    inherited = _read(
        tmp_path,
        _report(
            '<testcase file="base_case.py" classname="tests.test_s" '
            f'name="test_quarantined">{FAILED}</testcase>'
        ),
    )
    found = judge_step([inherited], QUARANTINED, TODAY, code_is_proof=True)
    assert not found.passed and found.failing == ("tests.test_s.test_quarantined",)


def _vitest(tmp_path: Path, *tests: tuple[str, str]) -> Attempt:
    """The step's failing first run of vitest whose JSON report gives ``tests`` (full name,
    status) in ``tests/calc.test.js``, read as the step reads it."""
    results = [{"fullName": name, "status": status} for name, status in tests]
    report = {
        "testResults": [
            {"name": str(tmp_path / "tests" / "calc.test.js"), "assertionResults": results}
        ]
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    runner = runner_of(["vitest", "run"])
    assert runner is not None and runner.name == "vitest"
    assert runner.step is not None
    return attempt_of(runner.step.step_outcomes(tmp_path, "", tmp_path), 1)


def test_a_retry_passing_a_name_two_results_bore_calls_neither_flaky() -> None:
    """Two tests of the first run bore one name (a runner that names no file, cargo under
    ``--quiet``), one failing: a retry where the name passes cannot say the failing one was
    flaky (the other may be all that ran again), so with ``flaky: pass`` the step still fails."""
    from cicd_agent.runners.step_outcomes import StepOutcomes

    first, retry = StepOutcomes(), StepOutcomes()
    first.add("tests::t", False)
    first.add("tests::t", True)
    retry.add("tests::t", True)
    verdict = judge_step([attempt_of(first, 101), attempt_of(retry, 0)], (), TODAY,
                         code_is_proof=True, policy="pass")  # fmt: skip
    assert not verdict.passed and verdict.flaky == (), verdict
    assert verdict.failing == ("tests::t",)
    assert "`tests::t`: two or more results bore the name" in " ".join(verdict.said)


def test_a_test_the_history_shows_failing_every_full_run_is_not_excused_by_its_retry() -> None:
    """tomli's test_starts_empty failed every push's first run (a test before it leaves state)
    and passed each retry, run alone: with ``flaky: pass`` every push went green on a test that
    never passes in the suite. Its history (12 of 12 first runs failed, each passed on a retry)
    says order, not chance: it fails, named with that evidence."""
    first = Attempt({FLIP: False, "tests.test_a.test_ok": True}, 1)
    retry = Attempt({FLIP: True}, 0)
    found = judge_step([first, retry], (), TODAY, code_is_proof=True, policy="pass",
                       apart={FLIP: 12})  # fmt: skip
    assert not found.passed and not found.flaky and found.failing == (FLIP,)
    assert (f"`{FLIP}` passed on retry 1, but failed the first run of each of the last 12 runs "
            "the test history holds, passing only when retried apart from the suite: it depends "
            "on the tests run before it, not on chance, and no retry excuses it "
            "(`--fix-flaky suggest` names the test it depends on).") in found.said
    assert judge_step([first, retry], (), TODAY, code_is_proof=True, policy="pass").passed
