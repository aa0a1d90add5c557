"""jest behind the seam (:mod:`cicd_agent.runners.js` holds what it shares with vitest)."""

from __future__ import annotations

import json
import secrets
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.local.node_packages import installed
from cicd_agent.runners.jest.repeat import repeat_counts, repeating
from cicd_agent.runners.js.report import CHECK_KEY, Canary, Watch
from cicd_agent.runners.js.runner import CHECK_VARIABLE, JsRunner, canary_checks
from cicd_agent.runners.js.step import step_outcomes, step_retry, with_options, without
from cicd_agent.runners.js.tests import JsTests
from cicd_agent.sandbox import Workspace

REPORTER = f"""\"use strict\";
// cicd-agent's in-run check (runners/js/runner.py): loaded by jest before any test, it takes
// what it writes with now, so a test that replaces them later changes nothing of its line.
const writeSync = require("fs").writeSync;
const from = Buffer.from.bind(Buffer);
const stringify = JSON.stringify;
const token = process.env.{CHECK_VARIABLE} || "";
delete process.env.{CHECK_VARIABLE};
module.exports = class {{
  onRunComplete(_contexts, results) {{
    const tests = [];
    for (const file of results.testResults || [])
      for (const test of file.testResults || [])
        tests.push([file.testFilePath, test.fullName, test.status]);
    const line = from("\\n" + stringify({{ {CHECK_KEY}: token, tests }}) + "\\n");
    for (let done = 0; done < line.length; ) {{
      try {{ done += writeSync(1, line, done); }}
      catch (error) {{ if (error.code !== "EAGAIN") throw error; }}
    }}
  }}
}};
"""
"""jest's in-run check, a reporter (the pipe is its standard output)."""
RANDOMIZE = (29, 5)
"""The first jest that shuffles the tests of a run (``--randomize``)."""
CANARY = """\"use strict\";
// cicd-agent's canary (runners/js/runner.py), first of the setup files jest runs in each test
// file's realm, before the test file and the project's own setup files after the framework.
const writeSync = require("fs").writeSync;
const { afterAll, afterEach, expect: check } = require("@jest/globals");
"""
"""The head of jest's canary: what it writes with, and jest's own
``expect`` and hooks from ``@jest/globals`` (jest's runtime answers that name itself, where
the project sets ``injectGlobals: false`` too)."""
CONFIG = """\"use strict\";
// cicd-agent's configuration (runners/js/runner.py): the project's own, found and read as jest
// reads it, with our canary first among its setup files and never transformed by the project.
const escape = (text) => text.replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&");
module.exports = async () => {
  const index = Object.keys(require.cache).find(
    (path) => /[\\\\/]jest-config[\\\\/]build[\\\\/]index\\.js$/.test(path));
  const jestConfig = require(index);
  const build = require("path").dirname(index);
  const { config } = jestConfig.readInitialOptions ? await jestConfig.readInitialOptions()
    : { config: await require(build + "/readConfigFileAndSetRootDir").default(
        require(build + "/resolveConfigPath").default(process.cwd(), process.cwd())) };
  return { ...config,
    setupFilesAfterEnv: [CANARY, ...(config.setupFilesAfterEnv || [])],
    transformIgnorePatterns: [...(config.transformIgnorePatterns
                                  || jestConfig.defaults.transformIgnorePatterns),
                              "^" + escape(CANARY) + "$"] };
};
"""
"""jest's configuration for a run: the checkout's own (``jest.config.*`` or ``package.json``'s
``jest``, as jest finds it, through jest's own reader) with :data:`CANARY` added first to its
``setupFilesAfterEnv`` (jest's command line would replace the project's list, not add to it)."""


_REPORT = ("--outputFile", "--output-file")
_PATTERN = ("-t", "--testNamePattern", "--test-name-pattern")
"""jest's test name filter: a retry's own (full names the command's selected) stands alone,
as jest joins two with a comma into a pattern no test matches."""


