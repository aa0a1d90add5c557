"""deploy-gate's collect step: the change range, its risk, and the CI signals around it.

Everything read from git, the reports the workflow names and GitHub happens here, once, so the
later steps are pure: the range (``--base``/``--head``, else the event's), the change and its
history, the risk (priors, refitted to the repository's own past when it has enough:
:mod:`cicd_agent.risk.checkout`), the test and build routing, JUnit and coverage reports, and the
review decisions and recent failure rate from GitHub (each read that fails marks its signal
missing). ``inputs`` is what the verdict saw, for the audit record ``publish`` appends.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from cicd_agent.actions.errors import ExternalServiceError, UsageError
from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile, ChangeSet
from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.finding import Finding
from cicd_agent.github.models import DEPLOYMENTS_READ, DeploymentInfo, DeploymentListing
from cicd_agent.job.context import RunContext
from cicd_agent.local.audit import file_digest
from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo, is_null_sha
from cicd_agent.local.syntax import MAX_PARSED, SUFFIXES, parse_check
from cicd_agent.local.zizmor import MISSING as ZIZMOR_MISSING
from cicd_agent.local.zizmor import zizmor_binary
from cicd_agent.modes.deploy_gate import policy as policies
from cicd_agent.modes.deploy_gate import safety, windows
from cicd_agent.modes.deploy_gate.build_report import raised
from cicd_agent.modes.deploy_gate.dora import committed, four_keys
from cicd_agent.modes.deploy_gate.eval_report import with_eval
from cicd_agent.modes.deploy_gate.options import DeployOptions
from cicd_agent.modes.deploy_gate.related import read_graph
from cicd_agent.modes.deploy_gate.report_files import read_build_report
from cicd_agent.modes.deploy_gate.safety import CoverageReport, PullReview
from cicd_agent.modes.deploy_gate.types import DeployFacts, DiffExcerpt
from cicd_agent.modes.deploy_gate.unparsed import held_unparsed
from cicd_agent.risk.assessment import RiskAssessment
from cicd_agent.risk.service import change_risk, deepen
from cicd_agent.risk.store import default_cache_dir

MAX_COMMITS_ASKED = 3
"""Commits of the range whose pull requests are looked up (the head first)."""
MAX_PROMPT_FILES = 40
"""Changed files whose diff the model may be shown, riskiest first."""
# Riskiest change types first: what the model should see when not everything fits.
_ORDER = (
    ChangeType.MIGRATION,
    ChangeType.SECURITY,
    ChangeType.INFRASTRUCTURE,
    ChangeType.API_CONTRACT,
    ChangeType.DEPENDENCIES,
    ChangeType.CI,
    ChangeType.CONFIG,
    ChangeType.BUILD,
    ChangeType.SOURCE,
    ChangeType.OTHER,
    ChangeType.TESTS,
    ChangeType.DOCS,
)
_NOT_SENT = frozenset({ChangeType.LOCKFILE, ChangeType.GENERATED})


def collect(ctx: RunContext[DeployOptions]) -> DeployFacts:
    """Read the change, score its risk and gather the signals (see the module doc)."""
    options = ctx.mode_options  # every option checked before any I/O
    moment = options.deploy_time or datetime.now(tz=ZoneInfo("UTC"))  # no deploy-time: now
    if options.slack_webhook_url:
        ctx.runner.mask(options.slack_webhook_url)

    repo = ctx.checkout.git
    cache = options.cache_dir or default_cache_dir(ctx.environ)
    if cache is not None and ctx.checkout.holds(cache):
        raise UsageError(
            f"The cache folder {cache} (--cache-dir, else CICD_AGENT_CACHE_DIR) is in the "
            "checkout; the pull request would commit the fitted risk model its change is "
            "scored by.",
            hint="Give a folder outside the checkout (the action keeps one in $RUNNER_TEMP).",
        )
    named, when = _named_commits(ctx, options), int(moment.timestamp())
    deepened = deepen(ctx, named, past=_bases(ctx, options), now=when, cache=cache)
    listing, deployments_reason = _deployments(ctx, options)
    deployments = list(listing.deployments) if listing is not None else None
    base, head = _range(ctx, options, repo, deployments)
    change = read_change_set(repo, head, base)
    ctx.progress.say(
        f"the change: {len(change.files):,} file(s) in {len(change.commits):,} commit(s)"
    )
    if any(c.path.startswith(".github/") for c in change.files):  # what zizmor audits
        ctx.tool("zizmor", "" if zizmor_binary() else ZIZMOR_MISSING)
    assessment = change_risk(ctx, change, deepened=deepened, now=when, cache=cache)
    assessment = _with_reports(ctx, assessment, change.head)
    assessment = held_unparsed(assessment, _unparsed(ctx, change))
    if change.base_note:
        ctx.note(f"Change range: {change.base_note}.")
    if change.commits_truncated:
        ctx.note("More than 250 commits in the range: messages and authors of the first 250.")
    tracked = repo.tracked_files(change.head)
    # The imports of the languages changed tell which tests reach the change.
    graph = read_graph(
        repo, change.head, tracked, {PurePosixPath(c.path).suffix for c in change.files}
    )
    routing = policies.route(change.files, tracked, graph, assessment.change_types)

    root = ctx.options.repo_dir
    junit_files = safety.find_reports(options.junit, Path.cwd())  # as any path on a command line
    tests = safety.read_junit(junit_files) if junit_files else None
    # A report named relative to the checkout, or absolute (``root / path`` is then ``path``).
    given = [root / text if text else None for text in (options.coverage, options.base_coverage)]
    coverage_head, coverage_base = (safety.read_coverage(p) if p else None for p in given)
    coverage_reason = _foreign_coverage(repo, change, tracked, coverage_head, coverage_base)
    pulls, pulls_reason, conclusions, conclusions_reason = _github_signals(
        ctx, options, change, moment
    )
    written = [root / report for report in (options.build_report, options.eval_report) if report]
    reports = [*junit_files, *filter(None, given), *written]
    inputs = _inputs(options, change, moment, reports)
    return DeployFacts(
        options=options,
        change=change,
        assessment=assessment,
        routing=routing,
        tests=tests,
        coverage_head=coverage_head,
        coverage_base=coverage_base,
        coverage_reason=coverage_reason,
        pulls=pulls,
        pulls_reason=pulls_reason,
        conclusions=conclusions,
        conclusions_reason=conclusions_reason,
        window=windows.change_window(moment, options.zone, options.hours, options.freezes),
        inputs=inputs,
        four_keys=four_keys(
            deployments,
            deployments_reason,
            committed(repo),
            cut=listing is not None
            and len(listing.deployments) + listing.dropped >= DEPLOYMENTS_READ,
        ),
        # Only a run that asks a model reads it (offline runs pay for no diff they never use).
        excerpt=_excerpt(repo, change) if ctx.provider != "none" else None,
    )


def _foreign_coverage(
    repo: GitRepo,
    change: ChangeSet,
    tracked: list[str],
    head: CoverageReport | None,
    base: CoverageReport | None,
) -> str:
    """Why the coverage reports given are not used (they describe another tree), else ""."""
    base_tracked = repo.tracked_files(change.base) if base and change.base else tracked
    foreign = [
        safety.foreign_tree(report, files)
        for report, files in ((head, tracked), (base, base_tracked))
        if report is not None
    ]
    return "; ".join(reason for reason in foreign if reason)


def _inputs(
    options: DeployOptions, change: ChangeSet, moment: datetime, reports: list[Path]
) -> dict[str, Any]:
    """What the verdict saw, for the audit record: the range, the options, report digests."""
    return {
        "base": change.base,
        "head": change.head,
        "environment": options.environment,
        "policy": options.policy.model_dump(mode="json"),
        "weights": {k.value: v for k, v in options.weights.items()},
        "approval_confidence": options.approval_confidence,
        "deploy_time": moment.isoformat(),
        "freeze_windows": options.freeze_windows_text,
        "business_hours": options.business_hours_text,
        "timezone": options.timezone_text,
        "reports": {str(path): file_digest(path) for path in reports if path.is_file()},
    }


def _excerpt(repo: GitRepo, change: ChangeSet) -> DiffExcerpt:
    candidates = sorted(
        (c for c in change.files if not c.binary and not c.submodule and not c.types & _NOT_SENT),
        key=_priority,
    )[:MAX_PROMPT_FILES]
    chosen = [c.path for c in candidates]
    # A rename is only seen as one when the pathspec holds both of its names.
    renamed_from = [c.old_path for c in candidates if c.old_path and c.old_path not in chosen]
    # Whole: the prompt cuts it to the model's budget, which only the ask step knows.
    text = repo.diff_text(change.base, change.head, chosen + renamed_from, max_bytes=sys.maxsize)
    return DiffExcerpt(tuple(chosen), text)


def _priority(changed: ChangedFile) -> tuple[int, int]:
    rank = min((_ORDER.index(t) for t in changed.types if t in _ORDER), default=len(_ORDER))
    return rank, -changed.churn


def _range(
    ctx: RunContext[DeployOptions],
    options: DeployOptions,
    repo: GitRepo,
    deployments: list[DeploymentInfo] | None,
) -> tuple[str | None, str]:
    """``--base``/``--head``, else the event's: push before/after (a new branch: the head
    alone), pull request merge-base/head, deployment and its predecessor, dispatch inputs, a
    merge queue's base and group commit."""
    base, head = options.base, options.head
    if ctx.has_event and (base is None or head is None):
        event_base, event_head = _event_range(ctx, repo, deployments)
        base = base or event_base
        head = head or event_head
    if is_null_sha(base):
        ctx.note("The push created the branch (before is all zeros): judging the head commit.")
        base = None
    return base, head or ctx.environ.get("GITHUB_SHA") or "HEAD"


