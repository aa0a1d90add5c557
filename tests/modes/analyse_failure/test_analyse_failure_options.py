"""analyse-failure's options typed once from what the run resolved: defaults applied, a run id
that names no run refused before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.options import Given
from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions


def test_nothing_given_is_the_offline_defaults() -> None:
    options = AnalyseFailureOptions.from_given(Given({}))
    assert (options.logs, options.run_id, options.fix) == (None, None, "off")
    assert options.base is None and options.slack_webhook_url is None


def test_what_was_given_is_typed() -> None:
    options = AnalyseFailureOptions.from_given(
        Given({"logs": "logs.zip", "run_id": 42, "fix": "suggest", "base": "", "head": "abc"})
    )
    # a path given relative to the working folder is read as an absolute one
    assert options.logs == Path("logs.zip").absolute() and options.run_id == 42
    assert options.fix == "suggest"
    assert (options.base, options.head) == (None, "abc")  # an empty input is no base


def test_a_run_id_that_names_no_run_is_refused() -> None:
    with pytest.raises(UsageError, match="run-id must be a workflow run id"):
        AnalyseFailureOptions.from_given(Given({"run_id": 0}))


def test_rerun_infrastructure_is_0_or_1() -> None:
    import argparse

    from cicd_agent.modes.analyse_failure.arguments import reruns

    assert (reruns("0"), reruns("1")) == (0, 1)
    for bad in ("2", "-1", "yes"):
        with pytest.raises(argparse.ArgumentTypeError):
            reruns(bad)
