"""Failure typing across the runners teams use, on the frozen runner set (real tools' output).

tests/fixtures/logs/runners holds five real failing runs each of pytest, unittest, jest, vitest,
mocha, AVA, tap, go test, cargo test, rspec, phpunit, eslint, xo, ruff, flake8, mypy, tsc and
shellcheck (``research/failure/runner_set_build.py``), each wrapped here as a GitHub Actions job.
Every tool must be typed right on all five and its root-cause line must name the failure on at least
four; ``bench/runner_eval.py`` prints the same figures per tool.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from tests.corpus.runner_log import write_layout
from tests.modes.analyse_failure import runner_set

CASES = runner_set.load()
TOOLS = sorted({case.tool for case in CASES})
MIN_ROOTS = 4


def test_the_set_covers_every_runner_the_issue_names_five_times() -> None:
    named = {"pytest", "unittest", "jest", "vitest", "mocha", "ava", "tap", "go-test",
             "cargo-test", "rspec", "phpunit", "eslint", "xo", "ruff", "flake8", "mypy", "tsc",
             "shellcheck"}  # fmt: skip
    counts: dict[str, int] = defaultdict(int)
    for case in CASES:
        counts[case.tool] += 1
        assert case.truth and case.exit_code != 0, case.name
    assert set(counts) == named and set(counts.values()) == {5}


@pytest.mark.parametrize("tool", TOOLS)
def test_each_runner_is_typed_and_its_failure_line_found(tool: str, tmp_path: Path) -> None:
    typed, rooted = [], []
    for case in (c for c in CASES if c.tool == tool):
        dest = tmp_path / case.name
        dest.mkdir()
        analysis = analyse_scans(
            scan_jobs(load_logs(write_layout([case.job()], dest, "zip_steps")))
        )
        typed.append((case.name, case.type_right(analysis), analysis.failure_type.value))
        rooted.append((case.name, case.root_right(analysis), analysis.root_cause))
    assert all(right for _, right, _ in typed), typed
    assert sum(right for _, right, _ in rooted) >= MIN_ROOTS, rooted


SLUGIFY = Path(__file__).resolve().parents[2] / "fixtures" / "logs"


@pytest.mark.parametrize(
    ("fixture", "command", "failure_type", "root", "path"),
    [
        ("slugify_ava.txt", "npx ava", "test_failure", "✖ main", "test.js"),
        ("slugify_xo.txt", "npx xo", "lint_error", "no-var", "index.js"),
    ],
)
def test_the_issues_ava_and_xo_runs_on_a_real_project(
    fixture: str, command: str, failure_type: str, root: str, path: str, tmp_path: Path
) -> None:
    """sindresorhus/slugify with its own AVA 3 and xo 0.38 (older reporters than the set's):
    its default made case-sensitive (six tests fail) and a ``var`` left unused."""
    case = runner_set.RunnerCase(fixture, command.split()[1], command, 1, failure_type, (),
                                 (SLUGIFY / fixture).read_text())  # fmt: skip
    analysis = analyse_scans(
        scan_jobs(load_logs(write_layout([case.job()], tmp_path, "zip_steps")))
    )
    assert analysis.failure_type.value == failure_type
    assert root in analysis.root_cause
    assert analysis.responsible_files[0].path == path


@pytest.mark.parametrize(
    ("fixture", "command", "root", "path"),
    [
        ("new_user/uvu_clsx.txt", "npm test", 'FAIL  "shared: starts empty"', "test/shared.js"),
        ("new_user/uvu_calc.txt", "npx uvu test", 'FAIL  calc  "means"', "test/calc.js"),
    ],
)
def test_a_uvu_failure_is_a_test_failure_of_the_tests_file(
    fixture: str, command: str, root: str, path: str, tmp_path: Path
) -> None:
    """uvu 0.5's own output (lukeed/clsx's ``uvu -r esm test`` with a test made flaky, and a
    suite of ours): "an error of unknown kind" whose root cause was the job's closing
    ``##[error]`` line, and no file named. Its ``FAIL`` line is the verdict and the test's own
    frame (past uvu's in ``node_modules``) the file."""
    case = runner_set.RunnerCase(fixture, "uvu", command, 1, "test_failure", (),
                                 (SLUGIFY / fixture).read_text())  # fmt: skip
    analysis = analyse_scans(
        scan_jobs(load_logs(write_layout([case.job()], tmp_path, "zip_steps")))
    )
    assert analysis.failure_type.value == "test_failure"
    assert root in analysis.root_cause
    assert analysis.responsible_files[0].path == path


def test_attack_a_uvu_assertions_own_message_types_no_failure(tmp_path: Path) -> None:
    """uvu ends a failed assertion's message with its operator (``(ok)``), and the message is
    the test's own words (``assert.ok(x, "...")``): one reading as a DNS failure typed a broken
    test "infrastructure", as though the runner, not the change, had failed."""
    fixture = "new_user/uvu_calc.txt"
    log = (SLUGIFY / fixture).read_text().replace(
        "Expected values to be deeply equal:  (equal)",
        "Error: getaddrinfo ENOTFOUND registry.npmjs.org  (ok)")  # fmt: skip
    case = runner_set.RunnerCase(fixture, "uvu", "npx uvu test", 1, "test_failure", (), log)
    analysis = analyse_scans(
        scan_jobs(load_logs(write_layout([case.job()], tmp_path, "zip_steps")))
    )
    assert analysis.failure_type.value == "test_failure", analysis.root_cause
    assert 'FAIL  calc  "means"' in analysis.root_cause