class Jest(JsTests, JsRunner):
    """jest: ``--json`` on stdout, the files by path (never a pattern), shuffled by ``--seed``."""

    name = "jest"
    settings: tuple[str, ...] = (
        "jest.config.*",
        "jest.setup.*",
        "package.json",
        "babel.config.*",
        ".babelrc*",
    )
    arguments = ("--ci", "--json", "--no-watchman", "--forceExit", "--runTestsByPath")
    repeats: str | None = "jest, each test defined N times in its file's run"

    def shuffled(self, seed: int) -> tuple[str, ...]:
        return ("--randomize", f"--seed={seed}")

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        """The test step's run: its JSON report into ``folder``; a retry: ``failed`` alone.
        ``--no-bail`` undoes a ``--bail`` of the command or its configuration: jest would stop
        after the first failing file, writing no report. The command's own ``--outputFile``
        goes: given twice, jest takes both as a list and crashes after the tests."""
        if not self.runs(shlex.join(command)):
            return None
        report = ["--no-bail", "--json", f"--outputFile={folder / 'report.json'}"]
        retry = step_retry(failed) if failed else []
        own = without(command, (*_REPORT, *(_PATTERN if failed else ())))
        return with_options(own, [*report, *retry])

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        return step_outcomes(folder, root)

    def rerun_file(self, test_path: str) -> str:
        return f"npx jest --runTestsByPath {shlex.quote(test_path)}"

    def cannot_shuffle(self, checkout: Path) -> str:
        """``--randomize`` came with jest 29.5 (``--seed`` with 29.2): an older jest stops at
        the unknown option before any test, which would read as a run that wrote no report."""
        version = installed(checkout, "jest")
        if version and version < RANDOMIZE:
            return (
                f"could not run shuffled: jest {'.'.join(map(str, version))} cannot shuffle "
                "its tests (`--randomize` needs jest 29.5 or later)"
            )
        return ""

    def unshuffled_in(self, checkout: Path) -> str:
        """Where the jest installed cannot shuffle, its runs keep the
        file's order, each in a fresh process: such a run is never called shuffled."""
        if not self.cannot_shuffle(checkout):
            return ""
        version = ".".join(map(str, installed(checkout, self.name)))
        return (
            f"not shuffled: {self.name} {version} has no --randomize "
            f"({'.'.join(map(str, RANDOMIZE))}+)"
        )

    def in_run_checks(self, space: Workspace, checkout: Path, repeat: int = 1) -> Watch:
        """Our reporter beside jest's own, and our canary in each test file's realm through a
        configuration that extends the project's, from files of the workspace (read-only
        inside); the canary's token is another than the reporter's (the realm can read it).
        The canary defines each test ``repeat`` times."""
        reporter = space.scratch("jest-check", ".js")
        reporter.write_text(REPORTER, encoding="utf-8")
        canary, config = space.scratch("jest-canary", ".js"), space.scratch("jest-config", ".js")
        token = secrets.token_hex(16)
        canary.write_text(CANARY + canary_checks(token) + repeating(repeat), encoding="utf-8")
        config.write_text(CONFIG.replace("CANARY", json.dumps(str(canary))), encoding="utf-8")
        return Watch(
            ("--reporters=default", f"--reporters={reporter}", f"--config={config}"),
            secrets.token_hex(16),
            token,
        )

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
        return repeat_counts(report, root, tests)

    def covering(self, files: Sequence[str], folder: Path) -> tuple[str, ...]:
        """istanbul through babel (jest's own), into ``--json``'s ``coverageMap``: no reporter
        writes a file (one the run could have written first)."""
        return (
            "--coverage",
            "--coverageReporters=none",
            *(f"--collectCoverageFrom={file}" for file in files),
        )

    def coverage_map(self, report: Mapping[str, object], folder: Path, cut: str) -> object:
        return report.get("coverageMap")
