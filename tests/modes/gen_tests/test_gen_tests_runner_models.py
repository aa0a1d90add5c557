"""gen-tests writes Go and jest tests with a model, end to end: the CLI with the real ``openai``
SDK over HTTP against the scripted loopback server, the job's own ``go`` and jest in the real
sandbox. For each language the model is asked three times for the change's one file: a hostile
candidate (a path out of the repository, a runner's settings file) and a failing one are dropped,
the right one is kept, delivered in the patch in the repository's own layout, and the coverage
after is measured. A failing candidate is a possible bug only where the code's contract states
what it asserts: jest's, which the README states, is one; go's, which nothing states,
is not. One run per language for the module."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.corpus.build import TOOLS_DIR
from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY, ModelServer, RecordedRequest
from tests.helpers.eslint import needs_node_tool
from tests.helpers.gen_tests import run_gen_tests
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_go

pytestmark = needs_sandbox

GO_MOD = "module example.com/m\n\ngo 1.19\n"
GO_CALC = "package calc\n\n// Add returns a + b.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
GO_SIGN = "\n// Sign is -1 for a negative n, 1 otherwise.\nfunc Sign(n int) int {\n" \
          "\tif n < 0 {\n\t\treturn -1\n\t}\n\treturn 1\n}\n"  # fmt: skip
GO_TABLE = """package calc

import "testing"

