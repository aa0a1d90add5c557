"""Model settings, the API key resolver and the provider decision.

Everything arrives as parameters: the CLI passes the action's inputs and the environment
as mappings, so nothing here reads ``os.environ`` and tests pass plain dicts.

Defaults: ``gpt-5.4`` answers decisions (review, deploy-gate, failure analysis) and
``gpt-5.4-mini`` does bulk generation. Both are generally available on OpenAI's API with
no shutdown announced (2026-11); older defaults such as gpt-4o-mini and gpt-5 have
announced shutdown dates. Any OpenAI-compatible server works through ``base-url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.inputs import input_value
from cicd_agent.model.pricing import Price, parse_price_overrides
from cicd_agent.model.usage import Tier

if TYPE_CHECKING:
    from cicd_agent.job.options import Given

Provider = Literal["openai", "none"]

DEFAULT_MODEL = "gpt-5.4"
DEFAULT_FAST_MODEL = "gpt-5.4-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_OUTPUT_TOKENS = 16_384
"""Room for the answer and, on reasoning models, the hidden reasoning that precedes it."""

KEY_ENV = "OPENAI_API_KEY"
KEY_INPUT = "openai-api-key"
BASE_URL_ENV = "OPENAI_BASE_URL"


class ModelConfig(BaseModel):
    """How to reach the model. A misspelt field fails loudly (``extra="forbid"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    provider: Provider = "none"
    model: str = Field(DEFAULT_MODEL, min_length=1)
    fast_model: str = Field(DEFAULT_FAST_MODEL, min_length=1)
    base_url: str = DEFAULT_BASE_URL
    api_key: SecretStr | None = None
    timeout: float = Field(  # no endless one: the call's wall clock cannot be set past a day
        DEFAULT_TIMEOUT, gt=0, le=86_400, description="seconds for each whole call"
    )
    max_retries: int = Field(2, ge=0, le=10, description="the SDK's retries on 429, 5xx, timeouts")
    context_tokens: int | None = Field(None, gt=0, description="context size of an unknown model")
    max_output_tokens: int = Field(DEFAULT_MAX_OUTPUT_TOKENS, gt=0)
    prices: dict[str, Price] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    def model_for(self, tier: Tier) -> str:
        """The model name serving ``tier``."""
        return self.fast_model if tier == "fast" else self.model


class ApiKey(NamedTuple):
    """A resolved key and where it came from (said in the log, never the value)."""

    value: SecretStr
    source: str


class ProviderChoice(NamedTuple):
    """The provider to use and the one line the CLI prints to say why."""

    provider: Provider
    reason: str


def resolve_api_key(explicit: str | None, environ: Mapping[str, str]) -> ApiKey | None:
    """The API key, in this order: the ``openai-api-key`` input (or ``--api-key``), then
    ``OPENAI_API_KEY`` in ``environ``. Blank values count as absent, since the runner sets
    an unset input to the empty string."""
    if explicit and explicit.strip():
        return ApiKey(SecretStr(explicit.strip()), f"the {KEY_INPUT} input")
    from_env = environ.get(KEY_ENV, "").strip()
    if from_env:
        return ApiKey(SecretStr(from_env), KEY_ENV)
    return None


def missing_key_error() -> UsageError:
    """The error for ``provider: openai`` without a key, naming every way to fix it."""
    return UsageError(
        "provider openai needs an API key and none was found.",
        hint=(
            f"Pass the {KEY_INPUT} input (for example `{KEY_INPUT}: ${{{{ secrets.OPENAI_API_KEY }}}}`) "
            f"or set {KEY_ENV}; a local server that needs no key accepts any value. "
            "Or use provider none for deterministic analysis only."
        ),
    )


def choose_provider(explicit: str | None, key: ApiKey | None) -> ProviderChoice:
    """The provider: an explicit choice wins; otherwise ``openai`` when a key is available
    and ``none`` when not."""
    if explicit and explicit.strip():
        chosen = explicit.strip().lower()
        if chosen == "openai":
            if key is None:
                raise missing_key_error()
            return ProviderChoice(
                "openai", f"provider: openai (chosen explicitly, key from {key.source})"
            )
        if chosen == "none":
            return ProviderChoice(
                "none", "provider: none (chosen explicitly) — deterministic analysis only"
            )
        raise UsageError(
            f"unknown provider {explicit.strip()!r}.",
            hint="Use openai (any OpenAI-compatible server, with base-url) or none.",
        )
    if key is not None:
        return ProviderChoice("openai", f"provider: openai (key from {key.source})")
    return ProviderChoice(
        "none", f"provider: none (no {KEY_ENV} / {KEY_INPUT} input) — deterministic analysis only"
    )


# ModelConfig field → the option that sets it, for error messages
OPTION_NAMES = {
    "model": "model",
    "fast_model": "fast-model",
    "base_url": "base-url",
    "context_tokens": "context-tokens",
    "timeout": "model-timeout",
}


def model_config_from(given: Given, environ: Mapping[str, str]) -> tuple[ModelConfig, str]:
    """The model settings of the run's given values (flags merged over inputs), and the one
    line saying which provider was chosen and why.

    The key comes from the ``openai-api-key`` input, then ``OPENAI_API_KEY`` (see
    ``resolve_api_key``); ``base-url`` falls back to ``OPENAI_BASE_URL``, then OpenAI's
    API. Every invalid value is a UsageError naming the option.
    """
    key = resolve_api_key(input_value(environ, KEY_INPUT), environ)
    choice = choose_provider(given.text("provider"), key)
    settings = {
        "model": given.text("model"),
        "fast_model": given.text("fast_model"),
        "base_url": given.text("base_url") or environ.get(BASE_URL_ENV, "").strip() or None,
        "context_tokens": given.whole("context_tokens"),
        "timeout": given.number("model_timeout"),
    }
    try:
        config = ModelConfig.model_validate(
            {
                **{name: value for name, value in settings.items() if value is not None},
                "provider": choice.provider,
                "api_key": key.value if key else None,
                "prices": parse_price_overrides(given.text("model_prices") or ""),
            }
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{OPTION_NAMES.get(str(err['loc'][0]), str(err['loc'][0]))}: {err['msg']} "
            f"(got {err['input']!r})"
            for err in exc.errors(include_url=False)
        )
        raise UsageError(
            f"invalid model settings: {problems}.",
            hint="Fix the input or flag named above (see `cicd-agent MODE --help`).",
        ) from None
    return config, choice.reason
