"""DORA's four keys from what the gate reads already: the environment's deployments on GitHub
(the newest :data:`~cicd_agent.github.models.DEPLOYMENTS_READ`, one listing) and the
commits of the checkout between them.

- **deployment frequency**: deployments a day between the oldest and the newest listed;
- **lead time for changes**: the median time from a commit to a deployment that shipped it
  (the commits between each deployment and the one before it, by committer time; a commit
  shipped again after a rollback counts again);
- **change failure rate**: the share of deployments that were rolled back, a rollback being a
  deployment of a commit deployed before the one it replaced (a redeploy of an older release);
- **time to restore**: the median time from a rolled-back deployment to its rollback.

Each key names its evidence, and says so when it is thin: fewer than :data:`FEW` deployments,
a listing cut at its cap, commits the checkout does not hold (a shallow clone), no rollback
seen. A deployment's status is not read (it would be a call a deployment): a failure fixed
forward, not rolled back, is not counted, and the label says so.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

from cicd_agent.actions.errors import UsageError
from cicd_agent.github.models import DeploymentInfo
from cicd_agent.local.gitrepo import GitRepo

FEW = 5
"""Deployments below which every key is said to rest on thin evidence."""
DAY = 86_400.0


@dataclass(frozen=True, kw_only=True)
class Key:
    """One key: its value (None: not measurable here) in ``unit``, and what it rests on."""

    value: float | None
    unit: str
    evidence: str


@dataclass(frozen=True, kw_only=True)
class FourKeys:
    deployment_frequency: Key
    lead_time_for_changes: Key
    change_failure_rate: Key
    time_to_restore: Key

    def rows(self) -> list[str]:
        """The summary's table: one row a key."""
        lines = ["| DORA key | value | evidence |", "|---|---|---|"]
        for item in fields(self):
            name, key = item.name, getattr(self, item.name)
            shown = "not measured" if key.value is None else f"{key.value:.3g} {key.unit}"
            words = name.replace("_", " ")
            lines.append(f"| {words} | {shown} | {key.evidence.replace('|', '/')} |")
        return lines


Commits = Callable[[str | None, str], Sequence[int] | None]
"""The committer times (Unix seconds) of the commits in ``base..head`` (everything reachable
from ``head`` when ``base`` is None), or None when the checkout does not hold them."""


def four_keys(
    deployments: Sequence[DeploymentInfo] | None, why: str, commits: Commits, cut: bool
) -> FourKeys:
    """The keys over ``deployments`` (any order), ``why`` none were read when None; ``cut``:
    the listing held as many as it reads, so older ones exist."""
    if not deployments:
        said = why or "no deployment to this environment was listed"
        unmeasured = Key(value=None, unit="", evidence=said)
        return FourKeys(
            deployment_frequency=unmeasured,
            lead_time_for_changes=unmeasured,
            change_failure_rate=unmeasured,
            time_to_restore=unmeasured,
        )
    ordered = sorted(deployments, key=lambda d: (d.created_at, d.id))
    count = len(ordered)
    scope = f"{count} deployment(s) listed" + (
        " (the newest only: the listing is capped)" if cut else ""
    )
    thin = f"; thin: fewer than {FEW} deployments" if count < FEW else ""
    span = (ordered[-1].created_at - ordered[0].created_at).total_seconds() / DAY
    frequency = Key(
        value=(count - 1) / span if count > 1 and span > 0 else None,
        unit="a day",
        evidence=f"{scope} over {span:.1f} days{thin}",
    )
    restored, failed = _rollbacks(ordered)
    shipped = [d for d in ordered if d not in restored]
    failure = Key(
        value=len(failed) / len(shipped) if shipped else None,
        unit="of deployments",
        evidence=f"{len(failed)} rolled back of {len(shipped)} ({scope}); rollbacks are "
        "redeploys of an older commit, a failure fixed forward is not seen" + thin,
    )
    times = [(d.created_at - f.created_at).total_seconds() / 3600 for f, d in failed.items()]
    restore = Key(
        value=statistics.median(times) if times else None,
        unit="hours (median)",
        evidence=f"{len(times)} rollback(s) seen" + (thin if times else ": none to time"),
    )
    return FourKeys(
        deployment_frequency=frequency,
        lead_time_for_changes=_lead_time(ordered, commits, scope, thin),
        change_failure_rate=failure,
        time_to_restore=restore,
    )


def _rollbacks(
    ordered: Sequence[DeploymentInfo],
) -> tuple[set[DeploymentInfo], dict[DeploymentInfo, DeploymentInfo]]:
    """The rollbacks (a deployment of a commit deployed before the one it replaced) and, for
    each deployment rolled back, its rollback."""
    rollbacks: set[DeploymentInfo] = set()
    failed: dict[DeploymentInfo, DeploymentInfo] = {}
    for index in range(1, len(ordered)):
        before, now = ordered[index - 1], ordered[index]
        older = {d.sha for d in ordered[: index - 1]}
        if now.sha != before.sha and now.sha in older and before.sha not in older:
            rollbacks.add(now)
            failed[before] = now
    return rollbacks, failed


def _lead_time(ordered: Sequence[DeploymentInfo], commits: Commits, scope: str, thin: str) -> Key:
    """The median hours from a commit to a deployment that shipped it. A commit's time is
    what its writer set (a pull request's commits too): one after the deployment that shipped
    it cannot be true, so it is left out and counted, never taken as shipped at once."""
    hours: list[float] = []
    unread = future = 0
    shipped: set[str] = set()
    for index, deployment in enumerate(ordered):
        if deployment.sha in shipped:
            continue  # a redeploy ships no new commit
        base = ordered[index - 1].sha if index else None
        if base is None:
            continue  # what the oldest listed shipped first is not known
        times = commits(base, deployment.sha)
        if times is None:
            unread += 1
            continue
        stamp = deployment.created_at.timestamp()
        hours += [(stamp - t) / 3600 for t in times if t <= stamp]
        future += sum(1 for t in times if t > stamp)
        shipped.add(deployment.sha)
    gaps = f"; {unread} deployment(s) whose commits the checkout does not hold" if unread else ""
    if future:
        gaps += f"; {future} commit(s) dated after the deployment that shipped them: left out"
    return Key(
        value=statistics.median(hours) if hours else None,
        unit="hours (median)",
        evidence=f"{len(hours)} commit(s) of {scope}{gaps}{thin}",
    )


_SHA = re.compile(r"[0-9a-f]{40}")


def committed(repo: GitRepo, limit: int = 2000) -> Commits:
    """:data:`Commits` read with ``git log`` from ``repo``, at most ``limit`` a range; None
    when a commit is no full hexadecimal id (GitHub's answer is not trusted to be one: it
    would reach git's command line) or git cannot resolve it (the clone lacks it)."""

    def times(base: str | None, head: str) -> Sequence[int] | None:
        if not all(_SHA.fullmatch(sha) for sha in (base or head, head)):
            return None
        try:
            text = repo.run(
                "log",
                f"--max-count={limit}",
                "--format=%ct",
                f"{base}..{head}" if base else head,
                "--",
            )
        except UsageError:  # git could not resolve the range
            return None
        return [int(line) for line in text.split() if line.isdigit()]

    return times
