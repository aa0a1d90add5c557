"""gen-tests' command-line options: importable without the mode (:mod:`cicd_agent.arguments` says why)."""

from __future__ import annotations

import argparse

from cicd_agent.modes.gen_tests import FAIL_ON_UNCOVERED

FAIL_ON_CHOICES: tuple[str, ...] = (FAIL_ON_UNCOVERED,)
DEFAULT_TEST_COMMAND = "python -m pytest"
DEFAULT_TEST_TIMEOUT = 120.0
DEFAULT_TOKEN_BUDGET = 500_000
DEFAULT_COST_BUDGET = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("gen-tests options")
    group.add_argument("--base", default=None, help="base commit (default: from the event)")
    group.add_argument("--head", default=None, help="head commit (default: from the event)")
    group.add_argument(
        "--test-command",
        default=None,
        help=f"the project's test command (default '{DEFAULT_TEST_COMMAND}')",
    )
    group.add_argument("--test-dir", default=None, help="folder for accepted tests")
    group.add_argument(
        "--source",
        default=None,
        help="source paths to cover (whole files) instead of the change",
    )
    group.add_argument(
        "--whole-files",
        action="store_true",
        default=None,
        help="cover every missing line of the changed files, not only the changed lines",
    )
    group.add_argument(
        "--push",
        action="store_true",
        default=None,
        help="commit accepted tests to the PR branch (never for forks)",
    )
    group.add_argument("--shard", default=None, help="i/n: this job's share of the segments")
    group.add_argument(
        "--test-timeout",
        type=float,
        default=None,
        help=f"seconds for each candidate run (default {DEFAULT_TEST_TIMEOUT:.0f})",
    )
    group.add_argument(
        "--token-budget",
        type=int,
        default=None,
        help=f"most model tokens for the run (default {DEFAULT_TOKEN_BUDGET:,})",
    )
    group.add_argument(
        "--cost-budget",
        type=float,
        default=None,
        help=f"most estimated USD for the run (default {DEFAULT_COST_BUDGET:.2f})",
    )
    group.add_argument(
        "--secret-env",
        default=None,
        help="more environment variable names to keep from generated tests",
    )
    group.add_argument(
        "--patch-file",
        default=None,
        help="where to write the patch (default: $RUNNER_TEMP/cicd-agent-gen-tests.patch; "
        "off a runner, a per-process name in the system temp folder)",
    )
    group.add_argument(
        "--allow-unsandboxed",
        action="store_true",
        default=None,
        help="run model-written tests even where no bubblewrap sandbox can be built",
    )
