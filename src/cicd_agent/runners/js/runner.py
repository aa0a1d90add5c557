"""What jest and vitest share behind the seam (:mod:`.base`): the repository's own runner as its
job installed it, and what the runner's JSON report says passed.

Only a runner in the checkout's ``node_modules/.bin`` counts (the repository's own, installed by
``npm ci``): one on ``PATH`` is nobody's choice for these tests. When both are there,
``package.json``'s ``devDependencies`` decides. The runner runs in the sandbox like every command
of the checkout (its configuration is the pull request's code); its report comes back through
the evidence pipe as its standard output (:func:`.base.on_pipe`: no process below it finds the
pipe but through that output), and is believed only where the exit status agrees with it: a
report of passes from a run that failed is no result at all, and so is a second report (a test
that prints its own JSON). jest runs a lone test file in its own process, where the code under
test can print a forged report and exit 0 before jest reports (report and status then agree);
so a runner may add a witness of its own (:meth:`JsRunner.witnessing`: jest's, a reporter
loaded before any test, which writes each test's outcome with a token drawn per run through
what it took as it loaded), and a report counts only where that line came, once, and agrees
with it. The reporter sees outcomes, not how they were reached: code under test shares the
test's realm (jest's context, vitest's worker), where ``Object.is = () => true`` or a
``toBe`` of its own makes every assertion hold. So both runners also run a canary of ours
first among each test file's setup files (:data:`CANARY`, through a configuration that extends
the project's own): it fixes ``Object.is``, checks after each test that false assertions still
throw and true ones hold, and writes per file, with a second token, how many tests it checked;
a file with a pass counts only where that line came once, held, and covered every test that
ran, each run of a repeated one too. What it cannot see: code written against this agent (it
can find either token, or remove and mimic the canary: it runs in the canary's own realm). A
patched run also starts only where the patch adds no code that runs as its module loads
(:attr:`.witnessed.PatchedLines.refused`).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.runners.base import (
    PASSED,
    RunnerDefaults,
    Selection,
    TestReport,
    file_word,
    nearest,
    on_pipe,
    unusable,
)
from cicd_agent.runners.js.checks import read_checks
from cicd_agent.runners.js.istanbul import read_coverage
from cicd_agent.runners.js.log import SHAPE
from cicd_agent.runners.js.type_only import types_only
from cicd_agent.sandbox import Sandbox, Workspace
from cicd_agent.verify.job_tools import Refused, job_tool
from cicd_agent.verify.load_time_js import MAX_CHARS, SUFFIXES

JS_SUFFIXES = SUFFIXES
"""The files a JavaScript runner's tests exercise: eslint's, which its patches' rule reads."""
NODE_OPTIONS = "--disable-wasm-trap-handler"
"""Added to a run's ``NODE_OPTIONS``: one WebAssembly memory reserves more address space than
the sandbox's limit allows, so without it no wasm module loads (vitest's lexers, node 20.15+)."""
WITNESS_VARIABLE = "CICD_JS_WITNESS"
"""Carries the witness's token to it (it drops the variable as it loads, before any test)."""
WITNESS_KEY = "cicd_witness"
WITNESS_PREFIX = f'{{"{WITNESS_KEY}":'
"""How the witness's line starts on the pipe (a line starting so is read as one)."""
CANARY_KEY = "cicd_canary"
CANARY_PREFIX = f'{{"{CANARY_KEY}":'
"""How a canary's line starts on the pipe (one per test file, from the test's realm)."""
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
  const counts = {{ assertionCalls: state.assertionCalls, numPassingAsserts: state.numPassingAsserts }};
  try {{
    const current = globalThis.expect;
    const fails = (assertion) => {{ try {{ assertion(); return false; }} catch {{ return true; }} }};
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
  const line = Buffer.from("\\n" + stringify({{ {CANARY_KEY}: "TOKEN", file: check.getState().testPath,
    tests: checked, held: held(true)RUNS }}) + "\\n");
  for (let done = 0; done < line.length; ) {{
    try {{ done += writeSync(1, line, done); }}
    catch (error) {{ if (error.code !== "EAGAIN") throw error; }}
  }}
}});
"""
"""The witness in the test's realm, after a runner's head that names ``check`` (its ``expect``)
and ``writeSync``: after each test a false ``toBe`` must throw and a true one hold, at the
file's end each of its false assertions must throw and true ones hold
(``expect``'s state restored, so ``expect.assertions`` counts only the test's own); once a
file's tests are done it writes their count with the run's canary token (module doc), and
where a runner's canary repeats the tests (vitest's), each test's passes and failures
(``RUNS``: :func:`canary_checks`)."""
REPORT_KEY = re.compile(r'"testResults"\s*:')
"""Its report's key (:func:`the_report`), never a JSON string (a test named so): those escape quotes."""
PACKAGE_TEST = re.compile(r"^\s*(npm|pnpm|yarn)(\s+run)?\s+test\b|^\s*npm\s+t\b")
"""A failed step that runs the package's ``test`` script: its runner is the one it names."""


