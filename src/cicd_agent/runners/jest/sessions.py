"""jest's sessions in the sandbox, as the test step's flaky-test fixer drives them: one
``jest --runInBand`` over a fresh copy, its JSON report written into the session's own folder
(``--outputFile``, outside the copy) and believed only where jest's in-run checks agree (the
reporter's line and each file's canary, :mod:`cicd_agent.runners.js.runner`).

A chosen order reaches jest in two parts. Across files, a test sequencer of ours puts the
chosen files in the order of their first chosen test (each file runs once: jest gives each its
own module registry, so what one file's tests share is that file's); without a chosen order it
puts every file in the order of its path, the session's "written order". Within a file, a setup
file of ours (after our canary, before the project's own) registers the file's first
``beforeAll``, which jest-circus runs before it walks the file's tests: it rebuilds the tree of
``describe`` blocks to hold only the chosen tests, in their chosen order. A ``describe`` block
whose chosen tests are not next to one another is run once per run of them, its ``beforeAll``
and ``afterAll`` hooks with each; its ``beforeEach`` hooks stay its tests' own.

Why that way and not a test environment of ours (jest-circus hands an environment's
``handleTestEvent`` the tree at ``run_start``): a test file's ``@jest-environment`` docblock
replaces the configured environment, so a project's file could run its tests in its own
order. A setup file runs in every file whatever its environment. The tree is jest-circus's own
state, found on the test's global by its symbol's name: where it is not found (another runner,
``jest-jasmine2``), nothing is reordered, and the order check below gives the session no result.

What a session believes of the order: the reporter's line lists each test as it ran; unless the
tests of each file ran exactly as chosen (none not chosen), the session gives no result, never
one of another order; nor where two tests ran under one name (jest joins a test's titles with
spaces), which the order, chosen by name, cannot tell apart. The configuration is the
project's own (jest reads it as it does), with our setup file, sequencer and no ``randomize``
put over its own; the reporters are ours and jest's default alone (the command line replaces
the project's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, is_file, read_text
from cicd_agent.runners.base import PASSED, file_word, on_pipe
from cicd_agent.runners.jest.repeat import repeat_counts
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.jest.set_up import SEPARATOR
from cicd_agent.runners.js.checks import read_checks
from cicd_agent.runners.js.report import (
    Watch,
    changed,
    disagreement,
    named_twice,
    outcomes_of,
    split_checks,
)
from cicd_agent.runners.js.runner import CHECK_VARIABLE
from cicd_agent.runners.js.step import MAX_STEP_REPORT
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.sessions import Evidence, Outcomes, SessionSandbox
from cicd_agent.sandbox import RunResult, Workspace

JEST = "jest"
"""The first word of a session's command: the checkout's own jest takes its place."""
ORDER = "cicd-agent-order="
"""Our word naming the file of a session's chosen tests (never given to jest)."""
REPEAT = "cicd-agent-repeat="
"""Our word for how many times each chosen test runs (never given to jest)."""
OPTIONS = (
    "--ci",
    "--no-watchman",
    "--forceExit",
    "--runInBand",
    "--no-bail",
    "--passWithNoTests",
    "--json",
)
"""jest's words for a session: one process, tests one after another, every file run."""

