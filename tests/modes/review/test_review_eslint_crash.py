"""A project's eslint that throws before linting (on-finished's eslint 8.17 on node 20: one of
its dependencies is an ES module its loader requires) made every review "Incomplete" with the
last stack frame for a reason ("it exited with status 2:     at Module._compile (…)"). The
Tools line quotes the error's own line and says what to do. The crash is node's own: the
test's eslint compiles a file written as an ES module as a script, as that dependency's loader
(v8-compile-cache) did."""

from __future__ import annotations

import os
from pathlib import Path

from cicd_agent.modes.review.lint.linters import error_line
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

TRIAL_OUTPUT = """
Oops! Something went wrong! :(

ESLint: 8.17.0

/p/node_modules/async-function/require.mjs:1
(function (exports, require, module, __filename, __dirname) { import getAsyncFunction from './index.js';
                                                              ^^^^^^

SyntaxError: Cannot use import statement outside a module
    at new Script (node:vm:117:7)
    at require (/p/node_modules/v8-compile-cache/v8-compile-cache.js:159:20)
    at Module._compile (/p/node_modules/v8-compile-cache/v8-compile-cache.js:192:30)
"""


def test_the_error_line_is_quoted_not_the_last_frame() -> None:
    assert error_line(TRIAL_OUTPUT) == "SyntaxError: Cannot use import statement outside a module"
    assert error_line("warning: x\nerror: could not compile\n") == "error: could not compile"
    assert error_line("") == ""


def _install_broken_eslint(root: Path) -> None:
    modules = root / "node_modules"
    (modules / "eslint" / "bin").mkdir(parents=True)
    (modules / "eslint" / "package.json").write_text('{"name": "eslint", "version": "8.17.0"}')
    (modules / "eslint" / "bin" / "eslint.js").write_text(  # v8-compile-cache's require
        "#!/usr/bin/env node\nconst fs = require('fs'), vm = require('vm');\n"
        "const file = require.resolve('async-function/require.mjs');\n"
        "new vm.Script('(function (exports, require) { ' + fs.readFileSync(file, 'utf8') + "
        "'\\n})', {filename: file});\n"
    )
    (modules / "async-function").mkdir()
    (modules / "async-function" / "require.mjs").write_text(
        "import getAsyncFunction from './index.js';\n"
    )
    (modules / ".bin").mkdir()
    os.symlink("../eslint/bin/eslint.js", modules / ".bin" / "eslint")
    (modules / "eslint" / "bin" / "eslint.js").chmod(0o755)


@needs_sandbox
def test_an_eslint_that_throws_in_its_dependencies_is_named_with_the_fix(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {".eslintrc.json": '{"rules": {"no-unused-vars": "error"}}\n',
                                 ".gitignore": "node_modules\n",
                                 "index.js": "module.exports = 1\n"})  # fmt: skip
    head = repo.commit("typo", {"index.js": "module.exports = 2\n"})
    _install_broken_eslint(repo.path)  # its `npm ci`
    argv = ["review", "--provider", "none", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    said = {t["tool"]: t["could_not_run"] for t in done.document["tools"]}.get("eslint", "")
    assert "SyntaxError: Cannot use import statement outside a module" in said, said
    assert " at " not in said.split("SyntaxError")[0], said
    assert "the project's eslint 8.17 failed in its own code before linting" in said, said
    assert "pin an eslint that runs there in package.json, or drop eslint" in said, said


def _install_eslint_behind_the_compile_cache(root: Path) -> None:
    """eslint 5 to 7 load v8-compile-cache, which compiles every module it requires as a
    script, unless ``DISABLE_V8_COMPILE_CACHE`` is set (its own switch): vary's eslint 7.14
    threw on a dependency's ES module so, and ran with the switch set."""
    _install_broken_eslint(root)
    (root / "node_modules" / "eslint" / "package.json").write_text(
        '{"name": "eslint", "version": "7.14.0"}'
    )
    (root / "node_modules" / "eslint" / "bin" / "eslint.js").write_text(
        "#!/usr/bin/env node\nconst fs = require('fs'), vm = require('vm');\n"
        "if (!process.env.DISABLE_V8_COMPILE_CACHE) {\n"
        "  const file = require.resolve('async-function/require.mjs');\n"
        "  new vm.Script('(function (exports, require) { ' + fs.readFileSync(file, 'utf8') + "
        "'\\n})', {filename: file});\n}\nprocess.stdout.write('[]');\n"
    )


@needs_sandbox
def test_eslint_runs_with_its_compile_cache_off(tmp_path: Path) -> None:
    """The cache is a speed-up only: review turns it off, and the project's eslint runs, with
    no advice to pin another or drop it."""
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {".eslintrc.json": '{"rules": {"no-unused-vars": "error"}}\n',
                                 ".gitignore": "node_modules\n",
                                 "index.js": "module.exports = 1\n"})  # fmt: skip
    head = repo.commit("typo", {"index.js": "module.exports = 2\n"})
    _install_eslint_behind_the_compile_cache(repo.path)  # its `npm ci`
    argv = ["review", "--provider", "none", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    assert {"tool": "eslint", "could_not_run": ""} in done.document["tools"], done.document
