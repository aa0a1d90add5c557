"""The storage driver's probe build run once per file system a worker builds on.

(Each passed test's folder, thousands of files of buildah storages, layouts and contexts, is
removed by its worker as the test ends: ``tests.harness.temp_folders`` does that for every test.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from cicd_agent.modes.build import store

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
