"""Attacks on the history the canary judge learns its noise from before its first call, and on
the ``history`` key of the repository's canary configuration: a store's hostile answers
(non-finite, negative, huge, duplicated, out of order) and durations too large for a float.
Each must be learnt-or-not with the reason said, or a clear configuration error: never an
exception out of the mode."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.collect import fetch_samples
from cicd_agent.modes.deploy_gate.canary.config import CanaryConfig, load_canary_config
from cicd_agent.modes.deploy_gate.canary.decide import judge_samples
from cicd_agent.modes.deploy_gate.canary.noise import MAX_DISPERSION
from cicd_agent.modes.deploy_gate.canary.sources import connect
from tests.helpers.metric_store import Answer, Store

END, STEP, N = 1_800_000_000.0, 30.0, 31


def _hostile(kind: str, start: float, count: int) -> list[list[object]]:
    stamps = [start + STEP * i for i in range(count)]
    values = [str(5 + i % 7) for i in range(count)]
    if kind == "non-finite":
        values = ["NaN" if i % 3 else "+Inf" if i % 2 else "-Inf" for i in range(count)]
    elif kind == "negative":
        values = [str(-(10**6) if i % 2 else 10**6) for i in range(count)]
    elif kind == "huge":
        values = ["1e308" if i % 2 else "1" for i in range(count)]
    elif kind == "duplicated-and-reversed":
        stamps = [s for s in reversed(stamps) for _ in (0, 1)]
        values = [v for v in values for _ in (0, 1)]
    return [[t, v] for t, v in zip(stamps, values, strict=True)]


@pytest.mark.parametrize("kind", ["non-finite", "negative", "huge", "duplicated-and-reversed"])
def test_a_hostile_history_is_learnt_or_said_unlearnt_never_a_crash(
    store: Callable[[Answer], Store], kind: str
) -> None:
    """The window's answers are ordinary; the hour before it (the history) is hostile."""

    history_start = END - (N - 1) * STEP - 3600

    class Scripted:
        def __call__(self, query: str, headers: dict[str, str]) -> tuple[int, bytes]:
            values = _hostile(kind, history_start, 120)
            values += [[END - STEP * (N - 1 - i), "5"] for i in range(N)]
            result = [{"metric": {}, "values": values}]
            body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
            return 200, json.dumps(body).encode()

    server = store(Scripted())
    config = CanaryConfig.model_validate(
        {
            "source": {"type": "prometheus", "url": server.url},
            "lookback": (N - 1) * STEP,
            "step": STEP,
            "metrics": [{"name": "err", "kind": "count", "query": 'errors{t="{track}"}'}],
        }
    )  # fmt: skip
    assert config.source is not None
    samples = fetch_samples(connect(config.source, {}), config, end=END, first=True)
    assert samples.noise is not None
    noise = samples.noise["err"]
    assert noise.dispersion is None or 1.0 <= noise.dispersion <= MAX_DISPERSION
    verdict = judge_samples(samples, config)
    assert "noise" in verdict.metrics[0].reason


@pytest.mark.parametrize("key", ["history", "lookback", "step"])
def test_a_duration_too_large_for_a_float_is_a_configuration_error(key: str) -> None:
    other = "lookback: 1800" if key == "step" else "step: 60"
    with pytest.raises(UsageError):
        load_canary_config(f"{other}\n{key}: {'9' * 400}\n")


def test_a_long_one_line_inline_configuration_is_read_as_yaml_not_probed_as_a_path() -> None:
    metric = "{name: err, kind: count, query: 'errors{t=\"{track}\"}'}"
    text = "metrics: [" + ", ".join(metric.replace("err", f"err{i}") for i in range(5)) + "]"
    assert 255 < len(text) < 1024 and "\n" not in text
    config = load_canary_config(text)
    assert len(config.metrics) == 5


def test_no_history_is_spelled_as_any_zero_duration_and_zero_is_no_window() -> None:
    """``history: 0`` learns nothing; ``0s``, ``0m`` and ``0.0`` say the same. A window (a
    lookback or step) of zero is still refused."""
    for zero in ("0", "0s", "0m", "0.0", 0, 0.0):
        assert load_canary_config(f"history: {zero!r}\n").history == 0.0  # '0s' quoted, 0 not
    with pytest.raises(UsageError, match="positive"):
        load_canary_config("step: 0s\n")
