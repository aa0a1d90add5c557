"""What jest and vitest share behind the seam: the repository's own runner as its job installed it,
and what its JSON report says passed.

Only a runner in the checkout's ``node_modules/.bin`` counts (one on ``PATH`` is nobody's choice for
these tests); ``devDependencies`` decides between both. The report is believed only where the exit
status agrees, and a second report (a test printing its own) is no result. jest runs a lone file in
its own process, where the code under test can print a forged report and exit 0, so a runner may add
an in-run reporter writing each outcome with a token drawn per run, and the report counts only where
that line came once and agrees. The reporter sees outcomes, not how they were reached: code under
test shares the test's realm, where ``Object.is = () => true`` makes every assertion hold. So a
canary of ours (:data:`CANARY`) runs first among each file's setup files: it fixes ``Object.is``,
checks after each test that false assertions still throw, and writes with a second token how many
runs it checked; a file with a pass counts only where that line came once, held, and covered every
run.

Not closed: code written against this agent can find either token, or remove and mimic the
canary. A patched run starts only where the patch adds no load-time code."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.local.job_tools import Refused, job_tool
from cicd_agent.local.node_packages import package_json
from cicd_agent.runners.base import (
    Reach,
    Selection,
    TestReport,
    file_word,
    nearest,
    on_pipe,
    unusable,
)
from cicd_agent.runners.js.checks import read_checks
from cicd_agent.runners.js.istanbul import read_coverage
from cicd_agent.runners.js.load_time import MAX_CHARS, SUFFIXES
from cicd_agent.runners.js.report import (
    CANARY_KEY,
    Canary,
    Watch,
    changed,
    disagreement,
    outcomes_of,
    split_checks,
    the_report,
)
from cicd_agent.runners.js.type_only import types_only
from cicd_agent.runners.protocol import PlainStep
from cicd_agent.sandbox import Sandbox, Workspace

JS_SUFFIXES = SUFFIXES
"""The files a JavaScript runner's tests exercise: eslint's, which its patches' rule reads."""
NODE_OPTIONS = "--disable-wasm-trap-handler"
"""Added to a run's ``NODE_OPTIONS``: each WebAssembly memory then reserves what it may use,
not a guard region of about 10 GiB (the sandbox no longer counts reservations, but a smaller
one costs nothing and spares the host's address space)."""
CHECK_VARIABLE = "CICD_JS_CHECK"
"""Carries the in-run check's token to it (it drops the variable as it loads, before any test)."""

CANARY = f"""// what toBe compares with: an assignment now fails (a TypeError in strict code)
Object.defineProperty(Object, "is", {{ writable: false, configurable: false }});
const stringify = JSON.stringify;
const mustFail = [() => check(1).toBe(2), () => check({{ a: [1] }}).toEqual({{ a: [2] }}),
  () => check([1, 2]).toStrictEqual([1, 3]), () => check(1).not.toBe(1),
  () => check(() => undefined).toThrow(), () => check("a").toMatch(/b/)];
const mustPass = [() => check(1).toBe(1), () => check({{ a: [1] }}).toEqual({{ a: [1] }}),
  () => check(() => {{ throw new Error("x"); }}).toThrow("x")];
// after each test the first of each (a file's thousands of tests pay little), all at its end
function held(all) {{
  const state = check.getState();  // the test's own assertion counts stay as they were
  const counts = {{
    assertionCalls: state.assertionCalls, numPassingAsserts: state.numPassingAsserts }};
  try {{
    const current = globalThis.expect;
    const fails = (assertion) => {{
      try {{ assertion(); return false; }} catch {{ return true; }}
    }};
    return (all ? mustFail : mustFail.slice(0, 1)).every(fails)
      && !(all ? mustPass : mustPass.slice(0, 1)).some(fails)
      && (current === undefined || current === check || fails(() => current(1).toBe(2)));
  }} finally {{ check.setState(counts); }}
}}
let checked = 0;
afterEach(() => {{
  if (!held(false)) throw new Error("cicd-agent: the code under test changed the assertions");
  checked += 1;
}});
afterAll(() => {{
  const line = Buffer.from("\\n" + stringify({{ {CANARY_KEY}: "TOKEN",
    file: check.getState().testPath, tests: checked, held: held(true)RUNS }}) + "\\n");
  for (let done = 0; done < line.length; ) {{
    try {{ done += writeSync(1, line, done); }}
    catch (error) {{ if (error.code !== "EAGAIN") throw error; }}
  }}
}});
"""
"""The in-run check in the test's realm, after a runner's head that names ``check`` (its ``expect``)
and ``writeSync``: after each test a false ``toBe`` must throw and a true one hold, at the
file's end each of its false assertions must throw and true ones hold
(``expect``'s state restored, so ``expect.assertions`` counts only the test's own); once a
file's tests are done it writes their count with the run's canary token, and where a runner's
canary repeats the tests (vitest's), each test's passes and failures (``RUNS``)."""
PACKAGE_TEST = re.compile(r"^\s*(npm|pnpm|yarn)(\s+run)?\s+test\b|^\s*npm\s+t\b")
"""A failed step that runs the package's ``test`` script: its runner is the one it names."""


