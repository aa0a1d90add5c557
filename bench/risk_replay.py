"""Deploy-gate's scoring of one range replayed from git with the priors alone (``assess_range``),
the baseline research/risk/eval.py measures the fitted model against and bench_risk.py times,
and the CPU that reading what runs adds to it (``what_runs_cost``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cicd_agent.analysis.changes import ChangeSet
from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import checkout, runs
from cicd_agent.risk.assessment import RiskAssessment
from cicd_agent.risk.checkout import read_evidence, read_history
from cicd_agent.risk.floors import GIT_TEXT
from cicd_agent.risk.records import HistoryFeatures
from cicd_agent.risk.score import assess_change


def assess_range(
    repo_dir: Path, head: str, base: str | None = None
) -> tuple[ChangeSet, HistoryFeatures, RiskAssessment]:
    """Read ``base..head`` from git and score it with the priors alone (the baseline the fit
    is measured against; ``base`` None: ``head``'s first parent, or the empty tree)."""
    repo = GitRepo.open(repo_dir)
    change = read_change_set(repo, head, base)
    history = read_history(repo, change, now=repo.commit_time(change.head))
    evidence = read_evidence(repo, change, with_security=False)
    assessment = assess_change(
        runs.effective(change.files, evidence.runs, evidence.moved),  # as assess_risk reads it
        change.commits,
        history,
        evidence=evidence,
        identity=GIT_TEXT,
    )
    return change, history, assessment


def what_runs_cost(
    repo: Path, sample: list[str], cpu: Callable[[], float]
) -> dict[str, list[float]]:
    """CPU of :func:`assess_range` per commit of ``sample``, as shipped and with what-runs read
    as nothing (``reference``), alternated in one process so load hits both alike."""
    shipped = checkout.read_what_changed
    assess_range(repo, sample[0])  # imports and lexers warm
    cost: dict[str, list[float]] = {"shipped": [], "reference": []}
    try:
        for sha in sample:
            for name in ("shipped", "reference"):
                checkout.read_what_changed = shipped if name == "shipped" else lambda *_: ({}, {})
                started = cpu()
                assess_range(repo, sha)
                cost[name].append(cpu() - started)
    finally:
        checkout.read_what_changed = shipped
    return cost
