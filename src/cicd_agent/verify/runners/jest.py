"""jest behind the seam (:mod:`.js` holds what it shares with vitest)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.sandbox import Workspace
from cicd_agent.verify.runners.js import WITNESS_KEY, WITNESS_VARIABLE, JsRunner, installed

REPORTER = f"""\"use strict\";
// cicd-agent's witness (verify/runners/js.py): loaded by jest before any test, it takes what it
// writes with now, so a test that replaces them later changes nothing of its line.
const writeSync = require("fs").writeSync;
const from = Buffer.from.bind(Buffer);
const stringify = JSON.stringify;
const token = process.env.{WITNESS_VARIABLE} || "";
delete process.env.{WITNESS_VARIABLE};
module.exports = class {{
  onRunComplete(_contexts, results) {{
    const tests = [];
    for (const file of results.testResults || [])
      for (const test of file.testResults || []) tests.push([file.testFilePath, test.fullName, test.status]);
    const line = from("\\n" + stringify({{ {WITNESS_KEY}: token, tests }}) + "\\n");
    for (let done = 0; done < line.length; ) {{
      try {{ done += writeSync(1, line, done); }}
      catch (error) {{ if (error.code !== "EAGAIN") throw error; }}
    }}
  }}
}};
"""
"""jest's witness, a reporter (the pipe is its standard output, :func:`.base.on_pipe`)."""
RANDOMIZE = (29, 5)
"""The first jest that shuffles the tests of a run (``--randomize``)."""


class Jest(JsRunner):
    """jest: ``--json`` on stdout, the files by path (never a pattern), shuffled by ``--seed``."""

    name = "jest"
    settings: tuple[str, ...] = ("jest.config.*", "jest.setup.*", "package.json", "babel.config.*",
                                 ".babelrc*")
    arguments = ("--ci", "--json", "--no-watchman", "--forceExit", "--runTestsByPath")

    def shuffled(self, seed: int) -> tuple[str, ...]:
        return ("--randomize", f"--seed={seed}")

    def cannot_shuffle(self, checkout: Path) -> str:
        """``--randomize`` came with jest 29.5 (``--seed`` with 29.2): an older jest stops at
        the unknown option before any test, which read as a run that wrote no report (seen on
        typestack/class-transformer's jest 26, where no candidate could pass its reruns)."""
        version = installed(checkout, "jest")
        if version and version < RANDOMIZE:
            return (f"could not run shuffled: jest {'.'.join(map(str, version))} cannot shuffle "
                    "its tests (`--randomize` needs jest 29.5 or later)")  # fmt: skip
        return ""

    def witnessing(self, space: Workspace) -> tuple[tuple[str, ...], str]:
        """Our reporter beside jest's own, from a file of the workspace (read-only inside)."""
        reporter = space.scratch("jest-witness", ".js")
        reporter.write_text(REPORTER, encoding="utf-8")
        return ("--reporters=default", f"--reporters={reporter}"), secrets.token_hex(16)

    def covering(self, files: Sequence[str], folder: Path) -> tuple[str, ...]:
        """istanbul through babel (jest's own), into ``--json``'s ``coverageMap``: no reporter
        writes a file (one the run could have written first)."""
        return ("--coverage", "--coverageReporters=none",
                *(f"--collectCoverageFrom={file}" for file in files))  # fmt: skip

    def coverage_map(self, report: str, folder: Path) -> str:
        document = json.loads(report)
        return json.dumps(document.get("coverageMap") if isinstance(document, dict) else None)
