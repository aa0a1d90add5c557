"""The documented deploy policy: risk and change types → strategy, approval, hold, and routing.

Defaults (each overridable through the ``policy`` input, a JSON object with these keys):

* ``strategy``: low → direct, medium → rolling, high → canary, critical → blue_green; raised to
  at least ``type_strategy`` for the change types present (migration → blue_green, so the old
  version keeps running until the switch; infrastructure → rolling; security → canary).
  Changes that touch nothing that runs (docs, tests, CI only) ship direct; a change that
  is high or critical or needs an approval never does (at least rolling).
* ``canary_percentage``: the first step of a canary by level (medium 25, high 10, critical 5);
  100 for every other strategy.
* approval when the level is in ``approval_levels`` (critical), a change type is in
  ``approval_types`` (migration), the deploy falls off-hours or on a weekend at or above
  ``off_hours_approval_from`` (high), the model's confidence is below the
  ``approval-confidence`` input, or no CI signal at all backs a change at or above high.
* hold when inside a freeze window (unless nothing that runs changed), when tests failed
  (``hold_on_failed_tests``), when a reviewer requested changes (``hold_on_changes_requested``),
  when the safety score is below ``min_safety_score`` (70), or when the level is in
  ``hold_levels`` (none by default).

Routing for the rest of a push pipeline: ``test_scope`` none for docs-only changes, targeted
when every changed source file has a related test (and nothing but source, tests and docs
changed), full otherwise. A test is related when it can reach the changed code: a Python test
that imports its module or package, or a module that does, directly or through others (or is
named after it); a Go test of its package or of a package importing it, directly or through
others (:mod:`~cicd_agent.modes.deploy_gate.related`). A changed Python or Go test file is
traced as source is (a ``conftest.py`` or a helper holds no test, but loads into those that
do). Where that cannot be established (other languages, an import not resolved, a removed
file, too many files), or every test is related, the scope is full. ``build_strategy`` full
when manifests, lockfiles, Dockerfiles, build configuration or submodules changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cicd_agent.actions.errors import UsageError, first_problem
from cicd_agent.analysis.change_types import RUNTIME_TYPES, ChangeType, classify_path
from cicd_agent.analysis.changes import ChangedFile, only
from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.scale import OrderedStrEnum, RiskLevel
from cicd_agent.modes.deploy_gate.related import Graph
from cicd_agent.modes.deploy_gate.windows import ChangeWindow
from cicd_agent.risk.runs import documentation


class Strategy(OrderedStrEnum):
    """Rollout strategies, from least to most cautious."""

    NONE = "none"
    """Nothing to roll out: only workflows, CI configuration, documentation or tests changed."""
    DIRECT = "direct"
    ROLLING = "rolling"
    CANARY = "canary"
    BLUE_GREEN = "blue_green"


class Recommendation(StrEnum):
    PROCEED = "proceed"
    HOLD = "hold"


class TestScope(StrEnum):
    NONE = "none"
    TARGETED = "targeted"
    FULL = "full"


class BuildStrategy(StrEnum):
    CACHED = "cached"
    FULL = "full"


class Policy(BaseModel):
    """The deploy policy; ``extra="forbid"`` so a misspelt key fails instead of being ignored.
    (pydantic copies a mutable default for each instance.)"""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    strategy: dict[RiskLevel, Strategy] = {
        RiskLevel.LOW: Strategy.DIRECT,
        RiskLevel.MEDIUM: Strategy.ROLLING,
        RiskLevel.HIGH: Strategy.CANARY,
        RiskLevel.CRITICAL: Strategy.BLUE_GREEN,
    }
    type_strategy: dict[ChangeType, Strategy] = {
        ChangeType.MIGRATION: Strategy.BLUE_GREEN,
        ChangeType.INFRASTRUCTURE: Strategy.ROLLING,
        ChangeType.SECURITY: Strategy.CANARY,
    }
    canary_percentage: dict[RiskLevel, int] = {
        RiskLevel.LOW: 25,
        RiskLevel.MEDIUM: 25,
        RiskLevel.HIGH: 10,
        RiskLevel.CRITICAL: 5,
    }
    approval_levels: list[RiskLevel] = [RiskLevel.CRITICAL]
    approval_types: list[ChangeType] = [ChangeType.MIGRATION]
    off_hours_approval_from: RiskLevel | None = RiskLevel.HIGH
    hold_levels: list[RiskLevel] = []
    min_safety_score: float = Field(default=70.0, ge=0, le=100)
    hold_on_failed_tests: bool = True
    hold_on_changes_requested: bool = True

    @field_validator("canary_percentage")
    @classmethod
    def _steps(cls, value: dict[RiskLevel, int]) -> dict[RiskLevel, int]:
        for level, percent in value.items():
            if percent not in (5, 10, 25):
                raise ValueError(f"canary percentage for {level} must be 5, 10 or 25")
        return value


def load_json(text: str, name: str, what: str) -> Any:
    """``text`` as JSON, or the usage error that names the input ``name``: not valid JSON, or
    nested deeper than the parser recurses (no deploy input, ``what``, is nested so deep)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{name} is not valid JSON: {exc.msg}.") from exc
    except RecursionError:
        raise UsageError(f"{name} is nested too deeply to be {what}.") from None