def _event_range(
    ctx: RunContext[DeployOptions], repo: GitRepo, deployments: list[DeploymentInfo] | None
) -> tuple[str | None, str | None]:
    event = ctx.event
    if event.push is not None:
        return event.push.before, event.push.after
    if event.pull_request is not None:
        pull = event.pull_request
        return repo.merge_base(pull.base.sha, pull.head.sha), pull.head.sha
    if event.deployment is not None:
        return _previous_deployment(ctx, deployments), event.deployment.sha
    if event.dispatch is not None:
        inputs = event.dispatch.inputs or {}
        base, head = inputs.get("base"), inputs.get("head")
        return (str(base) if base else None), (str(head) if head else None)
    if event.workflow_run is not None:
        return None, event.workflow_run.head_sha
    if event.merge_group is not None:  # what the queue would land: its base to the group's commit
        return event.merge_group.base_sha, event.merge_group.head_sha
    return None, None


def _deployments(
    ctx: RunContext[DeployOptions], options: DeployOptions
) -> tuple[DeploymentListing | None, str]:
    """The environment's newest deployments (the event's environment, else ``--environment``),
    read once: the deployment's predecessor and DORA's keys both come from them; or why not."""
    deployment = ctx.event.deployment if ctx.has_event else None
    environment = deployment.environment if deployment is not None else options.environment
    if ctx.github is None:
        return None, "no GitHub token or repository"
    if not environment:
        return None, "no environment named (--environment)"
    try:
        listing = ctx.github.recent_deployments(environment)
    except ExternalServiceError as exc:
        ctx.note(f"Could not read the deployments to {environment} ({exc}).")
        return None, f"GitHub: {exc.message}"
    if listing.dropped:
        ctx.note(
            f"{listing.dropped} deployment(s) to {environment} left out: GitHub listed them "
            "without a 40-digit commit id or a dated time with its zone."
        )
    return listing, ""