def package_json(checkout: Path, path: str = "package.json") -> dict[str, object]:
    """The object in the checkout's ``path`` (a ``package.json``), read through the checkout's
    one reader (no link followed, bounded); empty when it is missing, too large or no object."""
    try:
        document = json.loads(read_text(checkout, path))
    except (CheckoutFileError, ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def devdependencies(checkout: Path) -> Mapping[str, object]:
    """``package.json``'s ``devDependencies`` and ``dependencies`` together (empty: none)."""
    document = package_json(checkout)
    found: dict[str, object] = {}
    for key in ("dependencies", "devDependencies"):
        part = document.get(key)
        found.update(part if isinstance(part, dict) else {})
    return found


def installed(checkout: Path, package: str) -> tuple[int, ...]:
    """The version of ``package`` in the checkout's ``node_modules`` (``()``: none read)."""
    version = package_json(checkout, f"node_modules/{package}/package.json").get("version")
    # at most 12 digits, as base.COUNT: a longer number is no version, and int() would throw
    match = re.match(r"(\d{1,12})\.(\d{1,12})\b", version) if isinstance(version, str) else None
    return (int(match[1]), int(match[2])) if match else ()


def test_script(checkout: Path) -> str:
    """``package.json``'s ``scripts.test`` ("" for none)."""
    scripts = package_json(checkout).get("scripts")
    script = scripts.get("test") if isinstance(scripts, dict) else None
    return script if isinstance(script, str) else ""


class Watch(NamedTuple):
    """A runner's witnesses (:meth:`JsRunner.witnessing`): the arguments that load them, the
    token the reporter's line must carry and the one each canary's line must ("": none)."""

    arguments: tuple[str, ...] = ()
    token: str = ""
    canary: str = ""


class Canary(NamedTuple):
    """What a test file's canary wrote: how many tests it checked, and whether it held at the end."""

    tests: int
    held: bool
    runs: tuple[tuple[str, int, int], ...] = ()
    """Each test's full name, passed and failed runs, where the canary counted repetitions."""


def canary_checks(token: str, runs: str = "") -> str:
    """:data:`CANARY` carrying ``token``, its line adding ``runs`` (a repeating canary's
    counts, as ``, runs: ...``; "": none)."""
    return CANARY.replace('"TOKEN"', json.dumps(token)).replace("held(true)RUNS", f"held(true){runs}")


class JsRunner(RunnerDefaults):
    """jest or vitest (:class:`~..base.TestRunner`); a subclass names its arguments."""

    name = ""
    log_shape = SHAPE
    arguments: tuple[str, ...] = ()
    """Its arguments for a JSON report of the test files that follow, on stdout."""
    suffixes = JS_SUFFIXES
    settings: tuple[str, ...] = ()
    repeats: str | None = None
    """Neither jest nor vitest has a repeat count on its command line (vitest's ``--retry``
    reruns a failure until it passes, the opposite): each one's canary repeats the tests
    (``jest/repeat.py``, ``vitest/repeat.py``)."""
    step_captures = False
    """The test step reads jest's and vitest's outcomes from a report file, not their output."""

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
        """Its :attr:`arguments` for the version ``checkout`` installed."""
        return self.arguments

    def configured(self, checkout: Path) -> bool:
        return self.name in devdependencies(checkout)

    def runs(self, command: str) -> bool:
        return re.search(rf"(^|[\s/])(npx\s+|pnpm\s+(exec\s+)?|yarn\s+)?{self.name}(\s|$)",
                         command) is not None  # fmt: skip

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
        found = [f for f in files if (test := PurePosixPath(f)).name in wanted
                 or (test.name in own and "__tests__" in test.parts[:-1])]  # fmt: skip
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
        watch = self.witnessing(space, sandbox.checkout, selection.repeat if self.repeats else 1)
        # the witness first: jest reads every bare word after ``--reporters`` as another one
        argv = on_pipe([where, *watch.arguments, *self.options(sandbox.checkout), *order, *measure, *words],
                       sandbox.evidence_variable)  # fmt: skip
        options = {**selection.environment, **self.sandboxed(sandbox.environment(space)),
                   **({WITNESS_VARIABLE: watch.token} if watch.token else {})}  # fmt: skip
        run = sandbox.run(argv, space, timeout=timeout, extra_env=options, evidence=True,
                          shared=(folder,) if folder is not None else ())  # fmt: skip
        said = TestReport(self.name, seed=selection.seed, returncode=run.returncode,
                          seconds=run.seconds, output=run.output)  # fmt: skip
        if run.timed_out or run.killed_for or run.sandbox_failure:
            return replace(said, problem=f"{self.name} {run.describe()}")
        # this copy's folder cut: a test named with its path is the same in each, never the host's
        text = run.evidence.decode("utf-8", "replace").replace(str(space.root), "")
        root = f"/{space.repo.relative_to(space.root)}"
        text, seen, canaries = witnessed(text, watch, root)
        document, why = the_report(text, run.returncode)
        outcomes, why = ({}, why) if why else outcomes_of(document, root, run.returncode, selection.tests)
        counted = {} if why or selection.repeat <= 1 or not self.repeats else self.repeat_counts(
            document, root, selection.tests, outcomes=outcomes, canaries=canaries,
            times=selection.repeat)  # fmt: skip
        why = why or disagreement(outcomes, seen, watch.token) or changed(outcomes, canaries,
                                                                          watch.canary, counted)
        said = replace(said, outcomes=outcomes, problem=f"{self.name}: {why}" if why else "",
                       output=run.output + ("" if why else self.failures(document)),
                       checks={} if why else read_checks(document, root, outcomes),
                       repeats={} if why else counted)  # fmt: skip
        if folder is None:
            return replace(said, coverage_problem=lacks)
        if why:
            return replace(said, coverage_problem=f"not measured: {self.name}'s report is no result")
        try:
            found = self.coverage_map(document, folder, str(space.root))
        except (CheckoutFileError, ValueError, RecursionError) as exc:
            return replace(said, coverage_problem=f"not measured: no coverage map ({exc})"[:300])
        executed, measured, unread = read_coverage(found, root, selection.cover,
                                                   lambda file: blank(sandbox.pristine, file))  # fmt: skip
        return replace(said, coverage=executed, measured=measured,
                       coverage_problem=f"not measured: {unread}" if unread else "")  # fmt: skip

    def failures(self, report: Mapping[str, object]) -> str:
        """What its log lacks of the failed tests of ``report``, read (a jest log has it all)."""
        return ""

    def coverage_missing(self, checkout: Path) -> str:
        """Why it cannot measure coverage in this job ("" when it can)."""
        return ""

    def witnessing(self, space: Workspace, checkout: Path, repeat: int = 1) -> Watch:
        """Its witnesses (module doc), with each test defined ``repeat`` times where the
        runner :attr:`repeats`: none unless a runner has some."""
        return Watch()

    def repeat_counts(
        self, report: Mapping[str, object], root: str, tests: Sequence[str], *,
        outcomes: Mapping[str, str], canaries: Mapping[str, Sequence[Canary]], times: int,
    ) -> dict[str, tuple[int, int]]:  # fmt: skip
        """Each test's passed and failed runs in a run that repeated each ``times`` times
        (where it :attr:`repeats`): read from its ``report`` (jest's) or its files'
        ``canaries`` (vitest's), for the tests the report's ``outcomes`` show."""
        return {}

    def covering(self, files: Sequence[str], folder: Path) -> tuple[str, ...]:
        """Its arguments to measure ``files`` (istanbul's map, into its report or ``folder``)."""
        raise NotImplementedError

    def coverage_map(self, report: Mapping[str, object], folder: Path, cut: str) -> object:
        """The run's coverage map, read: its ``report``'s ``coverageMap`` (jest; the report is
        read once, and its text was cut of the copy's folder), else the file its JSON coverage
        reporter wrote in ``folder`` with ``cut`` (that folder) taken out (vitest 2's report
        holds none)."""
        raise NotImplementedError


def blank(checkout: Path, path: str) -> bool:
    """Whether the file ``path`` of ``checkout`` (the sandbox's pristine copy: no run writes
    it) holds no code that runs (:func:`.type_only.types_only`); unreadable is not blank."""
    try:
        return types_only(path, read_text(checkout, path, MAX_CHARS * 4 + 4))
    except CheckoutFileError:
        return False


def outcomes_of(
    document: Mapping[str, object], root: str, returncode: int, tests: Sequence[str]
) -> tuple[dict[str, str], str]:
    """Each test of the files ``tests`` (every file when empty) a jest or vitest JSON report
    (``document``, read once by :func:`the_report`) shows, by ``file › full name`` relative to
    ``root``, and its status; or why it is no result ("" when it is)."""
    results = document.get("testResults")
    if not isinstance(results, list) or not isinstance(document.get("success"), bool):
        return {}, "no report of jest's or vitest's shape"
    if document["success"] != (returncode == 0):
        said = "every test passed" if document["success"] else "a test failed"
        return {}, f"its report says {said}, but it exited with status {returncode}"
    outcomes: dict[str, str] = {}
    for result in results:
        name = str(result.get("name", "")) if isinstance(result, dict) else ""
        cases = result.get("assertionResults") if isinstance(result, dict) else None
        where = posixpath.relpath(name, root) if name.startswith(f"{root}/") else name
        for case in cases if isinstance(cases, list) and (where in tests or not tests) else []:
            if isinstance(case, dict):
                test = f"{where} › {case.get('fullName', '')}"
                status = str(case.get("status", ""))
                outcomes[test] = "failed" if test in outcomes and outcomes[test] != status \
                    else status  # fmt: skip
    return outcomes, ""


def the_report(text: str, returncode: int) -> tuple[dict[str, object], str]:
    """The runner's JSON report in ``text`` (a run's output, witnesses' lines left out), or why
    none. A test may print first (unjs/defu's ``node:test`` TAP), so it is the one JSON object
    holding :data:`REPORT_KEY` (jest's and vitest's reports name that key once), from the start
    of its line: the key's own (one-line reports), else the last line of ``{`` alone above it
    (vitest before 1 indents its report over many lines, :func:`indented`). A second (a test's own,
    before or after the runner's), or a report not alone on its lines (a test's unended line
    before it, its text after it), is no result: neither can be told from the runner's."""
    if not text.strip():  # its configuration, a setup file or a missing module stopped it
        return {}, f"it exited with status {returncode} before writing a report"
    keys = list(islice(REPORT_KEY.finditer(text), 2))
    if len(keys) > 1:
        return {}, "a second report in its output: a test printed one of its own"
    if not keys:
        return {}, "no report of jest's or vitest's shape"
    key = keys[0].start()
    start = text.rfind("\n", 0, key) + 1
    pretty = not text.startswith("{", start)
    if pretty:  # vitest before 1 indents its report, from a line of "{" alone above its key
        start = text.rfind("\n{\n", 0, key) + 1 or (0 if text.startswith("{\n") else -1)
    if start < 0 or not text.startswith("{", start):
        return {}, "its report does not start its line (a test's output ran into it)"
    try:
        document, end = json.JSONDecoder().raw_decode(text, start)
    except (ValueError, RecursionError) as exc:
        return {}, f"an unreadable report ({type(exc).__name__})"
    if end <= key:
        return {}, "its report does not start its line (a test's output ran into it)"
    if text[end:].split("\n", 1)[0].strip() or (not pretty and "\n" in text[start:end]):
        return {}, "an unreadable report (text after it on its line)"  # a one-line report is one line
    try:  # the encoder is a few frames deeper than the decoder that read it
        aligned = not pretty or indented(text[start:end], document)
    except RecursionError:
        return {}, "an unreadable report (RecursionError)"
    if not aligned:
        return {}, "its report is not indented as its structure (a test's output ran into it)"
    return (document, "") if isinstance(document, dict) else ({}, "no report of jest's or vitest's shape")


def indented(text: str, document: object) -> bool:
    """Whether each line of ``text`` (an indented report, read as ``document``) is indented as
    its depth in ``document``: a test's text before the runner's report (an unended line that
    opens an object of its own, a forged key escaped past :data:`REPORT_KEY`) nests the
    runner's report one level deeper than its lines say."""
    lines = text.split("\n")
    wanted = json.dumps(document, indent=2).split("\n")
    return len(lines) == len(wanted) and all(
        len(line) - len(line.lstrip(" ")) == len(want) - len(want.lstrip(" "))
        for line, want in zip(lines, wanted, strict=True))


def witnessed(
    text: str, watch: Watch, root: str
) -> tuple[str, dict[str, str] | None, dict[str, list[Canary]]]:
    """``text`` (a run's pipe) without the witnesses' lines (whole JSON objects only: a test can
    write a prefix the report then follows on its line); the outcomes of the one reporter's line
    carrying ``watch.token`` (``file › full name`` under ``root``; None when it is missing,
    repeated or of another token, or no witness); each file's canary lines carrying ours."""
    if not watch.token and not watch.canary:
        return text, None, {}
    kept: list[str] = []
    found: list[object] = []
    canaries: dict[str, list[Canary]] = {}
    for line in text.split("\n"):
        if not line.startswith((WITNESS_PREFIX, CANARY_PREFIX)):
            kept.append(line)
            continue
        try:
            said = json.loads(line)
        except (ValueError, RecursionError):
            said = None
        kept.extend(() if isinstance(said, dict) else (line,))  # a test's text, a report ran into
        if not line.startswith(CANARY_PREFIX):
            found.append(said)
        elif isinstance(said, dict) and said.get(CANARY_KEY) == watch.canary and watch.canary:
            file, tests, held = said.get("file"), said.get("tests"), said.get("held")
            if isinstance(file, str) and type(tests) is int and type(held) is bool:
                where = posixpath.relpath(file, root) if file.startswith(f"{root}/") else file
                canaries.setdefault(where, []).append(Canary(tests, held, counted(said.get("runs"))))
    said = found[0] if len(found) == 1 else None
    tests = said.get("tests") if isinstance(said, dict) and said.get(WITNESS_KEY) == watch.token \
        else None  # fmt: skip
    if not isinstance(tests, list):
        return "\n".join(kept), None, canaries
    seen: dict[str, str] = {}
    for test in tests:
        if isinstance(test, list) and len(test) == 3 and all(isinstance(t, str) for t in test):
            where = posixpath.relpath(test[0], root) if test[0].startswith(f"{root}/") else test[0]
            seen[f"{where} › {test[1]}"] = test[2]
    return "\n".join(kept), seen, canaries


def counted(runs: object) -> tuple[tuple[str, int, int], ...]:
    """A canary line's ``runs`` (each test's full name, passed and failed runs), the entries
    of that shape (counts of at most 12 digits, as :func:`installed`'s)."""
    if not isinstance(runs, dict):
        return ()
    return tuple((name, won, lost) for name, pair in runs.items()
                 if isinstance(pair, list) and len(pair) == 2
                 and all(type(n) is int and 0 <= n < 10**12 for n in pair)
                 for won, lost in (pair,))  # fmt: skip


def changed(
    outcomes: Mapping[str, str], canaries: Mapping[str, Sequence[Canary]], token: str,
    repeats: Mapping[str, tuple[int, int]] | None = None,
) -> str:  # fmt: skip
    """Why the report is no result by the files' canaries ("" when it is, or when the runner has
    none: no ``token``): a canary that found a false assertion holding, or a file with a pass
    whose canary did not write one line that held and checked every run the report shows in it
    (each of a repeated test's ``repeats``: the code under test removed it, or ended the file
    before it wrote)."""
    if not token:
        return ""
    for file, lines in canaries.items():
        if not all(line.held for line in lines):
            return f"the code under test changed the assertions in {file[:200]}: a false expect held"
    for file in sorted({test.split(" › ", 1)[0] for test, said in outcomes.items() if said == PASSED}):
        ran = sum(sum((repeats or {}).get(test, (1, 0))) for test, said in outcomes.items()
                  if test.startswith(f"{file} › ") and said in (PASSED, "failed"))  # fmt: skip
        lines = canaries.get(file, ())
        if len(lines) != 1 or lines[0].tests < ran:
            return (f"the code under test changed the assertions in {file[:200]}: our canary "
                    f"did not run after every test ({len(lines)} lines)")  # fmt: skip
    return ""


def disagreement(outcomes: Mapping[str, str], seen: Mapping[str, str] | None, token: str) -> str:
    """Why the report's ``outcomes`` are no result by the witness's ``seen`` ("" when they are,
    or when the runner has none: no ``token``): its line never came (the process ended before
    the runner reported), or a pass it did not see."""
    if not token:
        return ""
    if seen is None:
        return ("the runner's witness never wrote its line: the run ended before the runner "
                "reported, so its report is the code under test's")  # fmt: skip
    for test, outcome in outcomes.items():
        if outcome == PASSED and seen.get(test) != PASSED:
            return f"its report shows {test[:200]} passing where the runner's witness did not"
    return ""