def parse_policy(text: str | None) -> Policy:
    """The default policy with the keys given in ``text`` (JSON) replaced; mappings merge."""
    default = Policy()
    if not text or not text.strip():
        return default
    override = load_json(text, "policy", "a deploy policy")
    if not isinstance(override, dict):
        raise UsageError("policy must be a JSON object (see the README's deploy policy).")
    merged = default.model_dump(mode="json")
    for key, value in override.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:
        raise UsageError(f"policy: {first_problem(exc, 'the policy')}.") from exc


# --- decision ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Decision:
    recommendation: Recommendation
    strategy: Strategy
    canary_percentage: int
    requires_approval: bool
    approval_reasons: list[str]
    hold_reasons: list[str]


@dataclass(frozen=True)
class Evidence:
    """What the decision looks at besides the risk level."""

    change_types: frozenset[ChangeType]
    safety_score: float | None
    failed_tests: int
    changes_requested: bool
    any_signal: bool
    window: ChangeWindow
    model_confidence: float | None = None
    blocking: tuple[str, ...] = ()
    """Hold reasons from findings no policy may waive (an added secret)."""


def decide(
    level: RiskLevel, evidence: Evidence, policy: Policy, *, approval_confidence: float
) -> Decision:
    """Apply the policy (module docstring) to a risk level and the evidence."""
    runtime = bool(evidence.change_types & RUNTIME_TYPES)
    strategy = policy.strategy[level] if runtime else Strategy.DIRECT
    for kind in sorted(evidence.change_types):
        minimum = policy.type_strategy.get(kind)
        if runtime and minimum is not None and minimum.rank > strategy.rank:
            strategy = minimum
    approvals = _approval_reasons(level, evidence, policy, approval_confidence)
    if not runtime:
        # Nothing deploys, so no rollout means anything; the risk still holds the gate
        # (approvals and holds below), as a workflow's does.
        strategy = Strategy.NONE
    elif strategy is Strategy.DIRECT and (approvals or level.rank >= RiskLevel.HIGH.rank):
        # Asking a person and shipping everything at once contradict each other.
        strategy = max(policy.strategy[level], Strategy.ROLLING, key=lambda s: s.rank)
    holds = _hold_reasons(level, evidence, policy, runtime)
    return Decision(
        recommendation=Recommendation.HOLD if holds else Recommendation.PROCEED,
        strategy=strategy,
        canary_percentage=policy.canary_percentage[level] if strategy is Strategy.CANARY else 100,
        requires_approval=bool(approvals),
        approval_reasons=approvals,
        hold_reasons=holds,
    )


def _approval_reasons(
    level: RiskLevel, evidence: Evidence, policy: Policy, approval_confidence: float
) -> list[str]:
    reasons = []
    if level in policy.approval_levels:
        reasons.append(f"{level.value} risk needs a human approval")
    for kind in sorted(evidence.change_types & set(policy.approval_types)):
        reasons.append(f"a {kind.value} change needs a human approval")
    threshold = policy.off_hours_approval_from
    window = evidence.window
    if (
        threshold is not None
        and level.rank >= threshold.rank
        and (window.off_hours or window.weekend)
    ):
        when = "on a weekend" if window.weekend else "outside business hours"
        reasons.append(f"{level.value} risk deployed {when} ({window.local_time})")
    if evidence.model_confidence is not None and evidence.model_confidence < approval_confidence:
        reasons.append(
            f"the model's confidence {evidence.model_confidence:.2f} is below "
            f"{approval_confidence:.2f}"
        )
    if not evidence.any_signal and level.rank >= RiskLevel.HIGH.rank:
        reasons.append(f"{level.value} risk with no CI signal to back it")
    return reasons


def _hold_reasons(level: RiskLevel, evidence: Evidence, policy: Policy, runtime: bool) -> list[str]:
    reasons = list(evidence.blocking)
    if evidence.window.freeze and runtime:
        reasons.append(f"inside the freeze window {evidence.window.freeze}")
    if policy.hold_on_failed_tests and evidence.failed_tests:
        reasons.append(f"{evidence.failed_tests} test(s) failed")
    if policy.hold_on_changes_requested and evidence.changes_requested:
        reasons.append("a reviewer requested changes")
    score = evidence.safety_score
    if score is not None and score < policy.min_safety_score:
        reasons.append(f"safety score {score:.1f} is below {policy.min_safety_score:.0f}")
    if level in policy.hold_levels:
        reasons.append(f"the policy holds every {level.value}-risk change")
    return reasons


# --- routing -------------------------------------------------------------------------------

_TEST_AFFIXES = re.compile(
    r"^(test_|test-|tests_)|(_test|-test|\.test|\.spec|_spec|test|tests|spec|it)$",
    re.IGNORECASE,
)
_BUILD_INFRA = re.compile(r"^(dockerfile|containerfile)|\.dockerfile$", re.IGNORECASE)
TARGETABLE = frozenset({ChangeType.SOURCE, ChangeType.TESTS, ChangeType.DOCS})
TRACED = (".py", ".go")
"""The languages whose imports tell which tests reach a change."""


