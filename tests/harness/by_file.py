"""A parallel run (``-n``) gives each test file, and each ``xdist_group``, to one worker, the
costliest first.

xdist's ``load`` hands out tests one by one, and its ``loadgroup`` (pyproject's default
``--dist``) groups only the tests marked ``xdist_group``: a module's shared set-up (a built
project, a baseline suite run, a CLI scenario) was made on each worker that drew one of its
tests. Here every unmarked test is grouped with its file instead. Without ``-n`` nothing
changes.

xdist hands the groups out largest first by their number of tests, which says little about
their cost: a file of 65 tests that each run the action took minutes and, drawn late, ran alone
on one worker while the others were done. So the groups go out by their recorded cost in
seconds (the table the ``file_costs`` setting names), longest first, and a worker takes the
next when it is nearly free: the long ones overlap and the short ones fill in at the end. A
group the table does not know costs what its tests would at the table's median cost a test.
``--record-file-costs`` rewrites the table from the run it is given on (the groups that ran;
the others keep their figures).
"""

from __future__ import annotations

import statistics
from collections import OrderedDict, defaultdict
from pathlib import Path
from typing import Any

import pytest


def scope_of(nodeid: str) -> str:
    """The group a test runs in: its ``xdist_group`` name (after ``@``), else its file."""
    if nodeid.rfind("@") > nodeid.rfind("]"):
        return nodeid.split("@")[-1]
    return nodeid.split("::", 1)[0]


def read_costs(path: Path) -> dict[str, tuple[float, int]]:
    """The table: group -> (seconds, tests), from lines ``SECONDS TESTS GROUP``."""
    costs: dict[str, tuple[float, int]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                seconds, tests, scope = line.split(maxsplit=2)
                costs[scope] = (float(seconds), int(tests))
    return costs


def cost_order(groups: dict[str, int], costs: dict[str, tuple[float, int]]) -> list[str]:
    """The groups (name -> number of tests) longest first, by the table or its median rate."""
    rates = [seconds / tests for seconds, tests in costs.values() if tests]
    rate = statistics.median(rates) if rates else 1.0

    def cost(scope: str) -> float:
        return costs[scope][0] if scope in costs else groups[scope] * rate

    return sorted(groups, key=cost, reverse=True)


def write_costs(path: Path, seconds: dict[str, float], tests: dict[str, int]) -> None:
    """Merges a run's groups into the table at ``path``, costliest first."""
    table = read_costs(path)
    table.update({scope: (seconds[scope], tests[scope]) for scope in seconds})
    lines = [
        "# SECONDS TESTS GROUP: what each test file (or xdist_group) took in a parallel run, set-up",
        "# and teardown included; tests/harness/by_file.py hands the costliest out first.",
        "# Rewrite: .venv/bin/python -m pytest -q -n auto --record-file-costs (CONTRIBUTING.md)",
    ]
    for scope, (cost, count) in sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0])):
        lines.append(f"{cost:9.2f} {count:5d} {scope}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("file_costs", "the table of what each test file costs (by_file.py)", default="")
    parser.addoption(
        "--record-file-costs",
        action="store_true",
        help="write what each test file took in this run into the file_costs table",
    )


def _table(config: pytest.Config) -> Path | None:
    name = config.getini("file_costs")
    return config.rootpath / name if name else None


class _Recorder:
    """Sums each group's set-up, call and teardown durations as the reports arrive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)
        self.tests: dict[str, int] = defaultdict(int)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        scope = scope_of(report.nodeid)
        self.seconds[scope] += report.duration
        self.tests[scope] += report.when == "setup"

    def pytest_sessionfinish(self) -> None:
        if self.seconds:
            write_costs(self.path, self.seconds, self.tests)


def pytest_configure(config: pytest.Config) -> None:
    path = _table(config)
    if config.getoption("record_file_costs") and not hasattr(config, "workerinput"):
        if path is None:
            raise pytest.UsageError("--record-file-costs: set file_costs in the pytest settings")
        config.pluginmanager.register(_Recorder(path), "by_file_recorder")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ByFile(LoadGroupScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            # The queue is complete at the first hand-out (xdist fills it, then assigns).
            if not self.ordered:
                sizes = {scope: len(tests) for scope, tests in self.workqueue.items()}
                path = _table(self.config)
                order = cost_order(sizes, read_costs(path) if path else {})
                self.workqueue = OrderedDict((scope, self.workqueue[scope]) for scope in order)
                self.ordered = True
            super()._assign_work_unit(node)

    return ByFile(config, log)
