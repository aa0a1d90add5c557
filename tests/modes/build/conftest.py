"""Each build test's folder removed when the test passes, by the worker that ran it; and the
storage driver's probe build run once per file system a worker builds on.

A test here leaves buildah storages (a kept one, a run's own, one per advice candidate), layouts
and contexts under its ``tmp_path``: thousands of files a test. Left to the run's final
clean-up (``tests.harness.temp_folders``), they were all removed by one process after the last
test, for minutes under load; removed here, each worker removes its own while the others still
run. A failed test's folder is kept, as the run's is, to be read; so is a tree deeper than the
clean-up's limit, which the clean-up's own check then names.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path

import pytest

from cicd_agent.modes.build import store
from tests.harness.temp_folders import DEPTH_LIMIT, deepest, remove_tree

_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture(autouse=True)
def folder_removed_when_passed(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test with a ``tmp_path`` that passed: its folder removed."""
    if "tmp_path" not in request.fixturenames:
        yield
        return
    tmp_path: Path = request.getfixturevalue("tmp_path")
    yield
    if not request.node.stash.get(_FAILED, False) and deepest(tmp_path)[0] <= DEPTH_LIMIT:
        remove_tree(tmp_path)


_PROBED: dict[int, tuple[str, str]] = {}
"""The driver each file system gave this worker's first probe, by its device number."""


@pytest.fixture(autouse=True)
def one_probe_per_file_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run probes its work folder with a build (``store.driver``): half a CPU-second, in
    every one of the folder's builds. The answer is the file system's, so a worker asks it once
    for each: a test whose work folder is on another file system (a FUSE folder, where overlay
    does not build) gets a probe of its own."""
    probe = store.driver

    def remembered(
        work: Path, environ: Mapping[str, str], sandbox: store.Sandbox
    ) -> tuple[str, str]:
        device = os.stat(next(p for p in (work, *work.parents) if p.exists())).st_dev
        if device not in _PROBED:
            _PROBED[device] = probe(work, environ, sandbox)
        return _PROBED[device]

    monkeypatch.setattr(store, "driver", remembered)
