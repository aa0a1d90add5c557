"""The flaky hunt's varied conditions (``modes/gen_tests/conditions.py``) in the real sandbox:
flakes the old detector (the tests alone, in one order, idle) could not see are found under the
condition that shows them, with the counts, that condition's words and a command that replays
it; a stable test stays stable; and a test that notices the noise and behaves is still caught."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.conditions import PLAIN, Condition, varied
from cicd_agent.modes.gen_tests.rerun_counts import ReliableTests, Reruns
from cicd_agent.modes.gen_tests.reruns import TestRuns
from cicd_agent.runners.pytest.runner import PLUGIN
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from cicd_agent.runners.table import PYTEST_SESSIONS
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

ORDER = """\
SEEN = []


def test_victim():
    assert SEEN == []  # state another test of the file leaves behind


def test_polluter_1():
    SEEN.append(1)


def test_polluter_2():
    SEEN.append(2)


def test_polluter_3():
    SEEN.append(3)
"""
ZONE = """\
import time


def test_assumes_utc():
    assert time.strftime("%z") == "+0000"


def test_stable():
    assert sum(range(10)) == 45
"""
NOISE = """\
import os
import pathlib


def noise_beside_me():
    # What a hostile test could look at: the hunt's noise processes in /proc.
    for entry in pathlib.Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"getppid" in (entry / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def test_behaves_under_noise():
    # Flaky everywhere (fails every other run) but well behaved whenever it sees the noise.
    if noise_beside_me():
        return
    counter = pathlib.Path(__file__).with_name("runs.txt")
    seen = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(seen + 1))
    assert seen % 2 == 0


def test_sees_noise():
    assert not noise_beside_me()
"""
VICTIM = "tests/test_order.py::test_victim"
RARE = """\
CALLS = []


def test_fails_once_in_37_runs():
    # In-process state: a fresh process runs it once and it passes; only repetition shows it.
    CALLS.append(1)
    assert len(CALLS) % 37
"""
RARELY = "tests/test_rare.py::test_fails_once_in_37_runs"
WARY = """\
import os

CALLS = []


def test_behaves_once_repeated():
    # Attack: it sees its own repetition (a second call in one process) and passes from then
    # on; its flake (a time zone assumed) shows only on a process's first run.
    CALLS.append(1)
    if len(CALLS) > 1:
        return
    assert os.environ.get("TZ", "") == ""
"""
WARILY = "tests/test_wary.py::test_behaves_once_repeated"
UTC = "tests/test_zone.py::test_assumes_utc"
STABLE = "tests/test_zone.py::test_stable"
BEHAVES = "tests/test_noise.py::test_behaves_under_noise"
SEES = "tests/test_noise.py::test_sees_noise"
SEED = 7
"""Its schedule's two shuffled rounds put a polluter before the victim (5 of 6 orders do)."""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = GitRepoBuilder(tmp_path_factory.mktemp("hunt") / "project")
    files = {"tests/test_order.py": ORDER, "tests/test_zone.py": ZONE, "tests/test_noise.py": NOISE,
             "tests/test_rare.py": RARE, "tests/test_wary.py": WARY}  # fmt: skip
    repo.commit("tests", {**files, "pyproject.toml": "[project]\nname='p'\n"})
    return repo.path


