"""Review's run resolved by the core: a flag, then the workflow input, then the repository's setting
from the trusted commit, then the default, for the common options and review's alike (the
action's inputs across every mode: tests/wiring/test_resolve.py)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.runner_io import RunnerIO
from cicd_agent.analysis.severity import Severity
from cicd_agent.job.context import RunContext
from cicd_agent.job.repo_config import (
    RepoConfig,
    load,
)
from cicd_agent.job.resolve import CommonOptions, resolve_run
from cicd_agent.modes.review import arguments as review_arguments
from cicd_agent.modes.review.options import ReviewOptions
from tests.git_builder import GitRepoBuilder

SETTINGS = (
    "review:\n  max-findings: 7\n  report-on: low\n  max-model-calls: 5\n  model: set-model\n"
)


def _repo(tmp_path: Path, settings: str = SETTINGS) -> tuple[GitRepoBuilder, str]:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "A = 1\n", ".github/cicd-agent.yml": settings})
    repo.commit(
        "Change", {"app.py": "A = 2\n", ".github/cicd-agent.yml": "review:\n  max-findings: 0\n"}
    )
    return repo, base


def test_a_flag_beats_an_input_beats_a_setting_beats_the_default(tmp_path: Path) -> None:
    repo, base = _repo(tmp_path)
    flags = {"repo": repo.path, "base": base, "max_model_calls": 2}
    environ = {"INPUT_REPORT-ON": "high", "INPUT_MODEL": "input-model"}
    run = resolve_run("review", review_arguments, flags, environ)
    options = ReviewOptions.from_given(run.given)
    assert options.max_model_calls == 2  # the flag, over the setting
    assert options.report_on is Severity.HIGH  # the input, over the setting
    assert run.given.text("model") == "input-model"  # a common option follows the same rule
    assert options.max_findings == 7  # the setting, from the base (the head says 0)
    assert options.describe_in == "body"  # the default
    assert run.settings.source == f".github/cicd-agent.yml at {base[:12]}"


def test_a_setting_is_read_through_the_options_own_parser(tmp_path: Path) -> None:
    repo, base = _repo(tmp_path, "review:\n  max-model-calls: 0\n")
    with pytest.raises(UsageError) as refused:
        resolve_run("review", review_arguments, {"repo": repo.path, "base": base}, {})
    assert refused.value.message == (
        f"setting 'max-model-calls' in .github/cicd-agent.yml at {base[:12]} has an invalid "
        "value '0': must be 1 or more, got 0."
    )


def test_where_the_settings_come_from_can_be_given(tmp_path: Path) -> None:
    """The command mode's nested run reads the pull request's base, not the event's."""
    repo, base = _repo(tmp_path)
    seen: list[str | None] = []

    def settings_for(
        early: CommonOptions, given_base: str | None, today: date
    ) -> tuple[None, RepoConfig]:
        seen.append(given_base)
        return None, load(early.repo_dir, base, "review", today)

    run = resolve_run(
        "review", review_arguments, {"repo": repo.path}, {}, settings_for=settings_for
    )
    assert seen == [None]
    assert ReviewOptions.from_given(run.given).max_findings == 7
    assert run.event is None


def test_a_run_takes_its_day_once_for_its_settings_and_its_steps(tmp_path: Path) -> None:
    """The settings' quarantine expiries are checked against the day analyse-failure judges
    them on: a run that starts just before midnight must not read its settings on one day
    and judge them on the next. The run is given one day; the settings and the context read
    it (a nested run is handed its parent's)."""
    day = date(2030, 1, 1)
    seen: list[date] = []

    def settings_for(
        early: CommonOptions, given_base: str | None, today: date
    ) -> tuple[None, RepoConfig]:
        seen.append(today)
        return None, RepoConfig()

    run = resolve_run(
        "review", review_arguments, {"repo": tmp_path}, {}, settings_for=settings_for, today=day
    )
    runner = RunnerIO({}, commands=io.StringIO(), human=io.StringIO())
    ctx = RunContext.of(run, ReviewOptions.from_given, runner)
    assert (seen, run.today, ctx.today) == ([day], day, day)


def test_what_a_run_hands_a_run_it_starts_is_its_flags_and_inputs_never_its_settings(
    tmp_path: Path,
) -> None:
    """A command's review reads review's own section: what the command's section set is not
    among the values the command states (``Given.stated``), so it cannot outrank it."""
    repo, base = _repo(tmp_path)
    flags = {"repo": repo.path, "base": base, "max_model_calls": 2}
    run = resolve_run("review", review_arguments, flags, {"INPUT_REPORT-ON": "high"})
    stated = run.given.stated()
    assert stated["max_model_calls"] == 2
    assert stated["report_on"] is Severity.HIGH
    assert run.given.text("model") == "set-model"  # the setting applies to this run
    assert "model" not in stated
    assert "max_findings" not in stated
    assert "describe_in" not in stated
