"""gen-tests for a Rust change, through the runner seam with the job's real cargo, offline, on
a tiny library crate with no dependency: where no coverage tool is installed, the targets are
the change's added lines of code (never a coverage figure), and the gate's cargo stages judge
candidates written as integration tests (``tests/NAME.rs``): a wrong one fails alone, one
that does not build stops at ``compiles``, one asserting nothing, a unit test inside ``src/``
and a name the crate takes are refused before any run, one that rewrites the code under test
is refused; end to end with a model, a right one passes every stage and is still dropped
(nothing shows it depends on the change). One sandbox and one measured change for the gate."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests.candidate_runs import Candidate, RunnerVerdict
from cicd_agent.modes.gen_tests.mutant_gate import UNMEASURED
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps, changes, measure
from cicd_agent.modes.gen_tests.runner_gate import judge
from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.cargo.crate import (
    code_lines,
    crate_code,
    integration_test_problem,
    library,
    library_name,
    library_root,
    manifest,
    target_names,
)
from cicd_agent.runners.cargo.in_run_check import add_in_run_check, crate_roots
from cicd_agent.runners.cargo.runner import NOT_SHUFFLED, CargoTest
from cicd_agent.runners.lookups import tool_mounts
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.harness.model_server import TEST_API_KEY, ModelServer
from tests.helpers.gen_tests import run_gen_tests
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo

MANIFEST = '[package]\nname = "sign-m"\nversion = "0.1.0"\nedition = "2021"\n'
LIB = "pub fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n"
SIGN = """
/// The sign of `n`: -1 below zero, 1 otherwise.
#[inline]
pub fn sign(n: i64) -> i64 {
    // below zero first
    if n < 0 {
        return -1;
    }

    1
}
"""
EXISTING = "#[test]\nfn adds() {\n    assert_eq!(sign_m::add(1, 2), 3);\n}\n"

HUNT = 20
"""The reruns' budget in seconds (the hunt stops there or after its rounds): these
tests read the reruns' tests, not a hunt's length."""


def _test(body: str) -> str:
    return f"use sign_m::sign;\n\n#[test]\n{body}\n"


RIGHT = _test("fn negative_is_minus_one() {\n    assert_eq!(sign(-2), -1);\n}")
CANDIDATES = {
    "wrong": Candidate("tests/cicd_sign_wrong.rs",
                       _test("fn negative() {\n    assert_eq!(sign(-2), 1);\n}")),
    "unbuilt": Candidate("tests/cicd_sign_unbuilt.rs",
                         _test('fn typed() {\n    let n: i64 = "one";\n    assert_eq!(sign(n), 1);\n}')),
    "idle": Candidate("tests/cicd_sign_idle.rs", _test("fn runs() {\n    sign(-1); // assert!(x)\n}")
                      + "\n#[test]\n#[should_panic]\nfn panics() {\n    sign(0);\n}\n"),
    "rewriter": Candidate("tests/cicd_sign_rewrites.rs", _test(
        'fn rewrites() {\n    std::fs::write("src/lib.rs", "pub fn sign(_: i64) -> i64 { -1 }")'
        '.unwrap();\n    assert_eq!(sign(-1), -1);\n}')),
    "marker": Candidate("tests/cicd_sign_once.rs", "use sign_m::sign;\nuse std::path::PathBuf;\n"
                        + "".join(_test(
        f"fn once_{name}() {{\n    let mark = PathBuf::from({folder}).join(\".sign-mark\");\n"
        "    assert!(!mark.exists(), \"ran here before\");\n    std::fs::write(&mark, \"ran\").unwrap();\n"
        "    assert_eq!(sign(-2), -1);\n}").replace("use sign_m::sign;\n\n", "\n")
        for name, folder in (("folder", '"tests"'), ("tmp", "std::env::temp_dir()"),
                             ("home", 'std::env::var("HOME").unwrap()')))),
    "unit test in src": Candidate("src/sign_tests.rs", RIGHT),
    "nested": Candidate("tests/more/cicd_sign.rs", RIGHT),
    "existing": Candidate("tests/existing.rs", RIGHT),
    "the crate's name": Candidate("tests/sign_m.rs", RIGHT),
}  # fmt: skip
pytestmark = [needs_sandbox, needs_cargo]


@pytest.fixture(scope="module")
def verdicts(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunnerGaps, dict[str, RunnerVerdict]]]:
    """The change measured once, every candidate judged once, in one sandbox."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("gate") / "crate")
    base = repo.commit("start", {"Cargo.toml": MANIFEST, "src/lib.rs": LIB,
                                 "tests/existing.rs": EXISTING})  # fmt: skip
    head = repo.commit("sign", {"src/lib.rs": LIB + SIGN})
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}  # fmt: skip
    [change], _ = changes(GitCheckout(repo.path), base, head, environ)
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        gaps = measure(change, sandbox, suite_timeout=300, timeout=300, budget=HUNT, seed=1)
        found = {label: judge(gaps, candidate, sandbox, seed=11, timeout=240)
                 for label, candidate in CANDIDATES.items()}  # fmt: skip
        space = sandbox.workspace("the suite with the wrong candidate")
        (space.repo / CANDIDATES["wrong"].path).write_text(CANDIDATES["wrong"].text)
        SUITES["wrong"] = CargoTest().run(sandbox, space, Selection(), timeout=240)
        yield gaps, found


