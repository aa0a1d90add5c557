"""Which lines of a failed log are the network's noise and which a real failure a person fixes.

A suite run without network fails some tests on DNS or refused connections and, in the same
run, maybe one on a real assertion. Re-running cannot clear the assertion, so it must be the
root cause whatever the weight of the network lines. A finding is *noise* when it is the
network's: a network-shaped line, a line of the same message block (contiguous lines), or the
heading of a failed test whose report holds such a line (``● suite › test``, ``--- FAIL:``,
``not ok``, ``1) suite``: the runner's own structure says which lines belong to which test).
Noise yields to any real test, build, lint or type finding; only a run whose every failure is
noise stays an infrastructure failure.
"""

from __future__ import annotations

from collections.abc import Sequence

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.region import LogFinding
from cicd_agent.modes.analyse_failure.logs.signatures import VERDICT_SIGNATURES
from cicd_agent.runners.shapes import LOG_SHAPES

_NETWORK = next(s for s in VERDICT_SIGNATURES if s.name == "network.error").pattern
HEADINGS = frozenset(name for shape in LOG_SHAPES for name in shape.headings)
"""Signatures of a failed test's heading, each runner's own (``RunnerShape.headings``): the
lines after it (up to the next) are its report."""
BLOCK_LINES = 40
"""How far a test's report reaches after its heading when no other heading comes first."""
BEFORE_HEADING = 3
"""A message this close before a heading with none before it is that test's (``go test -v``)."""
REAL_TYPES = frozenset(
    {
        FailureType.TEST_FAILURE,
        FailureType.BUILD_ERROR,
        FailureType.LINT_ERROR,
        FailureType.TYPE_ERROR,
        FailureType.TIMEOUT,
    }
)
"""What a change can cause and a re-run cannot clear. Dependency and configuration errors are
left out: an unreachable index makes them too."""
REAL_WEIGHT = 75
"""Below this a line is a count or a location (``6 failed``, ``file.py:3``), true of noise too."""


def is_network(finding: LogFinding) -> bool:
    """A line of the network's: a network signature's, or a failure line in the network's words."""
    signature = finding.hit.match.signature
    if signature.name.startswith("network."):
        return True
    return signature.failure_type is not None and _NETWORK.search(finding.hit.text) is not None


def noise(findings: Sequence[LogFinding]) -> set[int]:
    """Indexes into ``findings`` of the infrastructure noise (see the module's docstring)."""
    order = sorted(range(len(findings)), key=lambda i: findings[i].order)
    marked = {i for i in order if is_network(findings[i])}
    # Contiguous lines are one message: a traceback's E block, a report's lines.
    for before, after in ((order, order[1:]), (order[::-1], order[::-1][1:])):
        for previous, current in zip(before, after, strict=False):
            gap = abs(findings[current].hit.line - findings[previous].hit.line)
            same_step = findings[current].step_index == findings[previous].step_index
            if previous in marked and same_step and gap <= 1:
                marked.add(current)
    heading: int | None = None
    for position, index in enumerate(order):
        finding = findings[index]
        if finding.hit.match.signature.name in HEADINGS:
            heading = index
            continue
        if index not in marked:
            continue
        owner = heading
        if owner is not None and not reaches(findings[owner], finding, BLOCK_LINES):
            owner = None
        if owner is None:
            owner = _heading_after(findings, order, position)
        if owner is not None:
            marked.add(owner)
    return marked


def _heading_after(
    findings: Sequence[LogFinding], order: Sequence[int], position: int
) -> int | None:
    """The heading just after the finding at ``position`` of ``order``, if one is that close;
    only the next few findings are looked at, so a log of network lines stays linear."""
    finding = findings[order[position]]
    for later in range(position + 1, len(order)):
        index = order[later]
        if not reaches(finding, findings[index], BEFORE_HEADING):
            return None
        if findings[index].hit.match.signature.name in HEADINGS:
            return index
    return None


def reaches(first: LogFinding, second: LogFinding, lines: int) -> bool:
    return first.step_index == second.step_index and 0 <= second.hit.line - first.hit.line <= lines


def real(finding: LogFinding) -> bool:
    """A weighty finding of a kind a change causes (see ``REAL_TYPES``)."""
    signature = finding.hit.match.signature
    return signature.failure_type in REAL_TYPES and finding.weight >= REAL_WEIGHT


def real_first(ranked: Sequence[LogFinding]) -> list[LogFinding]:
    """``ranked`` with the noise after every other finding when a real one is among them."""
    marked = noise(ranked)
    if not any(real(f) for i, f in enumerate(ranked) if i not in marked):
        return list(ranked)
    return [f for i, f in enumerate(ranked) if i not in marked] + [
        f for i, f in enumerate(ranked) if i in marked
    ]
