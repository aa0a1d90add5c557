"""vary's eslint 7.14 with eslint-plugin-import 2.22, real, from npm into the corpus toolbox:
eslint 7 loads v8-compile-cache, which compiles an ES module the plugin's dependencies require
(``async-function/require.mjs``) as a script and throws on Node.js 20. Review said to pin
another eslint or drop it; the cache is a speed-up only, and with it off eslint lints."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.corpus.tools import TOOLS_DIR, Toolbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

CONFIG = "root: true\nplugins: [import]\nenv: {node: true}\nrules: {no-undef: error}\n"


def _eslint7(tools: Path = TOOLS_DIR) -> Path:
    installed = tools / "eslint7" / "node_modules"
    if not Toolbox(tools).prepare(("eslint7",)) or not (installed / ".bin" / "eslint").exists():
        if os.environ.get("CI"):
            pytest.fail(f"eslint 7.14 could not be installed into {tools}")
        pytest.skip(f"eslint 7.14 is not in the corpus toolbox ({tools})")
    return installed


@needs_sandbox
def test_vary_s_eslint_7_lints_the_change(tmp_path: Path, tools: Path = TOOLS_DIR) -> None:
    """``tools``: the toolbox (pytest passes none: a default is no fixture); another one lets
    the test run where the shared toolbox may not be written."""
    installed = _eslint7(tools)
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {".eslintrc.yml": CONFIG, ".gitignore": "node_modules\n",
                                 "index.js": "module.exports = 1\n"})  # fmt: skip
    head = repo.commit("typo", {"index.js": "module.exports = vall\n"})
    shutil.copytree(installed, repo.path / "node_modules", symlinks=True)  # its `npm ci`
    argv = ["review", "--provider", "none", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})

    assert done.document is not None, done.stderr
    assert {"tool": "eslint", "could_not_run": ""} in done.document["tools"], done.document
    found = [(f["rule"], f["path"], f["line"]) for f in done.document["findings"]]
    assert ("eslint/no-undef", "index.js", 1) in found, found
