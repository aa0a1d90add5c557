"""The JavaScript tests a suggestion is checked against: the repository's own runner (jest or
vitest) as its job installed it, and what the runner's JSON report says passed.

Only a runner in the checkout's ``node_modules/.bin`` counts (the repository's own, installed by
``npm ci``; never a file the pull request commits there): one on ``PATH`` is nobody's choice for
these tests. When both are there,
``package.json``'s ``devDependencies`` decides. The runner runs in the sandbox like every command
of the checkout (its configuration is the pull request's code); its report comes back through
the evidence pipe as its standard output, and is believed only where the exit status agrees
with it: a report of passes from a run that failed is no word at all.
"""

from __future__ import annotations

import json
import posixpath
import shutil
from pathlib import Path

from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.verify.contract import LintCommand
from cicd_agent.verify.known import TOOLS, Refused, job_tool

JS_SUFFIXES = next(t.checking.suffixes for t in TOOLS if t.name == "eslint" and t.checking)
"""The files a JavaScript runner's tests exercise: eslint's."""

RUNNERS = {
    "jest": ("--ci", "--json", "--no-watchman", "--forceExit", "--runTestsByPath"),
    "vitest": ("run", "--reporter=json", "--no-color", "--no-cache"),  # node_modules is read-only
}
"""Each runner's arguments for a JSON report of the test files that follow, on stdout."""
NODE_OPTIONS = "--disable-wasm-trap-handler"
"""Added to a run's ``NODE_OPTIONS``: one WebAssembly memory reserves more address space than
the sandbox's limit allows, so without it no wasm module loads (vitest's lexers, node 20.15+)."""
NOT_INSTALLED = ("no tests were run: jest/vitest is not installed in this job (run `npm ci` "
                 "before this step)")  # fmt: skip


def js_runner(checkout: Path) -> LintCommand | str:
    """The repository's test runner in ``checkout`` (module doc), or why none: the line's clause."""
    folder = str(checkout / "node_modules" / ".bin")
    found = {name: where for name in RUNNERS if (where := shutil.which(name, path=folder))}
    if len(found) > 1:
        try:
            document = json.loads(read_text(checkout, "package.json"))
        except (CheckoutFileError, ValueError, RecursionError):
            document = None
        chosen = document.get("devDependencies") if isinstance(document, dict) else None
        found = {n: where for n, where in found.items() if isinstance(chosen, dict) and n in chosen}
        if len(found) != 1:
            return ("no tests were run: jest and vitest are both installed and package.json's "
                    "devDependencies does not choose one")  # fmt: skip
    for name, where in found.items():
        runner = job_tool(where, checkout)  # npm ci's install, never a file the pull request commits
        if isinstance(runner, Refused):
            return f"no tests were run: {runner.reason}"
        return LintCommand(name, (runner, *RUNNERS[name]), name, ())
    return NOT_INSTALLED


def passed_tests(report: str, root: str, returncode: int,
                 tests: tuple[str, ...]) -> tuple[frozenset[str], str]:  # fmt: skip
    """The tests of the files ``tests`` (no other file's) a jest or vitest JSON ``report`` shows
    passing (``file › full name``, relative to ``root``), or why it is no word ("" when it is)."""
    try:
        document = json.loads(report)
    except (ValueError, RecursionError) as exc:
        return frozenset(), f"an unreadable report ({type(exc).__name__})"
    results = document.get("testResults") if isinstance(document, dict) else None
    if not isinstance(results, list) or not isinstance(document.get("success"), bool):
        return frozenset(), "no report of jest's or vitest's shape"
    if document["success"] != (returncode == 0):
        said = "every test passed" if document["success"] else "a test failed"
        return frozenset(), f"its report says {said}, but it exited with status {returncode}"
    passed: set[str] = set()
    for result in results:
        name = str(result.get("name", "")) if isinstance(result, dict) else ""
        cases = result.get("assertionResults") if isinstance(result, dict) else None
        where = posixpath.relpath(name, root) if name.startswith(f"{root}/") else name
        for case in cases if isinstance(cases, list) and where in tests else []:
            if isinstance(case, dict) and case.get("status") == "passed":
                passed.add(f"{where} › {case.get('fullName', '')}")
    return frozenset(passed), ""
