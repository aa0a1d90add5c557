"""A gen-tests gate over the shop fixture's changed ``coupon_value``, for attack tests that hand
it one candidate test each: the baseline suite runs once per module, not once per attack."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.modes.gen_tests.collect import run_suite
from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter, CoverageReport
from cicd_agent.modes.gen_tests.gate import Gate
from cicd_agent.modes.gen_tests.segments import Segment, find_segments
from cicd_agent.modes.gen_tests.stages import Verdict
from cicd_agent.modes.gen_tests.suite import ProjectCommand, SuiteBaseline
from cicd_agent.modes.gen_tests.targets import changed_targets, gaps
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from tests.fixtures.gentests_project.build import make_repo
from tests.helpers.gen_tests import path_env

PRICING = "src/shop/pricing.py"


@dataclass
class Bench:
    gate: Gate
    baseline: SuiteBaseline
    coverage: CoverageReport
    segments: dict[str, Segment]

    @property
    def segment(self) -> Segment:
        """The changed function the attack tests aim at."""
        return self.segments["coupon_value"]


@contextmanager
def gate_bench(
    repo: Path, *, timeout: float = 60, extra: Mapping[str, str] | None = None
) -> Iterator[Bench]:
    """Build the shop at ``repo`` (with ``extra`` files, name: text), run its suite once as the
    baseline, and hold the sandbox open while the gate (``timeout`` per candidate run) is used."""
    base, head = make_repo(repo, extra)
    targets = changed_targets(GitCheckout(repo), base, head)
    environ = {"PATH": path_env(), "HOME": "/nonexistent"}
    command = ProjectCommand.parse("python -m pytest")
    with Sandbox(repo, environ) as sandbox:
        meter = CoverageMeter(sandbox, targets.paths)
        baseline, coverage, _ = run_suite(meter, command, timeout=120, label="baseline")
        lines, arcs = gaps(coverage, targets)
        source = (repo / PRICING).read_text()
        segments = {
            s.qualname: s for s in find_segments(PRICING, source, lines[PRICING], arcs[PRICING])
        }
        gate = Gate(meter, command, baseline, timeout=timeout)
        yield Bench(gate, baseline, coverage, segments)


def evaluate(
    bench: Bench, source: str, segment: str = "coupon_value", label: str = "attack"
) -> Verdict:
    """The gate's verdict on ``source`` (dedented) as a new test file of the shop, aimed at
    ``segment``."""
    return bench.gate.evaluate(
        textwrap.dedent(source),
        bench.segments[segment],
        "tests/test_pricing_generated.py",
        ["tests/test_pricing.py"],
        label,
    )
