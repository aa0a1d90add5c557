"""The rows of gen-tests' result, each with how it is made from what was measured: a candidate,
a segment, a rerun test, another runner's gaps, a possible bug, an accepted file."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from cicd_agent.actions.markdown import neutralise
from cicd_agent.modes.gen_tests.contract_check import Contract
from cicd_agent.modes.gen_tests.patch import AcceptedTest, describe_gain
from cicd_agent.modes.gen_tests.rerun_counts import Reruns
from cicd_agent.modes.gen_tests.types import Attempt
from cicd_agent.runners.protocol import WritesTests


@dataclass(kw_only=True)
class CandidateReport:
    """One candidate: its segment, attempt, and the stage that stopped it (None: accepted)."""

    segment: str
    attempt: int
    test_path: str
    stopped_at: str | None
    reason: str
    gained: str = ""
    rationale: str = ""
    runs: int = 0
    seconds: float = 0.0
    runner: str = "pytest"
    """The runner that judged it: pytest's eight-stage gate, or another runner's (``stopped_at``
    then one of the runner gate's stages: path, pass, coverage_gain, pass_again, depends)."""


@dataclass(kw_only=True)
class SegmentReport:
    """A segment of the change that missed coverage at head, and what became of it."""

    path: str
    qualname: str
    start: int
    end: int
    missing_lines: list[int]
    missing_branches: list[tuple[int, int]]
    status: str


@dataclass(kw_only=True)
class PrTestReport:
    """One test of the changed files (the change adds or changes it, or it is in a changed
    file), run again and again: its counts and verdict."""

    test: str
    passed: int
    runs: int
    verdict: str
    """``flaky`` (passed and failed), ``failing``, ``stable`` or ``unchecked``."""
    failed_under: str = ""
    """The condition of its first failing run (an order seed, load, a hash seed and zone)."""
    replay: str = ""
    """A command that replays that run."""
    file: str = ""
    """The test file it is in, one the change holds ("": the runner's id names none, as
    cargo's ``module::test`` or a Go package's test does not)."""
    alone: str = ""
    """A failing test's one run in a session of its own: ``passed`` (it fails only beside
    another test: order-dependent), ``failed``, or "" (not run so)."""


@dataclass(kw_only=True)
class RunnerGapReport:
    """Another runner's coverage of the change's files in its language (jest, vitest, go test)."""

    runner: str
    coverage: float | None
    """Line coverage of the changed files, whole, by the runner's own tool (None: not measured)."""
    uncovered_lines: dict[str, list[int]]
    """Changed lines no test ran: with the accepted tests when any were accepted."""
    problem: str = ""
    """Why nothing was measured ("" when it was)."""
    coverage_after: float | None = None
    """The same, measured again with every accepted test (None: none was accepted)."""
    no_code: list[str] = field(default_factory=list)
    """Changed files with no line the runner counts as code (types alone): no gap, not counted."""


@dataclass(kw_only=True)
class PossibleBug:
    """A candidate that ran the change's lines and failed on the same assertion twice alone,
    where the code's own contract states what it asserted (:mod:`.contract_check`)."""

    segment: str
    path: str
    line: int
    test_path: str
    failure: str
    """pytest's lines of the failed assertion (the test's output: redacted)."""
    rationale: str
    """What the model said its test checks (neutralised): the contract as it read it."""
    test: str
    """The candidate's source (model-written: shown in a code block, never run outside the
    sandbox), to reproduce with ``python -m pytest TEST_PATH`` (or its ``runner``)."""
    runner: str = "pytest"
    contract: str = ""
    """The contract it follows: its kind, ``path:line`` and the quoted line (the pull
    request's text: redacted and neutralised)."""
    contract_changed: bool = False
    """Whether the pull request itself wrote that line: weaker evidence."""
    reproduce: str = ""
    """The command that reruns the candidate saved at ``test_path``."""


@dataclass(kw_only=True)
class AcceptedFile:
    path: str
    target: str
    gained: str


def candidate_report(attempt: Attempt, redact: Callable[[str], str]) -> CandidateReport:
    """One row of the candidates table (reasons quote test output, so they are redacted)."""
    verdict = attempt.verdict
    return CandidateReport(
        segment=attempt.segment,
        attempt=attempt.number,
        test_path=attempt.test_path,
        stopped_at=None if verdict.stopped_at is None else verdict.stopped_at.value,
        reason=redact(verdict.reason),
        gained=describe_gain(verdict.gained_lines, verdict.gained_arcs) if verdict.accepted else "",
        rationale=attempt.rationale,
        runs=verdict.runs,
        seconds=round(attempt.seconds, 2),
    )


def pr_test_rows(
    found: Reruns, redact: Callable[[str], str], files: Collection[str]
) -> list[PrTestReport]:
    """Each rerun test's counts and verdict (its name, condition and replay redacted), and its
    file: the one of ``files`` (the change's test files) its id starts with, as every runner's
    does (``file::name``, ``file › name``); none where the id names none of them (cargo's
    ``module::test``, a Go test named by its package), never a guessed one."""
    return [
        PrTestReport(
            test=redact(test),
            passed=c.passed,
            runs=c.runs,
            verdict=c.verdict,
            failed_under=redact(found.failed_under.get(test, ("",))[0]),
            replay=redact(found.replays.get(test, "")),
            file=redact(
                next((f for f in files if test == f or test.startswith((f"{f}::", f"{f} › "))), "")
            ),
            alone=found.alone.get(test, ""),
        )
        for test, c in found.tests.items()
    ]


def bug_report(
    *,
    segment: str,
    path: str,
    line: int,
    test_path: str,
    failure: str,
    rationale: str,
    test: str,
    runner: str,
    tests: WritesTests,
    contract: Contract,
    redact: Callable[[str], str],
) -> PossibleBug:
    """A possible bug: the failure, the candidate and the contract it follows, redacted and
    neutralised (the candidate is the model's, the contract the pull request's), with the
    command that reruns it (the runner's own,
    :meth:`~cicd_agent.runners.protocol.WritesTests.rerun_file`)."""
    return PossibleBug(
        segment=segment,
        path=path,
        line=line,
        test_path=test_path,
        failure=redact(failure),
        rationale=rationale,
        test=redact(test),
        runner=runner,
        contract=neutralise(redact(contract.describe())),
        contract_changed=contract.changed,
        reproduce=neutralise(redact(tests.rerun_file(test_path))),
    )


def accepted_file(test: AcceptedTest) -> AcceptedFile:
    gained = describe_gain(test.gained_lines, test.gained_arcs)
    return AcceptedFile(path=test.path, target=test.target, gained=gained)
