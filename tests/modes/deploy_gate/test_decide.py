"""deploy-gate's analyse and decide steps, called directly: pure functions over collected facts.

The facts are built from the analysis layer's own parsers and classifiers (the default policy
and weights, a change window at a weekday noon, the files' change types), so each case reads
as the change it describes. The guardrails: the model may raise the risk, never lower the
floor; a hold of the floor stands whatever the model says; every word reaches the result
through the redaction it is given; the collected facts and the floor are not changed.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile, ChangeSet, CommitInfo
from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.modes.deploy_gate import policy as policies
from cicd_agent.modes.deploy_gate import safety, windows
from cicd_agent.modes.deploy_gate.analyse import analyse as floor
from cicd_agent.modes.deploy_gate.ask import clean_opinion
from cicd_agent.modes.deploy_gate.decide import decide
from cicd_agent.modes.deploy_gate.options import DeployOptions
from cicd_agent.modes.deploy_gate.policy import Recommendation
from cicd_agent.modes.deploy_gate.related import Graph
from cicd_agent.modes.deploy_gate.types import DeployFacts, DeployOpinion
from cicd_agent.risk.assessment import Reason, RiskAssessment, RiskFeatures

NOON = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday
SECRET = "hunter2-secret-value"


def _options() -> DeployOptions:
    zone = ZoneInfo("UTC")
    return DeployOptions(
        base="b" * 40,
        head="h" * 40,
        environment="production",
        junit=None,
        coverage=None,
        build_report=None,
        eval_report=None,
        base_coverage=None,
        weights=safety.parse_weights(None),
        policy=policies.parse_policy(None),
        zone=zone,
        hours=windows.parse_business_hours(None),
        freezes=[],
        deploy_time=NOON,
        approval_confidence=0.7,
        failure_window_days=14,
        workflow=None,
        branch=None,
        audit_file=None,
        audit_database_url=None,
        cache_dir=None,
        slack_webhook_url=None,
        freeze_windows_text=None,
        business_hours_text=None,
        timezone_text=None,
    )


def _facts(
    path: str, level: RiskLevel, score: float, *, holds: tuple[str, ...] = ()
) -> DeployFacts:
    """One changed file scored at ``level``; ``holds`` are the assessment's blocking findings."""
    options = _options()
    changed = ChangedFile(path, added=12, deleted=3)
    change = ChangeSet(
        head="h" * 40,
        base="b" * 40,
        files=(changed,),
        commits=(CommitInfo("h" * 40, "dev@example.com", 1_763_467_200, "change"),),
    )
    features = RiskFeatures(
        lines_added=12, lines_deleted=3, files=1, directories=1, subsystems=1, entropy=0.0,
        fix=False, new_files=0, deleted_files=0, renamed_files=0, binary_files=0, submodules=0,
        commits=1,
    )  # fmt: skip
    assessment = RiskAssessment(
        risk_score=score,
        risk_level=level,
        change_types=sorted(changed.types),
        reasons=[Reason(signal="paths", message=f"touches {path} ({SECRET})", points=0.2)],
        features=features,
        hold_reasons=list(holds),
    )
    return DeployFacts(
        options=options,
        change=change,
        assessment=assessment,
        routing=policies.route(change.files, [path], Graph()),
        tests=None,
        coverage_head=None,
        coverage_base=None,
        coverage_reason="",
        pulls=None,
        pulls_reason="no GitHub token or repository",
        conclusions=None,
        conclusions_reason="no GitHub token or repository",
        window=windows.change_window(NOON, options.zone, options.hours, options.freezes),
    )


def _opinion(
    level: Literal["low", "medium", "high", "critical"], confidence: float = 0.9
) -> DeployOpinion:
    return DeployOpinion(
        risk_factors=["drops a column"],
        risk_level=level,
        pre_deploy_checks=[],
        monitoring_focus=[],
        confidence=confidence,
    )


def _redact(text: str) -> str:
    return text.replace(SECRET, "[REDACTED]")


def test_a_lower_model_rating_leaves_the_floor_and_says_so() -> None:
    verdict = floor(_facts("migrations/0002_drop.sql", RiskLevel.HIGH, 0.62))
    result = decide(verdict, _opinion("low"), redact=_redact)
    alone = decide(verdict, None, redact=_redact)
    assert result.risk_level is RiskLevel.HIGH and result.risk_score == alone.risk_score
    assert result.recommendation is alone.recommendation
    assert result.strategy.rank >= alone.strategy.rank
    # its own notes only: the run's are the pipeline's to put first
    assert result.notes == ["The model rated the risk low; the deterministic verdict high stands."]


