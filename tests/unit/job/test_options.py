"""Action inputs fill what flags leave, validated exactly like the flags."""

from __future__ import annotations

import argparse
import json

import pytest

from cicd_agent.flags import add_common_options
from cicd_agent.job.options import fill_from_inputs
from cicd_agent.runner.errors import UsageError
from cicd_agent.runner.inputs import input_value


def parse(argv: list[str], environ: dict[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_common_options(parser)
    parser.add_argument("--max-findings", type=int, default=None)
    args = parser.parse_args(argv)
    fill_from_inputs(parser, args, environ)
    return args


def test_inputs_in_both_runner_spellings_and_the_composite_json() -> None:
    assert input_value({"INPUT_FAIL-ON": "high"}, "fail-on") == "high"
    assert input_value({"INPUT_FAIL_ON": "high"}, "fail-on") == "high"
    assert input_value({"CICD_AGENT_INPUTS": json.dumps({"fail-on": "high"})}, "fail-on") == "high"
    assert input_value({"CICD_AGENT_INPUTS": json.dumps({"fail-on": ""})}, "fail-on") is None


def test_flag_wins_over_input() -> None:
    args = parse(["--model", "flag-model"], {"INPUT_MODEL": "input-model", "INPUT_FAST_MODEL": "f"})
    assert args.model == "flag-model"
    assert args.fast_model == "f"


def test_inputs_go_through_type_and_choices() -> None:
    args = parse([], {"INPUT_MAX_FINDINGS": "7", "INPUT_DRY_RUN": "true", "INPUT_PROVIDER": "none"})
    assert args.max_findings == 7
    assert args.dry_run is True
    assert args.provider == "none"
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
    from cicd_agent.flags import at_least

    parser = argparse.ArgumentParser()
    parser.add_argument("--max-model-calls", type=at_least(1), default=None)
    args = parser.parse_args([])
    with pytest.raises(UsageError, match="must be 1 or more, got 0"):
        fill_from_inputs(parser, args, {"INPUT_MAX_MODEL_CALLS": "0"})
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-model-calls", "0"])
    assert parser.parse_args(["--max-model-calls", "3"]).max_model_calls == 3
