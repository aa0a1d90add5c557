"""Failure typing across the runners teams use, on the frozen runner set (real tools' output).

tests/fixtures/logs/runners holds five real failing runs each of pytest, unittest, jest,
vitest, mocha, AVA, tap, go test, cargo test, rspec, phpunit, eslint, xo, ruff, flake8, mypy,
tsc and shellcheck (``bench/runner_set_build.py``), each wrapped here as a GitHub Actions job.
Every tool must be typed right on all five and its root-cause line must name the failure on at
least four; ``bench/runner_eval.py`` prints the same figures per tool.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from cicd_agent.analysis.logs import analyse_logs, load_logs
from tests.corpus import runner_set
from tests.corpus.runner_log import write_layout

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
        analysis = analyse_logs(load_logs(write_layout([case.job()], dest, "zip_steps")))
        typed.append((case.name, case.type_right(analysis), analysis.failure_type.value))
        rooted.append((case.name, case.root_right(analysis), analysis.root_cause))
    assert all(right for _, right, _ in typed), typed
    assert sum(right for _, right, _ in rooted) >= MIN_ROOTS, rooted
