"""The provider decision, the API key resolver and the model settings a run was given, read
without validating them: a run with provider ``none`` and no model setting never loads pydantic.
Everything arrives as parameters, so nothing here reads ``os.environ``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.inputs import input_value

if TYPE_CHECKING:
    from cicd_agent.job.options import Given

Provider = Literal["openai", "none"]

KEY_ENV = "OPENAI_API_KEY"
KEY_INPUT = "openai-api-key"
BASE_URL_ENV = "OPENAI_BASE_URL"


@dataclass(frozen=True)
class ApiKey:
    """A resolved key and where it came from (said in the log, never the value)."""

    value: str = field(repr=False)
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
        return ApiKey(explicit.strip(), f"the {KEY_INPUT} input")
    from_env = environ.get(KEY_ENV, "").strip()
    if from_env:
        return ApiKey(from_env, KEY_ENV)
    return None


def missing_key_error() -> UsageError:
    """The error for ``provider: openai`` without a key, naming every way to fix it."""
    return UsageError(
        "provider openai needs an API key and none was found.",
        hint=(
            f"Pass the {KEY_INPUT} input "
            f"(for example `{KEY_INPUT}: ${{{{ secrets.OPENAI_API_KEY }}}}`) "
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


@dataclass(frozen=True)
class ModelChoice:
    """What a run's options say of its model, nothing validated yet: the provider chosen and
    why, the key, and the model settings given, each by the ``ModelConfig`` field it sets."""

    provider: ProviderChoice
    key: ApiKey | None
    settings: Mapping[str, str | int | float]
    """The model settings a flag, an input, the settings file or ``OPENAI_BASE_URL`` gave."""
    prices: str | None
    """``model-prices`` as given (JSON), None when not."""

    @property
    def offline(self) -> bool:
        """Provider none and no model setting: no model to ask, nothing to validate."""
        return self.provider.provider == "none" and not self.settings and self.prices is None


def model_choice(given: Given, environ: Mapping[str, str]) -> ModelChoice:
    """The model choice of the run's given values (flags over inputs; ``base-url`` falls back to
    ``OPENAI_BASE_URL``). An explicit provider that cannot be used is a UsageError here."""
    key = resolve_api_key(input_value(environ, KEY_INPUT), environ)
    choice = choose_provider(given.text("provider"), key)
    settings = {
        "model": given.text("model"),
        "fast_model": given.text("fast_model"),
        "base_url": given.text("base_url") or environ.get(BASE_URL_ENV, "").strip() or None,
        "context_tokens": given.whole("context_tokens"),
        "timeout": given.number("model_timeout"),
    }
    given_settings = {name: value for name, value in settings.items() if value is not None}
    return ModelChoice(choice, key, given_settings, given.text("model_prices"))
