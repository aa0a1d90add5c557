"""The action takes a handful of inputs: the mode, secrets and tokens, one run's values and the
few every user sets; the rest is the settings file's, in one documented place. The modes say
which of their options are inputs (``Option.action_input``); ``action.yml`` declares those."""

from __future__ import annotations

import yaml

from cicd_agent.cli import action_inputs
from cicd_agent.job.resolve import RETIRED_INPUTS
from cicd_agent.plugins import declared_options, own_modes
from tests.harness.payloads import REPO_ROOT

MAX_INPUTS = 26
"""25, and the test step's command: a mode's one required value."""


def test_action_yml_declares_exactly_the_inputs_the_cli_accepts_from_it() -> None:
    declared = set(yaml.safe_load((REPO_ROOT / "action.yml").read_text())["inputs"])
    assert declared == action_inputs()
    assert len(declared) <= MAX_INPUTS
    assert not action_inputs() & set(RETIRED_INPUTS)


def test_an_option_two_modes_declare_is_an_input_and_a_setting_in_both_or_neither() -> None:
    """One input of ``action.yml`` (``base``, ``slack-webhook-url``) reaches every mode that
    declares the option: what it may be is one answer, whichever mode says it."""
    marks: dict[str, set[tuple[bool, bool]]] = {}
    for mode in own_modes():
        for option in declared_options(mode):
            marks.setdefault(option.name, set()).add((option.action_input, option.setting))
    assert {name: said for name, said in marks.items() if len(said) > 1} == {}


def test_the_settings_page_lists_every_input_that_moved_and_every_one_removed() -> None:
    page = (REPO_ROOT / "docs" / "configuration.md").read_text()
    for name in RETIRED_INPUTS:
        assert f"`{name}`" in page, name
