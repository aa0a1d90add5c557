"""gen-tests' command-line options, declared as data: importable without the mode
(:mod:`cicd_agent.plugins` says why)."""

from __future__ import annotations

from cicd_agent.modes.gen_tests import FAIL_ON_UNCOVERED
from cicd_agent.plugins import Option, OptionGroup

FAIL_ON_CHOICES: tuple[str, ...] = (FAIL_ON_UNCOVERED,)
DEFAULT_TEST_COMMAND = "python -m pytest"
DEFAULT_TEST_TIMEOUT = 120.0
DEFAULT_TOKEN_BUDGET = 500_000
DEFAULT_COST_BUDGET = 1.0
DEFAULT_PR_TEST_RUNS = 6
"""The flaky hunt's rounds for a pytest test under 5 s: each of its six conditions once
(:func:`.conditions.varied`), each round one pytest session repeating the test
as often as its share of the budget holds; slower tests get fewer. A second turn of the
conditions would spend the budget on sessions' starts, which the repetitions make needless."""
DEFAULT_OTHER_RUNS = 6
"""Runs of a test file of another runner (jest, vitest, go): in its order and shuffled, by turns."""
SUITE_TIMEOUT = 3600.0
"""A whole run of the user's suite (the baseline; the run after, with every kept test), no
option: generous, it is the suite their CI already runs. Here, below every step that runs one."""

OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup(
        "gen-tests options",
        Option("base", "base commit (default: from the event)", setting=False, action_input=True),
        Option("head", "head commit (default: from the event)", setting=False, action_input=True),
        Option("test-command", f"the project's test command (default '{DEFAULT_TEST_COMMAND}')"),
        Option("test-dir", "folder for accepted tests"),
        Option("source", "source paths to cover (whole files) instead of the change"),
        Option(
            "whole-files",
            "cover every missing line of the changed files, not only the changed lines",
            switch=True,
        ),
        Option("push", "commit accepted tests to the PR branch (never for forks)", switch=True),
        Option("shard", "i/n: this job's share of the segments"),
        Option(
            "test-timeout",
            f"seconds for each candidate run (default {DEFAULT_TEST_TIMEOUT:.0f})",
            kind=float,
        ),
        Option(
            "pr-test-runs",
            "rounds of each test the change adds or changes, to tell the flaky ones, each "
            "under the next condition and, for pytest, repeating the test in one session as "
            f"the budget allows (default: by its first run's length, {DEFAULT_PR_TEST_RUNS} "
            f"under 5 s, one per condition; other runners {DEFAULT_OTHER_RUNS})",
            kind=int,
        ),
        Option(
            "token-budget",
            f"most model tokens for the run (default {DEFAULT_TOKEN_BUDGET:,})",
            kind=int,
        ),
        Option(
            "cost-budget",
            f"most estimated USD for the run (default {DEFAULT_COST_BUDGET:.2f})",
            kind=float,
        ),
        Option("secret-env", "more environment variable names to keep from generated tests"),
        Option(
            "patch-file",
            "where to write the patch (default: $RUNNER_TEMP/cicd-agent-gen-tests.patch; "
            "off a runner, a per-process name in the system temp folder)",
        ),
        Option(
            "allow-unsandboxed",
            "run model-written tests even where no bubblewrap sandbox can be built",
            switch=True,
            setting=False,
            action_input=True,
        ),
    ),
)
