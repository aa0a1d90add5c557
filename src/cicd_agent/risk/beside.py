"""Tests and documentation written beside a code change: left out of the change's size and its
files' past, so adding tests or docs to a change does not make it riskier than the same change
without them; and the change is never scored below those files alone, so adding a line to a
change never makes it safer (a large tests-only change, plus one line of code, kept its score)."""

from __future__ import annotations

import re
from dataclasses import replace

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile, ChangeSet
from cicd_agent.risk.assessment import Reason, RiskAssessment

_BESIDE = frozenset({ChangeType.TESTS, ChangeType.DOCS})
_TEST_FILE = re.compile(
    r"(?:^|/)(?:test_[^/]*\.py|[^/]*_test\.py|conftest\.py|[^/]*_test\.go"
    r"|[^/]*\.(?:test|spec)\.[cm]?[jt]sx?|tests/[^/]*\.rs)$"
)
"""A file its runner collects as tests by its name, which the app does not import (go and cargo
build none into the program): a helper in a test folder may be code the app runs."""
_DOC_FILE = re.compile(r"\.(?:md|markdown|rst|adoc|txt)$", re.IGNORECASE)


def _beside(changed: ChangedFile) -> bool:
    """Whether ``changed`` is a test or a page of prose: typed so (by its folder or name) and
    named as one, so code placed in a test or docs folder keeps its size."""
    if not changed.types or not changed.types <= _BESIDE:
        return False
    named = _TEST_FILE if ChangeType.TESTS in changed.types else _DOC_FILE
    return named.search(changed.path) is not None


def measured(change: ChangeSet) -> ChangeSet:
    """``change`` as its size and its files' past are read: a change to anything else is read
    without its test and documentation files (as a comment in code counts no line). A change of
    only tests or documentation is read whole: the rules for those scale it down."""
    kept = tuple(c for c in change.files if not _beside(c))
    if not kept or len(kept) == len(change.files):
        return change
    return replace(change, files=kept)


def beside_part(change: ChangeSet, scored: ChangeSet) -> ChangeSet:
    """The files :func:`measured` left out of ``change``, as a change of their own."""
    kept = {c.path for c in scored.files}
    return replace(change, files=tuple(c for c in change.files if c.path not in kept))


def left_out(change: ChangeSet, scored: ChangeSet) -> list[Reason]:
    """The sentence that says which files :func:`measured` left out, if any."""
    out = beside_part(change, scored).files
    if not out or scored is change:
        return []
    added, deleted = sum(c.added for c in out), sum(c.deleted for c in out)
    return [
        Reason(
            signal="scope",
            message=f"Tests and documentation beside the change ({len(out):,} file(s), "
            f"+{added:,}/-{deleted:,}) are left out of the size and the files' past: writing "
            "them makes a change no riskier than they would be alone.",
            evidence=[c.path for c in out[:5]],
        )
    ]


def at_least(assessed: RiskAssessment, alone: RiskAssessment) -> RiskAssessment:
    """``assessed``, raised to ``alone`` (its tests and documentation scored as a change of their
    own) where that is higher: a change is never safer than a part of it."""
    if (alone.risk_level, alone.risk_score) <= (assessed.risk_level, assessed.risk_score):
        return assessed
    said = (
        f"Its tests and documentation alone score {alone.risk_score:.2f} "
        f"({alone.risk_level.value}), above the rest of the change: a change is never safer "
        "than a part of it, so it takes that score."
    )
    return replace(
        assessed,
        risk_score=alone.risk_score,
        risk_level=alone.risk_level,
        risk_quantile=alone.risk_quantile,
        reasons=[*assessed.reasons, Reason(signal="scope", message=said)],
        arithmetic=f"{alone.arithmetic} {said}".strip(),
    )
