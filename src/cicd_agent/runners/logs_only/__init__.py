"""The report shapes of test runners whose failed logs analyse-failure reads but which nothing
here runs (no sandboxed run, in-run check or retry): unittest, node:test and TAP, mocha's numbered
reports, PHPUnit, RSpec, AVA and uvu. Each is one module defining ``SHAPE`` and one line of
:data:`SHAPES`; a runner that is also run keeps its shape in its own folder (``log.py``)."""

from __future__ import annotations

from cicd_agent.runners.logs_only import ava, node_test, numbered, phpunit, rspec, unittest, uvu
from cicd_agent.runners.shape import RunnerShape

SHAPES: tuple[RunnerShape, ...] = (
    unittest.SHAPE,
    node_test.SHAPE,
    numbered.SHAPE,
    phpunit.SHAPE,
    rspec.SHAPE,
    ava.SHAPE,
    uvu.SHAPE,
)
