"""Attacks on cargo's libtest log in-run check (``runners/cargo/report.LibtestLog``) by code written
against it: the in-process report rewriter already belied by libtest's own log, now also writing
that log's ``ok`` line itself, its path read from the process's own arguments (``--logfile``).
The run goes through the real seam (``CargoTest().run``) in the sandbox."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.runners.base import Selection, TestReport
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.lookups import tool_mounts
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo
from tests.unit.runners.test_runner_cargo import REWRITES, REWRITES_LIB

FORGE_LOG = """
        // libtest's own log: its path is the argument after --logfile; it is a FIFO the
        // seam reads, open for anyone to write
        let args: Vec<String> = std::env::args().collect();
        if let Some(at) = args.iter().position(|a| a == "--logfile") {
            if let Some(path) = args.get(at + 1) {
                if let Ok(mut log) = std::fs::OpenOptions::new().write(true).open(path) {
                    let _ = log.write_all(b"ok sub_is_right\\n");
                }
            }
        }
        let mut real_out = unsafe { std::fs::File::from_raw_fd(real) };"""
LOG_FORGER = REWRITES_LIB.replace(
    "\n        let mut real_out = unsafe { std::fs::File::from_raw_fd(real) };", FORGE_LOG
)
"""The broken ``sub`` that rewrites libtest's report at exit, and also writes ``ok NAME`` for
its failing test into libtest's own log before it does."""


@pytest.fixture(scope="module")
def forged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestReport]]:
    """The forger's run once, and three times under the repeats launcher, on one build."""
    assert LOG_FORGER != REWRITES_LIB
    repo = GitRepoBuilder(tmp_path_factory.mktemp("cargo") / "crate")
    repo.commit("start", {"Cargo.toml": '[package]\nname = "crate_m"\nversion = "0.1.0"\n'
                          'edition = "2021"\n', "src/lib.rs": LOG_FORGER,
                          "tests/rewrites.rs": REWRITES})  # fmt: skip
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        space = sandbox.workspace("crate")
        yield {times: CargoTest().run(sandbox, space, Selection(("tests/rewrites.rs",),
                                                                repeat=int(times)), timeout=300)
               for times in ("1", "3")}  # fmt: skip


@needs_sandbox
@needs_cargo
@pytest.mark.parametrize("times", ["1", "3"])
def test_attack_code_under_test_that_writes_libtests_log_itself_is_no_result(
    forged: dict[str, TestReport], times: str
) -> None:
    """ATTACK: the failing ``sub_is_right`` must not be reported passed, in one run or in each
    repetition of the repeats launcher (whose frames are whole: the report is rewritten inside
    the test's process, before the launcher reads it). The forged ``ok`` matches the report's
    pass, and libtest's own ``failed`` stays in the log beside it: the two tell different
    stories, and the run is no result."""
    report = forged[times]
    assert report.passed() == frozenset(), (report.outcomes, report.problem,
                                            report.output[-800:])  # fmt: skip
    assert f"fails sub_is_right 0 time(s), its own log {times}" in report.problem, report.problem