SUITES: dict[str, TestReport] = {}


def test_without_a_coverage_tool_the_targets_are_the_changed_lines_of_code(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    """No cargo-llvm-cov here: the targets are the added lines that are code (not the doc
    comment, the attribute, the comment or the blank lines), said to be no measured gap, and
    no coverage figure is given."""
    gaps, _ = verdicts
    assert gaps.uncovered() == {}
    assert gaps.targets() == {"src/lib.rs": frozenset({7, 9, 10, 11, 13, 14})}, gaps.problem
    assert gaps.problem == (
        "coverage could not run: install cargo-llvm-cov or cargo-tarpaulin before this step; "
        "targets are the changed lines, not measured gaps (src/lib.rs: lines 7, 9-11, 13-14)")
    assert gaps.percent() is None and gaps.lines() == (0, 0)


@pytest.mark.parametrize(("label", "stage", "words"), [
    ("wrong", "pass", "did not pass: tests/cicd_sign_wrong.rs › negative"),
    ("unbuilt", "compiles", "error[E0308]: mismatched types"),
    # set 4's cron-parser: each test leaves a mark (its folder, the temporary folder,
    # HOME) and fails where it finds one; a second run in the copy of its first finds all three
    ("marker", "same_copy", "fails when run again where it ran before: it depends on what an "
     "earlier run left: 3 of its 3 tests did not pass"),
    ("idle", "assertion", "runs asserts nothing"),
    ("rewriter", "pass", "changed src/lib.rs"),
    ("unit test in src", "path", "not an integration test"),
    ("nested", "path", "not an integration test"),
    ("existing", "path", "already has"),
    ("the crate's name", "path", "already has"),
])  # fmt: skip
def test_each_candidate_stops_at_its_stage(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]], label: str, stage: str, words: str
) -> None:
    verdict = verdicts[1][label]
    assert (verdict.stage, verdict.possible_bug) == (stage, ""), verdict
    assert words in verdict.reason, verdict.reason


def test_a_failing_binary_of_the_suite_is_a_failure_and_the_others_still_run(
    verdicts: tuple[RunnerGaps, dict[str, RunnerVerdict]],
) -> None:
    """The whole suite with a failing integration test (the gate's ``suite`` stage, analyse-
    failure's check of a fix): every binary runs and the failure is the report's word. Before,
    cargo stopped at the first failing binary, so the next never listed the seam's in-run check and
    the report was "no result" (the frozen set's flaky candidate, failing at the suite stage)."""
    report = SUITES["wrong"]
    assert report.problem == "", report.problem
    assert (report.outcomes["cargo test › negative"], report.outcomes["cargo test › adds"]) == (
        "failed", "passed")  # fmt: skip


