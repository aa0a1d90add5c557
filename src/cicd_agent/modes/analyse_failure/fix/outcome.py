"""The decide step's part of the fix: the attempt's verdicts made into the result, purely.

Only a verified patch is offered, and only as it was verified; one that passes on code whose
pass is no proof (the pull request's own) is shown as ``passes``, never suggested or opened. A
patch whose text the redactor would change (it holds something shaped like a secret) is not
shown, written or pushed, since what people would see would no longer be what passed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from cicd_agent.modes.analyse_failure.fix.report import FixOutcome, FixTry
from cicd_agent.verify.contract import Verification, failing_script

if TYPE_CHECKING:
    from cicd_agent.modes.analyse_failure.fix.attempt import FixAttempt


def fix_outcome(
    attempt: FixAttempt,
    *,
    patch_path: str,
    redact: Callable[[str], str],
    test: Verification | str | None = None,
) -> FixOutcome:
    """What the result says about the fix: the offered patch, or why there is none, and the
    test that shows its bug (``test``: the verifier's verdict on it, or why there is none)."""
    requested: Literal["suggest", "pr"] = "pr" if attempt.requested == "pr" else "suggest"
    tried = [
        FixTry(source=v.patch.source, summary=redact(v.patch.summary), verified=v.verified,
               reason=redact(v.reason))
        for v in attempt.verifications
    ]  # fmt: skip
    command = redact(failing_script(attempt.failing)) if attempt.failing else ""
    offered = attempt.offered
    if offered is None:
        return FixOutcome(
            requested=requested, status="none", reason=_why_none(attempt), command=command,
            tried=tried,
        )  # fmt: skip
    if redact(offered.patch.diff) != offered.patch.diff:
        return FixOutcome(
            requested=requested, status="none", command=command, tried=tried,
            reason="the verified patch holds text shaped like a secret, so it is not offered",
        )  # fmt: skip
    outcome = FixOutcome(
        requested=requested,
        status="verified" if offered.proof else "passes",
        reason=offered.reason,
        command=command,
        source=offered.patch.source,
        summary=redact(offered.patch.summary),
        patch=offered.patch.diff,
        files=[path for path, _ in offered.files],
        patch_path=patch_path,
        tried=tried,
        verified_files=offered.files,
    )
    return outcome.model_copy(update=_test_fields(test, redact))


def _test_fields(test: Verification | str | None, redact: Callable[[str], str]) -> dict[str, str]:
    """The fix's test as the result shows it: only a test the verifier passed is offered."""
    if test is None:
        return {}
    if isinstance(test, str) or not test.verified:
        return {"test_reason": redact(test if isinstance(test, str) else
                                      f"no test offered: {test.reason}")}  # fmt: skip
    added = [line[1:] for line in test.patch.diff.splitlines()[5:]]
    return {
        "test_status": "verified" if test.proof else "checked",
        "test_reason": redact(test.reason),
        "test_path": test.patch.summary.removeprefix("new test "),
        "test": redact("\n".join(added) + "\n"),
    }


def _why_none(attempt: FixAttempt) -> str:
    if attempt.unavailable:
        return attempt.unavailable
    if attempt.verifications:
        last = attempt.verifications[-1]
        return f"{len(attempt.verifications)} patch(es) tried, none verified (last: {last.reason})"
    notes = " ".join(attempt.notes)
    return f"no patch was proposed. {notes}".strip()