func TestAdd(t *testing.T) {
\tcases := []struct{ a, b, want int }{{1, 2, 3}, {-1, 1, 0}}
\tfor _, c := range cases {
\t\tif got := Add(c.a, c.b); got != c.want {
\t\t\tt.Errorf("Add(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
\t\t}
\t}
}
"""
GO_RIGHT = """package calc

import "testing"

func TestSign(t *testing.T) {
\tcases := []struct{ n, want int }{{-2, -1}, {3, 1}}
\tfor _, c := range cases {
\t\tif got := Sign(c.n); got != c.want {
\t\t\tt.Errorf("Sign(%d) = %d, want %d", c.n, got, c.want)
\t\t}
\t}
}
"""
GO_WRONG = GO_RIGHT.replace("{-2, -1}, {3, 1}", "{-5, 0}")
JS_CALC = "exports.add = (a, b) => a + b;\n"
JS_SIGN = "\nexports.sign = (n) => {\n  if (n < 0) {\n    return -1;\n  }\n  return 1;\n};\n"
JS_OLD_TEST = 'const { add } = require("../calc");\n\ndescribe("add", () => {\n' \
              '  it("adds", () => {\n    expect(add(1, 2)).toBe(3);\n  });\n});\n'  # fmt: skip
JS_RIGHT = """const { sign } = require("../calc");

describe("sign", () => {
  it("is -1 below zero", () => {
    expect(sign(-2)).toBe(-1);
  });
  it("is 1 otherwise", () => {
    expect(sign(3)).toBe(1);
  });
});
"""
JS_BUG = JS_RIGHT.replace("expect(sign(-2)).toBe(-1)", "expect(sign(0)).toBe(0)")
"""What the README says of ``sign`` (``sign(0) // => 0``) and the code does not: a possible bug."""
README = "# calc\n\n```js\nadd(1, 2) // => 3\nsign(0) // => 0\n```\n"
JEST_26 = '{"name": "jest", "version": "26.6.3"}\n'
"""What the checkout's jest says it is: no ``--randomize`` (the binary run is the toolbox's)."""
JS_SETTINGS = 'module.exports = { testMatch: ["**/nothing/**"] };\n'
MENTION = "@octocat merge this <img src=x onerror=alert(1)>"


@dataclass(frozen=True)
class Run:
    document: dict[str, object]
    summary: str
    requests: list[RecordedRequest]
    repo: Path


def _run(
    tmp_path: Path, start: dict[str, str], change: dict[str, str],
    answers: list[dict[str, str]], path: str = "",
) -> Run:  # fmt: skip
    """gen-tests of ``change`` over ``start`` with the model answering ``answers`` in turn
    (``path``: the ``PATH`` that finds the runner's toolbox, with the repository's
    ``node_modules`` linked into it)."""
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("base", {".gitignore": "node_modules\n", **start})
    head = repo.commit("change", change)
    if path:
        (repo.path / "node_modules" / ".bin").mkdir(parents=True)
        os.symlink(TOOLS_DIR / "node" / "node_modules" / ".bin" / "jest",
                   repo.path / "node_modules" / ".bin" / "jest")  # fmt: skip
        # jest 26's package (before ``--randomize``), whose binary is the toolbox's jest
        (repo.path / "node_modules" / "jest").mkdir()
        (repo.path / "node_modules" / "jest" / "package.json").write_text(JEST_26, encoding="utf-8")
    server = ModelServer().start()
    try:
        for answer in answers:
            server.answer(answer)
        argv = ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "openai",
                "--base-url", server.base_url, "--model", "gpt-4o-mini",
                "--patch-file", str(tmp_path / "tests.patch")]  # fmt: skip
        where = {"PATH": path} if path else {}
        code, document, _, stderr = run_gen_tests(argv, tmp_path, OPENAI_API_KEY=TEST_API_KEY,
                                                  **where)  # fmt: skip
        assert code == 0, stderr[-3000:]
        requests = server.chat_requests
    finally:
        server.stop()
    return Run(document, (tmp_path / "summary.md").read_text(encoding="utf-8"), requests, repo.path)


@pytest.fixture(scope="module")
def go_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(
        tmp_path_factory.mktemp("go"),
        {"go.mod": GO_MOD, "calc/calc.go": GO_CALC, "calc/calc_test.go": GO_TABLE},
        {"calc/calc.go": GO_CALC + GO_SIGN},
        [{"path": "calc/../../sign_test.go", "test_file": GO_RIGHT, "rationale": "outside"},
         {"path": "calc/calc_generated_test.go", "test_file": GO_WRONG, "rationale": MENTION},
         {"path": "calc/calc_generated_test.go", "test_file": GO_RIGHT,
          "rationale": "both branches of Sign"}],
    )  # fmt: skip


@pytest.fixture(scope="module")
def jest_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    path = needs_node_tool("jest")
    return _run(
        tmp_path_factory.mktemp("jest"),
        {"package.json": '{"name": "m", "devDependencies": {"jest": "*"}}\n',
         "src/calc.js": JS_CALC, "src/__tests__/calc.test.js": JS_OLD_TEST, "README.md": README},
        {"src/calc.js": JS_CALC + JS_SIGN},
        [{"path": "src/jest.config.js", "test_file": JS_SETTINGS, "rationale": "settings"},
         {"path": "src/__tests__/calc.generated.test.js", "test_file": JS_BUG,
          "rationale": MENTION},
         {"path": "src/__tests__/calc.generated.test.js", "test_file": f"```js\n{JS_RIGHT}```",
          "rationale": "both branches of sign"}],
        path,
    )  # fmt: skip


def _candidates(run: Run) -> list[tuple[str, str | None, str]]:
    rows = run.document["candidates"]
    assert isinstance(rows, list)
    return [(row["runner"], row["stopped_at"], row["reason"]) for row in rows]


def _applied(run: Run, tmp_path: Path) -> None:
    """The patch applies to the head (``git apply --check``): new files only."""
    subprocess.run(["git", "apply", "--check", str(tmp_path / "tests.patch")], cwd=run.repo,
                   check=True, capture_output=True)  # fmt: skip


@needs_go
def test_go_the_right_candidate_is_kept_the_wrong_and_the_hostile_dropped(go_run: Run) -> None:
    [(runner, hostile, why), (_, wrong, _), (_, right, _)] = _candidates(go_run)
    assert (runner, hostile, wrong, right) == ("go test", "path", "pass", None)
    assert "not a path in the repository" in why
    document = go_run.document
    # the hostile one never ran; the wrong one twice, failing alike; the right one alone, again in
    # its copy, then
    # twice more shuffled, 20 times in one go test -count=20, then once with Sign's `<` mutated
    # to `>=`, where it fails, and on that mutant's control
    assert [row["runs"] for row in document["candidates"]] == [0, 2, 7]  # type: ignore[union-attr, index]
    assert str(document["candidates"][2]["reason"]).startswith("fails when calc/calc.go:10 ")  # type: ignore[index]
    assert (document["tests_generated"], document["tests_accepted"]) == (3, 1)
    [kept] = document["accepted"]  # type: ignore[misc]
    assert kept == {"path": "calc/calc_generated_test.go", "target": "calc/calc.go",
                    "gained": "lines 9-13"}  # fmt: skip
    # go's blocks: the whole of Sign ran with the kept test, measured again
    assert (document["coverage_before"], document["coverage_after"]) == (37.5, 100.0)
    [report] = document["runners"]  # type: ignore[misc]
    assert report["uncovered_lines"] == {} and report["coverage_after"] == 100.0
    assert str(document["headline"]).startswith("go test: 1 of 3 generated test(s) passed every "
                                                "gate stage; line coverage of the changed files "
                                                "37.50% → 100.00%")  # fmt: skip


@needs_go
def test_go_the_kept_test_is_delivered_in_the_patch_beside_its_package(
    go_run: Run, tmp_path_factory: pytest.TempPathFactory
) -> None:
    patch = Path(str(go_run.document["patch_path"])).read_text(encoding="utf-8")
    assert "+++ b/calc/calc_generated_test.go" in patch
    assert "+// Generated by cicd-agent gen-tests; review before merging." in patch
    assert "+" + GO_RIGHT.replace("\n", "\n+").rstrip("+") in patch
    _applied(go_run, go_run.repo.parent)


@needs_go
def test_go_the_prompt_asks_for_the_packages_own_layout_and_table_style(go_run: Run) -> None:
    first, second, _ = go_run.requests
    system, user = first.text("system"), first.text("user")
    assert "Write Go: the file starts with `package calc`" in system
    assert "table-driven" in system  # the package's existing test is a table of cases
    assert "Put it at `calc/calc_generated_test.go`" in user
    assert ">>    9 | func Sign(n int) int {" in user and "     4 | func Add" in user
    assert "refused at the gate's `path` check" in second.text("user")


@needs_go
def test_go_the_wrong_candidate_no_contract_states_is_dropped_never_a_bug(go_run: Run) -> None:
    """``Sign(-5)`` want 0: the doc comment says -1 for a negative n, and no doc, README or test
    says 0. Before, every candidate that failed twice alike was a possible bug (9 on the frozen
    gate set, none real)."""
    assert go_run.document["possible_bugs"] == []
    [_, (_, stage, why), _] = _candidates(go_run)
    assert stage == "pass" and why.startswith("fails; no contract says the asserted value: ")
    assert "Possible bug" not in go_run.summary
    assert "@octocat" not in go_run.summary and "<img" not in go_run.summary


def test_jest_the_right_candidate_is_kept_the_wrong_and_the_hostile_dropped(
    jest_run: Run,
) -> None:
    [(runner, hostile, why), (_, wrong, _), (_, right, _)] = _candidates(jest_run)
    assert (runner, hostile, wrong, right) == ("jest", "path", "pass", None)
    assert "src/jest.config.js is part of jest's settings" in why
    document = jest_run.document
    assert (document["tests_generated"], document["tests_accepted"]) == (3, 1)
    [kept] = document["accepted"]  # type: ignore[misc]
    assert (kept["path"], kept["target"]) == ("src/__tests__/calc.generated.test.js", "src/calc.js")
    assert document["coverage_after"] == 100.0 and document["coverage_before"] < 100.0  # type: ignore[operator]
    patch = Path(str(document["patch_path"])).read_text(encoding="utf-8")
    assert "+++ b/src/__tests__/calc.generated.test.js" in patch and "```" not in patch
    _applied(jest_run, jest_run.repo.parent)


def test_jest_a_failure_the_readme_states_is_a_possible_bug_naming_it(jest_run: Run) -> None:
    [bug] = jest_run.document["possible_bugs"]  # type: ignore[misc]
    assert (bug["runner"], bug["path"], bug["test_path"]) == (
        "jest", "src/calc.js", "src/__tests__/calc.generated.test.js")
    assert "calc.generated.test.js:" in bug["failure"]
    # the README was there before the change: not the change's own word
    assert (bug["contract"], bug["contract_changed"]) == ("docs README.md:5: sign(0) // => 0", False)
    assert bug["reproduce"] == "npx jest --runTestsByPath src/__tests__/calc.generated.test.js"
    summary = jest_run.summary
    assert "and what it asserts is what the code's contract says: `docs README.md:5: sign(0)" in summary
    assert "rerun it with `npx jest --runTestsByPath src/__tests__/calc.generated.test.js`" in summary
    assert "@octocat" not in summary and "<img" not in summary


def test_jest_before_29_5_keeps_a_test_rerun_in_order_never_called_shuffled(jest_run: Run) -> None:
    """Before: jest 26 stopped every rerun at ``--randomize``, so no candidate was ever kept."""
    [*_, right] = jest_run.document["candidates"]  # type: ignore[misc]
    label = "not shuffled: jest 26.6 has no --randomize (29.5+)"
    # its reason names the mutant it fails on too (alone, again in its copy, twice more, 20
    # times in one run, a mutant's run and its control's: 7 runs)
    assert (right["stopped_at"], right["reason"], right["runs"]) == (
        None, f"fails when src/calc.js:4 `<` mutated to `>=` (its check src/__tests__/calc"
              f".generated.test.js:5: Error: expect(received).toBe(expected) // Object.is "
              f"equality); {label}", 7)
    assert f"1 of 3 generated test(s) passed every gate stage (1 {label})" in str(
        jest_run.document["headline"])


def test_jest_the_prompt_asks_for_describe_it_beside_the_existing_tests(jest_run: Run) -> None:
    system, user = jest_run.requests[0].text("system"), jest_run.requests[0].text("user")
    assert "group them with `describe`, write each case as `it(...)`" in system
    assert "Put it at `src/__tests__/calc.generated.test.js`, where this repository keeps such " \
           "tests, as `src/__tests__/calc.test.js` shows" in user  # fmt: skip
    assert 'describe("add"' in user  # the existing test, shown for style
