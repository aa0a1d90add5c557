"""``cicd-agent test-step -- npx vitest run`` in the sandbox, on a real vitest project whose
tests all pass: vitest writes its results cache under ``node_modules/.vite`` on every run, and
with the checkout's ``node_modules`` linked read-only it failed every passing suite with an
unhandled "read-only file system" error (exit 1, "the step's report is not believed")."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from cicd_agent.cli import main
from cicd_agent.modes.test_step.mode import NAME
from tests.corpus.build import TOOLS_DIR
from tests.corpus.tools import Toolbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

MODULES = TOOLS_DIR / "node" / "node_modules"
SPEC = """import { describe, it, expect } from "vitest";

describe("sum", () => {
  it("adds", () => {
    expect(1 + 2).toBe(3);
  });
});
"""


def _link(source: str, target: str) -> None:
    """A hard link of ``source`` (a copy where the two folders are on different devices)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def test_a_passing_vitest_suite_passes_in_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not Toolbox(TOOLS_DIR).prepare(("node",)):
        if os.environ.get("CI"):
            pytest.fail(f"vitest could not be installed into the toolbox ({TOOLS_DIR})")
        pytest.skip("no vitest in the toolbox: run tests/harness/setup.sh")
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("sum", {".gitignore": "node_modules\n", "test/sum.test.ts": SPEC,
                        "package.json": '{"name": "sum", "type": "module"}\n'})  # fmt: skip
    # hard links of the toolbox's files, not links to it: the sandbox empties /tmp, where a
    # clean clone's toolbox may live, and binds only the checkout's own node_modules
    shutil.copytree(MODULES, repo.path / "node_modules", symlinks=True, copy_function=_link,
                    ignore=lambda folder, _: [".vite"] if folder == str(MODULES) else [])  # fmt: skip
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"),
               "GITHUB_WORKSPACE": str(repo.path),
               # without it node 20.15+ reserves more memory per wasm module than the sandbox allows
               "NODE_OPTIONS": "--disable-wasm-trap-handler"}  # fmt: skip
    monkeypatch.chdir(repo.path)  # the step runs where it is started, as in a workflow
    out = io.StringIO()
    code = main([NAME, "--repo", str(repo.path), "--provider", "none", "--",
                 "node_modules/.bin/vitest", "run"], environ, out)  # fmt: skip
    said = out.getvalue()
    assert code == 0, said
    assert "The test step passed" in said
    assert "not believed" not in said and "read-only" not in said
    assert not (
        repo.path / "node_modules" / ".vite" / "vitest"
    ).exists()  # the checkout's untouched