ORDERING = """\"use strict\";
// cicd-agent's order (runners/jest/sessions.py): the chosen tests of this file, in order
const { beforeAll, expect: check } = require("@jest/globals");
{
  const wanted = (ORDER)[check.getState().testPath];
  const fullName = (test) => {
    const titles = [test.name];
    for (let block = test.parent; block && block.parent; block = block.parent)
      titles.unshift(block.name);
    return titles.join(" ");
  };
  beforeAll(() => {
    if (wanted === undefined) return;
    const key = Object.getOwnPropertySymbols(globalThis).find(
      (symbol) => symbol.description === "JEST_STATE_SYMBOL");
    const root = key === undefined ? undefined : globalThis[key].rootDescribeBlock;
    if (root === undefined) return;
    const rank = new Map();
    wanted.forEach((name, at) => { if (!rank.has(name)) rank.set(name, at); });
    const tests = [];
    const walk = (block, path) => {
      for (const child of block.children)
        if (child.type === "test") tests.push([child, path]); else walk(child, [...path, child]);
    };
    walk(root, []);
    const chosen = tests.filter(([test]) => rank.has(fullName(test)));
    chosen.sort((one, other) => rank.get(fullName(one[0])) - rank.get(fullName(other[0])));
    const used = new Set();
    const build = (items, depth) => {
      const children = [];
      for (let at = 0; at < items.length; ) {
        const [test, path] = items[at];
        if (path.length === depth) { children.push(test); at += 1; continue; }
        const block = path[depth];
        let end = at;
        while (end < items.length && items[end][1][depth] === block) end += 1;
        const inner = build(items.slice(at, end), depth + 1);
        const placed = used.has(block)
          ? Object.assign(Object.create(Object.getPrototypeOf(block)), block) : block;
        used.add(block);
        placed.children = inner;
        children.push(placed);
        at = end;
      }
      return children;
    };
    root.children = build(chosen, 0);
  });
}
"""
"""Our setup file, after jest's canary: ``ORDER`` maps each chosen file's path to its chosen
tests' full names ({}: the files' own order). jest's ``beforeAll`` and ``expect`` come from
``@jest/globals``, which jest's runtime answers itself."""
SEQUENCER = """\"use strict\";
// cicd-agent's test sequencer (runners/jest/sessions.py): the chosen files in order, else by path
const FILES = LIST;
const rank = new Map(FILES.map((file, at) => [file, at]));
const place = (test) => (rank.has(test.path) ? rank.get(test.path) : FILES.length);
module.exports = class {
  sort(tests) {
    return [...tests].sort((one, other) => place(one) - place(other)
      || (one.path < other.path ? -1 : one.path > other.path ? 1 : 0));
  }
  cacheResults() {}
  allFailedTests(tests) { return tests; }
  shard(tests) { return tests; }
};
"""
CONFIG = """\"use strict\";
// cicd-agent's session configuration (runners/jest/sessions.py): the in-run checks' own, with
// our order after our canary (never transformed by the project), our sequencer, no shuffle.
const escape = (text) => text.replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&");
module.exports = async () => {
  const base = await require(BASE)();
  const [canary, ...rest] = base.setupFilesAfterEnv;
  return { ...base, setupFilesAfterEnv: [canary, ORDERING, ...rest], testSequencer: SEQUENCER,
           randomize: false,
           transformIgnorePatterns: [...base.transformIgnorePatterns,
                                     "^" + escape(ORDERING) + "$"] };
};
"""


class JestSandbox(SessionSandbox):
    """The sandbox of jest's sessions (every run in a fresh copy, as each sandbox's)."""

    temp_prefix = "cicd-agent-jest-orders-"

    def session(
        self,
        argv: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
        shared: Sequence[Path] = (),
        patched: PatchedLines | None = None,
    ) -> tuple[RunResult, Evidence]:
        """Run jest as ``argv`` (:data:`JEST` and our words) asks in ``space`` and read its
        report. ``patched`` is not watched: a guard on changed lines is pytest's alone."""
        runner = Jest()
        found = runner.installed(self.checkout)
        if not isinstance(found, str):
            said = runner.missing(self.checkout, {}) or "there is no jest to run"
            return RunResult(tuple(argv), 127, False, said, 0.0), Evidence(None, said)
        chosen = _chosen(argv)
        times = next(
            (int(word.removeprefix(REPEAT)) for word in argv if word.startswith(REPEAT)), 1
        )
        files = list(dict.fromkeys(t.split(SEPARATOR, 1)[0] for t in chosen or ()))
        files = [file for file in files if is_file(space.repo, file)]  # a link: not run
        if chosen is not None and not files:
            return RunResult(tuple(argv), 0, False, "", 0.0), Evidence(Outcomes({}, (), ()))
        folder = space.scratch("jest-report", "")
        folder.mkdir()
        watch = _checks(space, runner, times, chosen, files)
        paths = ["--runTestsByPath", *(file_word(file) for file in files)] if files else []
        report = f"--outputFile={folder / 'report.json'}"
        run = self.run(
            on_pipe([found, *watch.arguments, *OPTIONS, report, *paths], self.evidence_variable),
            space,
            timeout=timeout,
            extra_env={
                **runner.sandboxed(self.environment(space)),
                CHECK_VARIABLE: watch.token,
                **(extra_env or {}),
            },
            evidence=True,
            shared=(folder, *shared),
        )
        if run.timed_out or run.killed_for or run.sandbox_failure:
            return run, Evidence(None, f"jest {run.describe()}")
        return run, _read(
            run, folder, str(space.repo), watch, chosen=chosen, files=files, times=times
        )


