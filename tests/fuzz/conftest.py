"""Hypothesis profiles of the fuzz tests: ``ci`` (the default) and ``long``.

``ci`` runs each test's fixed example budget (:func:`tests.fuzz.hostile.budget`) derandomized
and without an example database, so every CI run draws the same inputs and costs the same CPU;
``CICD_AGENT_FUZZ=long`` multiplies every budget and draws fresh random inputs
(docs/development.md, "Fuzzing"). Neither has a deadline: no test here asserts a time.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.fuzz.hostile import LONG

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_QUIET,
    print_blob=False,
)
settings.register_profile(
    "long",
    derandomize=False,
    database=None,
    deadline=None,
    suppress_health_check=_QUIET,
    print_blob=True,
)
settings.load_profile("long" if LONG else "ci")
