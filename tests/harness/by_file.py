"""A parallel run (``-n``) gives each test file, and each ``xdist_group``, to one worker, and
hands out the files known to be long first.

xdist's ``load`` hands out tests one by one, and its ``loadgroup`` (pyproject's default
``--dist``) groups only the tests marked ``xdist_group``: a module's shared set-up (a built
project, a baseline suite run, a CLI scenario) was made on each worker that drew one of its
tests. Here every unmarked test is grouped with its file instead. Without ``-n`` nothing
changes.

The order: xdist hands out groups largest (most tests) first, so a file of two tests that run
real toolchains for a minute started last and ran alone while the other workers idled (the
end of the run waits for it). The files of :data:`LONG` go first, in its order; the rest as
xdist orders them. The list is a schedule, not a check: a file missing from it only starts
later.
"""

from __future__ import annotations

from typing import Any

import pytest

LONG = (
    # sandboxed gen-tests runs through the CLI (each with the flaky hunt's 12 rounds)
    "tests/e2e/",
    "tests/modes/gen_tests/",
    # real buildah builds, most of their time spent waiting on the builder and its time limits
    "tests/modes/build/",
    # the flaky-test fixer's sessions, 30 to 40 a test, each file on one worker
    "tests/modes/test_step/test_jest_flaky_fixes.py",
    "tests/modes/test_step/test_go_flaky_fixes.py",
    "tests/modes/test_step/test_flaky_fixes.py",
    # real toolchains and servers
    "tests/modes/analyse_failure/test_analyse_failure_quarantine.py",
    "tests/unit/verify/",
    "tests/modes/analyse_failure/",
    "tests/fuzz/",
)
"""Path prefixes of the files measured longest (``--durations``), longest first."""


def rank(scope: str) -> int:
    """Where ``scope`` (a file, or an ``xdist_group``'s name) starts: its prefix's place in
    :data:`LONG`, after all of them when it has none."""
    return next((i for i, prefix in enumerate(LONG) if scope.startswith(prefix)), len(LONG))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ByFile(LoadGroupScheduling):
        _long_first = False

        def _split_scope(self, nodeid: str) -> str:
            grouped = super()._split_scope(nodeid)
            return grouped if grouped != nodeid else nodeid.split("::", 1)[0]

        def _assign_work_unit(self, node: Any) -> None:
            if not self._long_first:  # once, before the first hand-out
                queue = sorted(self.workqueue.items(), key=lambda item: rank(item[0]))
                self.workqueue.clear()
                self.workqueue.update(queue)  # sorted() is stable: xdist's order within each
                self._long_first = True
            super()._assign_work_unit(node)

    return ByFile(config, log)
