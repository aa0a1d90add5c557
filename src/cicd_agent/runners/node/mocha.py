"""mocha in the test step. mocha runs one reporter, so the step gives it ours (:data:`REPORTER`): it
prints each verdict to the job's log as the spec reporter would, and writes every test's file,
titles and outcome as JSON where no ``reporter-option`` of the project can move it. A retry runs the
failed tests by one anchored ``--grep`` of their full titles.

Every run is given ``--no-bail`` (the last word wins over the command's ``--bail`` or ``-b``
and a mocha configuration file's): a first run that stops at its first failure names no other
test, as jest's ``--bail`` would not. A run that still left a selected test unrun (a failed
hook skips the rest of its suite; parallel mode shows the reporter no tree) is not read: a
retry of the failed tests alone would let them pass with the rest never run. A command that
chooses its own reporter is run as written and not retried."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.runners.node import own_option, program
from cicd_agent.runners.step_outcomes import StepOutcomes

SEPARATOR = " › "
MAX_REPORT = 64 << 20
REPORT = "mocha.json"
REPORTER = r"""'use strict';
const fs = require('fs');
const path = require('path');
module.exports = function CicdAgentReporter(runner, options) {
  const tests = [];
  let hooked = false;
  const titles = (t) => (typeof t.titlePath === 'function' ? t.titlePath()
    : [typeof t.fullTitle === 'function' ? t.fullTitle() : String(t.title)]);
  const ended = new Set();
  const record = (t, passed) => {
    ended.add(t);
    tests.push({file: t.file || '', titles: titles(t), passed});
  };
  runner.on('pass', (t) => { record(t, true); process.stdout.write(`  ✔ ${t.fullTitle()}\n`); });
  runner.on('fail', (t, err) => {
    hooked = hooked || t.type === 'hook';
    const test = t.type === 'hook' && t.ctx && t.ctx.currentTest ? t.ctx.currentTest : t;
    record(test, false);
    const said = String((err && (err.stack || err.message)) || err).split('\n').join('\n    ');
    process.stdout.write(`  ✖ ${titles(t).join(' ')}\n    ${said}\n`);
  });
  const kept = (suite) => [
    ...suite.tests.filter((t) => t.state === undefined && !t.isPending() && !ended.has(t)
      && runner._grep.test(t.fullTitle()) !== Boolean(runner._invert)),
    ...suite.suites.flatMap(kept)];
  runner.once('end', () => {
    const failed = tests.filter((t) => !t.passed).length;
    process.stdout.write(`\n  ${tests.length - failed} passing, ${failed} failing\n`);
    const unrun = kept(runner.suite).map((t) => t.fullTitle());
    // in parallel mode the reporter sees no tree of the tests: what stopped early is unknown
    const unknown = Boolean(options && options.parallel) && (hooked || (options.bail && failed));
    if (unrun.length || unknown) {
      const many = unknown ? 'some tests may not have run' : `${unrun.length} not run`;
      process.stdout.write(`  ${many} (a hook failed, or --bail): ` +
        `cicd-agent reads no outcome of this run\n${unrun.map((t) => `    ${t}\n`).join('')}`);
    }
    const report = path.join(__dirname, 'mocha.json');  // REPORT
    fs.writeFileSync(report, JSON.stringify({tests, unrun: unknown ? -1 : unrun.length}));
  });
};
"""


def runs(command: Sequence[str]) -> bool:
    """Whether ``command`` runs mocha (``mocha``, ``npx mocha``, ``./node_modules/.bin/mocha``)."""
    return program(command) in ("mocha", "_mocha")


def declined(command: Sequence[str]) -> str:
    """Why ``command`` is run once as written ("" when ours can be added, or it is no run of
    mocha): mocha runs one reporter, and the command named its own."""
    chosen = own_option(command, r"--reporter\b|-R\b") if runs(command) else ""
    return (
        f"it chooses its own reporter ({chosen}) and mocha runs one, so the one cicd-agent "
        f"reads cannot be added: drop {chosen} to have its tests counted and retried"
        if chosen
        else ""
    )


def step_command(
    command: Sequence[str], folder: Path, failed: Sequence[str] | None
) -> list[str] | None:
    """``command`` with our reporter writing into ``folder`` (written there when ``folder`` is
    a real one, not the probe's empty path) and, on a retry, the ``--grep`` selecting
    ``failed``; None when it is no run of mocha or chooses its own reporter."""
    if not runs(command) or declined(command):
        return None
    reporter = folder / "reporter.cjs"
    if folder.is_absolute():
        reporter.write_text(REPORTER, encoding="utf-8")
    ours = ["--no-bail", "--reporter", str(reporter)]
    if failed:
        titles = [" ".join(test.split(SEPARATOR)[1:]) for test in failed]
        ours.append("--grep=^(" + "|".join(map(re.escape, titles)) + ")$")
    return [*command, *ours]


def step_outcomes(folder: Path, output: str, root: Path) -> StepOutcomes:
    """Each test our reporter wrote into ``folder``, by its file (relative to ``root`` where it
    lies under it) and titles, and whether it passed; none when the report is unreadable."""
    found = StepOutcomes()
    try:
        document = json.loads(read_text(folder, REPORT, MAX_REPORT))
    except (CheckoutFileError, ValueError, RecursionError):
        return found
    if not isinstance(document, dict):
        return found
    tests = document.get("tests")
    if document.get("unrun") != 0:  # tests it selected never ran: no retry speaks for them
        found.incomplete = _left_short(
            tests if isinstance(tests, list) else [], document.get("unrun")
        )
        return found
    for test in tests if isinstance(tests, list) else []:
        if not isinstance(test, dict) or not isinstance(test.get("titles"), list):
            continue
        file = Path(str(test.get("file", "")))
        shown = file.relative_to(root).as_posix() if file.is_relative_to(root) else file.name
        titles = [str(title) for title in test["titles"]]
        found.add(SEPARATOR.join([shown, *titles]), test.get("passed") is True)
    return found


def _left_short(tests: list[object], unrun: object) -> str:
    """What mocha reported of a run that left tests unrun, as the clause the step says."""
    passing = sum(1 for test in tests if isinstance(test, dict) and test.get("passed") is True)
    counts = f"{passing} passing, {len(tests) - passing} failing"
    left = (
        "some tests may not have run (parallel mode)"
        if unrun == -1
        else f"{unrun} test{'' if unrun == 1 else 's'} not run"
    )
    return (
        f"mocha reported {counts} and {left}, as a hook that failed skips the rest of its "
        "suite: a retry of the failed tests alone would not speak for those, so none was "
        "made (its own output above names them)"
    )
