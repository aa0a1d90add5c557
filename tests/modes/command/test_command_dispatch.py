"""The modes a command runs are the registry's own, reached through it alone."""

from __future__ import annotations

import pytest

from cicd_agent.actions.errors import CicdError
from cicd_agent.job.change_reader import ReadsChanges
from cicd_agent.modes.command.dispatch import RUNS_A_MODE, change_reader, runnable
from cicd_agent.plugins import installed_modes


def test_every_mode_a_command_runs_is_the_registrys_mode_with_its_options() -> None:
    for name in RUNS_A_MODE.values():
        mode, arguments, options = runnable(name)
        assert mode is installed_modes()[name].load()
        assert arguments is installed_modes()[name].arguments()
        assert options == installed_modes()[name].options()
        assert mode.name == name


def test_review_offers_what_a_command_uses_of_it() -> None:
    review = change_reader("review")
    assert review is installed_modes()["review"].change_reader()
    assert isinstance(review, ReadsChanges)


def test_a_mode_that_reads_no_change_is_refused_in_one_line() -> None:
    with pytest.raises(CicdError, match="does not read changes"):
        change_reader("gen-tests")
