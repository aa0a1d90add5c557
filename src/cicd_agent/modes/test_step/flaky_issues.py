"""``test-step --issues``: each flaky test of the job's history gets its GitHub issue, opened
once and updated on later runs, its owners from CODEOWNERS at the trusted commit (by the test's
file, which the caller's runners find from its name), and closed once its test has passed a
set number of runs in a row. Only on a run whose outcomes were recorded (a push to the default
branch): a pull request's runs open nothing. A GitHub error is a line of the summary, never the
step's fate.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

from cicd_agent.actions.errors import CicdError
from cicd_agent.actions.markdown import code_span
from cicd_agent.analysis.codeowners import owners_of
from cicd_agent.analysis.flaky_issue import (
    FlakyEvidence,
    closing,
    issue_body,
    issue_key,
    issue_title,
)
from cicd_agent.analysis.flaky_stats import FlakyStat, StoredRun, stable
from cicd_agent.job.repo_config import codeowners

MAX_ISSUES = 10
"""Issues opened or updated a run, most CI time lost first (the rest wait for the next run)."""


def own(
    found: Sequence[FlakyStat],
    runs: Sequence[StoredRun],
    environ: Mapping[str, str],
    cwd: Path,
    *,
    commit: str | None,
    command: Sequence[str],
    today: date,
    stable_after: int,
    file_of: Callable[[str], str],
) -> list[str]:
    """The summary's lines for the issues of ``found`` (the job's flaky tests over ``runs``,
    its history): each opened or updated, unless its test has passed its last
    ``stable_after`` runs; the open issue of such a test is closed, naming those runs. Its
    owners are CODEOWNERS' of its file, which ``file_of`` finds from its name (the runners
    know how their names read: the caller hands it in)."""
    from cicd_agent.github.client import connect  # the SDK: only where issues are asked for
    from cicd_agent.github.settings import settings_from_env

    calm = stable(runs, stable_after)
    if not found and not calm:
        return []
    lines = ["", "**Issues of the flaky tests:**"]
    try:
        client = connect(settings_from_env(environ))
        text = codeowners(cwd, commit)
        for stat in [stat for stat in found if stat.test not in calm][:MAX_ISSUES]:
            owners = owners_of(text, file_of(stat.test))
            evidence = FlakyEvidence(stat, replay=shlex.join(command))
            outcome = client.upsert_flaky_issue(
                issue_key(stat.test),
                issue_title(stat.test),
                issue_body(evidence, owners, today),
                owners=owners,
            )
            why = f" ({outcome.reason})" if outcome.reason else ""
            lines.append(f"- {code_span(stat.test)}: {outcome.status}{why} {outcome.url}".rstrip())
        for done in client.close_stable_issues([closing(t, passed) for t, passed in calm.items()]):
            why = f" ({done.reason})" if done.reason else ""
            lines.append(f"- {done.what}: {done.status}{why} {done.url}".rstrip())
    except CicdError as error:
        lines.append(f"- not opened: {error}")
    return lines
