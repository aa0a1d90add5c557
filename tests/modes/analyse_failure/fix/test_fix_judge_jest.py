"""The fix judge on a failed jest step reads the runner's static rule before any run: a fix that
breaks the code and adds a line stubbing the assertions as its module loads is not verified. Real
jest, real sandbox, a one-function project (the shapes review's suggestions meet in
``tests/modes/review/test_review_js_attacks.py``)."""

from __future__ import annotations

import os
from pathlib import Path

from cicd_agent.analysis.unified_diff import file_diff
from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand, Patch, Verdict
from cicd_agent.modes.analyse_failure.fix.judge.passing import why_failing_tests_do_not_pass
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox import Sandbox
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.sandbox import needs_sandbox

NODE_MODULES = TOOLS_DIR / "node" / "node_modules"
APP = "exports.add = (a, b) => a + b;\n"
TEST = 'const app = require("./app");\ntest("adds", () => { expect(app.add(1, 2)).toBe(3); });\n'


@needs_sandbox
def test_attack_a_fix_that_stubs_the_assertions_as_its_module_loads_is_not_verified(
    tmp_path: Path,
) -> None:
    """Attack (a stubbed test runner, in jest's realm): the fix breaks ``add`` and adds one
    top-level line that makes every ``toBe`` hold as the test requires the module. jest's in-run
    check cannot see it (the code under test shares the test's realm), so the judge's reading of
    jest's report refuses the patched run before it starts, in the runner's own words."""
    repo = GitRepoBuilder(tmp_path / "repo")
    package = '{"name": "app", "devDependencies": {"jest": "*"}}\n'
    repo.commit("start", {"package.json": package, "src/app.js": APP, "src/app.test.js": TEST,
                          ".gitignore": "node_modules\n"})  # fmt: skip
    (repo.path / "node_modules" / ".bin").mkdir(parents=True)
    os.symlink(NODE_MODULES / ".bin" / "jest", repo.path / "node_modules" / ".bin" / "jest")
    os.symlink(NODE_MODULES / "jest", repo.path / "node_modules" / "jest")
    environ = {"PATH": needs_node_tool("jest"), "HOME": "/nonexistent"}
    with Sandbox(repo.path, environ) as sandbox:
        stubs = ("Object.is = () => true;", "globalThis.expect = () => ({ toBe() {} });")
        for n, stub in enumerate(stubs):
            broken = f"exports.add = (a, b) => a - b;\n{stub}\n"
            changed = PatchedLines.of(repo.path, [("src/app.js", APP, broken)])
            space = sandbox.workspace(f"judged-{n}")
            said = why_failing_tests_do_not_pass(
                Jest(), sandbox, space, ("adds",), patched=("src/app.js",), timeout=60,
                changed=changed)  # fmt: skip
            assert said.startswith("not verified: the patch adds code that runs as src/app.js "
                                   "loads (line 2)"), said  # fmt: skip


@needs_sandbox
def test_attack_a_jest_config_that_maps_the_code_to_a_fixed_copy_is_refused(
    tmp_path: Path,
) -> None:
    """Attack (the judge moved, not the code): the patch adds a correct copy of ``app.js`` and a
    ``jest.config.js`` whose ``moduleNameMapper`` sends the test's ``require("./app")`` to it.
    jest would then report the failing test passing with the bug left in. The patch is refused
    by jest's own settings list (``runners/jest/runner.py``) before any run."""
    repo = GitRepoBuilder(tmp_path / "repo")
    package = '{"name": "app", "devDependencies": {"jest": "*"}}\n'
    broken = APP.replace("a + b", "a - b")
    repo.commit("start", {"package.json": package, "src/app.js": broken, "src/app.test.js": TEST,
                          ".gitignore": "node_modules\n"})  # fmt: skip
    (repo.path / "node_modules" / ".bin").mkdir(parents=True)
    os.symlink(NODE_MODULES / ".bin" / "jest", repo.path / "node_modules" / ".bin" / "jest")
    os.symlink(NODE_MODULES / "jest", repo.path / "node_modules" / "jest")
    environ = {"PATH": needs_node_tool("jest"), "HOME": "/nonexistent"}
    config = 'module.exports = { moduleNameMapper: { "^\\\\./app$": "<rootDir>/src/fixed.js" } };\n'
    diff = file_diff("src/fixed.js", None, APP) + file_diff("jest.config.js", None, config)
    failing = FailingCommand("test", "Run jest", "npx jest", "npx jest")
    with Sandbox(repo.path, environ) as sandbox:
        verifier = SandboxVerifier(sandbox, failing, watched=PYTEST, redact=str,
                                   failed_test_names=("adds",), code_is_proof=True)  # fmt: skip
        moved = verifier.verify(Patch(diff, "model", "map the app to a fixed copy"))
    assert moved.verdict is Verdict.NOT_PASSED
    assert "jest.config.js, part of jest's settings" in moved.reason, moved.reason
    assert moved.runs == (), "refused before any run"
