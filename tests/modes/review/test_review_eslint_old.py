"""An eslint older than 6.8 (a project's pin) cannot take the run review gives it: the Tools
line says so, with the version the checkout installed and the fix, not eslint's own words
about an option the user never wrote. A real eslint 6.0.1, from npm into the corpus toolbox."""

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

OLD = TOOLS_DIR / "eslint6" / "node_modules"


def _old_eslint() -> Path:
    if not Toolbox(TOOLS_DIR).prepare(("eslint6",)) or not (OLD / ".bin" / "eslint").exists():
        if os.environ.get("CI"):
            pytest.fail(f"eslint 6.0.1 could not be installed into {TOOLS_DIR}")
        pytest.skip(f"eslint 6.0.1 is not in the corpus toolbox ({TOOLS_DIR})")
    return OLD


@needs_sandbox
def test_an_eslint_older_than_6_8_is_named_with_its_version_and_the_fix(tmp_path: Path) -> None:
    installed = _old_eslint()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {".eslintrc.json": '{"rules": {"no-unused-vars": "error"}}\n',
                                 ".gitignore": "node_modules\n",
                                 "index.js": "module.exports = 1\n"})  # fmt: skip
    head = repo.commit("more", {"index.js": "module.exports = 2\n"})
    shutil.copytree(installed, repo.path / "node_modules", symlinks=True)  # its `npm ci`
    argv = ["review", "--provider", "none", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    tools = {t["tool"]: t["could_not_run"] for t in done.document["tools"]}
    assert tools.get("eslint") == (
        "eslint 6.0 is older than 6.8, which cicd-agent's run needs "
        "(`--no-error-on-unmatched-pattern`): upgrade it in the project"
    ), tools


@needs_sandbox
def test_attack_a_manifest_naming_a_newer_version_is_not_called_older(tmp_path: Path) -> None:
    """Attack: the checkout's node_modules/eslint/package.json (the pull request's install
    wrote it) names 9.1 while the program refuses the option: the Tools line said 'eslint 9.1
    is older than 6.8'. A version that is not older is not named."""
    installed = _old_eslint()
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("start", {".eslintrc.json": '{"rules": {"no-unused-vars": "error"}}\n',
                                 ".gitignore": "node_modules\n",
                                 "index.js": "module.exports = 1\n"})  # fmt: skip
    head = repo.commit("more", {"index.js": "module.exports = 2\n"})
    shutil.copytree(installed, repo.path / "node_modules", symlinks=True)
    manifest = repo.path / "node_modules" / "eslint" / "package.json"
    manifest.write_text(manifest.read_text().replace('"version": "6.0.1"', '"version": "9.1.0"'))
    argv = ["review", "--provider", "none", "--json",
            "--repo", str(repo.path), "--base", base, "--head", head]  # fmt: skip
    done = run_cli(argv, tmp_path, {"PATH": path_env(), "HOME": str(tmp_path / "home")})
    assert done.document is not None, done.stderr
    tools = {t["tool"]: t["could_not_run"] for t in done.document["tools"]}
    assert tools.get("eslint", "").startswith("this eslint is older than 6.8"), tools
