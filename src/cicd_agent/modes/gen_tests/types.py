"""gen-tests' step types: the facts (the targets, the baseline run), the verdict (segments and
jobs) and the opinion (every candidate, the accepted tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from cicd_agent.modes.gen_tests.coverage_gaps import Arc, CoverageReport
    from cicd_agent.modes.gen_tests.options import GenTestsOptions
    from cicd_agent.modes.gen_tests.patch import AcceptedTest
    from cicd_agent.modes.gen_tests.prompt import Job
    from cicd_agent.modes.gen_tests.rerun_counts import Reruns
    from cicd_agent.modes.gen_tests.runner_ask import RunnerOpinion
    from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
    from cicd_agent.modes.gen_tests.segments import Segment
    from cicd_agent.modes.gen_tests.stages import Verdict
    from cicd_agent.modes.gen_tests.suite import SuiteBaseline
    from cicd_agent.modes.gen_tests.targets import Targets
    from cicd_agent.sandbox.isolation import Isolation


@dataclass(frozen=True)
class GenTestsFacts:
    """What collect found: the targets and, when there are any, the measured baseline."""

    repo: Path
    options: GenTestsOptions
    targets: Targets
    patch_path: Path
    """Where publish writes the accepted tests' patch (``patch-file``, else a name of this
    run's)."""
    isolation: Isolation | None = None
    """How the sandbox collect opened confines runs (None: none was opened); the sandbox itself
    and the coverage meter in it go from collect to ask through the mode's wiring."""
    pristine: Path | None = None
    """The sandbox's untouched copy of the checkout, where the related tests are read."""
    baseline: SuiteBaseline | None = None
    coverage: CoverageReport | None = None
    warnings: list[str] = field(default_factory=list)
    unimported: list[str] = field(default_factory=list)
    code_is_proof: bool = False
    """The code under test came from someone who can push (``RunContext.code_is_proof``): only then
    is a test the gate accepted called checked without "not proof"."""
    pr_tests: Reruns | None = None
    """The tests the change adds or changes, run again and again (None: none, or no diff)."""
    runner_gaps: tuple[RunnerGaps, ...] = ()
    """Each other runner's word on the change's files in its language (jest, vitest, go test)."""


@dataclass(frozen=True)
class GenTestsVerdict:
    """The deterministic verdict: what the change misses, as segments and jobs."""

    facts: GenTestsFacts
    segments: Sequence[Segment]
    jobs: Sequence[Job]
    missing_lines: Mapping[str, frozenset[int]] = field(default_factory=dict)
    """Read-only here: the ask step narrows a copy of its own as tests are accepted."""
    missing_arcs: Mapping[str, frozenset[Arc]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """Files left out of the analysis, and why (after collect's warnings in the result)."""

    def progress_line(self) -> str:
        """What the run's progress says once the segments are found."""
        files = len(self.facts.targets.paths)
        shard = f", {len(self.jobs)} for this shard" if self.facts.options.shard else ""
        return f"{len(self.segments)} uncovered segment(s) in {files} file(s){shard}"


@dataclass(frozen=True)
class Attempt:
    """One candidate and where the gate stopped it."""

    segment: str
    number: int
    test_path: str
    verdict: Verdict
    rationale: str
    seconds: float
    source: str = ""
    """The candidate's module (model-written; shown only for a possible bug)."""


@dataclass(frozen=True)
class GenTestsOpinion:
    """What the ask step produced: every candidate and the gate's verdict on it, the accepted
    tests, and the coverage measured with all of them."""

    attempts: list[Attempt] = field(default_factory=list)
    accepted: list[AcceptedTest] = field(default_factory=list)
    not_tried: dict[str, str] = field(default_factory=dict)
    stop_reason: str | None = None
    # Coverage of the changed files with every accepted test together (measured in ``ask``,
    # so ``decide`` runs nothing).
    coverage_after: CoverageReport | None = None
    runners: tuple[RunnerOpinion, ...] = ()
    """Each other runner's candidates, kept files and coverage after (jest, vitest, go test)."""
