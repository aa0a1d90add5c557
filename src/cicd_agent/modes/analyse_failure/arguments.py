"""analyse-failure's command-line options, declared as data: importable without the mode
(:mod:`cicd_agent.plugins` says why)."""

from __future__ import annotations

import argparse

from cicd_agent.plugins import Option, OptionGroup

NAME = "analyse-failure"
FAIL_ON_CHOICES: tuple[str, ...] = ()
FIX_CHOICES = ("off", "suggest", "pr")
KEEPS_QUARANTINE = True
"""This mode's section of the settings file holds the ``quarantine`` list (the test step reads
it there too)."""

MAX_RERUNS = 1


def reruns(text: str) -> int:
    """``rerun-infrastructure``: 0 or 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be 0 or {MAX_RERUNS}, got {text!r}") from exc
    if not 0 <= value <= MAX_RERUNS:
        raise argparse.ArgumentTypeError(f"must be 0 or {MAX_RERUNS}, got {value}")
    return value


OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup(
        "analyse-failure options",
        Option(
            "logs",
            "run-logs zip, folder or text file (default: download from the API)",
            setting=False,
            action_input=True,
        ),
        Option(
            "run-id",
            "workflow run to analyse (default: the workflow_run event's)",
            kind=int,
            setting=False,
            action_input=True,
        ),
        Option(
            "base",
            "base of the change under test (default: the last green run's commit)",
            setting=False,
            action_input=True,
        ),
        Option(
            "head",
            "head of the change under test (default: the run's)",
            setting=False,
            action_input=True,
        ),
        Option(
            "slack-webhook-url",
            "Slack incoming webhook: one message per new failure",
            setting=False,
            action_input=True,
        ),
        Option(
            "fix",
            "off (default); suggest: a patch verified in the sandbox, as a file and on the "
            "pull request; pr: also a draft pull request from a new branch",
            choices=FIX_CHOICES,
        ),
        Option(
            "rerun-infrastructure",
            "re-run the failed jobs once (1) when every failure is infrastructure on code from "
            "someone who can push, never a test failure (default 0; needs actions: write)",
            kind=reruns,
        ),
    ),
)
