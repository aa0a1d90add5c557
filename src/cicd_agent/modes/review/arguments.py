"""review's command-line options, declared as data: importable without the mode
(:mod:`cicd_agent.plugins` says why)."""

from __future__ import annotations

from cicd_agent.plugins import (
    SEVERITY_NAMES,
    Option,
    OptionGroup,
    at_least,
    database_url,
    path,
    severity_argument,
)

FAIL_ON_CHOICES = (*SEVERITY_NAMES, "none")
"""A severity, or ``none``: a build error on a changed line fails the step whatever the level
set, unless fail-on is ``none``."""
DEFAULT_MAX_FINDINGS = 25
DEFAULT_MAX_MODEL_CALLS = 3
DESCRIBE_PLACES = ("body", "comment")
SARIF_NAME = "cicd-agent-review.sarif"

OPTIONS: tuple[OptionGroup, ...] = (
    OptionGroup(
        "review options",
        Option(
            "base",
            "base commit or ref (default: the pull request's base)",
            setting=False,
            action_input=True,
        ),
        Option(
            "head",
            "head commit or ref (default: the pull request's head, else HEAD)",
            setting=False,
            action_input=True,
        ),
        Option(
            "report-on",
            f"lowest severity posted: {', '.join(SEVERITY_NAMES)} (default medium)",
            kind=severity_argument("report-on"),
        ),
        Option(
            "max-findings",
            f"most findings posted (default {DEFAULT_MAX_FINDINGS})",
            kind=at_least(0),
        ),
        Option(
            "max-model-calls",
            f"most model calls for one pull request (default {DEFAULT_MAX_MODEL_CALLS})",
            kind=at_least(1),
        ),
        Option(
            "request-changes",
            "post REQUEST_CHANGES when fail-on is met (default: COMMENT)",
            switch=True,
        ),
        Option(
            "describe",
            "write a description of the change (what and why, per file group, risk) into "
            "a marked section of the pull request's body",
            switch=True,
        ),
        Option(
            "describe-in",
            "where the description goes: body (default; the summary comment when the "
            "body cannot be edited) or comment (always the summary comment)",
            choices=DESCRIBE_PLACES,
        ),
        Option(
            "sarif-file",
            f"where to write the SARIF file (default: $RUNNER_TEMP/{SARIF_NAME} on a runner; "
            "off a runner none is written unless this names a file)",
            kind=path,
        ),
        Option(
            "result-file",
            "also write the result as JSON for a publishing workflow (fork-safe step 1)",
            kind=path,
            setting=False,
            action_input=True,
        ),
        Option(
            "audit-database-url",
            "PostgreSQL URL: also record the verdict there (prefer the action input)",
            kind=database_url,
            setting=False,
            action_input=True,
        ),
        Option(
            "publish-from",
            "publish an untrusted result file instead of reviewing (fork-safe step 2, "
            "on workflow_run)",
            kind=path,
            setting=False,
            action_input=True,
        ),
    ),
)
