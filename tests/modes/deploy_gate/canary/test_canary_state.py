"""The canary judge across a rollout: the state it carries, what a promote needs, the bound on
false rollbacks over many calls, and the risk table that sets its strictness."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from cicd_agent.analysis.scale import RiskLevel
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, CanaryThresholds, MetricSpec
from cicd_agent.modes.deploy_gate.canary.evidence import Evidence
from cicd_agent.modes.deploy_gate.canary.judge import UNBOUND, judge_canary
from cicd_agent.modes.deploy_gate.canary.metric import check_keys
from cicd_agent.modes.deploy_gate.canary.options import RISK_TABLE, apply_risk, config_digest
from cicd_agent.modes.deploy_gate.canary.state import (
    FIX,
    MAX_LENGTH,
    PREFIX,
    CanaryState,
    CanaryStateError,
    decode_state,
    seal,
)

LATENCY = MetricSpec(name="latency", query='latency{track="{track}"}', allowed_change=0.1)
KEYS = check_keys([LATENCY])
DIGEST = "0123456789abcdef"


def encoded(document: object) -> str:
    """``document`` as a state string sealed with the (empty) key these tests read with."""
    return seal(base64.urlsafe_b64encode(json.dumps(document).encode()).decode(), b"")


def good() -> dict[str, object]:
    return {
        "digest": DIGEST,
        "calls": 2,
        "until": 1_800_000_000.0,
        "checks": {
            "latency/baseline": {
                "weight": 40.0,
                "weighted_sum": 4.0,
                "variance_sum": 1.0,
                "dof": 50.0,
            }
        },
    }


def with_(**changes: object) -> dict[str, object]:
    document = good()
    document.update(changes)
    return document


def test_a_state_round_trips_through_its_string() -> None:
    state = CanaryState.model_validate_json(json.dumps(good()))
    assert decode_state(state.encode(), DIGEST, KEYS) == state
    assert decode_state("", DIGEST, KEYS).calls == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not-a-state", "not a state this action wrote"),
        (PREFIX + "A" * MAX_LENGTH, "not a state this action wrote"),
        (PREFIX + "!!!", "edited"),
        (seal("!!!", b""), "damaged"),
        (seal(base64.urlsafe_b64encode(b"[1, 2]").decode(), b""), "damaged"),
        (seal(base64.urlsafe_b64encode(b"\xff\xfe").decode(), b""), "damaged"),
        (encoded(with_(extra=1)), "damaged"),
        (encoded(with_(calls=True)), "damaged"),
        (encoded(with_(calls=-1)), "damaged"),
        (encoded(with_(calls=10**9)), "damaged"),
        (encoded(with_(calls="2")), "damaged"),
        (encoded(with_(digest="ZZZ")), "damaged"),
        (encoded(with_(checks={"latency/baseline": {"weight": -1.0}})), "damaged"),
        (encoded(with_(checks={"latency/baseline": {"weight": 1.0, "evil": 1}})), "damaged"),
        (
            seal(
                base64.urlsafe_b64encode(
                    json.dumps(good()).replace("40.0", "NaN").encode()
                ).decode(),
                b"",
            ),
            "damaged",
        ),
        (encoded(with_(digest="fedcba9876543210")), "another canary configuration"),
        (
            encoded(with_(checks={"other/baseline": {"weight": 1.0}})),
            "has not got (other/baseline)",
        ),
    ],
)
def test_every_malformed_state_is_refused_whole(text: str, message: str) -> None:
    with pytest.raises(CanaryStateError) as raised:
        decode_state(text, DIGEST, KEYS)
    assert message in str(raised.value)
    assert FIX in str(raised.value)


def test_a_state_sealed_under_another_key_or_edited_is_refused() -> None:
    """The seal is checked before anything is read: an edit, a state of another workflow (its
    key), or the body of one with the seal of another never reaches the judge."""
    state = CanaryState.model_validate_json(json.dumps(good())).keyed(b"theirs")
    text = state.encode()
    assert decode_state(text, DIGEST, KEYS, b"theirs") == state
    other = CanaryState.model_validate_json(json.dumps(with_(calls=9))).keyed(b"theirs").encode()
    spliced = text.rpartition(".")[0] + "." + other.rpartition(".")[2]
    for forged in (text, text[:-1] + ("0" if text[-1] != "0" else "1"), spliced, text + "."):
        with pytest.raises(CanaryStateError) as raised:
            decode_state(forged, DIGEST, KEYS, b"ours")
        assert "edited, or sealed for another release" in str(raised.value)


def rollout(
    rng: np.random.Generator, calls: int, effect: float, thresholds: CanaryThresholds
) -> list[str]:
    """Verdicts of one rollout on AR(1) samples (rho 0.5, sigma 0.15), 30 a side per call; the
    state string goes out and back through the strict reader each call."""
    verdicts, state = [], None
    for _ in range(calls):
        sides = []
        for scale in (1.0, effect):
            noise = rng.normal(0.0, 0.15 * np.sqrt(1 - 0.25), 30)
            logs = np.empty(30)
            logs[0] = rng.normal(0.0, 0.15)
            for i in range(1, 30):
                logs[i] = 0.5 * logs[i - 1] + noise[i]
            sides.append(0.25 * scale * np.exp(logs))
        before = decode_state(state, UNBOUND, KEYS)
        judgement = judge_canary(
            {"latency": sides[0]}, {"latency": sides[1]}, [LATENCY], thresholds, state=before
        )
        verdicts.append(judgement.verdict)
        state = judgement.state.encode()
        if judgement.verdict != "continue":
            break
    return verdicts


def test_a_whole_rollout_of_twelve_calls_stays_within_the_false_rollback_bound() -> None:
    """Correlated samples and twelve looks: a test repeated afresh each call would roll back an
    unchanged release far more often than 2 %; the spent budget keeps the whole rollout within."""
    rng = np.random.default_rng(44)
    thresholds = CanaryThresholds(windows_to_promote=12, max_calls=12, pass_score=95)
    ends = [rollout(rng, 12, 1.0, thresholds)[-1] for _ in range(250)]
    assert ends.count("rollback") / len(ends) <= 0.02


def test_a_regression_is_caught_within_the_rollout_and_never_promoted() -> None:
    rng = np.random.default_rng(45)
    ends = [rollout(rng, 6, 1.3, CanaryThresholds())[-1] for _ in range(100)]
    assert ends.count("promote") == 0
    assert ends.count("rollback") >= 95


def test_promote_needs_the_windows_the_thresholds_name_and_no_thin_metric() -> None:
    samples = {"latency": list(np.linspace(0.2, 0.3, 30))}
    thresholds = CanaryThresholds(windows_to_promote=3)
    state = None
    verdicts = []
    for _ in range(3):
        judgement = judge_canary(samples, samples, [LATENCY], thresholds, state=state)
        verdicts.append(judgement.verdict)
        state = judgement.state
    assert verdicts == ["continue", "continue", "promote"]
    assert "needs 3 windows of passing evidence and the rollout has 1" in judgement_reason(
        samples, thresholds
    )


def judgement_reason(samples: dict[str, list[float]], thresholds: CanaryThresholds) -> str:
    return judge_canary(samples, samples, [LATENCY], thresholds).reasons[0]


def test_one_lucky_window_does_not_promote_over_the_evidence_of_a_regression() -> None:
    """A window 30 % slower, then a window where the canary looks exactly like its baseline
    (flat, no noise at all): the flat window weighs its samples, not its zero variance, so the
    rollout's evidence still shows the regression and nothing is promoted."""
    rng = np.random.default_rng(3)
    base = 0.25 * rng.lognormal(0, 0.3, 30)
    slower = 1.3 * 0.25 * rng.lognormal(0, 0.3, 30)
    thresholds = CanaryThresholds(windows_to_promote=1)
    first = judge_canary({"latency": base}, {"latency": slower}, [LATENCY], thresholds)
    flat = [0.25] * 30
    lucky = judge_canary(
        {"latency": flat}, {"latency": flat}, [LATENCY], thresholds, state=first.state
    )
    assert lucky.verdict != "promote"
    assert lucky.metrics[0].change_high is not None and lucky.metrics[0].change_high > 0.1


