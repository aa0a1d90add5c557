"""A parallel run (``-n``) gives each test file, and each ``xdist_group``, to one worker.

xdist's ``load`` hands out tests one by one, and its ``loadgroup`` (pyproject's default
``--dist``) groups only the tests marked ``xdist_group``: a module's shared set-up (a built
project, a baseline suite run, a CLI scenario) was made on each worker that drew one of its
tests. Here every unmarked test is grouped with its file instead. Without ``-n`` nothing
changes.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ByFile(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            grouped = super()._split_scope(nodeid)
            return grouped if grouped != nodeid else nodeid.split("::", 1)[0]

    return ByFile(config, log)
