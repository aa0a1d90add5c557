"""A test gen-tests keeps must depend on the change's lines, in jest and vitest as in
Python and Go (test_gen_tests_gate.py, test_runner_gate.py). On one tiny project per runner,
measured once in the real sandbox with the toolbox's runner: a test that runs the changed
function and asserts only on the unchanged ``add`` passes every earlier stage, passes with the
change's condition mutated too, and is dropped naming the mutant (``expect(1).toBe(1)``, the
first shape here, is now dropped before anything runs: its sides are one expression); a right
test fails on that mutant and is kept, its reason naming it. Judged without the shuffled
reruns and with one mutant run each: stage 6 is the claim, and each run of a JavaScript runner
costs seconds."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests import runner_gate
from cicd_agent.modes.gen_tests.runner_gaps import changes, measure
from cicd_agent.modes.gen_tests.runner_gate import Candidate, RunnerVerdict, judge
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.verify import mutants
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

ADD = {"jest": "exports.add = (a, b) => a + b;\n", "vitest": "export const add = (a, b) => a + b;\n"}
SIGN = {"jest": "\nexports.sign = (n) => {\n  if (n < 0) {\n    return -1;\n  }\n  return 1;\n};\n",
        "vitest": "\nexport const sign = (n) => {\n  if (n < 0) {\n    return -1;\n  }\n"
                  "  return 1;\n};\n"}  # fmt: skip
HEAD = {"jest": 'const { add, sign } = require("./calc");\n',
        "vitest": 'import { test, expect } from "vitest";\n'
                  'import { add, sign } from "./calc.js";\n'}  # fmt: skip
ADD_TEST = 'test("add", () => { expect(add(1, 2)).toBe(3); });\n'
RIGHT = 'test("sign", () => {\n  expect(sign(-2)).toBe(-1);\n  expect(sign(3)).toBe(1);\n});\n'
TAUTOLOGY = 'test("sign runs", () => {\n  sign(-2);\n  expect(add(1, 1)).toBe(2);\n});\n'
FS = {"jest": 'const fs = require("fs");\nconst os = require("os");\nconst path = require("path");\n',
      "vitest": 'import fs from "node:fs";\nimport os from "node:os";\nimport path from "node:path";\n'}
HONEST = ('test("sign", () => {\n  const out = path.join(os.tmpdir(), "sign.txt");\n'
          '  fs.writeFileSync(out, String(sign(-2)));\n  try {\n'
          '    expect(fs.readFileSync(out, "utf8")).toBe("-1");\n    expect(sign(3)).toBe(1);\n'
          '  } finally {\n    fs.unlinkSync(out);\n  }\n});\n')  # fmt: skip
"""A right test that writes a file of a fixed name in the temporary folder and removes it."""
MARKER = "".join(
    f'test("sign once {name}", () => {{\n  const mark = path.join({folder}, ".sign-mark");\n'
    '  expect(fs.existsSync(mark)).toBe(false);\n  fs.writeFileSync(mark, "ran");\n'
    '  expect(sign(-2)).toBe(-1);\n});\n'
    for name, folder in (("folder", "DIR"), ("tmp", "os.tmpdir()"), ("home", "os.homedir()")))
"""Set 4's cron-parser: each test leaves a mark (its folder, the temporary folder,
HOME) and fails where it finds one: every fresh copy passes it, a developer's second run fails."""
DIR = {"jest": "__dirname", "vitest": "path.dirname(new URL(import.meta.url).pathname)"}
MODULE = {"jest": "", "vitest": '"type": "module", '}
LINKS = {"jest": ("jest",), "vitest": ("vitest", "@vitest")}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunnerVerdict]]:
    """Per runner, the change measured once and the two candidates judged once."""
    environ = {"PATH": needs_node_tool("jest"), "HOME": "/nonexistent"}
    found: dict[str, RunnerVerdict] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner_gate, "RERUNS", 0)
        patch.setattr(mutants, "BUDGET", 1)
        for runner in ("jest", "vitest"):
            repo = GitRepoBuilder(tmp_path_factory.mktemp(runner) / "app")
            package = f'{{"name": "app", {MODULE[runner]}"devDependencies": {{"{runner}": "*"}}}}\n'
            base = repo.commit("start", {".gitignore": "node_modules\n", "package.json": package,
                                         "src/calc.js": ADD[runner],
                                         "src/calc.test.js": HEAD[runner] + ADD_TEST})  # fmt: skip
            head = repo.commit("sign", {"src/calc.js": ADD[runner] + SIGN[runner]})
            (repo.path / "node_modules" / ".bin").mkdir(parents=True)
            os.symlink(TOOLS_DIR / "node" / "node_modules" / ".bin" / runner,
                       repo.path / "node_modules" / ".bin" / runner)  # fmt: skip
            for name in LINKS[runner]:
                os.symlink(TOOLS_DIR / "node" / "node_modules" / name,
                           repo.path / "node_modules" / name)  # fmt: skip
            [change], _ = changes(GitCheckout(repo.path), base, head, environ)
            with PytestSandbox(repo.path, environ) as sandbox:
                gaps = measure(change, sandbox, suite_timeout=300, timeout=300, budget=300, seed=1)
                assert {4, 5} <= gaps.uncovered().get("src/calc.js", set()), gaps.problem
                for name, body in (("right", FS[runner] + HONEST), ("tautology", TAUTOLOGY),
                                   ("marker", FS[runner] + MARKER.replace("DIR", DIR[runner]))):
                    candidate = Candidate(f"src/sign_{name}.test.js", HEAD[runner] + body)
                    found[f"{runner} {name}"] = judge(gaps, candidate, sandbox, timeout=240,
                                                      seed=1)  # fmt: skip
    yield found


