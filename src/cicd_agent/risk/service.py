"""Change risk as the calls review and deploy-gate make, so both score a change the same way:
:func:`deepen` and :func:`change_risk`, and :func:`files_risk` where no history is at hand. Each
reads what the run already knows from the run itself; what either must tell the reader becomes a
note."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.analysis.changes import ChangedFile, ChangeSet
from cicd_agent.analysis.finding import Finding
from cicd_agent.risk.assessment import RiskAssessment
from cicd_agent.risk.checkout import assess_risk, read_history
from cicd_agent.risk.deepen import Origin, deepen_history
from cicd_agent.risk.evidence import DiffText
from cicd_agent.risk.fit import pull_author
from cicd_agent.risk.score import assess_change
from cicd_agent.risk.store import default_cache_dir

if TYPE_CHECKING:
    from cicd_agent.job.run import Run


def deepen(
    run: Run,
    commits: Sequence[str | None],
    *,
    past: Sequence[str | None] = (),
    now: int | None = None,
    cache: Path | None = None,
) -> bool:
    """Whether the run's shallow clone was deepened (:func:`~.deepen.deepen_history`) to hold
    ``commits`` as of ``now`` (None: the run's time), with the job's token from the run's own
    repository; ``past``: those whose past risk reads (the base); ``cache``: the folder the fits
    are kept in (None: the job's, :func:`~.store.default_cache_dir`)."""
    notes: list[str] = []
    origin = Origin.of(run.server_url, run.repository, run.github_token)
    when = int(time.time()) if now is None else now
    deepened = deepen_history(
        run.checkout.git,
        origin,
        commits,
        when,
        past=past,
        cache_dir=cache or default_cache_dir(run.environ),
        notes=notes,
    )
    _noted(run, notes)
    return deepened


def change_risk(
    run: Run,
    change: ChangeSet,
    *,
    deepened: bool,
    now: int | None = None,
    cache: Path | None = None,
    text: DiffText | None = None,
    security: Callable[[], Sequence[Finding]] | None = None,
) -> RiskAssessment:
    """``change`` scored against the checkout's history as of ``now`` (None: the run's time; a
    commit's date is its author's text), its author the one the run's GitHub names. ``text`` and
    ``security``: the caller's own reading of the diff, when it has one."""
    github = run.github
    author = github.author_of_change if github else None
    when = int(time.time()) if now is None else now
    repo = run.checkout.git
    history = read_history(repo, change, now=when)
    identity = pull_author(author, change, run.note)
    notes: list[str] = []
    assessment = assess_risk(
        repo,
        change,
        history,
        cache or default_cache_dir(run.environ),
        identity=identity,
        deepened=deepened,
        now=when,
        notes=notes,
        progress=run.progress,
        text=text,
        security=security() if security else None,
    )
    _noted(run, notes)
    return assessment


def files_risk(files: Sequence[ChangedFile], *, shallow: bool = False) -> RiskAssessment:
    """The priors and floors of the changed ``files`` alone, for a change whose history is not
    at hand (the API's diff); ``shallow``: the clone is cut and could not be deepened, so the
    shallow floor says so."""
    return assess_change(files, shallow=shallow)


def _noted(run: Run, notes: Sequence[str]) -> None:
    for note in notes:
        run.note(note)
