"""The action takes a handful of inputs (issue 68): the mode, secrets and tokens, one run's
values and the few every user sets; the rest is the settings file's, in one documented place."""

from __future__ import annotations

import yaml

from cicd_agent.job.resolve import ACTION_INPUTS, RETIRED_INPUTS
from tests.harness.payloads import REPO_ROOT

MAX_INPUTS = 26
"""25, and the test step's command: a mode's one required value."""


def test_action_yml_declares_exactly_the_inputs_the_cli_accepts_from_it() -> None:
    declared = set(yaml.safe_load((REPO_ROOT / "action.yml").read_text())["inputs"])
    assert declared == ACTION_INPUTS
    assert len(declared) <= MAX_INPUTS
    assert not ACTION_INPUTS & set(RETIRED_INPUTS)


def test_the_settings_page_lists_every_input_that_moved_and_every_one_removed() -> None:
    page = (REPO_ROOT / "docs" / "configuration.md").read_text()
    for name in RETIRED_INPUTS:
        assert f"`{name}`" in page, name