def _stem(path: str) -> str:
    pure = PurePosixPath(path)
    name = pure.name.split(".", 1)[0]
    if name == "__init__":
        name = pure.parent.name
    return name.lower()


def _test_stem(path: str) -> str:
    stem = PurePosixPath(path).name.split(".", 1)[0]
    return _TEST_AFFIXES.sub("", stem).lower()


@dataclass(frozen=True)
class Routing:
    test_scope: TestScope
    test_paths: list[str]
    test_reason: str
    build_strategy: BuildStrategy
    build_reason: str


def route(
    files: Sequence[ChangedFile],
    tracked: Sequence[str],
    graph: Graph,
    kinds: Collection[ChangeType] | None = None,
) -> Routing:
    """Which tests and which build the rest of the pipeline needs (module docstring); ``kinds``
    are the change's types as the risk read them (a manifest whose dependencies did not move
    is no dependency change), which a file's build reason names no more than."""
    return Routing(*_test_routing(files, tracked, graph), *_build_routing(files, kinds))


def _runnable(path: str) -> bool:
    """A test file a runner collects tests from (pytest's ``conftest.py`` and a package's
    ``__init__.py`` hold none)."""
    name = PurePosixPath(path).name
    return ChangeType.TESTS in classify_path(path) and name not in ("conftest.py", "__init__.py")


def _test_routing(
    files: Sequence[ChangedFile], tracked: Sequence[str], graph: Graph
) -> tuple[TestScope, list[str], str]:
    if not files:
        return TestScope.NONE, [], "nothing changed"
    if only(files, ChangeType.DOCS):
        return TestScope.NONE, [], f"{documentation(files)} only"
    present = set(tracked)
    changed_tests = [c.path for c in files if ChangeType.TESTS in c.types and c.path in present]
    others = [c for c in files if not c.types <= TARGETABLE]
    if others:
        return (
            TestScope.FULL,
            [],
            f"{name_span(others[0].path)} is {', '.join(sorted(others[0].types))}",
        )
    tests = [path for path in tracked if _runnable(path)]
    by_stem: dict[str, list[str]] = {}
    for path in tests:
        by_stem.setdefault(_test_stem(path), []).append(path)
    related = set(changed_tests)
    for changed in files:
        path = changed.path
        # a test file other tests may load (a conftest.py, a helper, a base class) is traced
        # as source is; a test of a language not traced is related as itself
        traced = PurePosixPath(path).suffix in TRACED
        if ChangeType.SOURCE not in changed.types and _runnable(path) and not traced:
            continue
        gone = next((p for p in (path, changed.old_path) if p and p not in present), None)
        if gone is not None:  # its importers' imports no longer name a file at the head
            return TestScope.FULL, [], f"{name_span(gone)} is gone: its importers are not traced"
        suffix = PurePosixPath(path).suffix
        if suffix not in TRACED:
            return TestScope.FULL, [], f"the tests of {name_span(path)} are not traced ({suffix})"
        if suffix in graph.unknown:
            return TestScope.FULL, [], graph.unknown[suffix]
        reaching = graph.reaching(path)
        matches = [test for test in tests if test in reaching]
        if suffix == ".py":
            matches += by_stem.get(_stem(path), [])
        if not matches:
            return TestScope.FULL, [], f"no test found for {name_span(path)}"
        related.update(matches)
    if tests and related >= set(tests):
        return TestScope.FULL, [], "every test file can reach the change"
    paths = sorted(related)
    named = ", ".join(name_span(path) for path in paths[:SHOWN_TESTS])
    more = f" and {len(paths) - SHOWN_TESTS} more" if len(paths) > SHOWN_TESTS else ""
    files_word = "file" if len(paths) == 1 else "files"
    return TestScope.TARGETED, paths, f"{len(paths)} related test {files_word}: {named}{more}"


SHOWN_TESTS = 3
"""Related test files the targeted scope's reason names (``test_paths`` holds them all)."""


def _build_routing(
    files: Sequence[ChangedFile], read: Collection[ChangeType] | None
) -> tuple[BuildStrategy, str]:
    for changed in files:
        kinds = changed.types & {ChangeType.DEPENDENCIES, ChangeType.LOCKFILE, ChangeType.BUILD}
        if kinds:
            said = sorted(kinds & set(read) if read is not None else kinds)
            what = ", ".join(said) or "a manifest, its dependencies unchanged"
            return BuildStrategy.FULL, f"{name_span(changed.path)} ({what}) changed"
        if _BUILD_INFRA.search(PurePosixPath(changed.path).name):
            return BuildStrategy.FULL, f"{name_span(changed.path)} (container build) changed"
        if changed.submodule:
            return BuildStrategy.FULL, f"submodule {name_span(changed.path)} moved"
    return BuildStrategy.CACHED, "no dependency, lockfile, Dockerfile or build change"
