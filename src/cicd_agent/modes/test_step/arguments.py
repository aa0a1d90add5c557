"""The test step's command-line options, declared as data: importable without the mode
(:mod:`cicd_agent.plugins` says why)."""

from __future__ import annotations

import argparse
import shlex

from cicd_agent.plugins import Option, OptionGroup, at_least

FAIL_ON_CHOICES: tuple[str, ...] = ()
MAX_RETRIES = 5
WINDOW = 50
"""The runs a flaky test's record looks back over (``analysis.flaky_stats.WINDOW``, checked
equal by a test: this module stays cheap for ``--help``)."""


def command_line(text: str) -> list[str]:
    """The ``command`` input: one line, split as a shell would (no shell runs it)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"cannot split it into words ({exc})") from exc
    if not words:
        raise argparse.ArgumentTypeError("name the test command, e.g. `pytest -q`")
    return words


def retries(text: str) -> int:
    value = at_least(0)(text)
    if value > MAX_RETRIES:
        raise argparse.ArgumentTypeError(f"must be {MAX_RETRIES} or fewer, got {value}")
    return value


def stable_runs(text: str) -> int:
    value = at_least(1)(text)
    if value > WINDOW:
        raise argparse.ArgumentTypeError(f"must be {WINDOW} or fewer, got {value}")
    return value


OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup(
        "test-step options",
        Option("retries", f"reruns of the failed tests (0-{MAX_RETRIES}, default 2)", kind=retries),
        Option(
            "flaky",
            "the step's result when every failure passed on retry (default fail)",
            choices=("fail", "pass"),
        ),
        Option("issues", "open or update a GitHub issue per flaky test (pushes only)", switch=True),
        Option(
            "fix-flaky",
            "classify each flaky test (order-dependent or not, in the sandbox) and offer a "
            "proven fix of an order-dependent one: suggest (in the summary and --json), pr "
            "(the same, and a draft pull request of each verified fix, on a push), off (default)",
            choices=("suggest", "pr", "off"),
        ),
        Option(
            "quarantine-pr",
            "on a push, propose each flaky test not fixed for quarantine: its entry (owner from "
            "CODEOWNERS, 30 days) in the settings file, by a draft pull request",
            switch=True,
        ),
        Option(
            "stable-runs",
            "close a flaky test's issue once it passed this many runs in a row (default 10)",
            kind=stable_runs,
        ),
        Option(
            "command",
            "the test command, after -- (input: one line)",
            kind=command_line,
            trailing=True,
            setting=False,
            action_input=True,
        ),
    ),
)
