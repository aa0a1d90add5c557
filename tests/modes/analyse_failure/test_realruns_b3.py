"""The last three root-cause shapes the first real runs left, on real runs frozen before any
rule was tuned for them (tests/fixtures/logs/realruns_b3):
the error under jest's ``● Test suite failed to run``
(and vitest's failed suite), a Go test's error line among its ``t.Log`` lines, and an assertion
whose message quotes another tool's error line.

First seen on bd0113ac (``research/failure/realruns_score.py --set realruns_b3``): type 6/11,
failing tests 7/11, root cause 1/11, blame 10/11.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.log_facts import LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.source_lines import SourceLines
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from cicd_agent.runners.js import log as jest
from tests.corpus.runner_log import write_layout
from tests.modes.analyse_failure import realruns, runner_set

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "logs"
CASES = {case.name: case for case in realruns.load(realruns.SET_DIR.parent / "realruns_b3")}
FLOORS = {"type": 11, "tests": 11, "root": 11, "blame": 10}


def _analyse(case: realruns.RealRun, dest: Path, checkout: Path | None = None) -> LogAnalysis:
    return analyse_scans(
        scan_jobs(load_logs(write_layout([case.job()], dest, "zip_steps"))),
        changed_files=list(case.changed_lines), changed_lines=case.changed_lines,
        checkout=checkout,
    )  # fmt: skip


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LogAnalysis]:
    root = tmp_path_factory.mktemp("realruns_b3")
    out = {}
    for name, case in CASES.items():
        (root / name).mkdir()
        out[name] = _analyse(case, root / name)
    return out


def test_the_batch_keeps_its_scores(analysed: dict[str, LogAnalysis]) -> None:
    totals = dict.fromkeys(FLOORS, 0)
    for case in CASES.values():
        for kind, right in case.scores(analysed[case.name]).items():
            totals[kind] += right
    assert all(totals[kind] >= floor for kind, floor in FLOORS.items()), totals


@pytest.mark.parametrize(
    ("name", "error", "kind", "suite"),
    [
        ("jest-ts-type", "error TS2322: Type 'string' is not assignable to type 'number'.",
         "type_error", "src/count.test.ts"),
        ("jest-ts-import", "Cannot find module './helpers' from 'src/index.test.ts'",
         "build_error", "src/index.test.ts"),
        ("jest-js-import", "Cannot find module './string' from 'lib/format.js'",
         "build_error", "test/format.test.js"),
        ("vitest-import", "Error: Failed to load url ./string", "build_error", "src/format.test.ts"),
    ],
)  # fmt: skip
def test_a_suite_that_failed_to_run_is_the_error_under_its_header(
    analysed: dict[str, LogAnalysis], name: str, error: str, kind: str, suite: str
) -> None:
    """The header says only that the file did not run: the error is the line under it, which
    types the run, and the file is the one failing test."""
    analysis = analysed[name]
    assert error in analysis.root_cause
    assert "Test suite failed to run" not in analysis.root_cause
    assert not analysis.root_cause.lstrip().startswith("FAIL")
    assert analysis.failure_type.value == kind
    assert analysis.failed_tests == (suite,)


@pytest.mark.parametrize("name", ["go-log-plain", "go-log-verbose", "go-log-json"])
def test_a_go_tests_log_line_is_not_its_error(analysed: dict[str, LogAnalysis], name: str) -> None:
    """``t.Logf`` printed ``comparing …`` before ``t.Errorf`` printed the failure."""
    root = analysed[name].root_cause
    assert root.endswith("semver_test.go:20: Compare(1.10.0, 1.9.0) = -1, want 1"), root
    assert "comparing 1.10.0" not in root


@pytest.mark.parametrize(
    ("name", "assertion"),
    [
        ("pytest-assert-modulenotfound", "assert \"ModuleNotFou... named 'yaml'\" == "),
        ("unittest-assert-rust-go", "AssertionError: '# example.com/app/pkg' != "),
        ("jest-js-assert-npm", "expect(received).toBe(expected)"),
        ("vitest-assert-npm", "AssertionError: expected 'npm ERR! code E404' to be"),
    ],
)
def test_an_assertion_quoting_another_tools_error_is_a_test_failure(
    analysed: dict[str, LogAnalysis], name: str, assertion: str
) -> None:
    analysis = analysed[name]
    assert analysis.failure_type.value == "test_failure"
    assert assertion in analysis.root_cause, analysis.root_cause
    assert not analysis.root_cause.lstrip().startswith(("E  ", "+", "-", "Received"))


GO_ERROR_THEN_LOG = (
    "--- FAIL: TestCompareEqualPrefix (0.00s)\n"
    "    semver_test.go:35: Compare(2.1, 2.0.5) = -1\n"
    "    semver_test.go:36: parts: [2 1] [2 0 5]\n"
    "FAIL\nFAIL\texample.com/semver\t0.005s\nFAIL\n"
)
"""``go test -run TestCompareEqualPrefix ./...`` (go 1.19.8) on go-log-plain's checkout, as
printed: ``t.Errorf`` at line 35, then ``t.Logf`` at 36, neither text reading as a failure."""


def _lay_out(case: realruns.RealRun, checkout: Path) -> Path:
    for name, text in case.files.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(text)
    return checkout


def test_with_the_checkout_a_go_tests_error_call_beats_its_log_call(tmp_path: Path) -> None:
    """The text cannot tell ``t.Errorf`` from a later ``t.Logf``; the checkout's line 35 can."""
    case = CASES["go-log-plain"]
    run = realruns.RealRun("go-error-then-log", case.tool, "go test ./...", 1, case.failure_type,
                           ("TestCompareEqualPrefix",), ("Compare(2.1, 2.0.5) = -1",),
                           case.changed_lines, GO_ERROR_THEN_LOG)  # fmt: skip
    checkout = _lay_out(case, tmp_path / "checkout")
    (tmp_path / "logs").mkdir()
    root = _analyse(run, tmp_path / "logs", checkout).root_cause
    assert root.endswith("semver_test.go:35: Compare(2.1, 2.0.5) = -1"), root
    (tmp_path / "logs2").mkdir()
    # the log alone: neither line reads as a failure, so the test's last
    assert _analyse(run, tmp_path / "logs2").root_cause.endswith("parts: [2 1] [2 0 5]")


