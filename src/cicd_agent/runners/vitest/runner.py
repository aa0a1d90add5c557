"""vitest behind the seam (:mod:`cicd_agent.runners.js` holds what it shares with jest)."""

from __future__ import annotations

import json
import secrets
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import read_text
from cicd_agent.local.node_packages import installed
from cicd_agent.runners.base import could_not_run
from cicd_agent.runners.js.report import Canary, Watch
from cicd_agent.runners.js.runner import JsRunner, canary_checks
from cicd_agent.runners.js.step import step_outcomes, step_retry, with_options, without
from cicd_agent.runners.js.tests import JsTests
from cicd_agent.runners.vitest.repeat import RUNS, repeat_counts, repeating
from cicd_agent.sandbox import Workspace

MAX_MAP_BYTES = 64 << 20
"""The largest coverage map read (a map of the changed files only)."""
MAX_FAILURES = 4_000
"""Characters of failure messages added to a run's log."""
NATIVE_LOADER = "--configLoader=native"
NO_CACHE = "--no-cache"
"""vitest 1.3+'s switch for its cache (an older vitest stops at it: "Unknown option"). The cache
orders a run's files by an earlier run's results, from a folder the project's configuration may
name (``cache.dir``, a file the pull request tracks): it is off in every run, by this switch or
by ``cache: false`` in our configuration, which older versions read."""
CACHE_SWITCH = (1, 3)
OLDEST = (0, 32)
"""The oldest vitest that runs as we run it: an older one fails to load our canary, and before
0.32 there is no ``@vitest/coverage-v8``. An older one is "could not run", never a run that
measures nothing."""
CANARY = """// cicd-agent's canary (runners/js/runner.py), first of the setup files vitest runs in
// each test file's realm, before the project's own and the test file.
import { afterAll, afterEach, expect as check } from "vitest";
import { writeSync } from "node:fs";
"""
"""The head of vitest's canary: what it writes with, and ``expect``."""
CONFIG = """// cicd-agent's configuration (runners/js/runner.py): the project's own, found as vitest
// finds it and loaded by the project's vite, with our canary first among its setup files.
IMPORTS
const root = process.cwd();
const from = createRequire(realpathSync(join(root, "node_modules", "vitest", "package.json")));
const manifest = from.resolve("vite/package.json");
const exported = from(manifest).exports["."];  // a path (vite 7+), or one per module kind
const entry = typeof exported === "string" ? exported : exported.import.default || exported.import;
const loading = import(pathToFileURL(join(manifest, "..", entry)).href);
const main = async (env) => {
  const vite = await loading;
  const file = ["vitest.config", "vite.config"]
    .flatMap((name) =>
      [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"].map((suffix) => name + suffix))
    .find((name) => existsSync(join(root, name)));
  const loaded = file && await vite.loadConfigFromFile(env, join(root, file), root, undefined,
                                                       undefined, LOADER);
  const config = loaded ? loaded.config : {};
  const test = config.test || {};
  const setupFiles = [CANARY, ...[].concat(test.setupFiles || [])];
  return { ...config, test: { ...test, CACHEsetupFiles: setupFiles } };
};
EXPORT
"""
"""vitest's configuration for a run: the checkout's own (``vitest.config.*``, else
``vite.config.*``, as vitest looks for them) with :data:`CANARY` added first to its
``test.setupFiles`` (vitest 2's command line takes no setup file), and its cache off where the
command line cannot say so."""
IMPORTS = {
    ".cjs": (
        'const { existsSync, realpathSync } = require("node:fs");\n'
        'const { createRequire } = require("node:module");\n'
        'const { join } = require("node:path");\n'
        'const { pathToFileURL } = require("node:url");',
        "module.exports = main;",
    ),
    ".mjs": (
        'import { existsSync, realpathSync } from "node:fs";\n'
        'import { createRequire } from "node:module";\nimport { join } from "node:path";\n'
        'import { pathToFileURL } from "node:url";',
        "export default main;",
    ),
}
"""The configuration's module forms: CommonJS, which vite's default loader reads without
writing a bundle beside it (this folder is read-only in the sandbox), and ESM where node itself
imports it (``--configLoader native``)."""


