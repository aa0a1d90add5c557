"""Change risk: just-in-time defect-prediction features combined into a score, a level and reasons.

The features are those Kamei et al. (TSE 2013) found predictive and later work confirmed
(McIntosh & Kamei 2018; Zeng et al. 2021 showed a few of them, size above all, carry most of the
signal): size (lines added and deleted), diffusion (files, directories, subsystems, entropy),
purpose (a fix), history of the touched files (past changes, developers, fixes, reverts) and
author experience (overall and in the subsystem). Change types add what the papers cannot see:
a migration or an auth change is risky at any size.

Each feature contributes ``points = weight * saturation(value)`` (saturation ``x / (x + half)``:
the first lines matter more than the thousandth), and the points add up to
``risk_score = 1 - exp(-points)`` in [0, 1). These hand-set weights, from the papers' effect
sizes, are the *priors*: deploy-gate refits them to the repository's own history when it has
enough of it (:mod:`fit`; ``research/risk/eval.py`` measures both on real histories).
Every contribution big enough to matter becomes a reason naming its evidence. Floors are
applied last and say so:

* docs-only and tests-only changes have their points scaled down (they rarely break production)
  and are low unless the points still say otherwise;
* a security-sensitive change or an infrastructure change is never low, and neither is a change
  to a dependency manifest or lock file (new third-party code runs; the policy builds it in full);
* a schema migration is at least high (it changes the live database once, and redeploying the
  old code does not undo it; the policy asks a human to approve it), and so is a destructive
  migration statement (``DROP TABLE``, ``RemoveField`` …) or a change that weakens
  authentication or authorisation (:mod:`cicd_agent.analysis.authz`);
* an added secret or a dangerous workflow is at least high (:mod:`cicd_agent.analysis.security`),
  and a secret also holds the deployment;
* a change that only moves GitHub Actions pins is at most medium.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile, CommitInfo, only
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.scale import LEVEL_BOUNDS, RiskLevel
from cicd_agent.risk.assessment import Reason, RiskAssessment
from cicd_agent.risk.features import measure
from cicd_agent.risk.floors import UNKNOWN_AUTHOR, Identity, finish
from cicd_agent.risk.reasons import history_reasons, size_reasons, type_reasons
from cicd_agent.risk.records import HistoryFeatures
from cicd_agent.risk.weights import DEFAULT_WEIGHTS, Weights

MIN_REASON_POINTS = 0.04
"""Contributions below this are kept in the features but not listed as reasons."""


def assess_change(
    files: Sequence[ChangedFile],
    commits: Sequence[CommitInfo] = (),
    history: HistoryFeatures | None = None,
    *,
    destructive: Sequence[str] = (),
    weakened: Sequence[str] = (),
    pins_only: bool = False,
    security: Sequence[Finding] = (),
    weights: Weights = DEFAULT_WEIGHTS,
    identity: Identity = UNKNOWN_AUTHOR,
    shallow: bool = False,
) -> RiskAssessment:
    """Score a change with the priors. Review mode calls this with its own files to get the
    same risk level.

    ``destructive`` holds migration statements found by
    :func:`~cicd_agent.risk.evidence.destructive_statements`, ``weakened`` what
    :func:`~cicd_agent.analysis.authz.weakened_access` found, ``pins_only`` what
    :func:`~cicd_agent.risk.evidence.action_pins_only` says, ``security`` the secret and
    workflow findings of :func:`~cicd_agent.local.range_findings.security_findings`.
    """
    features = measure(files, commits, history)
    reasons = [
        *size_reasons(files, features, weights),
        *history_reasons(history, features, weights),
        *type_reasons(files, weights),
    ]
    points = sum(reason.points for reason in reasons)
    types = sorted({t for changed in files for t in changed.types}, key=list(ChangeType).index)
    floor_reasons: list[Reason] = []
    if only(files, ChangeType.DOCS) or only(files, ChangeType.TESTS):
        kind = "documentation" if only(files, ChangeType.DOCS) else "tests"
        factor = weights.docs_only_factor if kind == "documentation" else weights.tests_only_factor
        points *= factor
        floor_reasons.append(
            Reason(
                signal="scope",
                message=f"Only {kind} changed ({len(files)} file(s)): nothing that runs in "
                f"production changes, so the points were scaled by {factor}.",
                evidence=[changed.path for changed in files[:5]],
            )
        )
    if pins_only:
        points *= weights.tests_only_factor
        floor_reasons.append(
            Reason(
                signal="scope",
                message="Only GitHub Actions versions changed (`uses:` lines in workflows, as "
                "Dependabot writes them): the points were scaled by "
                f"{weights.tests_only_factor} and the level is at most medium.",
                evidence=[changed.path for changed in files[:5]],
            )
        )
    score = 1.0 - math.exp(-points)
    if pins_only:
        score = min(score, LEVEL_BOUNDS[RiskLevel.HIGH] - 0.01)
    ordered = sorted(reasons, key=lambda reason: -reason.points)
    return finish(
        score,
        [r for r in ordered if r.points >= MIN_REASON_POINTS] + floor_reasons,
        files=files,
        types=types,
        features=features,
        destructive=destructive,
        weakened=weakened,
        security=security,
        identity=identity,
        shallow=shallow,
    )
