"""The fix step in Markdown: the verified patch (collapsed), or plainly why there is none.

The patch, the command and the model's summary are untrusted text: the patch goes in a fenced
block no line of it can close, with comment openers broken (so it cannot fake our hidden
markers); the command in a code span; the summary as neutralised prose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.runner.markdown import ZWSP, code_block, code_span, prose
from cicd_agent.verify.contract import NOT_PROOF

if TYPE_CHECKING:
    from cicd_agent.modes.analyse_failure.fix.report import FixOutcome

MAX_TRIES_SHOWN = 8


def fix_section(outcome: FixOutcome, *, comment: bool) -> str:
    """The section for the job summary (``comment=False``) or the pull request comment."""
    if outcome.status == "none":
        return _none(outcome)
    if outcome.source == "fixer":
        origin = f"the repository's own tool, {code_span(outcome.summary, 200)}"
    else:
        origin = f"the model: {prose(outcome.summary)[:300]}"
    label = "Verified fix" if outcome.status == "verified" else "Fix that passes, not proof"
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
        shown = outcome.patch.replace("<!--", f"<!{ZWSP}--")
        lines.append(
            f"<details><summary>Patch ({count} lines)</summary>\n\n"
            f"{code_block(shown, 'diff')}\n\n</details>"
        )
    return "\n\n".join(line for line in lines if line)


def _test(outcome: FixOutcome) -> str:
    """The test that shows the fix's bug, or why there is none (nothing when none was due)."""
    if outcome.test_status == "none":
        return f"<sub>{prose(outcome.test_reason)}.</sub>" if outcome.test_reason else ""
    label = "Verified test" if outcome.test_status == "verified" else "Test checked, not proof"
    shown = outcome.test.replace("<!--", f"<!{ZWSP}--")
    return (
        f"**{label}:** {code_span(outcome.test_path, 200)} {prose(outcome.test_reason)}.\n\n"
        f"<details><summary>Test</summary>\n\n{code_block(shown, 'python')}\n\n</details>"
    )


def _none(outcome: FixOutcome) -> str:
    text = f"**No fix offered:** {prose(outcome.reason)}"
    if not outcome.tried:
        return text
    rows = [
        f"- {'passed' if tried.verified else 'not verified'}: "
        f"{code_span(tried.summary, 120) if tried.source == 'fixer' else prose(tried.summary)[:120]}"
        f" ({tried.source}): {prose(tried.reason)}"
        for tried in outcome.tried[:MAX_TRIES_SHOWN]
    ]
    return f"{text}\n\n<details><summary>Patches tried ({len(outcome.tried)})</summary>\n\n" + (
        "\n".join(rows) + "\n\n</details>"
    )
