"""deploy-gate's command-line options (both phases), declared as data: importable without the
mode (:mod:`cicd_agent.plugins` says why)."""

from __future__ import annotations

from cicd_agent.plugins import Option, OptionGroup, database_url

DEPLOY_FAIL_ON: tuple[str, ...] = ("hold", "low", "medium", "high", "critical")
"""``hold``: the gate held; a risk level: the change is at or above it, held or not (a critical
change proceeds with an approval, so ``hold`` alone lets it through)."""
FAIL_ON_CHOICES: tuple[str, ...] = (*DEPLOY_FAIL_ON, "rollback")
DEFAULT_APPROVAL_CONFIDENCE = 0.6
DEFAULT_FAILURE_WINDOW_DAYS = 14

DEPLOY = OptionGroup(
    "deploy-gate",
    Option(
        "phase",
        "deploy or canary (default deploy)",
        choices=("deploy", "canary"),
        action_input=True,
    ),
    Option(
        "base",
        "base commit (default: from the event, else the head's first parent)",
        setting=False,
        action_input=True,
    ),
    Option(
        "head", "head commit (default: from the event, else HEAD)", setting=False, action_input=True
    ),
    Option("environment", "target environment name"),
    Option(
        "junit",
        "JUnit XML files: globs, comma-separated, relative to the working folder (a glob "
        "that matches no file is an error)",
    ),
    Option(
        "build-report",
        "the build mode's report (cicd-agent-build.json) for this head: "
        "a new critical vulnerability raises the risk",
    ),
    Option(
        "eval-report",
        "the eval mode's report (cicd-agent-eval.json) for this head: a regressed verdict "
        "raises the risk to at least high",
    ),
    Option("coverage", "coverage.py report (JSON or XML) of the head"),
    Option("base-coverage", "coverage.py report of the base"),
    Option("safety-weights", "e.g. tests=35,coverage=20,review=25,failure_rate=10,model=10"),
    Option("policy", "JSON overrides of the deploy policy (see README)"),
    Option(
        "approval-confidence",
        f"approval below this model confidence (default {DEFAULT_APPROVAL_CONFIDENCE})",
        kind=float,
    ),
    Option("freeze-windows", "START/END ISO 8601 intervals, comma-separated"),
    Option("business-hours", "business hours (default 'Mon-Fri 09:00-18:00')"),
    Option("timezone", "IANA time zone of business hours and freezes (default UTC)"),
    Option(
        "deploy-time",
        "judge the change window at this ISO 8601 time (default now)",
        setting=False,
    ),
    Option(
        "failure-window-days",
        f"days of workflow runs for the failure rate (default {DEFAULT_FAILURE_WINDOW_DAYS})",
        kind=int,
    ),
    Option("workflow", "workflow file or id for the failure rate (default: this one)"),
    Option("branch", "branch for the failure rate (default: GITHUB_REF_NAME)"),
    Option("audit-file", "JSON-lines audit file to append to"),
    Option(
        "audit-database-url",
        "PostgreSQL URL: also record every verdict there (prefer the action input)",
        kind=database_url,
        setting=False,
        action_input=True,
    ),
    Option(
        "cache-dir",
        "cache of mined history for the fitted risk model (default: "
        "CICD_AGENT_CACHE_DIR, which the action keeps with actions/cache, else "
        "RUNNER_TOOL_CACHE/cicd-agent)",
    ),
    Option(
        "slack-webhook-url",
        "Slack incoming webhook for holds and approvals",
        setting=False,
        action_input=True,
    ),
)

CANARY = OptionGroup(
    "deploy-gate canary phase",
    Option(
        "prometheus-url",
        "Prometheus base URL (required for --phase canary)",
        setting=False,
        action_input=True,
    ),
    Option(
        "prometheus-token",
        "bearer token for Prometheus (prefer the action input)",
        setting=False,
        action_input=True,
    ),
    Option("prometheus-username", "basic-auth user for Prometheus"),
    Option(
        "prometheus-password",
        "basic-auth password for Prometheus (prefer the action input)",
        setting=False,
        action_input=True,
    ),
    Option(
        "canary-config",
        "metric specs and thresholds: inline YAML/JSON or a file path (default: error rate "
        "and p99 latency of http_requests_total / http_request_duration_seconds by `track`)",
    ),
    Option(
        "canary-end",
        "judge the window ending at this Unix time (default: now); for re-judging a past window",
        kind=float,
    ),
    Option(
        "canary-state",
        "the previous call's canary_state output: the rollout's evidence so far (empty: a "
        "new rollout)",
        action_input=True,
    ),
    Option(
        "canary-state-secret",
        "the secret canary-state is sealed with, so an edited or forged state is refused "
        "(default: the Prometheus token or password; prefer the action input)",
        setting=False,
        action_input=True,
    ),
    Option(
        "canary-release",
        "what this rollout deploys (the action passes the workflow's commit): the canary "
        "state is sealed to it, so an earlier release's evidence never counts for this one",
        setting=False,
    ),
    Option(
        "risk-level",
        "the deploy phase's risk_level: sets the canary's confidence, allowed change, "
        "windows before promote and first traffic share",
        choices=("low", "medium", "high", "critical"),
        action_input=True,
    ),
)
"""Options of the canary phase; each is also the action input of the same name."""

OPTIONS: tuple[OptionGroup, ...] = (DEPLOY, CANARY)
