"""``node --test`` in the test step: its spec reporter to the job's log, and a reporter of ours
(:data:`REPORTER`) writing each test's file, titles and outcome as JSON lines into the step's
folder. A test is named as the other runners name theirs: its file relative to where it ran, then
its titles (``test/calc.test.js › math › adds``), so the sandbox's path and the runner's give one
id, and the same titles in two files are two tests. A file that failed to load is one failed test
named by its file, with the error its output gave (``ReferenceError: describe is not defined``).

A retry runs the failed tests' titles, and every title above them, as one anchored
``--test-name-pattern``: node runs a subtest only when its parent's title matches. A command that
chooses its own reporters is run as written and not retried."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.runners.node import own_option
from cicd_agent.runners.step_outcomes import StepOutcomes

SEPARATOR = " › "
REPORT = "node-tests.jsonl"
MAX_REPORT = 64 << 20
MAX_SAID = 300
MAX_DEPTH = 64
"""Titles of a test's name kept, outermost first: the report is in a folder the tests can
reach, and a name's every shorter run of titles is looked up, so a row of thousands would
take the step's memory. Tests cut to the same titles share one name: an id no entry excuses."""
MAX_TITLE = 500
"""Characters of each title kept: a failed test's titles go into the retry's one argument."""
"""Characters of a file's load error kept: its first line is the reason."""
REPORTER = r"""// cicd-agent: each test's file, titles and outcome, and each file's error output
const titles = new Map();
export default async function* report(source) {
  for await (const event of source) {
    const data = event.data || {};
    const file = typeof data.file === 'string' ? data.file : '';
    if (event.type === 'test:start') {
      const above = (titles.get(file) || []).slice(0, data.nesting);
      titles.set(file, [...above, String(data.name)]);
    } else if (event.type === 'test:stderr' || event.type === 'test:stdout') {
      yield JSON.stringify({file, output: String(data.message).slice(0, 4096)}) + '\n';
    } else if (event.type === 'test:pass' || event.type === 'test:fail') {
      const above = (titles.get(file) || []).slice(0, data.nesting);
      const details = data.details || {};
      yield JSON.stringify({file, titles: [...above, String(data.name)],
        passed: event.type === 'test:pass', skipped: Boolean(data.skip || data.todo),
        suite: details.type === 'suite'}) + '\n';
    }
  }
}
"""
_ERROR = re.compile(r"^(?:[A-Z]\w*)?Error(?: \[\w+\])?: .+|^\w+Error$")
"""The line naming a file's load error in node's output (``ReferenceError: describe is not
defined``, ``SyntaxError: Unexpected token``)."""


def runs(command: Sequence[str]) -> bool:
    """Whether ``command`` is node running its test runner (``node --test …``)."""
    return bool(command) and PurePosixPath(command[0]).name == "node" and "--test" in command


def declined(command: Sequence[str]) -> str:
    """Why ``command`` is run once as written ("" when ours can be added, or it is no run of
    node's runner): node wants one destination for each reporter, so ours cannot be added
    beside the command's own."""
    chosen = own_option(command, "--test-reporter") if runs(command) else ""
    return (
        f"it chooses its own reporter ({chosen}), beside which node takes none of "
        f"cicd-agent's: drop {chosen} to have its tests counted and retried"
        if chosen
        else ""
    )


def step_command(
    command: Sequence[str], folder: Path, failed: Sequence[str] | None
) -> list[str] | None:
    """``command`` with node's reporters (spec on the log, JUnit into ``folder``) and, on a
    retry, the pattern that selects ``failed``; None when it is no run of node's runner or
    chooses its own reporters."""
    if not runs(command) or declined(command):
        return None
    reporter = folder / "reporter.mjs"
    if folder.is_absolute():  # not the probe's empty path
        reporter.write_text(REPORTER, encoding="utf-8")
    ours = [
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        f"--test-reporter={reporter}",
        f"--test-reporter-destination={folder / REPORT}",
    ]
    titles = dict.fromkeys(title for test in failed or () for title in test.split(SEPARATOR)[1:])
    if titles:
        ours.append("--test-name-pattern=^(" + "|".join(map(re.escape, titles)) + ")$")
    return [command[0], *ours, *command[1:]]


def step_outcomes(folder: Path, output: str, root: Path) -> StepOutcomes:
    """Each test our reporter wrote into ``folder`` by its file (relative to ``root``, where it
    ran) and titles, and whether it passed (skipped ones and suites left out: a suite fails by
    its tests); a file that failed to load with the error line its output gave. None when the
    report is missing or too large."""
    found = StepOutcomes()
    try:
        lines = read_text(folder, REPORT, MAX_REPORT).splitlines()
    except CheckoutFileError:
        return found
    results: list[tuple[str, tuple[str, ...], bool]] = []
    printed: dict[str, list[str]] = {}
    for line in lines:
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(row, dict):
            continue
        file = str(row.get("file", ""))
        if isinstance(said := row.get("output"), str):
            printed.setdefault(file, []).append(said)
        elif isinstance(titles := row.get("titles"), list) and not row.get("skipped"):
            if row.get("suite"):  # a suite fails by its tests
                continue
            kept = tuple(str(title)[:MAX_TITLE] for title in titles[:MAX_DEPTH])
            results.append((file, kept, row.get("passed") is True))
    above = {(file, titles[:end]) for file, titles, _ in results for end in range(len(titles))}
    for file, titles, passed in results:
        if (file, titles) in above:  # a test with subtests: its subtests are the tests
            continue
        shown = _relative(file, root)
        whole = titles == (file,)  # the file itself: it failed to load or its process ended
        test = SEPARATOR.join([shown] if whole or not shown else [shown, *titles])
        found.add(test, passed)
        if whole and not passed and (why := _load_error("".join(printed.get(file, [])))):
            found.unloaded[test] = why
    return found


def _relative(file: str, root: Path) -> str:
    """``file`` relative to ``root`` where it lies under it, else its own name ("" for none)."""
    if not file:
        return ""
    path = Path(file)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def _load_error(output: str) -> str:
    """The first line of ``output`` naming an error, as node printed it ("" for none)."""
    return next(
        (line.strip()[:MAX_SAID] for line in output.splitlines() if _ERROR.match(line.strip())),
        "",
    )
