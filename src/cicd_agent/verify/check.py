"""The one call a mode makes to have a claim about a patch judged in the sandbox.

A mode opens its judge once with plain values (analyse-failure :class:`~.fixes.SandboxVerifier`:
the sandbox, the failing command, the failed tests, whose code it is; review a
:class:`~.keeps_passing.KeepsPassingJudge` with its linters) and asks :func:`check_patch`; which
engine judges which claim, and how, is proof's alone."""

from __future__ import annotations

from typing import overload

from cicd_agent.verify import fail_to_pass
from cicd_agent.verify.contract import FailsThenPasses, KeepsPassing, Patch, Verification
from cicd_agent.verify.fixes import SandboxVerifier
from cicd_agent.verify.keeps_passing import KeepsPassingJudge, Kept


@overload
def check_patch(judge: SandboxVerifier, claim: Patch | FailsThenPasses) -> Verification: ...
@overload
def check_patch(judge: KeepsPassingJudge, claim: KeepsPassing) -> Kept: ...
def check_patch(
    judge: SandboxVerifier | KeepsPassingJudge, claim: Patch | FailsThenPasses | KeepsPassing
) -> Verification | Kept:
    """The verdict on ``claim`` in the sandbox, with the runs behind it: a :class:`Patch` is
    offered only if the failed step passes with it (:meth:`~.fixes.SandboxVerifier.verify`); a
    :class:`FailsThenPasses` holds only if its new test fails on the failed commit and passes
    with the fix (:mod:`.fail_to_pass`); a :class:`KeepsPassing` holds only if the tests and
    linters that passed without the patch still pass with it
    (:meth:`~.keeps_passing.KeepsPassingJudge.judge`). Each is judged in ``judge``'s copies,
    within its time budget."""
    if isinstance(claim, KeepsPassing):
        assert isinstance(judge, KeepsPassingJudge), "a suggestion's judge judges suggestions"
        return judge.judge(claim)
    assert isinstance(judge, SandboxVerifier), "a failed step's judge judges its fixes"
    if isinstance(claim, FailsThenPasses):
        return fail_to_pass.judge(judge, claim)
    return judge.verify(claim)
