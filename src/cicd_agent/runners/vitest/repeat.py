"""vitest's repeats: each test of a file run N times in its file's one run, by vitest's own
``repeats`` (a test's option, read as the test starts).

vitest's command line has no repeat count for a run (``--retry`` reruns a failure until it
passes, the opposite of a flaky hunt's need). So a repeated selection adds to our canary, the
first setup file vitest runs in each test file's realm, a ``beforeAll`` that sets each test of
the file to repeat N - 1 times more with no retry (a retry that passes would hide the failure
hunted), in the file's one worker, each repetition with its ``beforeEach`` and ``afterEach``
hooks; a test that must fail (``test.fails``) runs once. vitest's report gives a repeated test
one outcome, failed when any repetition failed, so the canary counts the repetitions: one failed
when the test's errors grew between its ``beforeEach`` and the next (or the file's end: an error
of a later hook counts), and writes the counts on its line, with its token. The report vitest's
main process writes holds what each worker's runner sent, from the test's realm, as the canary's
line is: the counts are as much the run's word as its outcomes. They are believed only within
what the run asked (no test counts more than N runs) and as the report says the test ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cicd_agent.runners.base import PASSED

REPEAT = """
// cicd-agent's repeats (runners/vitest/repeat.py): each test of this file TIMES times, counted
import { beforeAll, beforeEach } from "vitest";
const repeating = new Map();  // each test repeated: its count and its errors as its last run began
const errorsOf = (task) => ((task.result && task.result.errors) || []).length;
const fullName = (task) => {  // as vitest's JSON reporter names it
  const names = [];
  for (let suite = task.suite; suite; suite = suite.suite) names.unshift(suite.name);
  return [...names, task.name].join(" ");
};
const settle = (task) => {
  const seen = repeating.get(task);
  if (!seen || seen.begun === null) return;
  if (!(task.result && task.result.state === "skip")) seen.counts[errorsOf(task) > seen.begun ? 1 : 0] += 1;
  seen.begun = null;
};
beforeAll((file) => {
  const mark = (suite) => {
    for (const task of suite.tasks || []) {
      if (task.type === "suite") mark(task);
      else if (!task.fails) {
        task.repeats = TIMES - 1;
        task.retry = 0;
        repeating.set(task, { counts: [0, 0], begun: null });
      }
    }
  };
  mark(file);
});
beforeEach((context) => {
  settle(context.task);
  const seen = repeating.get(context.task);
  if (seen) seen.begun = errorsOf(context.task);
});
const counted = () => {
  const runs = {};
  for (const [task, seen] of repeating) {
    settle(task);
    const name = fullName(task), had = runs[name] || [0, 0];  // two tests of one name: summed
    if (seen.counts[0] + seen.counts[1]) runs[name] = [had[0] + seen.counts[0], had[1] + seen.counts[1]];
  }
  return runs;
};
"""
"""The canary's repeats; its line's ``runs`` calls ``counted``."""
RUNS = ", runs: counted()"
"""What the canary's line adds when the tests repeat: each test's passed and failed runs."""


def repeating(times: int) -> str:
    """The canary's repeats for ``times`` runs of each test ("" for one run)."""
    return REPEAT.replace("TIMES", str(int(times))) if times > 1 else ""


def repeat_counts(
    outcomes: Mapping[str, str], runs: Mapping[str, Sequence[tuple[str, int, int]]], times: int
) -> dict[str, tuple[int, int]]:
    """Each test's passed and failed runs, by ``file › full name``: what its file's canary
    counted (``runs``: each file's tests as full name, passes, failures), for the tests the
    report shows passed or failed. A test counted more than ``times`` runs is left out (the
    run never asked for them), and so is a test the report shows failed with no failure
    counted (its one failed outcome stands): the counts never soften the report's word."""
    counts: dict[str, tuple[int, int]] = {}
    for file, tests in runs.items():
        for name, won, lost in tests:
            test = f"{file} › {name}"
            outcome = outcomes.get(test)
            if outcome in (PASSED, "failed") and 0 < won + lost <= times and (
                lost or outcome == PASSED
            ):
                counts[test] = (won, lost)
    return counts
