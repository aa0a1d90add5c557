"""The canary research scripts' own arithmetic, on a few synthetic windows (the measurements
themselves run by hand: research/deploy/canary_power.md, on NAB and on the loopback replay)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from research.deploy.canary_power import Tally, replay, upper_bound
from research.deploy.canary_replay import BUCKETS, FIELDS, Recording, quantile, rollout, tracks
from research.deploy.canary_rollout import spec_for


def test_the_upper_bound_of_no_event_in_300_is_about_one_percent() -> None:
    assert upper_bound(0, 300) == pytest.approx(0.00994, abs=1e-4)
    assert upper_bound(3, 3) == 1.0
    assert upper_bound(1, 100) > 0.01


def test_a_replay_reports_the_first_calls_claim_and_a_clear_regression_rolls_back() -> None:
    rng = np.random.default_rng(3)
    calls = [rng.poisson(400, 72).astype(float) for _ in range(6)]
    spec = spec_for("count")
    verdict, said = replay(spec, calls, 1.0)
    assert verdict in ("promote", "continue") and said is not None and 0 < said < 0.3
    assert replay(spec, calls, 2.0)[0] == "rollback"
    tally = Tally()
    tally.add("no change", verdict)
    tally.claims.append((said, True))
    figures = tally.figures()
    assert figures["false rollback"] == "0.0 % (0/1)"
    assert figures["+X % detected, claims of +30 % or less"] == "100.0 % (1/1)"


def test_the_replay_sums_its_blocks_by_step_and_reads_the_p99_as_prometheus_does(
    tmp_path: Path,
) -> None:
    """A recording of 120 seconds: every track serves 10 requests a second, 1 of them an error,
    all between 75 and 100 ms; the changed pairs' canaries fail 3 a second."""
    seconds, width = 120, len(tracks())
    counts = np.zeros((seconds, width, len(FIELDS)), dtype=np.int32)
    counts[:, :, 0], counts[:, :, 1] = 10, 1
    counts[:, :, 2 + BUCKETS.index(0.1) :] = 10  # cumulative: none up to 75 ms, all by 100 ms
    for index, (pair, side) in enumerate(tracks()):
        if pair.startswith("worse") and side == "canary":
            counts[:, index, 1] = 3
    path = tmp_path / "recording.npz"
    np.savez_compressed(
        path, seconds=np.ones(seconds, np.int32), counts=counts,
        duration=np.full((seconds, width), 0.9, np.float32),
    )  # fmt: skip
    recording = Recording(path)
    steps, durations = recording.window("same0", "canary", np.array([0, 60]))
    assert steps.shape == (6, len(FIELDS)) and set(steps[:, 0]) == {100.0}
    assert durations == pytest.approx(np.full(6, 9.0))
    assert quantile(steps) == pytest.approx(np.full(6, 0.075 + 0.025 * 0.99))
    draws = np.zeros((6, 4), dtype=int)
    assert rollout(recording, "rate", "worse0", False, draws) == "rollback"
    assert rollout(recording, "rate", "same0", True, draws) != "rollback"