def devdependencies(checkout: Path) -> Mapping[str, object]:
    """``package.json``'s ``devDependencies`` and ``dependencies`` together (empty: none)."""
    document = package_json(checkout)
    found: dict[str, object] = {}
    for key in ("dependencies", "devDependencies"):
        part = document.get(key)
        found.update(part if isinstance(part, dict) else {})
    return found


def test_script(checkout: Path) -> str:
    scripts = package_json(checkout).get("scripts")
    script = scripts.get("test") if isinstance(scripts, dict) else None
    return script if isinstance(script, str) else ""


def canary_checks(token: str, runs: str = "") -> str:
    """:data:`CANARY` carrying ``token``, its line adding ``runs`` (a repeating canary's
    counts, as ``, runs: ...``; "": none)."""
    return CANARY.replace('"TOKEN"', json.dumps(token)).replace(
        "held(true)RUNS", f"held(true){runs}"
    )


class JsRunner(PlainStep):
    """jest or vitest, each a subclass naming its arguments."""

    name = ""
    arguments: tuple[str, ...] = ()
    """Its arguments for a JSON report of the test files that follow, on stdout."""
    suffixes = JS_SUFFIXES
    declares_a_test = re.compile(r"\s*(?:it|test)(?:\.\w+)*\s*[(`]")
    """``it(`` or ``test(``, with modifiers (``test.each``, ``it.only``), or a tagged table
    (``test.each`a | b```)."""
    settings: tuple[str, ...] = ()
    repeats: str | None = None
    """Neither jest nor vitest has a repeat count on its command line (vitest's ``--retry``
    reruns a failure until it passes, the opposite): each one's canary repeats the tests."""

    step_captures = False
    """The test step reads its outcomes from the report its run writes."""
    unshuffled = ""
    builds: tuple[str, ...] = ()

    def unshuffled_in(self, checkout: Path) -> str:
        return self.unshuffled

    def reach(self, checkout: Path) -> Callable[[str], Reach]:
        return lambda path: "tests"

    def sandboxed(self, environ: Mapping[str, str]) -> dict[str, str]:
        """What a run in the sandbox, whose environment is ``environ``, adds to it: node's
        options with :data:`NODE_OPTIONS` (the test step's runs too, the judged runs')."""
        return {"NODE_OPTIONS": f"{environ.get('NODE_OPTIONS', '')} {NODE_OPTIONS}".strip()}

    def shuffled(self, seed: int) -> tuple[str, ...]:
        """Its arguments that run the tests in an order drawn from ``seed``."""
        raise NotImplementedError

    def cannot_shuffle(self, checkout: Path) -> str:
        """Why the version ``checkout`` installed cannot run the tests in a drawn order ("" when
        it can): a shuffled run is then no run at all, never one in the file's own order."""
        return ""

    def options(self, checkout: Path) -> tuple[str, ...]:
        return self.arguments

    def configured(self, checkout: Path) -> bool:
        return self.name in devdependencies(checkout)

    def runs(self, command: str) -> bool:
        return (
            re.search(rf"(^|[\s/])(npx\s+|pnpm\s+(exec\s+)?|yarn\s+)?{self.name}(\s|$)", command)
            is not None
        )

    def tests_of(self, path: str, files: Sequence[str]) -> tuple[str, ...]:
        """``<stem>.test.<suffix>`` or ``<stem>.spec.<suffix>`` anywhere, ``<stem>.<suffix>`` in
        a ``__tests__`` folder (any of eslint's suffixes); the file itself when it is one."""
        name = PurePosixPath(path)
        if not path.endswith(JS_SUFFIXES):
            return ()
        stem = name.name.removesuffix(name.suffix)
        if stem.endswith((".test", ".spec")) or "__tests__" in name.parts[:-1]:
            return (path,)
        own = {f"{stem}{suffix}" for suffix in JS_SUFFIXES}
        wanted = {f"{stem}{kind}{suffix}" for kind in (".test", ".spec") for suffix in JS_SUFFIXES}
        found = [
            f
            for f in files
            if (test := PurePosixPath(f)).name in wanted
            or (test.name in own and "__tests__" in test.parts[:-1])
        ]
        return nearest(found, path)

    def installed(self, checkout: Path) -> str | Refused | None:
        """The runner in the checkout's ``node_modules/.bin`` (None: not installed), refused
        where it is a file the pull request tracks (``npm ci``'s install is untracked)."""
        return job_tool(f"node_modules/.bin/{self.name}", checkout, {})

    def missing(self, checkout: Path, environ: Mapping[str, str]) -> str:
        found = self.installed(checkout)
        return unusable(found, self.name, "`npm ci`, with it among the devDependencies")

    def run(
        self, sandbox: Sandbox, space: Workspace, selection: Selection, *, timeout: float
    ) -> TestReport:
        where, cannot = self.installed(sandbox.checkout), self.missing(sandbox.checkout, {})
        if cannot or not isinstance(where, str):  # not installed, refused or too old
            return TestReport(self.name, problem=cannot)
        if selection.changed is not None and selection.changed.refused:
            return TestReport(self.name, problem=selection.changed.refused)
        if selection.seed is not None and (cannot := self.cannot_shuffle(sandbox.checkout)):
            return TestReport(self.name, seed=selection.seed, problem=cannot)
        order = self.shuffled(selection.seed) if selection.seed is not None else ()
        lacks = self.coverage_missing(sandbox.checkout) if selection.cover else ""
        folder = space.scratch("cover", "") if selection.cover and not lacks else None
        if folder is not None:
            folder.mkdir()
        measure = self.covering(selection.cover, folder) if folder is not None else ()
        words = [file_word(test) for test in selection.tests]
        watch = self.in_run_checks(space, sandbox.checkout, selection.repeat if self.repeats else 1)
        # the in-run check first: jest reads every bare word after ``--reporters`` as another one
        argv = on_pipe(
            [where, *watch.arguments, *self.options(sandbox.checkout), *order, *measure, *words],
            sandbox.evidence_variable,
        )
        options = {
            **selection.environment,
            **self.sandboxed(sandbox.environment(space)),
            **({CHECK_VARIABLE: watch.token} if watch.token else {}),
        }
        run = sandbox.run(
            argv,
            space,
            timeout=timeout,
            extra_env=options,
            evidence=True,
            shared=(folder,) if folder is not None else (),
        )
        said = TestReport(
            self.name,
            seed=selection.seed,
            returncode=run.returncode,
            seconds=run.seconds,
            output=run.output,
        )
        if run.timed_out or run.killed_for or run.sandbox_failure:
            return replace(said, problem=f"{self.name} {run.describe()}")
        # this copy's folder cut: a test named with its path is the same in each, never the host's
        text = run.evidence.decode("utf-8", "replace").replace(str(space.root), "")
        root = f"/{space.repo.relative_to(space.root)}"
        text, seen, canaries = split_checks(text, watch, root)
        document, why = the_report(text, run.returncode)
        outcomes, why = (
            ({}, why) if why else outcomes_of(document, root, run.returncode, selection.tests)
        )
        counted = (
            {}
            if why or selection.repeat <= 1 or not self.repeats
            else self.repeat_counts(
                document,
                root,
                selection.tests,
                outcomes=outcomes,
                canaries=canaries,
                times=selection.repeat,
            )
        )
        why = (
            why
            or disagreement(outcomes, seen, watch.token)
            or changed(outcomes, canaries, watch.canary, counted)
        )
        said = replace(
            said,
            outcomes=outcomes,
            problem=f"{self.name}: {why}" if why else "",
            output=run.output + ("" if why else self.failures(document)),
            checks={} if why else read_checks(document, root, outcomes),
            repeats={} if why else counted,
        )
        if folder is None:
            return replace(said, coverage_problem=lacks)
        if why:
            return replace(
                said, coverage_problem=f"not measured: {self.name}'s report is no result"
            )
        try:
            found = self.coverage_map(document, folder, str(space.root))
        except (CheckoutFileError, ValueError, RecursionError) as exc:
            return replace(said, coverage_problem=f"not measured: no coverage map ({exc})"[:300])
        executed, measured, unread = read_coverage(
            found, root, selection.cover, lambda file: blank(sandbox.pristine, file)
        )
        return replace(
            said,
            coverage=executed,
            measured=measured,
            coverage_problem=f"not measured: {unread}" if unread else "",
        )

    def failures(self, report: Mapping[str, object]) -> str:
        """What its log lacks of the failed tests of ``report``, read (a jest log has it all)."""
        return ""

    def coverage_missing(self, checkout: Path) -> str:
        """Why it cannot measure coverage in this job ("" when it can)."""
        return ""

    def in_run_checks(self, space: Workspace, checkout: Path, repeat: int = 1) -> Watch:
        """Its in-run checks, with each test defined ``repeat`` times where the
        runner :attr:`repeats`: none unless a runner has some."""
        return Watch()

    def repeat_counts(
        self,
        report: Mapping[str, object],
        root: str,
        tests: Sequence[str],
        *,
        outcomes: Mapping[str, str],
        canaries: Mapping[str, Sequence[Canary]],
        times: int,
    ) -> dict[str, tuple[int, int]]:
        """Each test's passed and failed runs in a run that repeated each ``times`` times
        (where it :attr:`repeats`): read from its ``report`` (jest's) or its files'
        ``canaries`` (vitest's), for the tests the report's ``outcomes`` show."""
        return {}

    def covering(self, files: Sequence[str], folder: Path) -> tuple[str, ...]:
        """Its arguments to measure ``files`` (istanbul's map, into its report or ``folder``)."""
        raise NotImplementedError

    def coverage_map(self, report: Mapping[str, object], folder: Path, cut: str) -> object:
        """The run's coverage map: its ``report``'s ``coverageMap`` (jest's, already cut of the
        copy's folder), else the file its JSON coverage reporter wrote in ``folder`` (vitest 2's
        report holds none)."""
        raise NotImplementedError


def blank(checkout: Path, path: str) -> bool:
    """Whether the file ``path`` of ``checkout`` (the sandbox's pristine copy: no run writes
    it) holds no code that runs; unreadable is not blank."""
    try:
        return types_only(path, read_text(checkout, path, MAX_CHARS * 4 + 4))
    except CheckoutFileError:
        return False
