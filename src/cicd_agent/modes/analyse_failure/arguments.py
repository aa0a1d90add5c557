"""analyse-failure's command-line options, importable without the mode
(:mod:`cicd_agent.arguments` says why)."""

from __future__ import annotations

import argparse

NAME = "analyse-failure"
FAIL_ON_CHOICES: tuple[str, ...] = ()
FIX_CHOICES = ("off", "suggest", "pr")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("analyse-failure options")
    group.add_argument(
        "--logs", help="run-logs zip, folder or text file (default: download from the API)"
    )
    group.add_argument(
        "--run-id", type=int, help="workflow run to analyse (default: the workflow_run event's)"
    )
    group.add_argument(
        "--base", help="base of the change under test (default: the last green run's commit)"
    )
    group.add_argument("--head", help="head of the change under test (default: the run's)")
    group.add_argument(
        "--slack-webhook-url", help="Slack incoming webhook: one message per new failure"
    )
    group.add_argument(
        "--fix",
        choices=FIX_CHOICES,
        default=None,
        help="off (default); suggest: a patch verified in the sandbox, as a file and on the "
        "pull request; pr: also a draft pull request from a new branch",
    )
