"""jest's part of the test step's flaky-test fixer: chosen tests run in a chosen order, one
session of ``jest --runInBand`` each (:mod:`.sessions` says how the order is imposed and
checked), a set-up moved between tests (:mod:`.set_up`), and the code a test calls.

A session runs the checkout's own jest with the project's configuration, not the step's own
words: those may name a reporter, a shard or an order of their own, each of which would stand
between the fixer and the order it chose. Tests are named as the test step names them,
``file › full name``.

The code a test calls is read from its text, with no run: the names its callback calls, looked
up among the functions of the modules of the checkout its file imports by a relative path
(``require("./calc")``, ``from "../src/calc"``), test files left out. A test that reaches its
code only through helpers gives none, and the fixer says the check was not made.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import CheckoutFileError, is_file, read_text
from cicd_agent.runners.jest import set_up
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.jest.sessions import JEST, ORDER, REPEAT, JestSandbox
from cicd_agent.runners.js.runner import JS_SUFFIXES
from cicd_agent.runners.orders import SetUp
from cicd_agent.runners.sessions import Evidence, Outcomes, SessionSandbox
from cicd_agent.sandbox import RunResult, Workspace

_RESOLVED = (
    "",
    ".js",
    ".cjs",
    ".mjs",
    ".ts",
    ".cts",
    ".mts",
    ".jsx",
    ".tsx",
    "/index.js",
    "/index.ts",
)
"""How a relative import names a file of the checkout, as node and jest's resolver try them."""


class JestOrders:
    sandbox: type[SessionSandbox] = JestSandbox

    def command(self, words: Sequence[str]) -> tuple[str, ...] | None:
        """:data:`~.sessions.JEST` alone for a command that runs jest (the module doc says why
        none of its words are kept); None for another runner's."""
        return (JEST,) if words and Jest().runs(shlex.join(words)) else None

    def in_order(self, space: Workspace, tests: Sequence[str]) -> list[str]:
        """Our word naming a file of the workspace (outside the copy) that lists ``tests``: the
        session runs their files and, in each, those tests in this order; a test whose file is
        a link or not there shows no outcome."""
        if not tests:
            return []
        chosen = space.scratch("order", ".json")
        chosen.write_text(json.dumps(list(tests)), encoding="utf-8")
        return [f"{ORDER}{chosen}"]

    def again(self, times: int) -> list[str]:
        """Each chosen test defined ``times`` times in its file's run (jest's canary's
        repeats)."""
        return [f"{REPEAT}{int(times)}"]

    def read(self, result: RunResult, evidence: Evidence) -> tuple[Outcomes | None, str]:
        if evidence.outcomes is not None and not evidence.problem:
            return evidence.outcomes, ""
        return None, evidence.problem or f"jest {result.describe()}"

    def file_of(self, root: Path, test: str) -> str:
        """The file part of the id, where it is a JavaScript file of ``root`` reached without a
        link ("" otherwise)."""
        path = test.split(set_up.SEPARATOR, 1)[0] if set_up.SEPARATOR in test else ""
        return path if path.endswith(JS_SUFFIXES) and is_file(root, path) else ""

    def set_up_of(self, texts: Mapping[str, str], donor: str, victim: str) -> SetUp:
        return set_up.set_up_of(texts, donor, victim)

    def with_set_up(self, text: str, victim: str, moved: SetUp, keep: Collection[int]) -> str:
        return set_up.with_set_up(text, victim, moved, keep)

    def under_test(self, root: Path, victim: str) -> dict[str, frozenset[int]]:
        """The body lines of the functions, of the modules its file imports by a relative path,
        that ``victim`` calls by name: what a mutant breaks."""
        path = self.file_of(root, victim)
        if not path:
            return {}
        try:
            text = read_text(root, path)
        except CheckoutFileError:
            return {}
        names = set_up.called_names(path, text, victim)
        lines: dict[str, frozenset[int]] = {}
        for module in dict.fromkeys(set_up.relative_imports(text)):
            source = _module_file(root, path, module)
            if source is None or Jest().tests_of(source, []) == (source,):
                continue
            try:
                found = set_up.declared_lines(source, read_text(root, source), names)
            except CheckoutFileError:
                continue
            if found:
                lines[source] = lines.get(source, frozenset()) | found
        return lines


def _module_file(root: Path, test_file: str, module: str) -> str | None:
    """The file of the checkout a relative import of ``test_file`` names; None when outside
    it, a link, or none."""
    base = posixpath.normpath(posixpath.join(posixpath.dirname(test_file), module))
    if base.startswith("../") or base == "..":
        return None
    for ending in _RESOLVED:
        candidate = f"{base}{ending}"
        if PurePosixPath(candidate).suffix in (*JS_SUFFIXES,) and is_file(root, candidate):
            return candidate
    return None