def test_the_risk_table_covers_exactly_the_deploy_phases_levels() -> None:
    assert set(RISK_TABLE) == {level.value for level in RiskLevel}


def test_a_migration_gets_a_stricter_canary_than_a_docs_change() -> None:
    config = CanaryConfig()
    docs, migration = apply_risk(config, "low"), apply_risk(config, "high")
    assert migration.thresholds.confidence > docs.thresholds.confidence
    assert migration.thresholds.windows_to_promote > docs.thresholds.windows_to_promote
    for loose, strict in zip(docs.metrics, migration.metrics, strict=True):
        assert strict.allowed_change < loose.allowed_change
    assert config_digest(docs) != config_digest(migration) != config_digest(config)
    # The same samples: a +12 % canary passes the docs change and fails the migration.
    base = list(np.linspace(0.2, 0.3, 31))
    slower = [1.12 * v for v in base]
    latency = [m for m in docs.metrics if m.name == "latency_p99"]
    easy = judge_canary({"latency_p99": base}, {"latency_p99": slower}, latency, docs.thresholds)
    hard_metrics = [m for m in migration.metrics if m.name == "latency_p99"]
    hard = judge_canary(
        {"latency_p99": base}, {"latency_p99": slower}, hard_metrics, migration.thresholds
    )
    assert (easy.verdict, hard.verdict) == ("promote", "rollback")


def test_thresholds_the_configuration_sets_explicitly_outrank_the_risk_row() -> None:
    config = CanaryConfig(thresholds=CanaryThresholds(confidence=0.999, windows_to_promote=5))
    low = apply_risk(config, "low")
    assert (low.thresholds.confidence, low.thresholds.windows_to_promote) == (0.999, 5)
    assert apply_risk(config, None) is config


def test_evidence_pools_by_weight() -> None:
    one = Evidence(weight=1.0, weighted_sum=1.0, variance_sum=0.04, dof=10.0)
    two = Evidence(weight=3.0, weighted_sum=0.0, variance_sum=0.0, dof=10.0)
    pooled = one.plus(two)
    assert pooled.estimate == pytest.approx(0.25)
    assert pooled.dof == 20.0
    interval = pooled.interval(0.05)
    assert (
        interval is not None and interval[0] < 0.25 < interval[1]
    )  # a flat window adds no certainty of its own
    assert Evidence().interval(0.05) is None