@pytest.fixture(scope="module")
def runs(project: Path) -> Iterator[TestRuns]:
    with Sandbox(project, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        yield TestRuns(sandbox, ["python", "-m", "pytest", "-q", *PLUGIN],
                       timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def hunted(runs: TestRuns) -> Reruns:
    claim = ReliableTests((VICTIM, UTC, STABLE, BEHAVES, SEES, RARELY, WARILY), runs=6)
    return runs.judge(claim, "hunt", schedule=varied(SEED, cycles=1, repeats=40))


@needs_sandbox
def test_the_old_detector_sees_none_of_these_flakes(runs: TestRuns) -> None:
    """The contrast: alone, in order, idle, every one of them passes every run."""
    found = runs.judge(ReliableTests((VICTIM, UTC, SEES, RARELY), runs=2), schedule=PLAIN)
    assert {test: counts.verdict for test, counts in found.tests.items()} == {
        VICTIM: "stable", UTC: "stable", SEES: "stable", RARELY: "stable"
    }


@needs_sandbox
def test_a_flake_of_one_run_in_37_is_named_by_repeating_it_in_one_session(hunted: Reruns) -> None:
    """Six rounds of one run each (a fresh pytest per round) never reach its 37th run; the
    hunt's rounds after the first repeat each test in their one session, each run a fresh
    item, and count every run."""
    counts = hunted.tests[RARELY]
    assert counts.verdict == "flaky" and counts.rounds == 6 and counts.runs > 37
    assert "runs in one session" in hunted.failed_under[RARELY][0]
    assert "--cicd-repeat" in hunted.replays[RARELY]


@needs_sandbox
def test_an_order_dependent_test_is_found_with_the_order_that_broke_it(hunted: Reruns) -> None:
    counts = hunted.tests[VICTIM]
    assert counts.verdict == "flaky" and counts.rounds == 6 and counts.failed >= 1
    # a polluter before it: a shuffled order, or its repetitions after the polluters' first runs
    assert all("shuffled" in said or "runs in one session" in said
               for said in hunted.failed_under[VICTIM])  # fmt: skip
    assert "order seed" in hunted.failed_under[VICTIM][0]
    assert "--cicd-shuffle" in hunted.replays[VICTIM] and hunted.seed == SEED


@needs_sandbox
def test_attack_a_test_that_behaves_once_repeated_is_still_caught(hunted: Reruns) -> None:
    """Every round starts a fresh session and counts its first run of each test: repetition
    adds runs to the old rounds, it never replaces them, so a test that behaves once it sees
    itself repeated is judged on its first runs as before."""
    assert hunted.tests[WARILY].verdict == "flaky"
    assert all("TZ=" in said for said in hunted.failed_under[WARILY])


@needs_sandbox
def test_a_time_zone_dependent_test_fails_only_under_another_zone(hunted: Reruns) -> None:
    assert hunted.tests[UTC].verdict == "flaky"
    # the zone round and the all-at-once round, each of their runs
    assert len(hunted.failed_under[UTC]) == 2
    assert all("TZ=" in said for said in hunted.failed_under[UTC])
    assert hunted.replays[UTC].startswith("PYTHONHASHSEED=") and " TZ=" in hunted.replays[UTC]
    assert hunted.tests[STABLE].verdict == "stable" and STABLE not in hunted.failed_under


@needs_sandbox
def test_the_noise_runs_inside_the_sandbox_beside_the_tests(hunted: Reruns) -> None:
    assert hunted.tests[SEES].verdict == "flaky" and len(hunted.failed_under[SEES]) == 2
    assert all("noise" in said for said in hunted.failed_under[SEES])


@needs_sandbox
def test_attack_a_test_that_behaves_under_the_noise_is_still_caught(hunted: Reruns) -> None:
    """Attack: a flaky test that passes whenever it sees the hunt's load. The noise is one
    condition of six; in the others it still both passes and fails."""
    assert hunted.tests[BEHAVES].verdict == "flaky"
    assert not any("noise" in said for said in hunted.failed_under[BEHAVES])


def test_the_replay_command_runs_that_condition_outside_the_hunt(
    project: Path, tmp_path: Path
) -> None:
    """A person's replay: the printed command, run by a shell in the checkout with the
    project's own environment (pytest, not cicd-agent: "No module named 'cicd_agent'" was all
    the printed replay did there), fails the test the way the round did (here: the zone)."""
    zone = Condition("zone", hash_seed=5, zone="Asia/Kathmandu", shuffle=3)
    command = zone.replay(UTC)
    assert command == (
        f"PYTHONHASHSEED=5 TZ=Asia/Kathmandu PYTHONPATH={PYTEST_SESSIONS.boot}${{PYTHONPATH:+:$PYTHONPATH}} "
        "python -m pytest -p cicd_agent_pytest_plugin --cicd-shuffle 3 tests/test_zone.py"
    )
    # the project's python: this one's packages (pytest) without site's start-up, so without
    # the editable install of cicd-agent
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "python").write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    (bin_folder / "python").chmod(0o755)
    packages = sysconfig.get_paths()["purelib"]
    env = {"PATH": f"{bin_folder}:/usr/bin:/bin", "PYTHONPATH": packages}
    assert subprocess.run(["python", "-c", "import cicd_agent"], env=env,
                          capture_output=True, check=False).returncode == 1  # fmt: skip
    ran = subprocess.run(["sh", "-c", f"{command} -q -p no:cacheprovider"], cwd=project, env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert ran.returncode == 1 and "1 failed, 1 passed" in ran.stdout, ran.stdout + ran.stderr


def test_the_schedule_is_reproducible_from_its_seed() -> None:
    assert varied(11) == varied(11) and varied(11) != varied(12)
    assert len(varied(11).conditions) == 6 and len(varied(11, 2).conditions) == 12 and varied().seed >= 0