def _previous_deployment(
    ctx: RunContext[DeployOptions], deployments: list[DeploymentInfo] | None
) -> str | None:
    """The commit of the latest deployment older than the event's that is not its commit."""
    deployment = ctx.event.deployment
    assert deployment is not None
    if deployments is None:
        ctx.note("Earlier deployments unread: the deployment is compared with its first parent.")
        return None
    older = (d.sha for d in deployments if d.id < deployment.id and d.sha != deployment.sha)
    sha = next(older, None)
    if sha is None:
        ctx.note("No earlier deployment to this environment: compared with the first parent.")
    return sha


def _github_signals(
    ctx: RunContext[DeployOptions], options: DeployOptions, change: ChangeSet, moment: datetime
) -> tuple[list[PullReview] | None, str, list[str | None] | None, str]:
    client = ctx.github
    if client is None:
        reason = "no GitHub token or repository"
        return None, reason, None, reason
    pulls: list[PullReview] | None = None
    pulls_reason = ""
    try:  # the pull requests of the head commit, or of the next commits when it is in none
        shas = ([c.sha for c in change.commits] or [change.head])[:MAX_COMMITS_ASKED]
        found = next(filter(None, map(client.review_decisions, shas)), [])
        pulls = [PullReview(d.number, d.verdict) for d in found]
    except ExternalServiceError as exc:
        pulls_reason = f"GitHub: {exc.message}"
        ctx.note(f"Review decisions unavailable: {exc}")
    workflow = options.workflow or workflow_from_env(ctx.environ)
    ref = ctx.event.push.ref if ctx.has_event and ctx.event.push is not None else ""
    pushed = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    branch = options.branch or ctx.environ.get("GITHUB_REF_NAME") or pushed
    days = options.failure_window_days
    if not workflow or not branch:
        return pulls, pulls_reason, None, "unknown workflow or branch (--workflow, --branch)"
    try:  # the conclusions of the workflow's completed runs on the branch in the window
        runs = client.workflow_runs(
            int(workflow) if workflow.isdigit() else workflow,
            branch=branch,
            created_since=moment - timedelta(days=days),
            status="completed",
        )
    except ExternalServiceError as exc:
        ctx.note(f"Workflow failure rate unavailable: {exc}")
        return pulls, pulls_reason, None, f"GitHub: {exc.message}"
    return pulls, pulls_reason, [run.conclusion for run in runs], ""


