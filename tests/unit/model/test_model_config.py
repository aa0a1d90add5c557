"""Model settings: the key resolver, the provider decision, and options → ModelConfig."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.inputs import input_value
from cicd_agent.job.flags import common_options
from cicd_agent.job.options import Given, fill_unset
from cicd_agent.model.config import (
    DEFAULT_BASE_URL,
    DEFAULT_FAST_MODEL,
    DEFAULT_MODEL,
    ModelConfig,
    model_config_from,
)
from cicd_agent.model.provider import ModelChoice, choose_provider, model_choice, resolve_api_key
from tests.helpers.cli import mode_parser

KEY = "sk-proj-config-test-0123456789"


def options_from(argv: list[str], environ: dict[str, str]) -> Given:
    """The CLI's own path: flags, then action inputs for what the flags left."""
    group = common_options()
    args = vars(mode_parser("toy", [group]).parse_args(argv))
    values = {option.dest: args.get(option.dest) for option in group.options}
    fill_unset(group.options, values, lambda n: input_value(environ, n), "input {!r}".format)
    return Given(values)


def choice_from(argv: list[str], environ: dict[str, str]) -> ModelChoice:
    return model_choice(options_from(argv, environ), environ)


def config_from(argv: list[str], environ: dict[str, str]) -> tuple[ModelConfig, str]:
    choice = choice_from(argv, environ)
    return model_config_from(choice), choice.provider.reason


# ---------------------------------------------------------------- the key resolver


def test_the_input_wins_over_the_environment() -> None:
    key = resolve_api_key("sk-from-input", {"OPENAI_API_KEY": "sk-from-env"})
    assert key is not None
    assert key.value == "sk-from-input"
    assert key.source == "the openai-api-key input"


def test_the_environment_is_used_when_the_input_is_blank() -> None:
    key = resolve_api_key("  ", {"OPENAI_API_KEY": "sk-from-env"})
    assert key is not None
    assert (key.value, key.source) == ("sk-from-env", "OPENAI_API_KEY")


def test_no_key_anywhere() -> None:
    assert resolve_api_key(None, {"OPENAI_API_KEY": ""}) is None


# ---------------------------------------------------------------- the provider decision


def test_without_a_key_the_provider_is_none_and_says_why() -> None:
    choice = choose_provider(None, None)
    assert choice.provider == "none"
    assert choice.reason == (
        "provider: none (no OPENAI_API_KEY / openai-api-key input) — deterministic analysis only"
    )


def test_with_a_key_the_provider_is_openai_and_names_the_source_not_the_value() -> None:
    choice = choose_provider("", resolve_api_key(None, {"OPENAI_API_KEY": KEY}))
    assert choice == ("openai", "provider: openai (key from OPENAI_API_KEY)")


def test_an_explicit_none_wins_over_an_available_key() -> None:
    choice = choose_provider("none", resolve_api_key(KEY, {}))
    assert choice.provider == "none"
    assert "chosen explicitly" in choice.reason


def test_explicit_openai_without_a_key_says_how_to_fix_it() -> None:
    with pytest.raises(UsageError) as caught:
        choose_provider("openai", None)
    assert "needs an API key" in caught.value.message
    for fix in ("openai-api-key", "OPENAI_API_KEY", "provider none"):
        assert fix in caught.value.hint


def test_an_unknown_provider_is_rejected() -> None:
    with pytest.raises(UsageError, match="unknown provider 'anthropic'"):
        choose_provider("anthropic", None)


# ---------------------------------------------------------------- options → ModelConfig


def test_defaults_without_any_option() -> None:
    config, reason = config_from([], {})
    assert config.provider == "none"
    assert (config.model, config.fast_model) == (DEFAULT_MODEL, DEFAULT_FAST_MODEL)
    assert config.base_url == DEFAULT_BASE_URL
    assert config.max_retries == 2
    assert reason.startswith("provider: none")


def test_action_inputs_reach_the_config() -> None:
    environ = {
        "INPUT_OPENAI-API-KEY": KEY,
        "INPUT_MODEL": "gpt-4.1",
        "INPUT_FAST-MODEL": "gpt-4.1-nano",
        "INPUT_BASE-URL": "http://localhost:11434/v1/",
        "INPUT_CONTEXT-TOKENS": "32768",
        "INPUT_MODEL-TIMEOUT": "30",
        "INPUT_MODEL-PRICES": '{"gpt-4.1": [1, 4]}',
    }
    config, reason = config_from([], environ)
    assert config.provider == "openai"
    assert config.api_key is not None and config.api_key.get_secret_value() == KEY
    assert (config.model, config.fast_model) == ("gpt-4.1", "gpt-4.1-nano")
    assert config.base_url == "http://localhost:11434/v1"
    assert (config.context_tokens, config.timeout) == (32_768, 30.0)
    assert config.prices["gpt-4.1"].output == 4
    assert reason == "provider: openai (key from the openai-api-key input)"
    assert KEY not in reason and KEY not in repr(config)


def test_flags_win_over_inputs() -> None:
    config, _ = config_from(
        ["--model", "gpt-5.5"], {"INPUT_MODEL": "gpt-4.1", "OPENAI_API_KEY": KEY}
    )
    assert config.model == "gpt-5.5"


def test_base_url_falls_back_to_openai_base_url() -> None:
    config, _ = config_from([], {"OPENAI_BASE_URL": "https://proxy.example/v1"})
    assert config.base_url == "https://proxy.example/v1"


def test_an_invalid_value_names_the_option() -> None:
    with pytest.raises(UsageError) as caught:
        config_from(["--model-timeout", "0"], {})
    assert "model-timeout: Input should be greater than 0" in caught.value.message


def test_a_bad_base_url_names_the_option() -> None:
    with pytest.raises(UsageError, match="base-url: Value error, must start with http"):
        config_from(["--base-url", "localhost:11434"], {})


def test_provider_none_without_a_model_setting_leaves_nothing_to_validate() -> None:
    assert choice_from([], {}).offline
    offline = choice_from(["--provider", "none"], {"OPENAI_API_KEY": KEY})
    assert offline.offline and offline.key is not None
    assert KEY not in repr(offline)


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["--model-timeout", "0"], {}),
        (["--provider", "none", "--model", "gpt-4.1"], {}),
        ([], {"OPENAI_BASE_URL": "localhost:11434"}),
        ([], {"INPUT_MODEL-PRICES": '{"m": [1, 2]}'}),
        ([], {"OPENAI_API_KEY": KEY}),
    ],
    ids=["a bad setting", "a setting", "the base URL's variable", "prices", "a key"],
)
def test_a_provider_or_a_model_setting_is_validated(argv: list[str], environ: dict[str, str]) -> None:
    assert not choice_from(argv, environ).offline


def test_a_misspelt_setting_fails_loudly() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ModelConfig.model_validate({"modle": "gpt-5.4"})


def test_tiers_map_to_their_models() -> None:
    config = ModelConfig(model="a", fast_model="b")
    assert (config.model_for("model"), config.model_for("fast")) == ("a", "b")


def test_settings_usage_and_tokens_do_not_import_openai_or_tiktoken() -> None:
    """``--help`` imports these; the SDK (about 1 s) and tiktoken load only when used."""
    code = (
        "import sys\n"
        "import cicd_agent.model.config, cicd_agent.model.tokens, cicd_agent.model.usage\n"
        "print(sorted(m for m in ('openai', 'tiktoken', 'httpx2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
