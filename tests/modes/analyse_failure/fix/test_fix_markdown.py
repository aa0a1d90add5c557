"""The fix step's section of the summary, as GitHub renders it: the model's prose cannot make the
failed step's command live."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.fix.outcome import FixOutcome, fix_section
from tests.unit.actions.test_markdown import HOSTILE
from tests.unit.actions.test_markdown_rendered import live


def test_a_backtick_in_the_models_summary_cannot_open_the_logs_command() -> None:
    """The failed step's command (the pull request's workflow) is shown as code:
    ``echo `@octo-org/admins <img …>` `` in a fence of two backticks. The model's summary,
    as prose before it, says "fixed the ` in ops": its backtick opens a span that the
    command's first backtick closes, and what follows is live on GitHub (cmark-gfm renders
    the mention and the image; so does the CommonMark renderer here)."""
    outcome = FixOutcome(
        requested="suggest",
        status="verified",
        reason="",
        command=f"echo `{HOSTILE}`",
        source="model",
        summary="fixed the ` in ops",
        patch="--- a/x\n+++ b/x\n",
        files=["calc/ops.py"],
    )
    shown = live(fix_section(outcome, comment=True))
    assert "@octo-org" not in shown
    assert "<img" not in shown
