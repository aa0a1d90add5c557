"""One hunt of a passing vitest test through gen-tests' runner hunt (6 rounds, 300 s budget):
what the early stop's claim says for a runner other than pytest."""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool

from cicd_agent.modes.gen_tests.runner_gaps import rerun
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.runners.vitest.runner import Vitest

T = 'import { test, expect } from "vitest";\ntest("steady", () => { expect(1).toBe(1); });\n'
root = Path(tempfile.mkdtemp()) / "app"
repo = GitRepoBuilder(root)
repo.commit("start", {".gitignore": "node_modules\n", "package.json": '{"name": "app"}\n', "vi/steady.test.mjs": T})
tools = TOOLS_DIR / "node" / "node_modules"
(root / "node_modules" / ".bin").mkdir(parents=True)
os.symlink(tools / ".bin" / "vitest", root / "node_modules" / ".bin" / "vitest")
for name in ("vitest", "@vitest"):
    os.symlink(tools / name, root / "node_modules" / name)
with PytestSandbox(root, {"PATH": needs_node_tool("vitest"), "HOME": "/nonexistent"}) as sandbox:
    found = rerun(Vitest(), sandbox, ("vi/steady.test.mjs",), timeout=120, budget=300, seed=3)
    print(found.runs, round(found.seconds), found.tests, found.stopped, "|", found.shown)