def workflow_from_env(environ: Mapping[str, str]) -> str | None:
    """The running workflow's file name from ``GITHUB_WORKFLOW_REF``
    (``owner/repo/.github/workflows/deploy.yml@refs/heads/main`` → ``deploy.yml``)."""
    ref = environ.get("GITHUB_WORKFLOW_REF", "")
    path = ref.partition("@")[0]
    return path.rsplit("/", 1)[-1] or None if path else None


def _named_commits(ctx: RunContext[DeployOptions], options: DeployOptions) -> list[str | None]:
    """Every commit the range may be read from (options, event, ``GITHUB_SHA``): what a
    shallow clone fetches the history of before the range is resolved."""
    named: list[str | None] = [options.base, options.head, ctx.environ.get("GITHUB_SHA")]
    if ctx.has_event:
        event = ctx.event
        if event.push is not None:
            named += [event.push.before, event.push.after]
        if event.pull_request is not None:
            named += [event.pull_request.base.sha, event.pull_request.head.sha]
        if event.deployment is not None:
            named.append(event.deployment.sha)
        if event.merge_group is not None:
            named += [event.merge_group.base_sha, event.merge_group.head_sha]
    return named


def _bases(ctx: RunContext[DeployOptions], options: DeployOptions) -> list[str | None]:
    """The named commits a range may start from, whose past risk reads (never a head: a
    change's author dates its commits, and its history is not the one scored against)."""
    bases: list[str | None] = [options.base]
    if ctx.has_event:
        event = ctx.event
        bases += [event.push.before if event.push is not None else None]
        bases += [event.pull_request.base.sha if event.pull_request is not None else None]
        bases += [event.merge_group.base_sha if event.merge_group is not None else None]
    return bases


def _with_reports(
    ctx: RunContext[DeployOptions], assessment: RiskAssessment, head: str
) -> RiskAssessment:
    """``assessment`` raised by what the build's and the eval's reports about ``head`` say;
    each report not used is a note saying why."""
    options, root = ctx.mode_options, ctx.options.repo_dir
    if options.build_report:
        evidence, why = read_build_report(root, options.build_report, head)
        if why:
            ctx.note(why)
        if evidence is not None:
            assessment = raised(assessment, evidence)
    if options.eval_report:
        assessment, why = with_eval(assessment, root, options.eval_report, head)
        if why:
            ctx.note(why)
    return assessment


def _unparsed(ctx: RunContext[DeployOptions], change: ChangeSet) -> list[Finding]:
    """The changed Python and JavaScript files that do not parse at the head where they did
    at the base (:func:`~cicd_agent.local.syntax.parse_check`, review's check); what it could
    not check is a note. A first deployment (no base) has no base to hold them to."""
    files = [c for c in change.files if c.path.endswith(SUFFIXES) and not c.binary]
    if change.base is None or not files:
        return []
    paths = sorted({name for c in files for name in (c.path, c.old_path) if name})
    diff = parse_diff(ctx.checkout.git.diff_text(change.base, change.head, paths, MAX_PARSED))
    found: list[Finding] = []
    for parsed in parse_check(
        ctx.checkout,
        diff,
        (change.base, change.head),
        environ=ctx.environ,
        clean=ctx.redactor.redact,
    ):
        if parsed.checked or parsed.missing:
            ctx.tool(parsed.tool, parsed.missing)
        for note in parsed.notes:
            ctx.note(note)
        found += parsed.findings
    return found