class Vitest(JsTests, JsRunner):
    """vitest: its JSON reporter on stdout, no cache."""

    name = "vitest"
    settings: tuple[str, ...] = (
        "vitest.config.*",
        "vitest.workspace.*",
        "vite.config.*",
        "package.json",
    )
    arguments = ("run", "--reporter=json", "--no-color", NO_CACHE)
    repeats: str | None = "vitest, each test's own repeats in its file's run"

    def shuffled(self, seed: int) -> tuple[str, ...]:
        return ("--sequence.shuffle", f"--sequence.seed={seed}")

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        """The test step's run: its JSON report into ``folder`` beside the console's; a retry:
        ``failed`` alone. ``--bail=0`` in place of the command's ``--bail`` (vitest refuses a
        second) undoes it and its configuration's: the tests after the first failure would go
        unrun. The command's own ``--outputFile`` (a file's name, or its JSON report's) goes:
        beside ours, vitest crashes before any test."""
        if not self.runs(shlex.join(command)):
            return None
        report = [
            "--reporter=default",
            "--reporter=json",
            f"--outputFile.json={folder / 'report.json'}",
        ]
        retry = step_retry(failed) if failed else []
        own = without(_unbailed(command), ("--outputFile", "--outputFile.json"))
        return with_options(own, ["--bail=0", *report, *retry])

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        return step_outcomes(folder, root)

    def rerun_file(self, test_path: str) -> str:
        return f"npx vitest run {shlex.quote(test_path)}"

    def missing(self, checkout: Path, environ: Mapping[str, str]) -> str:
        """The shared answer, and a version older than :data:`OLDEST` named."""
        version = installed(checkout, "vitest")
        if version and version < OLDEST:
            return (
                f"could not run: vitest {'.'.join(map(str, version))} is older than "
                f"{'.'.join(map(str, OLDEST))}, the oldest this agent runs"
            )
        return super().missing(checkout, environ)

    def options(self, checkout: Path) -> tuple[str, ...]:
        """Our configuration imported by node itself where vite can
        (``--configLoader native``, vite 6.1+ with vitest 3.1+); :data:`NO_CACHE` where the
        installed version has it (a version not read is taken as new: its own error then
        fails the run, never a run with the cache on)."""
        arguments = (
            self.arguments
            if caches_by_switch(checkout)
            else tuple(word for word in self.arguments if word != NO_CACHE)
        )
        return (*arguments, NATIVE_LOADER) if on_the_fly(checkout) else arguments

    def in_run_checks(self, space: Workspace, checkout: Path, repeat: int = 1) -> Watch:
        """Our canary in each test file's realm, through a configuration that extends the
        project's, from files of the workspace (read-only inside); vitest has no reporter
        in-run check of ours (its tests run in workers, whose exit fails the run). The canary
        repeats each test ``repeat`` times and counts its runs."""
        runner = on_the_fly(checkout)
        canary = space.scratch("vitest-canary", ".mjs")
        config = space.scratch("vitest-config", ".mjs" if runner else ".cjs")
        token = secrets.token_hex(16)
        counts = RUNS if repeat > 1 else ""
        canary.write_text(
            CANARY + canary_checks(token, counts) + repeating(repeat), encoding="utf-8"
        )
        imports, export = IMPORTS[config.suffix]
        config.write_text(
            CONFIG.replace("IMPORTS", imports)
            .replace("EXPORT", export)
            .replace("LOADER", '"runner"' if runner else "undefined")
            .replace("CACHE", "" if caches_by_switch(checkout) else "cache: false, ")
            .replace("[CANARY,", f"[{json.dumps(str(canary))},"),
            encoding="utf-8",
        )
        return Watch((f"--config={config}",), "", token)

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
        runs = {file: lines[0].runs for file, lines in canaries.items() if len(lines) == 1}
        return repeat_counts(outcomes, runs, times)

    def failures(self, report: Mapping[str, object]) -> str:
        """The failure messages (assertion and stack) of the failed tests of its JSON report:
        its only reporter, so a failed assertion would be in no log of a vitest run."""
        results = report.get("testResults")
        found = [
            str(message)
            for result in (results if isinstance(results, list) else ())
            if isinstance(result, dict) and isinstance(result.get("assertionResults"), list)
            for case in result["assertionResults"]
            if isinstance(case, dict) and isinstance(case.get("failureMessages"), list)
            for message in case["failureMessages"]
        ]
        return ("\n" + "\n".join(found))[:MAX_FAILURES] if found else ""

    def test_style(self, source_text: str, related_text: str) -> str:
        """jest's, with vitest's own imports unless its tests use the globals."""
        return (
            f"{super().test_style(source_text, related_text)} Import `describe`, `it` and "
            '`expect` from "vitest" unless the existing tests use them as globals.'
        )

    def coverage_missing(self, checkout: Path) -> str:
        """Without its V8 provider installed (``npm ci``), vitest would fail the whole run."""
        if (checkout / "node_modules" / "@vitest" / "coverage-v8" / "package.json").is_file():
            return ""
        return could_not_run("@vitest/coverage-v8", "among the devDependencies, then `npm ci`")

    def covering(self, files: Sequence[str], folder: Path) -> tuple[str, ...]:
        """V8's coverage through ``@vitest/coverage-v8`` (the job's install), its JSON
        reporter into a folder of ``folder`` (vitest empties it first, and could not empty a
        mount); files no test loads are counted too (``all``). Written when a test fails too
        (``reportOnFailure``, off by default): one slow test timing out would leave the whole
        change "not measured", as jest's map never does."""
        return (
            "--coverage.enabled=true",
            "--coverage.provider=v8",
            "--coverage.all=true",
            "--coverage.reportOnFailure=true",
            "--coverage.reporter=json",
            f"--coverage.reportsDirectory={folder / 'report'}",
            *(f"--coverage.include={file}" for file in files),
        )

    def coverage_map(self, report: Mapping[str, object], folder: Path, cut: str) -> object:
        """``coverage-final.json``, written by vitest's main process; read without following a
        link and bounded (a test may write that folder too: a forged map hides gaps, never
        adds a test)."""
        return json.loads(
            read_text(folder, "report/coverage-final.json", MAX_MAP_BYTES).replace(cut, "")
        )


def on_the_fly(checkout: Path) -> bool:
    """Whether the project's configuration is loaded on the fly (``runner``, vite 6.1+ and
    vitest 3.1+): vite's default bundles a ``vitest.config.ts`` into ``node_modules/.vite-temp``,
    read-only in the sandbox, and the run would fail before any test. Our own configuration,
    plain JavaScript, node imports itself: a second loader on the fly for it can run out of
    the sandbox's memory."""
    return installed(checkout, "vite") >= (6, 1) and installed(checkout, "vitest") >= (3, 1)


def caches_by_switch(checkout: Path) -> bool:
    """Whether the installed vitest takes :data:`NO_CACHE` (1.3+, or a version not read)."""
    version = installed(checkout, "vitest")
    return not version or version >= CACHE_SWITCH


def _unbailed(command: Sequence[str]) -> list[str]:
    return [
        word
        for at, word in enumerate(command)
        if word != "--bail"
        and not word.startswith("--bail=")
        and not (at and command[at - 1] == "--bail" and word.isdigit())
    ]