def _checks(
    space: Workspace, runner: Jest, times: int, chosen: Sequence[str] | None, files: Sequence[str]
) -> Watch:
    """The in-run checks of :meth:`Jest.in_run_checks` under a configuration over theirs that
    adds our order and sequencer: files of the workspace, read-only inside the sandbox."""
    watch = runner.in_run_checks(space, space.repo, times)
    base = next(
        word.removeprefix("--config=") for word in watch.arguments if word.startswith("--config=")
    )
    by_file: dict[str, list[str]] = {}
    for test in chosen or ():
        file, _, name = test.partition(SEPARATOR)
        if file in files:
            by_file.setdefault(str(space.repo / file), []).append(name)
    ordering = space.scratch("jest-order", ".js")
    ordering.write_text(ORDERING.replace("(ORDER)", f"({json.dumps(by_file)})"), encoding="utf-8")
    sequencer = space.scratch("jest-sequencer", ".js")
    sequencer.write_text(
        SEQUENCER.replace("LIST", json.dumps([str(space.repo / file) for file in files])),
        encoding="utf-8",
    )
    config = space.scratch("jest-session", ".js")
    config.write_text(
        CONFIG.replace("BASE", json.dumps(base))
        .replace("SEQUENCER", json.dumps(str(sequencer)))
        .replace("ORDERING", json.dumps(str(ordering))),
        encoding="utf-8",
    )
    words = tuple(
        word if not word.startswith("--config=") else f"--config={config}"
        for word in watch.arguments
    )
    return watch._replace(arguments=words)


def _chosen(argv: Sequence[str]) -> list[str] | None:
    """The chosen tests of a session's words, in order (None: the files' own order)."""
    named = next((word.removeprefix(ORDER) for word in argv if word.startswith(ORDER)), None)
    if named is None:
        return None
    tests = json.loads(Path(named).read_text(encoding="utf-8"))
    return [str(test) for test in tests] if isinstance(tests, list) else []


def _read(
    run: RunResult,
    folder: Path,
    root: str,
    watch: Watch,
    *,
    chosen: Sequence[str] | None,
    files: Sequence[str],
    times: int,
) -> Evidence:
    """What the session's report says, once the reporter's line, each file's canary and the
    order the tests ran in agree with it."""
    pipe = run.evidence.decode("utf-8", "replace")
    _, seen, canaries = split_checks(pipe, watch, root)
    try:
        document = json.loads(read_text(folder, "report.json", MAX_STEP_REPORT))
    except (CheckoutFileError, ValueError, RecursionError):
        return Evidence(None, f"jest {run.describe()} without writing its report")
    if not isinstance(document, dict):
        return Evidence(None, "jest's report is not of its shape")
    outcomes, why = outcomes_of(document, root, run.returncode, files)
    counted = repeat_counts(document, root, files) if times > 1 and not why else {}
    why = (
        why
        or disagreement(outcomes, seen, watch.token)
        or changed(outcomes, canaries, watch.canary, counted)
        or _out_of_order(seen or {}, chosen)
    )
    if not why and (twins := named_twice(pipe, watch, root, times)):
        why = (
            f"two tests ran under the name {twins[0][:200]} (jest joins a test's titles with "
            "spaces), so no order of them can be chosen or read"
        )
    if why:
        return Evidence(None, f"jest: {why}")
    checks = read_checks(document, root, outcomes)
    return Evidence(
        Outcomes(outcomes, _unloaded(document), (), run.returncode, checks=checks, repeats=counted)
    )


def _out_of_order(seen: Mapping[str, str], chosen: Sequence[str] | None) -> str:
    """Why the tests the reporter saw run did not run as ``chosen`` ("" when they did, or when
    none was chosen): each file's tests exactly the chosen ones there, in their order, and the
    files in the order of their first chosen test."""
    if chosen is None:
        return ""
    ran = [test for test, status in seen.items() if status in (PASSED, "failed")]
    wanted = list(dict.fromkeys(chosen))
    files = list(dict.fromkeys(test.split(SEPARATOR, 1)[0] for test in wanted))
    grouped = [test for file in files for test in wanted if test.startswith(file + SEPARATOR)]
    if set(ran) - set(wanted) or ran != [test for test in grouped if test in set(ran)]:
        return (
            "its tests did not run in the chosen order (a runner, environment or setup file "
            "of the project's ran others, or reordered them)"
        )
    return ""


def _unloaded(document: Mapping[str, object]) -> tuple[str, ...]:
    """The messages of test files that failed to load (no test of theirs ran)."""
    results = document.get("testResults")
    return tuple(
        str(result.get("message", ""))[:300]
        for result in (results if isinstance(results, list) else [])
        if isinstance(result, dict)
        and result.get("status") == "failed"
        and not result.get("assertionResults")
    )