def test_a_source_line_is_read_never_through_a_link_nor_from_a_shared_name(tmp_path: Path) -> None:
    (tmp_path / "outside.go").write_text('t.Errorf("x")\n')
    checkout = tmp_path / "checkout"
    (checkout / "a").mkdir(parents=True)
    (checkout / "b").mkdir()
    (checkout / "a" / "x_test.go").write_text('package a\nt.Logf("y")\n')
    (checkout / "b" / "x_test.go").write_text('package b\nt.Errorf("y")\n')
    (checkout / "link_test.go").symlink_to(tmp_path / "outside.go")
    (checkout / "one_test.go").write_text('package c\nt.Fatal("z")\n')
    lines = SourceLines(checkout)
    assert lines.line("x_test.go", 2) is None  # two files share the name
    assert lines.line("a/x_test.go", 2) == 't.Logf("y")'
    assert lines.line("link_test.go", 1) is None
    assert lines.line("one_test.go", 2) == 't.Fatal("z")'
    assert lines.line("one_test.go", 3) is None and lines.line("one_test.go", 0) is None


def test_attack_a_passing_test_printing_jests_suite_header_types_nothing(tmp_path: Path) -> None:
    """A real jest 29 run (``tests/fixtures/logs/jest_forged_suite_header.txt``): a passing
    test logs ``● Test suite failed to run`` over ``npm ERR! code E404`` through
    ``console.log`` (indented four) and through ``process.stdout.write`` (jest's own two),
    beside a real failing assertion. The header names no file, the line under it is no
    failing test's error, the run is the assertion's."""
    output = (FIXTURES / "jest_forged_suite_header.txt").read_text()
    run = realruns.RealRun("jest-forged", "jest", "npx jest", 1, "test_failure",
                           ("summarise › names the npm error code",), ("expect(received)",),
                           {"lib/format.js": [6]}, output)  # fmt: skip
    analysis = _analyse(run, tmp_path)
    assert analysis.failure_type.value == "test_failure"
    assert analysis.failed_tests == ("summarise › names the npm error code",)
    assert analysis.root_cause.startswith("● summarise › names the npm error code - expect(")


def test_a_top_level_jest_test_carries_its_assertion(tmp_path: Path) -> None:
    """The runner set's jest-5 (real jest output): ``  ● a`` is a verdict at its printed indent,
    so its root cause carries the assertion under it, as ``● suite › test`` does."""
    case = next(c for c in runner_set.load() if c.name == "jest-5")
    analysis = analyse_scans(
        scan_jobs(load_logs(write_layout([case.job()], tmp_path, "zip_steps")))
    )
    assert analysis.root_cause == "● a - expect(received).toBeGreaterThan(expected)"


def test_jests_suite_header_is_its_own_only_at_jests_indent() -> None:
    """jest prints ``● Test suite failed to run`` two spaces in; a ``console.log`` block four."""
    assert jest.SHAPE.unrun is not None
    assert jest.SHAPE.unrun.search("  ● Test suite failed to run")
    assert not jest.SHAPE.unrun.search("      ● Test suite failed to run")
    vitest = jest.SHAPE.unrun.search(" FAIL  src/format.test.ts [ src/format.test.ts ]")
    assert vitest is not None and vitest["file"] == "src/format.test.ts"