def test_rust_code_lines_and_the_crates_names(tmp_path: Path) -> None:
    """Comments (nested ones too), attributes over several lines, blank lines and a
    ``#[cfg(test)]`` module are not code;
    a ``//`` or ``]`` inside a string does not end or start one. The library's name is the
    ``[lib]`` name, else the package's with ``_``; a crate with no library has none."""
    text = ('//! doc\n#[cfg(any(\n    feature = "x",\n))]\nfn a() -> &\'static str { "// x\n'
            ']" }\n/* a /* b */ c */\nlet q = \'"\'; // "\n')  # fmt: skip
    assert code_lines(text) == frozenset({5, 6, 8})
    assert code_lines(LIB + UNIT) == frozenset({1, 2, 3})  # the crate's own tests are no target
    (tmp_path / "Cargo.toml").write_text(MANIFEST + '\n[[test]]\nname = "named"\n')
    assert library_name(tmp_path) is None  # no src/lib.rs
    (tmp_path / "src").mkdir()
    (tmp_path / "src/lib.rs").write_text(LIB)
    assert library_name(tmp_path) == "sign_m"
    assert target_names(tmp_path) == {"sign_m", "named"}
    assert integration_test_problem(tmp_path, "tests/cicd_sign.rs") == ""
    assert "already has" in integration_test_problem(tmp_path, "tests/named.rs")
    (tmp_path / "Cargo.toml").write_text(MANIFEST + "autotests = false\n")
    assert "autotests = false" in integration_test_problem(tmp_path, "tests/cicd_sign.rs")


def test_the_crates_code_is_its_librarys_module_tree_wherever_the_manifest_puts_its_root(
    tmp_path: Path,
) -> None:
    """At a glance: by default the code is ``src/``; with ``[lib] path = "lib.rs"`` it is the
    package's ``.rs`` files but its tests, benches, examples, cargo's output, build script and
    other packages' folders (before, only ``src/`` was code)."""
    files = ("src/lib.rs", "src/a/b.rs", "lib.rs", "hash.rs", "tests/x.rs", "benches/b.rs",
             "examples/e.rs", "target/debug/build/x.rs", "build.rs", "README.md")  # fmt: skip
    (tmp_path / "Cargo.toml").write_text(MANIFEST)
    assert library_root(tmp_path) == "src/lib.rs"
    assert [f for f in files if crate_code(tmp_path, f, library(manifest(tmp_path)))] == [
        "src/lib.rs", "src/a/b.rs"]  # fmt: skip
    (tmp_path / "Cargo.toml").write_text(MANIFEST + '\n[lib]\npath = "./lib.rs"\n')
    assert library_root(tmp_path) == "lib.rs"
    assert [f for f in files if crate_code(tmp_path, f, library(manifest(tmp_path)))] == [
        "src/lib.rs", "src/a/b.rs", "lib.rs", "hash.rs"]  # fmt: skip
    (tmp_path / "member/src").mkdir(parents=True)
    (tmp_path / "member/Cargo.toml").write_text(MANIFEST)  # a workspace member: its own package
    assert not crate_code(tmp_path, "member/src/lib.rs", library(manifest(tmp_path)))
    assert crate_code(tmp_path, "other/x.rs", library(manifest(tmp_path)))


UNIT = """
#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(super::add(1, 2), 3);
    }
}
"""


