"""deploy-gate's command-line options (both phases), importable without the mode
(:mod:`cicd_agent.arguments` says why)."""

from __future__ import annotations

import argparse

from cicd_agent.flags import database_url

FAIL_ON_CHOICES: tuple[str, ...] = ("hold", "rollback")
DEFAULT_APPROVAL_CONFIDENCE = 0.6
DEFAULT_FAILURE_WINDOW_DAYS = 14


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deploy-gate")
    add = group.add_argument
    add("--phase", choices=("deploy", "canary"), help="deploy or canary (default deploy)")
    add("--base", help="base commit (default: from the event, else the head's first parent)")
    add("--head", help="head commit (default: from the event, else HEAD)")
    add("--environment", help="target environment name")
    add("--junit", help="JUnit XML files: globs, comma-separated")
    add("--coverage", help="coverage.py report (JSON or XML) of the head")
    add("--base-coverage", help="coverage.py report of the base")
    add("--safety-weights", help="e.g. tests=35,coverage=20,review=25,failure_rate=10,model=10")
    add("--policy", help="JSON overrides of the deploy policy (see README)")
    add(
        "--approval-confidence",
        type=float,
        help=f"approval below this model confidence (default {DEFAULT_APPROVAL_CONFIDENCE})",
    )
    add("--freeze-windows", help="START/END ISO 8601 intervals, comma-separated")
    add("--business-hours", help="business hours (default 'Mon-Fri 09:00-18:00')")
    add("--timezone", help="IANA time zone of business hours and freezes (default UTC)")
    add("--deploy-time", help="judge the change window at this ISO 8601 time (default now)")
    add(
        "--failure-window-days",
        type=int,
        help=f"days of workflow runs for the failure rate (default {DEFAULT_FAILURE_WINDOW_DAYS})",
    )
    add("--workflow", help="workflow file or id for the failure rate (default: this one)")
    add("--branch", help="branch for the failure rate (default: GITHUB_REF_NAME)")
    add("--audit-file", help="JSON-lines audit file to append to")
    add(
        "--audit-database-url",
        type=database_url,
        help="PostgreSQL URL: also record every verdict there (prefer the action input)",
    )
    add(
        "--cache-dir",
        help="cache of mined history for the fitted risk model (default: "
        "CICD_AGENT_CACHE_DIR, which the action keeps with actions/cache, else "
        "RUNNER_TOOL_CACHE/cicd-agent)",
    )
    add("--slack-webhook-url", help="Slack incoming webhook for holds and approvals")
    add_canary_arguments(parser)


def add_canary_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the canary phase; each is also the action input of the same name."""
    group = parser.add_argument_group("deploy-gate canary phase")
    add = group.add_argument
    add("--prometheus-url", help="Prometheus base URL (required for --phase canary)")
    add("--prometheus-token", help="bearer token for Prometheus (prefer the action input)")
    add("--prometheus-username", help="basic-auth user for Prometheus")
    add(
        "--prometheus-password", help="basic-auth password for Prometheus (prefer the action input)"
    )
    add(
        "--canary-config",
        help="metric specs and thresholds: inline YAML/JSON or a file path (default: error rate "
        "and p99 latency of http_requests_total / http_request_duration_seconds by `track`)",
    )
    add(
        "--canary-end",
        type=float,
        help="judge the window ending at this Unix time (default: now); for re-judging a past window",
    )
    add(
        "--canary-state",
        help="the previous call's canary_state output: the rollout's evidence so far (empty: a "
        "new rollout)",
    )
    add(
        "--canary-state-secret",
        help="the secret canary-state is sealed with, so an edited or forged state is refused "
        "(default: the Prometheus token or password; prefer the action input)",
    )
    add(
        "--canary-release",
        help="what this rollout deploys (the action passes the workflow's commit): the canary "
        "state is sealed to it, so an earlier release's evidence never counts for this one",
    )
    add(
        "--risk-level",
        choices=("low", "medium", "high", "critical"),
        help="the deploy phase's risk_level: sets the canary's confidence, allowed change, "
        "windows before promote and first traffic share",
    )
