"""vitest before 1.3 through the seam, a real vitest 0.34 project (the toolbox's ``vitest0``
half) shaped as blakeembrey/sql-template-tag, where set 4 of the gen-tests runs refused every candidate:
vitest 0.34 stopped at ``--no-cache`` ("CACError: Unknown option `--cache`") and the gate said
"no uncovered changed line". Now the options follow the installed version (the cache off through
our configuration, which the project's ``cache.dir`` cannot turn on), the change's uncovered
lines are measured and a right candidate is kept; and a suite that exits before writing a report
is "could not run: <why>" in Tools, the headline and the gate, for every runner alike."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.decide_runners import runners_headline
from cicd_agent.modes.gen_tests.reports import RunnerGapReport
from cicd_agent.modes.gen_tests.result import GenTestsResult
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import Candidate, RunnerVerdict, judge
from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.pytest.runner import PytestSandbox
from cicd_agent.runners.vitest.runner import Vitest
from tests.corpus.build import TOOLS_DIR
from tests.corpus.tools import Toolbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env, run_gen_tests, runner_change
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox

OLD = TOOLS_DIR / "vitest0" / "node_modules"
SQL = """export class Sql {
  constructor(readonly strings: readonly string[]) {}

  get text(): string {
    return this.strings.join("?");
  }

  get statement(): string {
    return this.strings.reduce((prev, curr, i) => prev + ":" + i + curr);
  }
}
"""
"""The change: ``statement`` is new (sql-template-tag's commit af8b4be2 added such a getter)."""
SPEC = """import { describe, it, expect } from "vitest";
import { Sql } from "./index.js";

describe("sql", () => {
  it("joins with ?", () => {
    expect(new Sql(["a", "b"]).text).toBe("a?b");
  });
});
"""
RIGHT = """import { describe, it, expect } from "vitest";
import { Sql } from "./index.js";

describe("statement", () => {
  it("numbers each value", () => {
    expect(new Sql(["a", "b", "c"]).statement).toBe("a:1b:2c");
  });
});
"""
CONFIG = 'export default { test: { cache: { dir: "vcache" } } };\n'
"""The project's cache folder, a file the pull request would control: it stays unwritten."""
PACKAGE = ('{"name": "sqltag", "type": "module", "devDependencies": '
           '{"vitest": "^0.34.6", "@vitest/coverage-v8": "^0.34.6"}}\n')  # fmt: skip


def _project(root: Path, *, linked: bool) -> tuple[GitRepoBuilder, str, str]:
    """The project at its change, vitest 0.34 in its ``node_modules``: the package a real dir
    (its version read) or, ``linked``, a link as pnpm makes (its version unread)."""
    if not Toolbox(TOOLS_DIR).prepare(("vitest0",)):
        if os.environ.get("CI"):
            pytest.fail(f"vitest 0.34 could not be installed into the toolbox ({TOOLS_DIR})")
        pytest.skip("no vitest 0.34 in the toolbox: run tests/harness/setup.sh")
    repo = GitRepoBuilder(root)
    base = repo.commit("base", {".gitignore": "node_modules\nvcache\n", "package.json": PACKAGE,
                         "vitest.config.mjs": CONFIG, "src/index.ts": SQL.split("\n\n  get statement")[0]
                         + "\n}\n", "src/index.spec.ts": SPEC})  # fmt: skip
    head = repo.commit("statement", {"src/index.ts": SQL})
    modules = repo.path / "node_modules"
    # hard links of the toolbox's files, not links to it: the sandbox empties /tmp, where a
    # clean clone's toolbox may live, and binds only the checkout's own node_modules
    shutil.copytree(OLD, modules, symlinks=True, copy_function=_link, ignore=lambda folder, _: (
        ["vitest", ".bin"] if folder == str(OLD) else []))  # fmt: skip
    (modules / ".bin").mkdir()
    if linked:  # as pnpm makes it: the seam reads no version through the link
        shutil.copytree(OLD / "vitest", root.parent / "vitest-store", symlinks=True, copy_function=_link)
        os.symlink(root.parent / "vitest-store", modules / "vitest")
    else:
        shutil.copytree(OLD / "vitest", modules / "vitest", symlinks=True, copy_function=_link)
    os.symlink("../vitest/vitest.mjs", modules / ".bin" / "vitest")
    return repo, base, head


def _link(source: str, target: str) -> None:
    """A hard link of ``source`` (a copy where the two folders are on different devices)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    repo, _, _ = _project(tmp_path_factory.mktemp("sqltag"), linked=False)
    environ = {"PATH": path_env(), "HOME": "/nonexistent"}
    found: dict[str, object] = {}
    with PytestSandbox(repo.path, environ) as sandbox:
        vitest, space = Vitest(), sandbox.workspace("suite")
        found["suite"] = suite = vitest.run(sandbox, space, Selection(cover=("src/index.ts",)),
                                            timeout=300)  # fmt: skip
        found["cache"] = sorted(p.name for p in (space.repo / "vcache").glob("**/*"))
        gaps = RunnerGaps(runner_change(vitest, {"src/index.ts": frozenset(range(7, 12))}, ()),
                          suite, None)  # fmt: skip
        found["gaps"] = gaps
        found["right"] = judge(gaps, Candidate("src/statement.spec.ts", RIGHT), sandbox,
                               timeout=300, seed=1)  # fmt: skip
        # the seam's word on a suite that wrote no report, whichever runner ran it
        for runner in (Jest(), GoTest(), vitest):
            said = TestReport(runner.name, problem=f"{runner.name}: it exited with status 1 "
                              "before writing a report")  # fmt: skip
            failed = RunnerGaps(runner_change(runner, {"src/index.ts": frozenset({8})}, ()), said, None)
            found[f"{runner.name} failed"] = judge(failed, Candidate("src/index.test.ts", RIGHT),
                                                   sandbox, timeout=300, seed=1)  # fmt: skip
        yield found


def test_vitest_0_34_measures_the_changes_uncovered_lines(runs: dict[str, object]) -> None:
    """Before: "vitest: it exited with status 1 before writing a report" (``--no-cache``)."""
    suite = runs["suite"]
    assert isinstance(suite, TestReport) and suite.problem == "", suite.output[-2000:]
    # vitest 0.34 names a test with its file's unnamed suite first: a space before "sql"
    assert suite.outcomes == {"src/index.spec.ts ›  sql joins with ?": "passed"}
    gaps = runs["gaps"]
    assert isinstance(gaps, RunnerGaps) and gaps.could_not_run == ""
    assert gaps.uncovered() == {"src/index.ts": frozenset({9, 10})}


def test_the_projects_cache_stays_off_without_the_switch(runs: dict[str, object]) -> None:
    """vitest 0.34 has no ``--no-cache``: our configuration says ``cache: false`` over the
    project's ``cache.dir`` (a run with it on writes ``vcache/…/results.json``)."""
    assert isinstance(runs["suite"], TestReport) and runs["suite"].problem == ""
    assert runs["cache"] == []


def test_the_gate_keeps_a_right_candidate_under_vitest_0_34(runs: dict[str, object]) -> None:
    verdict = runs["right"]
    assert isinstance(verdict, RunnerVerdict)
    assert verdict.kept, (verdict.stage, verdict.reason)
    assert verdict.covered == {"src/index.ts": frozenset({9, 10})}
    assert verdict.reason.startswith("fails when src/index.ts:"), verdict.reason


@pytest.mark.parametrize("runner", ["jest", "go test", "vitest"])
def test_a_suite_without_a_report_is_could_not_run_in_the_gate(
    runs: dict[str, object], runner: str
) -> None:
    """Before: "<runner> measured no uncovered changed line to test"."""
    verdict = runs[f"{runner} failed"]
    assert isinstance(verdict, RunnerVerdict) and verdict.stage == "path"
    assert verdict.reason == (f"{runner} coverage could not run: {runner}: it exited with "
                              "status 1 before writing a report")  # fmt: skip


def test_the_headline_says_could_not_run() -> None:
    result = GenTestsResult(mode="gen-tests", headline="")
    result.runners.append(RunnerGapReport(runner="go test", coverage=None, uncovered_lines={}, problem=(
        "go test: it exited with status 1 before writing a report")))
    result.runners.append(RunnerGapReport(runner="vitest", coverage=None, uncovered_lines={}, problem=(
        "could not run: install @vitest/coverage-v8 before this step")))
    assert runners_headline(result, offline=True) == (
        "go test: coverage of the changed files could not run: go test: it exited with status 1 "
        "before writing a report; vitest: coverage of the changed files could "
        "not run: install @vitest/coverage-v8 before this step.")


def test_an_unread_version_that_stops_the_run_is_could_not_run_in_tools(tmp_path: Path) -> None:
    """vitest 0.34 linked as pnpm links it: its version is not read through the link, so the
    run passes ``--no-cache`` and vitest stops; Tools and the headline say "could not run"."""
    repo, base, head = _project(tmp_path / "project", linked=True)
    code, document, _, stderr = run_gen_tests(["--repo", str(repo.path), "--base", base,
                                               "--head", head, "--provider", "none"], tmp_path)  # fmt: skip
    assert code == 0, stderr[-3000:]
    said = "vitest: it exited with status 1 before writing a report"
    tools = {tool["tool"]: tool["could_not_run"] for tool in document["tools"]}  # type: ignore[attr-defined]
    assert tools["vitest"].startswith(said + "; its last words: ") and "vitest coverage" not in tools
    assert f"vitest: coverage of the changed files could not run: {said}" in str(document["headline"])


def test_a_vitest_older_than_0_32_is_could_not_run(tmp_path: Path) -> None:
    """vitest 0.30.1 loads no test beside our canary ("Failed to load url vitest"): every file
    then held no test and nothing was said wrong; now the version is named, and no run starts."""
    (tmp_path / "node_modules" / "vitest").mkdir(parents=True)
    (tmp_path / "node_modules" / "vitest" / "package.json").write_text('{"version": "0.31.4"}')
    assert Vitest().missing(tmp_path, {}) == (
        "could not run: vitest 0.31 is older than 0.32, the oldest this agent runs")
