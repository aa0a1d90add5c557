"""The reasons the priors give: each feature's points, worded with the evidence it rests on
(size and diffusion, the touched files' past, change types). None rests on what the author
writes into git (the message, the claimed author): see :mod:`floors` for the author."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.risk.assessment import Reason, RiskFeatures
from cicd_agent.risk.records import HistoryFeatures, subsystem_of
from cicd_agent.risk.weights import Weights, saturate


def size_reasons(
    files: Sequence[ChangedFile], features: RiskFeatures, weights: Weights
) -> list[Reason]:
    lines = features.lines_added + features.lines_deleted
    largest = sorted(files, key=lambda changed: -changed.churn)[:3]
    reasons = [
        Reason(
            signal="size",
            message=f"{lines:,} lines changed (+{features.lines_added:,}/-"
            f"{features.lines_deleted:,}) in {features.files:,} file(s).",
            evidence=[f"{c.path} (+{c.added}/-{c.deleted})" for c in largest if c.churn],
            points=round(weights.size * saturate(lines, weights.size_half), 4),
        ),
        Reason(
            signal="diffusion",
            message=f"Spread over {features.files:,} files in {features.directories:,} "
            f"folder(s) and {features.subsystems:,} subsystem(s).",
            evidence=sorted({subsystem_of(c.path) for c in files})[:8],
            points=round(
                weights.files * saturate(features.files - 1, weights.files_half)
                + weights.subsystems * saturate(features.subsystems - 1, weights.subsystems_half),
                4,
            ),
        ),
        Reason(
            signal="entropy",
            message=f"Changes are spread evenly across files (entropy {features.entropy:.2f} "
            "of 1): harder to review as one idea.",
            evidence=[f"entropy={features.entropy:.2f}"],
            points=round(weights.entropy * features.entropy * saturate(lines, 50.0), 4),
        ),
    ]
    if features.binary_files:
        binaries = [c.path for c in files if c.binary]
        reasons.append(
            Reason(
                signal="binary",
                message=f"{len(binaries)} binary file(s) changed; their content cannot be "
                "reviewed as text.",
                evidence=binaries[:5],
                points=round(min(0.15, weights.binary * len(binaries)), 4),
            )
        )
    if features.submodules:
        modules = [c.path for c in files if c.submodule]
        reasons.append(
            Reason(
                signal="submodule",
                message=f"{len(modules)} submodule pointer(s) moved: a whole dependency changed.",
                evidence=modules[:5],
                points=weights.submodule,
            )
        )
    return reasons


def history_reasons(
    history: HistoryFeatures | None, features: RiskFeatures, weights: Weights
) -> list[Reason]:
    if history is None:
        return []
    busiest = sorted(history.files.values(), key=lambda h: -h.changes)[:3]
    reasons = [
        Reason(
            signal="past_changes",
            message=f"The touched files were changed in {history.unique_changes:,} earlier "
            "commit(s).",
            evidence=[f"{h.path}: {h.changes} changes" for h in busiest],
            points=round(
                weights.past_changes * saturate(history.unique_changes, weights.past_changes_half),
                4,
            ),
        ),
        Reason(
            signal="developers",
            message=f"{history.developers} developer(s) changed these files before.",
            evidence=[f"developers={history.developers}"],
            points=round(
                weights.developers * saturate(history.developers - 1, weights.developers_half),
                4,
            ),
        ),
    ]
    if history.past_fixes:
        fixed = sorted(history.files.values(), key=lambda h: -h.fixes)[:3]
        reasons.append(
            Reason(
                signal="past_fixes",
                message=f"{sum(1 for h in history.files.values() if h.fixes)} of the "
                f"{features.files:,} changed file(s) were changed by fixes before "
                f"({history.past_fixes} fix commit(s) in the history read): code that needed "
                "fixing tends to need it again.",
                evidence=[f"{h.path}: {h.fixes} fixes" for h in fixed if h.fixes],
                points=round(
                    weights.past_fixes * saturate(history.past_fixes, weights.past_fixes_half), 4
                ),
            )
        )
    if history.past_reverts:
        reasons.append(
            Reason(
                signal="past_reverts",
                message=f"Changes to these files were reverted {history.past_reverts} time(s) "
                "before.",
                evidence=list(history.revert_evidence),
                points=round(
                    weights.past_reverts
                    * saturate(history.past_reverts, weights.past_reverts_half),
                    4,
                ),
            )
        )
    return reasons


_TYPE_MESSAGES: dict[ChangeType, str] = {
    ChangeType.MIGRATION: "Database migration changed: it runs once, against live data.",
    ChangeType.SECURITY: "Security-sensitive code changed (authentication, crypto, permissions).",
    ChangeType.INFRASTRUCTURE: "Infrastructure changed (containers, Kubernetes, Helm, Terraform).",
    ChangeType.API_CONTRACT: "An API contract changed: clients may break.",
    ChangeType.DEPENDENCIES: "Dependency manifests changed.",
    ChangeType.LOCKFILE: "Locked dependency versions changed.",
    ChangeType.CI: "CI/workflow files changed.",
    ChangeType.BUILD: "Build configuration changed.",
    ChangeType.CONFIG: "Configuration changed.",
}


def type_reasons(files: Sequence[ChangedFile], weights: Weights) -> list[Reason]:
    by_type: Counter[ChangeType] = Counter(t for changed in files for t in changed.types)
    reasons = []
    for kind, points in weights.types.items():
        if by_type[kind] == 0:
            continue
        evidence = [changed.path for changed in files if kind in changed.types]
        reasons.append(
            Reason(
                signal=kind.value,
                message=f"{_TYPE_MESSAGES[kind]} ({by_type[kind]} file(s))",
                evidence=evidence[:10],
                points=points,
            )
        )
    return reasons
