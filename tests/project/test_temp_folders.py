"""The test command passes twice in a row on one machine, and a failing test is always named.

A real pytest in a child process, with this project's ``addopts`` and its temporary-folder
plugin, on a machine where an earlier run left a tree 1,100 folders deep in pytest's shared
temporary root: pytest's own clean-up of old runs' folders met it with a recursive delete,
raised RecursionError at the end of the session and printed no summary.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.temp_folders import DEPTH_LIMIT, SWITCH, deepest, memory_root, remove_tree

ROOT = Path(__file__).resolve().parents[2]

TESTS = textwrap.dedent(
    """
    import os


    def test_passes(tmp_path):
        (tmp_path / "file").write_text("x")


    def test_nests_and_cleans(tmp_path):
        deep = tmp_path
        for _ in range(300):
            deep /= "d"
            deep.mkdir()
        os.system(f"rm -rf {tmp_path / 'd'}")
    """
)

FAILING = textwrap.dedent(
    """
    def test_fails():
        assert 1 + 1 == 3


    def test_leaves_a_deep_tree(tmp_path):
        deep = tmp_path
        for _ in range(1100):
            deep /= "d"
            deep.mkdir()
    """
)


def _project(tmp_path: Path, failing: bool) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
        "addopts"
    ]
    (project / "pytest.ini").write_text(f"[pytest]\naddopts = {addopts}\n")
    (project / "test_project.py").write_text(TESTS + (FAILING if failing else ""))
    return project


def _leftovers(temp_root: Path) -> Path:
    """An earlier run's folders in pytest's shared root, the oldest holding a deep tree."""
    shared = temp_root / f"pytest-of-{getpass.getuser()}"
    for number in range(5):
        (shared / f"pytest-{number}").mkdir(parents=True)
    deep = shared / "pytest-0" / "test_deep0"
    deep.mkdir()
    for _ in range(1100):
        deep /= "d"
        deep.mkdir()
    return shared


def _run(
    project: Path, temp_root: Path, *args: str, where: str = "disk"
) -> subprocess.CompletedProcess[str]:
    """pytest in ``project`` with ``TMPDIR`` at ``temp_root``; ``where`` is the switch's value
    (``disk``: the run's folders in ``temp_root``, as these tests look for them)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTEST_", "CICD_AGENT_TEST_"))}  # fmt: skip
    env.update(TMPDIR=str(temp_root), PYTHONPATH=str(ROOT), CICD_AGENT_TEST_TMP=where)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.harness.temp_folders",
            "-p",
            "no:cacheprovider",
            *args,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def temp_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "tmp"
    root.mkdir()
    yield root
    remove_tree(root)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_the_suite_passes_twice_beside_an_earlier_runs_deep_tree(
    tmp_path: Path, temp_root: Path, workers: tuple[str, ...]
) -> None:
    shared = _leftovers(temp_root)
    project = _project(tmp_path, failing=False)
    for attempt in (1, 2):
        done = _run(project, temp_root, *workers)
        assert done.returncode == 0, f"run {attempt}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
        assert "2 passed" in done.stdout, done.stdout[-2000:]
        # each run's folder is its own, and gone once every test passed: said, not silent
        assert not list(temp_root.glob("cicd-agent-tests-*")), list(temp_root.iterdir())
        assert "removing this run's temporary folders" in done.stdout, done.stdout[-500:]
        assert done.stdout.rstrip().splitlines()[-1].startswith("removed them in ")
    # no run read or deleted another run's folders
    assert sorted(path.name for path in shared.iterdir()) == [f"pytest-{n}" for n in range(5)]


@pytest.mark.slow
def test_a_failing_test_is_named_and_a_deep_tree_left_behind_is_an_error(
    tmp_path: Path, temp_root: Path
) -> None:
    _leftovers(temp_root)
    project = _project(tmp_path, failing=True)
    for attempt in (1, 2):
        done = _run(project, temp_root)
        assert done.returncode == 1, f"run {attempt}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
        assert "RecursionError" not in done.stdout + done.stderr
        summary = done.stdout.split("short test summary info", 1)[-1]
        assert "FAILED test_project.py::test_fails" in summary, done.stdout[-3000:]
        assert "ERROR test_project.py::test_leaves_a_deep_tree" in summary, done.stdout[-3000:]
        assert "1 failed, 3 passed, 1 error" in summary, summary
        # kept for a look, named, and without the deep tree
        kept = [line for line in done.stdout.splitlines() if "temporary folders are kept" in line]
        assert len(kept) == 1, done.stdout[-3000:]
        folder = Path(kept[0].rsplit(" ", 1)[1])
        assert folder.parent == temp_root
        assert deepest(folder)[0] < DEPTH_LIMIT


SWEPT = textwrap.dedent(
    """
    import pytest


    @pytest.mark.xdist_group("passing")
    def test_passes(tmp_path, tmp_path_factory):
        (tmp_path / "file").write_text("x")
        (tmp_path_factory.mktemp("shared") / "file").write_text("x")


    @pytest.mark.xdist_group("failing")
    def test_fails_with_a_folder(tmp_path):
        (tmp_path / "kept").write_text("x")
        assert 1 + 1 == 3


    @pytest.mark.xdist_group("failing")
    def test_passes_beside_it(tmp_path):
        (tmp_path / "file").write_text("x")
    """
)


@pytest.mark.slow
def test_passed_tests_and_workers_remove_their_folders_and_a_failed_ones_stay(
    tmp_path: Path, temp_root: Path
) -> None:
    """A passed test's folder goes as the test ends, and a worker whose tests all passed removes
    its own folder as it ends: the folders kept are the failed test's, in its worker's folder."""
    project = _project(tmp_path, failing=False)
    (project / "test_project.py").write_text(SWEPT)
    done = _run(project, temp_root, "-n", "2")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 failed, 2 passed" in done.stdout, done.stdout[-2000:]
    (folder,) = temp_root.glob("cicd-agent-tests-*")
    kept = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
    assert len(kept) == 1, kept
    assert kept[0].endswith("/test_fails_with_a_folder0/kept"), kept
    assert len(list(folder.iterdir())) == 1, list(folder.iterdir())  # the passing worker's: gone


IN_MEMORY = textwrap.dedent(
    """
    import os
    import tempfile
    from pathlib import Path

    DISK = Path({disk!r})


    def test_in_memory(tmp_path):
        assert tmp_path.is_relative_to("/dev/shm"), tmp_path
        assert tempfile.gettempdir() == os.environ["TMPDIR"], os.environ["TMPDIR"]
        assert Path(os.environ["TMPDIR"]).is_relative_to("/dev/shm"), os.environ["TMPDIR"]
        (Path(tempfile.mkdtemp()) / "left").write_text("x")


    def test_on_disk(disk_tmp_path):
        assert disk_tmp_path.parent.parent == DISK, disk_tmp_path
        assert tempfile.gettempdir() == os.environ["TMPDIR"] == str(disk_tmp_path)
        (disk_tmp_path / "file").write_text("x")


    def test_fails_on_disk(disk_tmp_path):
        (disk_tmp_path / "kept").write_text("x")
        assert {failing}
    """
)


def test_the_folders_go_in_memory_only_on_a_tmpfs_and_not_when_asked_for_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SWITCH, "memory")
    assert memory_root(tmp_path)[0] is None  # a folder, not a tmpfs mounted there
    monkeypatch.setenv(SWITCH, "disk")
    assert memory_root() == (None, f"{SWITCH}=disk")
    monkeypatch.delenv(SWITCH)
    assert memory_root()[0] is None  # the disk unless asked
    monkeypatch.setenv(SWITCH, str(tmp_path))
    assert memory_root() == (None, f"{tmp_path} is not a tmpfs")
    monkeypatch.setenv(SWITCH, "/dev/shm")  # a tmpfs named by its path, as .ci/run names its own
    assert memory_root()[0] == Path("/dev/shm"), memory_root()[1]