def test_a_higher_model_rating_raises_the_risk_and_never_eases_the_strategy() -> None:
    verdict = floor(_facts("src/shop/orders.py", RiskLevel.LOW, 0.1))
    alone = decide(verdict, None, redact=_redact)
    raised = decide(verdict, _opinion("critical"), redact=_redact)
    assert raised.risk_level is RiskLevel.CRITICAL and raised.deterministic_level is RiskLevel.LOW
    assert raised.risk_score >= RiskLevel.CRITICAL.lower_bound > alone.risk_score
    assert raised.strategy.rank >= alone.strategy.rank
    assert raised.reasons[-1].signal == "model"
    assert raised.advice is not None and raised.advice.risk_level == RiskLevel.CRITICAL


def test_a_hold_of_the_floor_stands_when_the_model_calls_the_change_harmless() -> None:
    held = "an added secret in config/prod.env"
    verdict = floor(_facts("config/prod.env", RiskLevel.LOW, 0.1, holds=(held,)))
    assert verdict.decision.recommendation is Recommendation.HOLD
    result = decide(verdict, _opinion("low", confidence=1.0), redact=_redact)
    assert result.recommendation is Recommendation.HOLD
    assert held in result.hold_reasons


def test_words_reach_the_result_only_through_the_redaction_given() -> None:
    verdict = floor(_facts("src/shop/orders.py", RiskLevel.MEDIUM, 0.35))
    result = decide(verdict, _opinion("medium"), redact=_redact)
    assert SECRET not in json.dumps(result.to_json())
    assert any("[REDACTED]" in reason.message for reason in result.reasons)


def test_decide_changes_neither_the_facts_nor_the_floor() -> None:
    verdict = floor(_facts("migrations/0002_drop.sql", RiskLevel.HIGH, 0.62))
    before = copy.deepcopy(verdict)
    decide(verdict, _opinion("critical"), redact=_redact)
    assert verdict == before


def test_the_models_words_are_redacted_bounded_and_neutralised_before_anyone_sees_them() -> None:
    run = cast(Any, SimpleNamespace(redactor=SimpleNamespace(redact=_redact)))
    answer = DeployOpinion(
        risk_factors=[f"@octocat, the key {SECRET} leaks", "   ", "x" * 400, *["more"] * 10],
        risk_level="high",
        pre_deploy_checks=[],
        monitoring_focus=["<b>latency</b>"],
        confidence=7.0,
    )
    cleaned = clean_opinion(run, answer)
    assert SECRET not in cleaned.model_dump_json() and "@octocat" not in cleaned.risk_factors[0]
    assert len(cleaned.risk_factors) == 7 and len(cleaned.risk_factors[1]) <= 300
    assert "<b>" not in cleaned.monitoring_focus[0] and cleaned.confidence == 1.0


def test_a_targeted_test_scope_names_its_test_files() -> None:
    """"targeted: 1 related test file(s)" left the reader to guess which: the reason names
    them (a few, then how many more), each as a code span."""
    tracked = ["src/calc.py", "src/util.py", *(f"tests/test_{n}.py" for n in ("calc", "util"))]
    one = policies.route([ChangedFile("src/calc.py", 1, 0)], tracked, Graph())
    assert one.test_scope is policies.TestScope.TARGETED
    assert one.test_reason == "1 related test file: `tests/test_calc.py`", one.test_reason
    many = [f"tests/test_m{n}.py" for n in range(5)]
    wide = policies.route([ChangedFile(p, 1, 0) for p in many], [*many, "tests/test_x.py"], Graph())
    assert wide.test_reason.startswith("5 related test files: `tests/test_m0.py`, "), wide
    assert wide.test_reason.endswith(" and 2 more"), wide.test_reason


def test_the_build_reason_names_no_dependency_change_the_risk_did_not_read() -> None:
    """python-semanticversion's classifier line: "build: full: setup.cfg (build, dependencies)
    changed", where no dependency moved."""
    setup = ChangedFile("setup.cfg", 1, 0)  # build and dependencies, by its name
    assert {ChangeType.BUILD, ChangeType.DEPENDENCIES} <= setup.types
    read = [ChangeType.CONFIG, ChangeType.BUILD]
    assert policies.route([setup], ["setup.cfg"], Graph(), read).build_reason == (
        "`setup.cfg` (build) changed"
    )
    assert "(build, dependencies)" in policies.route([setup], ["setup.cfg"], Graph()).build_reason
