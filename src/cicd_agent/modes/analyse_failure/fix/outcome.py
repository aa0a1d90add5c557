"""The fix step's part of the result: what it holds, how decide makes it from the attempt's
verdicts (purely), and how it reads in Markdown.

Only a verified patch is offered, and only as it was verified; one that passes on code whose
pass is no proof (the pull request's own) is shown as ``passes``, never suggested or opened. A
patch whose text the redactor would change (it holds something shaped like a secret) is not
shown, written or pushed, since what people would see would no longer be what passed.

The patch, the command and the model's summary are untrusted text: the patch goes in a fenced
block no line of it can close (the posting seam, ``markdown.posted``, breaks its comment
openers, so it cannot fake our hidden markers); the command in a code span; the summary as
neutralised prose.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cicd_agent.actions.markdown import code_block, code_span, prose
from cicd_agent.job.pipeline import NOT_SHOWN
from cicd_agent.modes.analyse_failure.fix.judge.claims import JudgedTest, Verdict, failing_script
from cicd_agent.verify.contract import NOT_PROOF, checked

if TYPE_CHECKING:
    from cicd_agent.modes.analyse_failure.fix.attempt import FixAttempt

_MAX_TRIES_SHOWN = 8


@dataclass(kw_only=True)
class _FixTry:
    """One candidate patch and the verifier's verdict on it."""

    source: Literal["fixer", "model"]
    summary: str
    passed: bool
    """The judge passed it; whether that pass is proof is the offered fix's ``status``."""
    reason: str


@dataclass(frozen=True, kw_only=True)
class FixOutcome:
    """The fix step's answer: a verified patch (``status: verified``), one that passes on code
    whose pass is no proof (``passes``: shown, never suggested or opened), or why there is none.

    Decide leaves the fields posting learns (``pr_url`` to ``publish_notes``) empty; publish
    records a fix of its own with them filled, so the decided one never changes."""

    requested: Literal["suggest", "pr"]
    status: Literal["verified", "passes", "none"]
    reason: str
    command: str = ""
    """The failing command the patch was judged against."""
    source: Literal["fixer", "model"] | None = None
    summary: str = ""
    tests: int = 0
    """How many tests' passes the fix was judged by (0: a linter's or a formatter's verdict)."""
    patch: str = ""
    files: list[str] = field(default_factory=list)
    patch_path: str = ""
    pr_url: str = ""
    suggestions: int = 0
    """Hunks posted as ``suggestion`` review comments on the pull request."""
    suggestions_url: str = ""
    shown_in_comment: bool = True
    """False when every hunk went out as a suggestion (the comment then does not repeat it)."""
    publish_notes: tuple[str, ...] = ()
    tried: list[_FixTry] = field(default_factory=list)
    test_status: Literal["verified", "passes", "none"] = "none"
    """The new test that fails without the fix and passes with it (when no existing test
    failed): ``verified`` on code from someone who can push, ``passes`` otherwise, as the
    fix's own ``status``."""
    test_reason: str = ""
    test_path: str = ""
    test: str = ""
    verified_files: tuple[tuple[str, str | None], ...] = field(
        default=(), metadata=NOT_SHOWN, repr=False
    )
    """The verified patch's files as they read after it applied (None: deleted): what publish
    puts in the fix's pull request. Never rendered: excluded from ``--json``, the outputs and
    the repr, since only the patch itself is ever shown."""
    audit: tuple[Mapping[str, Any], ...] = field(default=(), metadata=NOT_SHOWN, repr=False)
    """The model loop's steps (:attr:`.attempt.FixAttempt.audit`), which publish appends to the
    audit file; the file is the record, so no rendering shows them."""
    audit_file: Path | None = field(default=None, metadata=NOT_SHOWN, repr=False)
    """That file (:attr:`.attempt.FixAttempt.audit_file`; off a runner, none)."""


def fix_outcome(
    attempt: FixAttempt,
    *,
    patch_path: str,
    redact: Callable[[str], str],
    test: JudgedTest | str | None = None,
) -> FixOutcome:
    """What the result says about the fix: the offered patch, or why there is none, and the
    test that shows its bug (``test``: the verifier's verdict on it, or why there is none)."""
    requested: Literal["suggest", "pr"] = "pr" if attempt.requested == "pr" else "suggest"
    tried = [
        _FixTry(
            source=v.patch.source,
            summary=redact(v.patch.summary),
            passed=v.verdict is not Verdict.NOT_PASSED,
            reason=redact(v.reason),
        )
        for v in attempt.verifications
    ]
    command = redact(failing_script(attempt.failing)) if attempt.failing else ""
    offered = attempt.first_pass
    if offered is None or redact(offered.patch.diff) != offered.patch.diff:
        why = "the patch that passed holds text shaped like a secret, so it is not offered"
        return FixOutcome(
            requested=requested,
            status="none",
            command=command,
            tried=tried,
            reason=_why_none(attempt) if offered is None else why,
            audit=attempt.audit,
            audit_file=attempt.audit_file,
        )
    outcome = FixOutcome(
        requested=requested,
        status="verified" if offered.verdict is Verdict.VERIFIED else "passes",
        reason=offered.reason,
        command=command,
        source=offered.patch.source,
        summary=redact(offered.patch.summary),
        tests=offered.tests,
        patch=offered.patch.diff,
        files=[path for path, _ in offered.files],
        patch_path=patch_path,
        tried=tried,
        verified_files=offered.files,
        audit=attempt.audit,
        audit_file=attempt.audit_file,
    )
    return _with_test(outcome, test, redact)


