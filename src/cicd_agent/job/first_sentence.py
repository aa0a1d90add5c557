"""The first sentence of every mode's summary: whether ``fail-on`` fails the step, and why, so a
failed step always says why."""

from __future__ import annotations

from cicd_agent.actions.markdown import prose


def fail_on_sentence(fail_on: str | None, reason: str | None, exit_code: int) -> str:
    """The sentence when ``fail-on`` was met (``reason``: :meth:`PlainResult.policy_failure`),
    with the exit code that follows; "" when not. A mode's policy may fail with no ``fail-on``
    set (review: a change that does not build)."""
    if not reason:
        return ""
    why = prose(reason).rstrip(".")
    if not fail_on:
        return f"**This step fails with exit {exit_code}:** {why}."
    if exit_code == 1:
        return f"**fail-on {fail_on} was met, so this step fails with exit 1:** {why}."
    return (
        f"**fail-on {fail_on} was met** ({why}); the step exits {exit_code} for the failure below."
    )


def unset_fail_on_sentence(value: str, reason: str | None) -> str:
    """The summary's first sentence when no ``fail-on`` is set and ``value`` (the result's
    :meth:`PlainResult.gate_value`) would have failed the step: a user running the step as a
    gate otherwise sees it green with a critical finding or a hold in its summary."""
    why = f": {prose(reason).rstrip('.')}" if reason else ""
    return (
        f"**Nothing fails this step: fail-on is not set.** `--fail-on {value}` (the "
        f"action's `fail-on` input) makes it exit 1 here{why}."
    )
