"""Model settings, validated once a provider or a model setting is given.

``gpt-5.4`` answers decisions and ``gpt-5.4-mini`` does bulk generation: both generally available
with no shutdown announced (2026-11), where gpt-4o-mini and gpt-5 have dates. Any
OpenAI-compatible server works through ``base-url``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from cicd_agent.actions.errors import UsageError
from cicd_agent.model.pricing import Price, parse_price_overrides
from cicd_agent.model.provider import ModelChoice, Provider
from cicd_agent.model.usage import Tier

DEFAULT_MODEL = "gpt-5.4"
DEFAULT_FAST_MODEL = "gpt-5.4-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_OUTPUT_TOKENS = 16_384
"""Room for the answer and, on reasoning models, the hidden reasoning that precedes it."""


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
        return self.fast_model if tier == "fast" else self.model


# ModelConfig field → the option that sets it, for error messages
OPTION_NAMES = {
    "model": "model",
    "fast_model": "fast-model",
    "base_url": "base-url",
    "context_tokens": "context-tokens",
    "timeout": "model-timeout",
}


def model_config_from(choice: ModelChoice) -> ModelConfig:
    """The model settings of the run's model choice
    (:func:`cicd_agent.model.provider.model_choice`), validated: the defaults stand for what was
    not given (``base-url``: OpenAI's API). Every invalid value is a UsageError naming the
    option."""
    try:
        return ModelConfig.model_validate(
            {
                **choice.settings,
                "provider": choice.provider.provider,
                "api_key": choice.key.value if choice.key else None,
                "prices": parse_price_overrides(choice.prices or ""),
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
