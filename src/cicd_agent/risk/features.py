"""The just-in-time features of one change (Kamei et al. 2013): size, diffusion, entropy,
purpose, and the touched files' history when git is at hand."""

from __future__ import annotations

import math
from collections.abc import Sequence

from cicd_agent.analysis.changes import (
    ChangedFile,
    CommitInfo,
)
from cicd_agent.risk.assessment import RiskFeatures
from cicd_agent.risk.records import HistoryFeatures, is_fix, subsystem_of


def entropy_of(files: Sequence[ChangedFile]) -> float:
    """Shannon entropy of the modified lines across files, normalised by log2(files)."""
    churns = [changed.churn for changed in files if changed.churn > 0]
    total = sum(churns)
    if len(churns) < 2 or total == 0:
        return 0.0
    raw = -sum((churn / total) * math.log2(churn / total) for churn in churns)
    return round(raw / math.log2(len(churns)), 4)


def measure(
    files: Sequence[ChangedFile],
    commits: Sequence[CommitInfo] = (),
    history: HistoryFeatures | None = None,
) -> RiskFeatures:
    """The features of a change; ``history`` None when only the diff is known (no git)."""
    # The folder by hand (git's paths are normalised): PurePosixPath cost 10 µs a path.
    directories = {changed.path.rpartition("/")[0] or "." for changed in files}
    return RiskFeatures(
        lines_added=sum(changed.added for changed in files),
        lines_deleted=sum(changed.deleted for changed in files),
        files=len(files),
        directories=len(directories),
        subsystems=len({subsystem_of(changed.path) for changed in files}),
        entropy=entropy_of(files),
        fix=any(is_fix(commit.message) for commit in commits),
        new_files=sum(1 for changed in files if changed.status == "A"),
        deleted_files=sum(1 for changed in files if changed.status == "D"),
        renamed_files=sum(1 for changed in files if changed.status == "R"),
        binary_files=sum(1 for changed in files if changed.binary),
        submodules=sum(1 for changed in files if changed.submodule),
        commits=len(commits),
        past_changes=history.unique_changes if history else None,
        developers=history.developers if history else None,
        mean_age_days=round(history.mean_age_days, 2)
        if history and history.mean_age_days is not None
        else None,
        past_fixes=history.past_fixes if history else None,
        past_reverts=history.past_reverts if history else None,
        author_experience=history.experience if history and history.authors else None,
        recent_experience=history.recent_experience if history and history.authors else None,
        subsystem_experience=history.subsystem_experience if history and history.authors else None,
    )