def _with_test(
    outcome: FixOutcome, test: JudgedTest | str | None, redact: Callable[[str], str]
) -> FixOutcome:
    """``outcome`` with the fix's test as the result shows it: only a test the verifier passed
    is offered, its path and text the claim's own."""
    if test is None:
        return outcome
    if isinstance(test, str) or test.verdict.verdict is Verdict.NOT_PASSED:
        return replace(
            outcome,
            test_reason=redact(
                test if isinstance(test, str) else f"no test offered: {test.verdict.reason}"
            ),
        )
    return replace(
        outcome,
        test_status="verified" if test.verdict.verdict is Verdict.VERIFIED else "passes",
        test_reason=redact(test.verdict.reason),
        test_path=test.claim.path,
        test=redact(test.claim.content),
    )


def _why_none(attempt: FixAttempt) -> str:
    if attempt.unavailable:
        return attempt.unavailable
    if attempt.verifications:
        last = attempt.verifications[-1]
        return f"{len(attempt.verifications)} patch(es) tried, none verified (last: {last.reason})"
    notes = " ".join(attempt.notes)
    return f"no patch was proposed. {notes}".strip()


def fix_section(outcome: FixOutcome, *, comment: bool) -> str:
    """The section for the job summary (``comment=False``) or the pull request comment."""
    if outcome.status == "none":
        return _none(outcome)
    if outcome.source == "fixer":
        origin = f"the repository's own tool, {code_span(outcome.summary, 200)}"
    else:
        origin = f"the model: {prose(outcome.summary)[:300]}"
    label = fix_label(outcome)
    lines = [
        f"**{label}** (from {origin}): the failing command "
        f"{code_span(outcome.command, 200)} passes twice with it in the sandbox, and the step's "
        "other commands do not regress. "
        + ("Review it before merging." if outcome.status == "verified" else f"{NOT_PROOF}.")
    ]
    lines.append("Files: " + ", ".join(code_span(path, 200) for path in outcome.files) + ".")
    lines.append(_test(outcome))
    if outcome.pr_url:
        lines.append(f"Draft pull request: {outcome.pr_url}")
    if outcome.suggestions:
        where = f" ({outcome.suggestions_url})" if outcome.suggestions_url else ""
        lines.append(f"Posted as {outcome.suggestions} suggestion(s) on the pull request{where}.")
    if outcome.patch_path and not comment:
        lines.append(f"Patch file: {code_span(outcome.patch_path, 300)} (`git apply` it).")
    lines += [f"- {prose(note)}" for note in outcome.publish_notes]
    if outcome.shown_in_comment or not comment:
        count = outcome.patch.count("\n")
        lines.append(
            f"<details><summary>Patch ({count} lines)</summary>\n\n"
            f"{code_block(outcome.patch, 'diff')}\n\n</details>"
        )
    return "\n\n".join(line for line in lines if line)


def fix_label(outcome: FixOutcome) -> str:
    """What the offered fix is called: a model's patch that tests judged is
    :func:`~cicd_agent.verify.contract.checked`, whoever wrote the code under test (it ran in
    their process); the repository's own tool's, on code from someone who can push, is
    verified; any pass on the pull request's own code is no proof."""
    if outcome.source == "model" and outcome.tests:
        return f"Fix {checked(outcome.tests)}"
    return "Verified fix" if outcome.status == "verified" else "Fix that passes, not proof"


def _test(outcome: FixOutcome) -> str:
    """The test that shows the fix's bug, or why there is none (nothing when none was due)."""
    if outcome.test_status == "none":
        return f"<sub>{prose(outcome.test_reason)}.</sub>" if outcome.test_reason else ""
    # the model's test, run in one process with the code it judges: checked, never verified
    label = "Test checked" if outcome.test_status == "verified" else "Test checked, not proof"
    return (
        f"**{label}:** {code_span(outcome.test_path, 200)} {prose(outcome.test_reason)}.\n\n"
        f"<details><summary>Test</summary>\n\n{code_block(outcome.test, 'python')}\n\n</details>"
    )


def _none(outcome: FixOutcome) -> str:
    text = f"**No fix offered:** {prose(outcome.reason)}"
    if not outcome.tried:
        return text
    rows = [
        f"- {'passed' if tried.passed else 'not verified'}: {_tried_summary(tried)}"
        f" ({tried.source}): {prose(tried.reason)}"
        for tried in outcome.tried[:_MAX_TRIES_SHOWN]
    ]
    return f"{text}\n\n<details><summary>Patches tried ({len(outcome.tried)})</summary>\n\n" + (
        "\n".join(rows) + "\n\n</details>"
    )


def _tried_summary(tried: _FixTry) -> str:
    """A fixer's summary is its command (a code span); the model's is prose."""
    if tried.source == "fixer":
        return code_span(tried.summary, 120)
    return prose(tried.summary)[:120]
