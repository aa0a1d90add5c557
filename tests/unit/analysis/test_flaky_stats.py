"""Flip rates and CI time lost over a window of stored runs: the checks a person makes at a
glance on a team's flaky report (the test that flipped most and cost most comes first; one that
failed steadily is broken, not flaky; a test that never ran is not in the report)."""

from __future__ import annotations

from dataclasses import replace

from cicd_agent.analysis.flaky_stats import StoredRun, stats, window


def _run(number: int, outcomes: dict[str, bool], job_seconds: float = 600.0) -> StoredRun:
    return StoredRun("acme/shop", "tests", number, 1, f"sha{number}",
                     f"2026-11-{number:02d}T10:00:00Z", outcomes, {}, job_seconds,
                     f"https://github.com/acme/shop/actions/runs/{number}")  # fmt: skip


RUNS = [
    _run(1, {"a.test_flip": True, "a.test_broken": True, "a.test_ok": True, "a.test_rare": True}),
    _run(2, {"a.test_flip": False, "a.test_broken": True, "a.test_ok": True, "a.test_rare": True}),
    _run(3, {"a.test_flip": True, "a.test_broken": False, "a.test_ok": True, "a.test_rare": True}),
    _run(
        4, {"a.test_flip": False, "a.test_broken": False, "a.test_ok": True, "a.test_rare": False}
    ),
    _run(5, {"a.test_flip": True, "a.test_broken": False, "a.test_ok": True, "a.test_rare": True}),
]


def test_the_test_that_cost_most_comes_first_with_its_flip_rate() -> None:
    found = stats(RUNS)
    assert [s.test for s in found] == ["a.test_flip", "a.test_rare"]
    flip = found[0]
    assert (flip.runs, flip.failures, flip.flips, flip.flip_rate) == (5, 2, 4, 1.0)
    # run 2 failed it alone (600 s), run 4 with two others (600 / 3 each)
    assert flip.lost_seconds == 800.0
    assert flip.last_failed.endswith("/runs/4")
    assert "a.test_ok" not in {s.test for s in found}  # never failed: not flaky


def test_a_test_that_broke_and_stayed_broken_is_not_flaky() -> None:
    """It cost the most CI time (1,400 s), but it flipped once: broken, not flaky."""
    assert "a.test_broken" not in {s.test for s in stats(RUNS)}
    rare = next(s for s in stats(RUNS) if s.test == "a.test_rare")
    assert (rare.flips, rare.failures, rare.flip_rate, rare.lost_seconds) == (2, 1, 0.5, 200.0)


def test_the_window_keeps_the_newest_runs_and_one_record_per_attempt() -> None:
    again = _run(5, {"a.test_flip": False})
    kept = window([*RUNS, again], size=3)
    assert [r.run_id for r in kept] == [3, 4, 5] and kept[-1].outcomes == {"a.test_flip": False}


def test_runs_outside_a_workflow_are_each_a_run_of_their_own() -> None:
    """A step run on a terminal (a push event given, no ``GITHUB_RUN_ID``) is recorded with
    run id 0. Before: every such record was one run, the last, so the flaky test that failed,
    passed and failed again over six local runs was never reported."""
    local = [replace(run, run_id=0, attempt=1, url="") for run in RUNS]
    assert [r.recorded for r in window(local)] == [r.recorded for r in RUNS]
    assert [s.test for s in stats(local)] == ["a.test_flip", "a.test_rare"]


def test_a_stored_run_round_trips_and_a_malformed_one_is_refused() -> None:
    run = RUNS[1]
    assert StoredRun.from_json(run.to_json()) == run
    for bad in ({"repository": "r"}, {**run.to_json(), "outcomes": ["x"]},
                {**run.to_json(), "run_id": "one"}):  # fmt: skip
        try:
            StoredRun.from_json(bad)
        except (KeyError, ValueError, TypeError):
            continue
        raise AssertionError(f"accepted {bad}")


def test_a_test_failing_every_first_run_and_passing_only_on_retries_is_apart_only() -> None:
    """tomli's test_starts_empty failed 12 of 12 full runs (its polluter runs first) and passed
    each time the step retried it alone: "flip rate 0%", yet ranked the workflow's first flaky
    test. Failing the first run of every one of at least five runs, passing only on retries, it
    depends on the suite's order, not on chance; four such runs are not enough to say so."""
    runs = [replace(_run(n, {"a.test_apart": False, "a.test_ok": True}), retried=("a.test_apart",))
            for n in range(1, 6)]  # fmt: skip
    (found,) = stats(runs)
    assert (found.runs, found.failures, found.retried, found.apart_only) == (5, 5, 5, True)
    (fewer,) = stats(runs[:4])
    assert not fewer.apart_only
    once_passed = [*runs[:4], replace(runs[4], outcomes={"a.test_apart": True, "a.test_ok": True},
                                      retried=())]  # fmt: skip
    (flipping,) = stats(once_passed)
    assert not flipping.apart_only
