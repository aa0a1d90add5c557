"""review's command-line options: importable without the mode (:mod:`cicd_agent.arguments` says why)."""

from __future__ import annotations

import argparse

from cicd_agent.flags import at_least, database_url, path
from cicd_agent.severity import SEVERITY_NAMES, severity_argument

FAIL_ON_CHOICES = SEVERITY_NAMES
DEFAULT_MAX_FINDINGS = 25
DEFAULT_MAX_MODEL_CALLS = 3
DESCRIBE_PLACES = ("body", "comment")
SARIF_NAME = "cicd-agent-review.sarif"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("review options")
    group.add_argument("--base", help="base commit or ref (default: the pull request's base)")
    group.add_argument(
        "--head", help="head commit or ref (default: the pull request's head, else HEAD)"
    )
    group.add_argument(
        "--report-on",
        type=severity_argument("report-on"),
        help=f"lowest severity posted: {', '.join(SEVERITY_NAMES)} (default medium)",
    )
    group.add_argument(
        "--max-findings",
        type=at_least(0),
        help=f"most findings posted (default {DEFAULT_MAX_FINDINGS})",
    )
    group.add_argument(
        "--max-model-calls",
        type=at_least(1),
        help=f"most model calls for one pull request (default {DEFAULT_MAX_MODEL_CALLS})",
    )
    group.add_argument(
        "--request-changes",
        action="store_true",
        default=None,
        help="post REQUEST_CHANGES when fail-on is met (default: COMMENT)",
    )
    group.add_argument(
        "--describe",
        action="store_true",
        default=None,
        help="write a description of the change (what and why, per file group, risk) into "
        "a marked section of the pull request's body",
    )
    group.add_argument(
        "--describe-in",
        choices=DESCRIBE_PLACES,
        help="where the description goes: body (default; the summary comment when the "
        "body cannot be edited) or comment (always the summary comment)",
    )
    group.add_argument(
        "--sarif-file",
        type=path,
        help=f"where to write the SARIF file (default: $RUNNER_TEMP/{SARIF_NAME}; off a "
        "runner, cicd-agent-review-PID.sarif in the system temp folder)",
    )
    group.add_argument(
        "--result-file",
        type=path,
        help="also write the result as JSON for a publishing workflow (fork-safe step 1)",
    )
    group.add_argument(
        "--audit-database-url",
        type=database_url,
        help="PostgreSQL URL: also record the verdict there (prefer the action input)",
    )
    group.add_argument(
        "--publish-from",
        type=path,
        help="publish an untrusted result file instead of reviewing (fork-safe step 2, "
        "on workflow_run)",
    )