@pytest.mark.slow
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_in_memory_every_folder_is_removed_after_a_pass_and_named_after_a_failure(
    tmp_path: Path, temp_root: Path, workers: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's folders and ``TMPDIR`` in ``/dev/shm``, ``disk_tmp_path`` on the disk (here
    ``temp_root``), for the workers too; all gone when every test passed, all named when not."""
    monkeypatch.setenv(SWITCH, "memory")
    if memory_root()[0] is None:
        pytest.fail(f"/dev/shm is not a tmpfs with room ({memory_root()[1]}): this test needs one")
    project = _project(tmp_path, failing=False)
    test_file = project / "test_project.py"
    test_file.write_text(IN_MEMORY.format(disk=str(temp_root), failing="True"))
    done = _run(project, temp_root, *workers, where="memory")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "3 passed" in done.stdout, done.stdout[-2000:]
    said = done.stdout.split("removing this run's temporary folders (", 1)[1].split(")", 1)[0]
    folder = Path(said)
    assert folder.parent == Path("/dev/shm"), said
    assert not list(folder.parent.glob(f"{folder.name}*")), said
    assert not list(temp_root.iterdir()), list(temp_root.iterdir())

    test_file.write_text(IN_MEMORY.format(disk=str(temp_root), failing="False"))
    done = _run(project, temp_root, *workers, where="memory")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    kept = [
        Path(line.rsplit(" ", 1)[1])
        for line in done.stdout.splitlines()
        if line.startswith(("this run's temporary folders are kept in ", "and in "))
    ]
    try:
        assert [path.parent for path in kept] == [Path("/dev/shm")] * 2 + [temp_root], kept
        assert len(list(kept[2].rglob("kept"))) == 1, list(kept[2].rglob("*"))
    finally:
        for path in kept:
            remove_tree(path)
