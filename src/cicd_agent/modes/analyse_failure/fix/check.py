"""The one call a mode makes to have a claim about a patch judged for a failed step.

The mode opens the judge once for the failed step (:class:`~.judge.SandboxVerifier`, handed the
sandbox and what it read as plain values: the failing command, the failed tests, whether the
code under test is proof) and asks every question through :func:`check_patch`: does this patch
fix the failing command, and does this new test fail without the fix and pass with it. Which
engine judges which claim, and how, is proof's alone, so a mode's owner needs none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.modes.analyse_failure.fix import fail_to_pass
from cicd_agent.verify.contract import FailsThenPasses, Patch, Verification

if TYPE_CHECKING:
    from cicd_agent.modes.analyse_failure.fix.judge import SandboxVerifier


def check_patch(judge: SandboxVerifier, claim: Patch | FailsThenPasses) -> Verification:
    """The verdict on ``claim`` in the sandbox, with the runs behind it: a :class:`Patch` is
    offered only if the failed step passes with it (:meth:`~.judge.SandboxVerifier.verify`); a
    :class:`FailsThenPasses` holds only if its new test fails on the failed commit and passes
    with the fix (:mod:`.fail_to_pass`). Either is judged in ``judge``'s copies, under its
    policy and its time budget."""
    if isinstance(claim, FailsThenPasses):
        return fail_to_pass.judge(judge, claim)
    return judge.verify(claim)
