"""The test runners cicd-agent knows, one row each, and the report shapes of runners whose
failed logs are read but which are never run.

A row names the object each consumer asks (its protocol in :mod:`.protocol`), or None where the
runner does not serve that consumer: the pytest row alone drives sessions and runs tests in
chosen orders. Adding a runner is one folder and one row (CONTRIBUTING's worked example).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from cicd_agent.runners import logs_only
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.maven.runner import MavenJUnit
from cicd_agent.runners.orders import RunsInOrder
from cicd_agent.runners.protocol import TestRunner
from cicd_agent.runners.pytest.orders import PytestOrders
from cicd_agent.runners.pytest.runner import Pytest, PytestSessions
from cicd_agent.runners.sessions import Sessions
from cicd_agent.runners.shape import RunnerShape
from cicd_agent.runners.vitest.runner import Vitest


class Row(NamedTuple):
    """One runner: the object each consumer asks, None where the runner does not serve it."""

    runner: TestRunner
    sessions: Sessions | None = None
    """How the verifier drives its sessions itself (the flaky hunt, gen-tests' gate)."""
    in_order: RunsInOrder | None = None
    """How the test step's flaky-test fixer runs its tests in chosen orders."""


TABLE: tuple[Row, ...] = (
    Row(Pytest(), sessions=PytestSessions(), in_order=PytestOrders()),
    Row(Jest()),
    Row(Vitest()),
    Row(GoTest()),
    Row(CargoTest()),
    Row(MavenJUnit()),
)
"""Every runner, in the order a checkout is asked which it uses."""

RUNNERS: tuple[TestRunner, ...] = tuple(row.runner for row in TABLE)

LOG_SHAPES: tuple[RunnerShape, ...] = tuple(
    dict.fromkeys((*(row.runner.log_shape for row in TABLE), *logs_only.SHAPES))
)
"""Every report shape a failed log is read with, each once (jest and vitest share theirs): the
runners' first, in their order, then those of runners only read."""


def _driven() -> tuple[TestRunner, Sessions]:
    """The one row that names :attr:`Row.sessions`."""
    found = [(row.runner, row.sessions) for row in TABLE if row.sessions is not None]
    if len(found) != 1:
        raise LookupError(f"{len(found)} runners declare sessions the verifier drives, not one")
    return found[0]


DRIVEN, SESSIONS = _driven()
"""The runner whose sessions the verifier's own loops over Python's tests drive (the flaky
hunt's rounds, gen-tests' gate and coverage meter), and how: every runner's runs are made in
its :attr:`~.sessions.Sessions.sandbox`."""

IN_ORDER: Mapping[str, RunsInOrder] = {
    row.runner.name: row.in_order for row in TABLE if row.in_order is not None
}
"""The runners, by name, whose tests the test step's flaky-test fixer runs in orders of its
choosing (:class:`~.orders.RunsInOrder`)."""
