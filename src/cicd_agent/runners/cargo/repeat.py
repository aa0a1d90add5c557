"""cargo's repeats: the selected tests run many times on one build.

libtest has no repeat count, and no way to run a test twice in one process. So a repeated
selection (:attr:`~cicd_agent.runners.base.Selection.repeat`) runs ``cargo test`` again and
again with the witness already in the crate roots: nothing is rebuilt, each run is one more
start of the test binaries (milliseconds), and each is read and witnessed as a lone run is. A
test's outcome is its worst, its passes and failures counted over the runs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from cicd_agent.runners.base import PASSED
from cicd_agent.sandbox import RunResult, Sandbox, Workspace


def runs_of(sandbox: Sandbox, space: Workspace, argv: Sequence[str], extra: Mapping[str, str],
            *, times: int, timeout: float) -> list[RunResult]:  # fmt: skip
    """``argv`` run up to ``times`` times in ``space`` within ``timeout`` seconds in all: the
    first run always, each next one while twice the last one's seconds are left and the last
    ended of itself (a run killed or timed out says why, and ends the repeats)."""
    ends = time.monotonic() + timeout
    made: list[RunResult] = []
    while len(made) < max(times, 1):
        left = ends - time.monotonic()
        if made and (left < 2 * made[-1].seconds or not _ended(made[-1])):
            break
        made.append(sandbox.run(list(argv), space, timeout=left if made else timeout,
                                extra_env=extra, evidence=True))  # fmt: skip
    return made


def _ended(run: RunResult) -> bool:
    return not (run.timed_out or run.killed_for or run.sandbox_failure)


def counted(
    outcomes: dict[str, str], repeats: dict[str, tuple[int, int]], found: Mapping[str, str]
) -> None:
    """One run's ``found`` outcomes added to the ``outcomes`` so far (each test's worst: a
    failure is kept over a pass) and to each run test's passes and failures in ``repeats``."""
    for test, outcome in found.items():
        if outcomes.get(test, PASSED) == PASSED:
            outcomes[test] = outcome
        if outcome in (PASSED, "failed"):
            won, lost = repeats.get(test, (0, 0))
            repeats[test] = (won + (outcome == PASSED), lost + (outcome != PASSED))
