"""Change risk as the two calls review and deploy-gate make, so both score a change the same
way: :func:`deepen` (a shallow clone's history fetched, or read from the cache) and
:func:`change_risk` (the history read, the author GitHub names, the one scorer). What either
must tell the reader becomes a note on the run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from cicd_agent.actions.progress import Progress
from cicd_agent.analysis.changes import ChangeSet
from cicd_agent.analysis.finding import Finding
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.assessment import RiskAssessment
from cicd_agent.risk.checkout import assess_risk, read_history
from cicd_agent.risk.deepen import Origin, deepen_history
from cicd_agent.risk.evidence import DiffText
from cicd_agent.risk.fit import AuthorOfChange, pull_author


class RiskRun(Protocol):
    """What scoring reads of the run (the run context is one)."""

    @property
    def server_url(self) -> str: ...

    @property
    def repository(self) -> str | None: ...

    @property
    def github_token(self) -> str | None: ...

    @property
    def progress(self) -> Progress: ...

    def note(self, text: str) -> None: ...


def deepen(
    run: RiskRun, repo: GitRepo, commits: Sequence[str | None], now: int, cache: Path | None
) -> bool:
    """Whether a shallow clone was deepened (:func:`~.deepen.deepen_history`), with the job's
    token from the run's own repository."""
    notes: list[str] = []
    origin = Origin.of(run.server_url, run.repository, run.github_token)
    deepened = deepen_history(repo, origin, commits, now, cache_dir=cache, notes=notes)
    _noted(run, notes)
    return deepened


def change_risk(
    run: RiskRun,
    repo: GitRepo,
    change: ChangeSet,
    *,
    cache: Path | None,
    deepened: bool,
    now: int,
    author: AuthorOfChange | None,
    text: DiffText | None = None,
    security: Callable[[], Sequence[Finding]] | None = None,
) -> RiskAssessment:
    """``change`` scored against the repository's history as of ``now`` (the run's time, or
    the gate's ``deploy-time``: a commit's date is its author's text), its author the one
    ``author`` (GitHub) names; ``text`` and ``security`` are the caller's own reading of the
    diff and its secret and workflow findings, when it has them (:func:`~.checkout.assess_risk`)."""
    history = read_history(repo, change, now=now)
    identity = pull_author(author, change, run.note)
    notes: list[str] = []
    assessment = assess_risk(repo, change, history, cache, identity=identity, deepened=deepened,
                             now=now, notes=notes, progress=run.progress, text=text,
                             security=security() if security else None)  # fmt: skip
    _noted(run, notes)
    return assessment


def _noted(run: RiskRun, notes: Sequence[str]) -> None:
    for note in notes:
        run.note(note)
