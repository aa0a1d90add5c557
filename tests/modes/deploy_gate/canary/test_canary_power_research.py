"""The power-accuracy research script's own arithmetic, on a few synthetic windows (the
measurement itself runs by hand on NAB: research/deploy/canary_power.md)."""

from __future__ import annotations

import numpy as np
import pytest
from research.deploy.canary_power import Tally, replay, upper_bound
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
