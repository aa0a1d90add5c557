"""vitest's repeats: each test of a file run N times in its file's one run, by vitest's own per-test
``repeats``.

vitest has no repeat count (``--retry`` reruns a failure until it passes, the opposite of a flaky
hunt's need). So our canary, the first setup file in each file's realm, sets each test to repeat
N - 1 times with no retry (a passing retry would hide the failure hunted); ``test.fails`` runs
once. vitest reports a repeated test once, so the canary counts the repetitions (one failed when
the test's errors grew) and writes the counts on its line, with its token: as much the run's word
as its outcomes, and believed only within what the run asked."""

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
  if (!(task.result && task.result.state === "skip"))
    seen.counts[errorsOf(task) > seen.begun ? 1 : 0] += 1;
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
    if (seen.counts[0] + seen.counts[1])
      runs[name] = [had[0] + seen.counts[0], had[1] + seen.counts[1]];
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
    """Each test's passed and failed runs (``file › full name``) as its file's canary counted
    them. A test counted past ``times`` runs, or shown failed with no failure counted, is left
    out: the counts never soften the report's word."""
    counts: dict[str, tuple[int, int]] = {}
    for file, tests in runs.items():
        for name, won, lost in tests:
            test = f"{file} › {name}"
            outcome = outcomes.get(test)
            if (
                outcome in (PASSED, "failed")
                and 0 < won + lost <= times
                and (lost or outcome == PASSED)
            ):
                counts[test] = (won, lost)
    return counts