@pytest.mark.parametrize("runner", ["jest", "vitest"])
def test_a_tautology_is_dropped_for_not_depending_on_the_change(
    verdicts: dict[str, RunnerVerdict], runner: str
) -> None:
    verdict = verdicts[f"{runner} tautology"]
    # one run more for the repeat stage (jest's canary defines each test again, vitest's sets
    # each test's own repeats)
    assert (verdict.stage, verdict.runs) == ("depends", 4), verdict
    assert verdict.reason == (
        "does not depend on the change: passed with src/calc.js:4 `<` mutated to `>=` "
        "(budget: 1 mutant run)"
    )


@pytest.mark.parametrize("runner", ["jest", "vitest"])
def test_a_right_test_is_kept_naming_the_mutant_it_fails_on(
    verdicts: dict[str, RunnerVerdict], runner: str
) -> None:
    verdict = verdicts[f"{runner} right"]
    # again in its copy, and the control: the file it wrote and removed in the
    # temporary folder is no mark
    # repeated 20 times in one run (jest's canary defines each test again; vitest's sets each
    # test's own repeats)
    assert (verdict.kept, verdict.runs) == (True, 5), verdict
    check = {"jest": "9: Error: expect(received).toBe(expected)",
             "vitest": "10: AssertionError: expected '1' to be '-1'"}[runner]
    assert verdict.reason == (f"fails when src/calc.js:4 `<` mutated to `>=` (its check "
                              f"src/sign_right.test.js:{check} // Object.is equality)")


@pytest.mark.parametrize("runner", ["jest", "vitest"])
def test_a_test_failing_where_it_ran_before_is_dropped_at_same_copy(
    verdicts: dict[str, RunnerVerdict], runner: str
) -> None:
    """Set 4's cron-parser, kept under jest 29.7: it passes its run alone in a fresh
    copy; run again in that copy, each of its three tests finds the mark its first run left and
    fails, so it is dropped before anything else runs, saying so."""
    verdict = verdicts[f"{runner} marker"]
    assert (verdict.stage, verdict.runs) == ("same_copy", 2), verdict
    assert verdict.reason.startswith("fails when run again where it ran before: it depends on "
                                     "what an earlier run left: 3 of its 3 tests did not pass"), \
        verdict.reason
