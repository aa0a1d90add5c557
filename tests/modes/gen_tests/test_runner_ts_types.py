"""A real TypeScript project under jest (its own transform through ``typescript``, as ts-jest
does): a changed file of types alone, which jest's coverage map leaves out, is "no code" beside
the real code measured as usual (seen on ts-pattern, whose whole change was "not measured");
a file of code the project's coverage settings leave out stays "not measured", named."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.decide_runners import add_runner, runners_headline
from cicd_agent.modes.gen_tests.result import GenTestsResult
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps, measure
from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.gen_tests import runner_change
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

CONFIG = """module.exports = {
  transform: { "\\\\.ts$": "<rootDir>/ts-transform.js" },
  moduleFileExtensions: ["ts", "js"],
  coveragePathIgnorePatterns: ["/node_modules/", "hidden"],
};
"""
TRANSFORM = """const ts = require("typescript");
module.exports = { process(text, file) {
  const out = ts.transpileModule(text, { fileName: file, compilerOptions: {
    module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, sourceMap: true } });
  return { code: out.outputText.replace(/\\/\\/# sourceMappingURL=.*/, ""),
           map: JSON.parse(out.sourceMapText) };
} };
"""
TYPES = """import type { Options } from "./options";

export type Signed = -1 | 1;

/** What `sign` answers, and how. */
export interface Sign {
  (n: number, options?: Options): Signed;
}
"""
SIGN = """import type { Signed } from "./types";
export function sign(n: number): Signed {
  if (n < 0) {
    return -1;
  }
  return 1;
}
"""
HIDDEN = "export const twice = (n: number): number => n * 2;\n"
QUIET = "/* istanbul ignore file */\n" + HIDDEN
TEST = 'import { sign } from "./sign";\ntest("positive", () => { expect(sign(3)).toBe(1); });\n'


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("ts") / "app")
    repo.commit("start", {
        ".gitignore": "node_modules\n", "package.json": '{"name": "app"}\n',
        "jest.config.js": CONFIG, "ts-transform.js": TRANSFORM, "src/types.ts": TYPES,
        "src/options.ts": "export interface Options { strict?: boolean }\n",
        "src/sign.ts": SIGN, "src/hidden.ts": HIDDEN, "src/quiet.ts": QUIET,
        "src/sign.test.ts": TEST,
    })  # fmt: skip
    tools = TOOLS_DIR / "node" / "node_modules"
    (repo.path / "node_modules" / ".bin").mkdir(parents=True)
    os.symlink(tools / ".bin" / "jest", repo.path / "node_modules" / ".bin" / "jest")
    for name in ("jest", "typescript"):
        os.symlink(tools / name, repo.path / "node_modules" / name)
    environ = {"PATH": needs_node_tool("jest"), "HOME": "/nonexistent"}
    with PytestSandbox(repo.path, environ) as sandbox:
        jest, found = Jest(), {}
        found["hidden"] = jest.run(sandbox, sandbox.workspace("settings"), Selection(
            ("src/sign.test.ts",), cover=("src/hidden.ts", "src/quiet.ts", "src/sign.ts",
                                          "src/types.ts")), timeout=300)  # fmt: skip
        change = runner_change(jest, {"src/sign.ts": frozenset({2, 3, 4}),
                                     "src/types.ts": frozenset({3, 5, 6, 7})}, ())  # fmt: skip
        found["types"] = measure(change, sandbox, suite_timeout=300, timeout=300, budget=300,
                                 seed=1)  # fmt: skip
        yield found


def test_a_changed_file_of_types_alone_is_no_code_beside_measured_code(
    runs: dict[str, object],
) -> None:
    gaps = runs["types"]
    assert isinstance(gaps, RunnerGaps) and gaps.suite is not None
    assert gaps.problem == "", gaps.suite.output[-2000:]
    assert gaps.suite.measured == {"src/sign.ts": frozenset({2, 3, 4, 6}), "src/types.ts": frozenset()}
    assert gaps.uncovered() == {"src/sign.ts": frozenset({4})}
    assert gaps.no_code() == ("src/types.ts",)
    assert gaps.lines() == (3, 4)  # sign.ts's alone: ``return -1`` did not run


def test_attack_code_left_out_by_the_coverage_settings_stays_not_measured(
    runs: dict[str, object],
) -> None:
    """Attack: ``coveragePathIgnorePatterns`` and ``/* istanbul ignore file */`` leave files of
    code out of jest's map as types are left out; their source says code, so the run is "not
    measured" and names both, never "no code"."""
    report = runs["hidden"]
    assert isinstance(report, TestReport) and report.problem == "", report.output[-2000:]
    assert report.coverage is None
    assert report.coverage_problem == (
        "not measured: its coverage map leaves out src/hidden.ts, src/quiet.ts")


def test_the_rows_and_the_headline_name_the_file_of_no_code(
    runs: dict[str, object], tmp_path: Path
) -> None:
    gaps = runs["types"]
    assert isinstance(gaps, RunnerGaps)
    result = GenTestsResult(mode="gen-tests", headline="")
    add_runner(result, gaps, None, str, lambda path, line: False, offline=True, repo=tmp_path)
    assert result.runners[0].no_code == ["src/types.ts"]
    assert runners_headline(result, offline=True).startswith(
        "jest: 1 changed line(s) in 1 file(s) are not covered (line coverage of the changed "
        "files 75.00%); 1 changed file(s) hold no code (types alone)")  # fmt: skip
    assert "No code (types alone, nothing runs): `src/types.ts`." in result.summary_body()