def test_a_library_whose_manifest_names_a_missing_root_is_no_library(tmp_path: Path) -> None:
    """At a glance: cargo cannot build a library whose ``[lib] path`` names no file (even with a
    ``src/lib.rs`` beside it), so no integration test can use it and gen-tests says so before
    writing one; once the named file is there, it is the library (before, any named path was
    taken as a library whether its file was there or not)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src/lib.rs").write_text(LIB)
    (tmp_path / "Cargo.toml").write_text(MANIFEST + '\n[lib]\npath = "lib.rs"\n')
    assert library_name(tmp_path) is None
    assert "no library crate" in integration_test_problem(tmp_path, "tests/cicd_sign.rs")
    (tmp_path / "lib.rs").write_text(LIB)
    assert library_name(tmp_path) == "sign_m"
    assert integration_test_problem(tmp_path, "tests/cicd_sign.rs") == ""


def test_offline_gen_tests_on_a_rust_change_names_the_changed_lines_and_reruns_its_tests(
    tmp_path: Path,
) -> None:
    """At a glance, through the CLI (``--provider none``): a change to ``src/lib.rs`` that adds
    a function and touches the file's own test module. Before: the file counted as a test file
    only (its ``#[cfg(test)]`` module), so no line of it was a target and the headline said
    nothing of it. Now its tests are run again, its added lines of code are named as targets,
    coverage "could not run" is said in Tools and the headline, and no figure is given."""
    repo = GitRepoBuilder(tmp_path / "crate")
    base = repo.commit("base", {"Cargo.toml": MANIFEST, "src/lib.rs": LIB + UNIT})
    head = repo.commit("sign", {"src/lib.rs": LIB + SIGN + UNIT.replace("(1, 2), 3", "(2, 2), 4")})
    code, document, _, stderr = run_gen_tests(
        ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "none",
         "--pr-test-runs", "2"], tmp_path,
        RUSTUP_HOME=os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")))  # fmt: skip
    assert code == 0, stderr[-3000:]
    [report] = document["runners"]  # type: ignore[misc]
    clause = ("coverage could not run: install cargo-llvm-cov or cargo-tarpaulin before this "
              "step; targets are the changed lines, not measured gaps")  # fmt: skip
    assert report == {"runner": "cargo test", "coverage": None, "coverage_after": None,
                      "uncovered_lines": {}, "no_code": [],
                      "problem": f"{clause} (src/lib.rs: lines 7, 9-11, 13-14)"}  # fmt: skip
    verdicts = {r["test"]: (r["verdict"], r["passed"], r["runs"]) for r in document["pr_tests"]}  # type: ignore[union-attr, index]
    # the second round runs the build again as often as its share of the budget holds
    [(verdict, passed, runs)] = verdicts.values()
    assert list(verdicts) == ["src/lib.rs › tests::adds"] and verdict == "stable"
    assert passed == runs >= 2
    assert f"in their order ({NOT_SHUFFLED})" in str(document["pr_tests_runs"])
    assert "shuffled with" not in str(document["pr_tests_runs"])
    # said once: "could not run: install …", never "could not run: coverage could not run"
    said = clause.removeprefix("coverage could not run: ")
    headline = str(document["headline"])
    assert f"could not run: {said}" in headline and "%" not in headline
    assert headline.count("could not run: install") == 1
    assert "no model is configured, so no tests were written" in headline, headline
    assert {"tool": "cargo test coverage", "could_not_run": said} in document["tools"]  # type: ignore[operator]


def test_a_rust_test_is_written_as_an_integration_test_using_the_crate() -> None:
    """The model is asked for ``tests/<stem>_generated.rs`` (a name not taken), told to begin
    with ``extern crate NAME;`` (all three crates of the frozen set are of edition 2015, where
    ``use NAME::…`` alone does not resolve: every first-seen candidate stopped at compiles) with
    the crate named as the doc examples ``use`` it, and told the reruns are not shuffled."""
    cargo = CargoTest()
    assert cargo.test_file_for("src/Date-Time.rs", "", {"tests/date_time_generated.rs"}.__contains__) == (
        "tests/date_time_generated2.rs")  # fmt: skip
    style = cargo.test_style("/// ```\n/// use version_check::Date;\n/// ```\nuse std::fmt;\n", "")
    assert "extern crate version_check;" in style and "`tests/NAME.rs`" in style
    assert "not shuffled" in style and "assert_eq!" in style
    assert "extern crate CRATE;" in cargo.test_style("use std::fmt;\n", "")


def test_a_model_writes_rust_tests_and_the_right_one_is_kept_on_a_mutant_it_fails_on(tmp_path: Path) -> None:
    """End to end with the real ``openai`` SDK against the scripted server: the prompt asks for
    an integration test of the crate named by its doc example, marks the target lines, and each
    answer is judged by cargo's stages: a unit test inside ``src/`` is refused unrun, one that
    does not build stops at ``compiles`` with rustc's error, the right one passes every stage
    and, with no coverage tool, is kept only because it fails when a changed line is mutated
    (the mutant named in its reason). Before, a Rust change had no targets, so the model was
    never asked."""
    repo = GitRepoBuilder(tmp_path / "crate")
    base = repo.commit("base", {"Cargo.toml": MANIFEST, "src/lib.rs": LIB,
                                "tests/existing.rs": EXISTING})  # fmt: skip
    head = repo.commit("sign", {"src/lib.rs": LIB + SIGN.replace(
        "/// The sign", "/// ```\n/// use sign_m::sign;\n/// ```\n/// The sign")})  # fmt: skip
    server = ModelServer().start()
    try:
        for path, text in (("src/sign_tests.rs", RIGHT), ("tests/lib_generated.rs",
                           CANDIDATES["unbuilt"].text), ("tests/lib_generated.rs", RIGHT)):  # fmt: skip
            server.answer({"path": path, "test_file": text, "rationale": "sign's branches"})
        code, document, _, stderr = run_gen_tests(
            ["--repo", str(repo.path), "--base", base, "--head", head, "--provider", "openai",
             "--base-url", server.base_url, "--model", "gpt-4o-mini",
             "--patch-file", str(tmp_path / "tests.patch")], tmp_path,
            OPENAI_API_KEY=TEST_API_KEY,
            RUSTUP_HOME=os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")))  # fmt: skip
        requests = server.chat_requests
    finally:
        server.stop()
    assert code == 0, stderr[-3000:]
    rows = [(row["stopped_at"], row["runs"]) for row in document["candidates"]]  # type: ignore[union-attr, index]
    assert rows[:2] == [("path", 0), ("compiles", 1)], document["headline"]
    # the right one passed alone, twice more in fresh copies (in libtest's order, never called
    # shuffled) and with the suite; no coverage shows it tests the change, a mutant it fails on
    # does (one more run at least)
    assert rows[2][0] is None and rows[2][1] > 4, rows
    reason = str(document["candidates"][2]["reason"])  # type: ignore[index]
    assert reason.startswith("fails when src/lib.rs:") and NOT_SHUFFLED in reason, reason
    assert UNMEASURED in reason and "shuffled" not in reason.replace(NOT_SHUFFLED, "")
    assert "not repeated" not in reason  # the binary 20 times in one run, each seen by the in-run check
    assert document["tests_accepted"] == 1
    assert (tmp_path / "tests.patch").exists()
    system, user = requests[0].text("system"), requests[0].text("user")
    assert "begin with `extern crate sign_m;`" in system
    assert "Put it at `tests/lib_generated.rs`" in user
    marked = [line.split("|")[0].split()[-1] for line in user.splitlines() if line.startswith(">>")]
    assert marked == ["10", "12", "13", "14", "16", "17"]


ROOT_MANIFEST = MANIFEST.replace('"sign-m"', '"root-m"') + '\n[lib]\npath = "lib.rs"\n'


def test_a_library_at_the_crate_root_is_its_code_and_its_tests_run(tmp_path: Path) -> None:
    """servo/rust-fnv's shape (``[lib] path = "lib.rs"``, no ``src/``): the crate's code is
    the library's module tree, wherever the manifest puts its root. Before, only ``src/`` was
    code, so gen-tests said no changed line was code, the unit test was read under
    ``src/lib.rs`` and every candidate was refused; now the added lines are the targets, the
    unit test is read under ``lib.rs`` and a right ``tests/x.rs`` passes the suite and depends
    on the change."""
    repo = GitRepoBuilder(tmp_path / "crate")
    base = repo.commit("start", {"Cargo.toml": ROOT_MANIFEST, "lib.rs": LIB + UNIT,
                                 "tests/existing.rs": EXISTING.replace("sign_m", "root_m")})  # fmt: skip
    head = repo.commit("sign", {"lib.rs": LIB + SIGN + UNIT})
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}  # fmt: skip
    [change], _ = changes(GitCheckout(repo.path), base, head, environ)
    assert change.tests == ("lib.rs",) and set(change.sources) == {"lib.rs"}, change
    assert library_name(repo.path) == "root_m"
    assert integration_test_problem(repo.path, "tests/x.rs") == ""
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        gaps = measure(change, sandbox, suite_timeout=300, timeout=300, budget=HUNT, seed=1)
        assert gaps.targets() == {"lib.rs": frozenset({7, 9, 10, 11, 13, 14})}, gaps.problem
        assert gaps.reruns is not None and "lib.rs › tests::adds" in gaps.reruns.tests
        right = Candidate("tests/x.rs", RIGHT.replace("sign_m", "root_m"))
        verdict = judge(gaps, right, sandbox, seed=11, timeout=240)
    assert (verdict.stage, verdict.possible_bug) == ("", ""), verdict


def test_attack_a_manifest_nested_too_deeply_is_no_manifest(tmp_path: Path) -> None:
    """Attack: ``tomllib`` recurses once per level of an inline array, so a 1.2 KB
    ``Cargo.toml`` of 600 ``[`` raised ``RecursionError`` out of ``library_root``, through
    ``crate_code`` and gen-tests' reading of the change, which ended the mode. It is now no
    manifest, as any other text that is not TOML (the project's one bounded TOML reader)."""
    (tmp_path / "Cargo.toml").write_text(MANIFEST + "x = " + "[" * 600 + "]" * 600 + "\n")
    assert library_root(tmp_path) == "src/lib.rs" and library_name(tmp_path) is None
    assert crate_code(tmp_path, "src/a.rs", library(manifest(tmp_path)))


def test_attack_a_large_manifest_is_read_once_per_change_not_per_changed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: gen-tests' reading of a Rust change parsed ``Cargo.toml`` again for each
    changed file (``crate_code`` read the library root each time): a 4 MB manifest (under the
    read cap) and 200 changed ``.rs`` files took 96 s of CPU before any run, linear in the
    files. The manifest is now read once per change, whatever the number of files."""
    repo = GitRepoBuilder(tmp_path / "crate")
    base = repo.commit("start", {"Cargo.toml": MANIFEST, "src/lib.rs": LIB})
    head = repo.commit("many", {f"src/m{i}.rs": "pub fn f() -> i32 {\n    1\n}\n" for i in range(12)})
    parsed: list[int] = []
    loads = tomllib.loads
    monkeypatch.setattr(tomllib, "loads", lambda text: parsed.append(len(text)) or loads(text))
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    [change], _ = changes(GitCheckout(repo.path), base, head, environ)
    assert len(change.sources) == 12 and len(parsed) <= 2, parsed


TARGETS = """build = "tools/build.rs"

[lib]
path = "lib.rs"

[[test]]
name = "suite"
path = "testsuite/main.rs"

[[bench]]
name = "speed"
path = "bench/speed.rs"

[[example]]
name = "demo"
path = "demo/demo.rs"

[[bin]]
name = "cli"
path = "cli.rs"
"""


def test_attack_the_crates_other_targets_are_not_its_librarys_code(tmp_path: Path) -> None:
    """Attack: with the library at the package root (``[lib] path = "lib.rs"``) every
    ``.rs`` file of the package was its code but ``tests/``, ``benches/``, ``examples/`` and
    ``build.rs``: an integration test the manifest puts in ``testsuite/`` (its ``#[test]`` fns,
    outside any ``#[cfg(test)]`` module), a bench in ``bench/``, an example, a binary and a
    build script named by ``build =`` were the change's code, targets no integration test can
    reach. So were cargo's own binaries, ``src/main.rs`` and ``src/bin/``. A target the
    manifest names, its folder's files when that folder is its alone, and cargo's binaries are
    no library code."""
    (tmp_path / "Cargo.toml").write_text(MANIFEST + TARGETS)
    crate = library(manifest(tmp_path))
    others = ("testsuite/main.rs", "testsuite/common/mod.rs", "bench/speed.rs", "demo/demo.rs",
              "cli.rs", "tools/build.rs", "src/main.rs", "src/bin/tool.rs")  # fmt: skip
    assert [f for f in others if crate_code(tmp_path, f, crate)] == []
    assert [f for f in ("lib.rs", "hash.rs", "src/a.rs") if crate_code(tmp_path, f, crate)] == [
        "lib.rs", "hash.rs", "src/a.rs"]  # fmt: skip
    (tmp_path / "Cargo.toml").write_text(MANIFEST + '\n[[bin]]\nname = "m"\npath = "src/main.rs"\n')
    crate = library(manifest(tmp_path))  # the library's own folder stays its code
    assert [f for f in ("src/lib.rs", "src/a.rs", "src/main.rs") if crate_code(tmp_path, f, crate)] == [
        "src/lib.rs", "src/a.rs"]  # fmt: skip


def test_attack_a_library_root_outside_the_copy_or_through_a_link_gets_no_in_run_check(
    tmp_path: Path,
) -> None:
    """Attack: the run appends its in-run check to the library root ``[lib] path`` names
    (:func:`~cicd_agent.runners.cargo.in_run_check.add_in_run_check`), on the host, in the run's copy. A
    root outside the copy (``../``, absolute) or reached through a link is never written: held
    before any change here, pinned."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "lib.rs").write_text("pub fn kept() {}\n")
    copy = tmp_path / "copy"
    copy.mkdir()
    os.symlink(outside, copy / "linked")
    os.symlink(outside / "lib.rs", copy / "lib.rs")
    for root in (f"{outside}/lib.rs", "../outside/lib.rs", "linked/lib.rs", "lib.rs"):
        (copy / "Cargo.toml").write_text(MANIFEST + f'\n[lib]\npath = "{root}"\n')
        assert crate_roots(copy, ["--lib"]) == [root]
        assert add_in_run_check(copy, crate_roots(copy, ["--lib"]))[1] == []
    assert (outside / "lib.rs").read_text() == "pub fn kept() {}\n"


def test_a_change_to_the_crates_other_targets_is_neither_its_code_nor_its_tests(tmp_path: Path) -> None:
    """Attack: a changed binary, example or build script is no library code, yet every
    ``.rs`` file that is not the library's was taken for a test file and rerun with the
    library's tests (``--lib``), where no test is of it: the reruns stopped on "the report shows
    no test of these files". No integration test reaches such a file and none is its: it is
    left out (``src/main.rs`` had been a target no test can call)."""
    repo = GitRepoBuilder(tmp_path / "crate")
    bare = "fn main() {}\n"
    base = repo.commit("start", {"Cargo.toml": MANIFEST, "src/lib.rs": LIB, "src/main.rs": bare,
                                 "build.rs": bare, "examples/e.rs": bare})  # fmt: skip
    said = 'fn main() {\n    println!("x");\n}\n'
    head = repo.commit("bins", {"src/main.rs": said, "build.rs": said, "examples/e.rs": said})
    found, clauses = changes(GitCheckout(repo.path), base, head, {"PATH": os.environ["PATH"]})
    assert (found, clauses) == ([], [])
