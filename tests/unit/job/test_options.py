"""Action inputs fill what flags leave, validated exactly like the flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.inputs import input_value
from cicd_agent.job.flags import Option, OptionGroup, at_least, common_options
from cicd_agent.job.options import Given, fill_unset
from cicd_agent.job.resolve import CommonOptions
from tests.helpers.cli import mode_parser

OPTIONS = (*common_options().options, Option("max-findings", "most findings", kind=int))


def parse(argv: list[str], environ: dict[str, str]) -> dict[str, object]:
    """Flags, then inputs for what they left: the first two steps of a run's resolution."""
    args = vars(mode_parser("toy", [common_options()]).parse_args(argv))
    values = {option.dest: args.get(option.dest) for option in OPTIONS}
    fill_unset(OPTIONS, values, lambda n: input_value(environ, n), "input {!r}".format)
    return values


def test_inputs_in_both_runner_spellings_and_the_composite_json() -> None:
    assert input_value({"INPUT_FAIL-ON": "high"}, "fail-on") == "high"
    assert input_value({"INPUT_FAIL_ON": "high"}, "fail-on") == "high"
    assert input_value({"CICD_AGENT_INPUTS": json.dumps({"fail-on": "high"})}, "fail-on") == "high"
    assert input_value({"CICD_AGENT_INPUTS": json.dumps({"fail-on": ""})}, "fail-on") is None


def test_flag_wins_over_input() -> None:
    values = parse(
        ["--model", "flag-model"], {"INPUT_MODEL": "input-model", "INPUT_FAST_MODEL": "f"}
    )
    assert values["model"] == "flag-model"
    assert values["fast_model"] == "f"


def test_inputs_go_through_type_and_choices() -> None:
    values = parse(
        [], {"INPUT_MAX_FINDINGS": "7", "INPUT_DRY_RUN": "true", "INPUT_PROVIDER": "none"}
    )
    assert values["max_findings"] == 7
    assert values["dry_run"] is True
    assert values["provider"] == "none"
    with pytest.raises(UsageError, match="max-findings"):
        parse([], {"INPUT_MAX_FINDINGS": "seven"})
    with pytest.raises(UsageError, match="provider"):
        parse([], {"INPUT_PROVIDER": "anthropic"})


def test_a_typo_in_a_boolean_input_is_an_error_not_false() -> None:
    with pytest.raises(UsageError, match="dry-run"):
        parse([], {"INPUT_DRY_RUN": "ture"})


def test_malformed_inputs_json_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="CICD_AGENT_INPUTS"):
        input_value({"CICD_AGENT_INPUTS": "{not json"}, "model")


def test_range_checked_options_refuse_flags_and_inputs_alike() -> None:
    calls = Option("max-model-calls", "most model calls", kind=at_least(1))
    parser = mode_parser("toy", [OptionGroup("toy", calls)])
    values: dict[str, object] = {"max_model_calls": None}
    with pytest.raises(UsageError, match="must be 1 or more, got 0"):
        environ = {"INPUT_MAX_MODEL_CALLS": "0"}
        fill_unset([calls], values, lambda n: input_value(environ, n), "input {!r}".format)
    with pytest.raises(UsageError, match="must be 1 or more, got 0"):
        parser.parse_args(["--max-model-calls", "0"])
    assert parser.parse_args(["--max-model-calls", "3"]).max_model_calls == 3


def test_a_path_relative_to_the_working_folder_is_made_absolute_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--repo click`` from the parent folder reached the sandbox as ``click/...``,
    where it named nothing; every path option is absolute from the options on."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "click").mkdir()
    given = Given({"repo": "click", "logs": "ci.log", "result_file": Path("out.json"), "x": ""})
    assert CommonOptions.from_given(given, {}).repo_dir == tmp_path / "click"
    assert CommonOptions.from_given(Given({}), {"GITHUB_WORKSPACE": "click"}).repo_dir == (
        tmp_path / "click"
    )
    assert given.path("logs") == tmp_path / "ci.log"
    assert given.path("result_file") == tmp_path / "out.json"
    assert given.path("x") is None


def test_a_repeated_flag_reaches_the_mode_as_its_input_would_one_a_line() -> None:
    from cicd_agent.job.resolve import parse_flags

    groups = [OptionGroup("toy", Option("image", "NAME=PATH", setting=False, repeat=True))]
    parser = mode_parser("toy", groups)
    assert parse_flags(parser, ["--image", "a=1", "--image", "b=2"], groups) == {
        "image": "a=1\nb=2"
    }
    assert parse_flags(parser, [], groups) == {}
