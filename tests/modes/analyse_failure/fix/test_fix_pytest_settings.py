"""pytest's settings files are listed once, in its runner's ``settings``, and every judge that
refuses a change to them reads that list: two lists had drifted, and ``.pytest.toml`` (which
pytest 9 reads like ``pytest.toml``) was in the fix judge's only."""

from __future__ import annotations

from cicd_agent.modes.analyse_failure.fix.judge.runner_settings import settings_change
from cicd_agent.runners.lookups import settings_problem
from cicd_agent.runners.table import PYTEST


def test_attack_a_dot_pytest_toml_is_pytests_settings_to_every_judge() -> None:
    """gen-tests' gate asks the runner's ``settings``: a candidate writing ``.pytest.toml``
    (``addopts = --co``, every test collected and none run) was let through there."""
    assert settings_problem(PYTEST.runner, ("tests/.pytest.toml",))
    assert settings_change("tests/.pytest.toml", None, "[pytest]\naddopts = --co\n")
