"""gen-tests' flaky hunt over a crate's test file (``runner_gaps.rerun``), in the real sandbox with
real cargo (the runner's own runs: tests/unit/runners/test_runner_cargo.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.rerun_counts import Reruns
from cicd_agent.modes.gen_tests.runner_reruns import rerun
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.lookups import tool_mounts
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.sandbox import needs_sandbox
from tests.helpers.toolchains import needs_cargo
from tests.unit.runners.test_runner_cargo import ALTERNATES

SAID: list[str] = []
"""The hunt's lines of progress."""


@pytest.fixture(scope="module")
def hunt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reruns]:
    """The hunt over a test that fails every other run, made once."""
    repo = GitRepoBuilder(tmp_path_factory.mktemp("cargo") / "crate")
    cargo_toml = '[package]\nname = "crate_m"\nversion = "0.1.0"\nedition = "2021"\n'
    repo.commit("start", {"Cargo.toml": cargo_toml, "src/lib.rs": "", "tests/alternates.rs": ALTERNATES})
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",  # rustup's, named
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    with PytestSandbox(repo.path, environ, tools=tool_mounts(environ)) as sandbox:
        yield rerun(cargo := CargoTest(), sandbox, ["tests/alternates.rs"], repeats=cargo,
                    timeout=300, budget=120, seed=1, rounds=3, say=SAID.append,
                    rerun_file=cargo.rerun_file)  # fmt: skip


@needs_sandbox
@needs_cargo
def test_a_hunt_of_cargos_tests_names_each_round_as_it_ran(hunt: Reruns) -> None:
    """The hunt asks its second round for a shuffled order, which libtest cannot give on a
    stable toolchain: the round is named in its order, as its report says it ran, by the one
    function that names a failure's condition and the conditions a passing hunt claims (before,
    that claim counted such a round as a condition of its own, "shuffled with seed N": 6
    conditions for servo/rust-fnv's 3); its third round ran beside the launcher's noise
    processes (before, none) and says so."""
    test = "tests/alternates.rs › every_other_run"
    assert hunt.tests[test].verdict == "flaky", hunt
    labels = hunt.failed_under[test]
    assert labels and not any("shuffled" in label for label in labels), labels
    assert any("beside 3 CPU and memory noise processes, TZ=Pacific/Kiritimati" in label
               for label in labels), labels  # fmt: skip


@needs_sandbox
@needs_cargo
def test_a_hunts_replay_is_a_command_and_a_long_round_says_how_long(hunt: Reruns) -> None:
    """A new user's hunt over servo/rust-fnv's tests said "replay: cargo test on tests/shared.rs"
    (no command) and ran its last round, 88 runs each in one process, for 121 s after a line
    that said nothing of how long: each round after the first says its pace."""
    test = "tests/alternates.rs › every_other_run"
    replay = hunt.replays[test]
    assert replay.startswith("cargo test --test alternates"), replay
    assert SAID[0] == "cargo test reruns: round 1 of 3, 1 test file(s)", SAID
    paced = re.compile(r", about \d[\d,]* s at the last round's pace$")
    assert all(paced.search(line) for line in SAID[1:]), SAID
