"""Estimated cost of model calls: USD per 1M tokens, standard tier, as OpenAI published them in
2026. Discounted and surcharged tiers are not modelled, so the estimate errs high. An unknown model
costs 0.0 and is flagged, never a crash.

``model-prices`` (JSON) maps a model name to ``[input, output]`` or
``{"input": …, "output": …}``, overriding or extending the table with the same lookup."""

from __future__ import annotations

import json
from functools import cache, cached_property

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cicd_agent.actions.errors import UsageError, first_problem
from cicd_agent.model.names import lookup, published


class Price(BaseModel):
    """USD per 1M tokens sent (input) and received (output)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)


@cache
def shipped_prices() -> dict[str, Price]:
    """The shipped table's prices, read on the first price asked for: a run that calls no
    model never reads them."""
    return {
        name: Price(input=entry["price"][0], output=entry["price"][1])
        for name, entry in published().items()
        if "price" in entry
    }


class PriceTable:
    """The built-in prices with the user's overrides on top."""

    def __init__(self, overrides: dict[str, Price] | None = None) -> None:
        self._overrides = {k.lower(): v for k, v in (overrides or {}).items()}

    def price(self, model: str) -> Price | None:
        """The price of ``model``, or None when neither the table nor the overrides know it."""
        return lookup(self._prices, model)

    @cached_property
    def _prices(self) -> dict[str, Price]:
        return {**shipped_prices(), **self._overrides}

    def estimate_cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        """Estimated USD for one call; 0.0 for an unknown model (see ``price`` to tell)."""
        price = self.price(model)
        if price is None:
            return 0.0
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


def parse_price_overrides(text: str) -> dict[str, Price]:
    """Read the ``model-prices`` input (JSON, see module doc); empty text means no overrides."""
    if not text.strip():
        return {}
    example = '{"my-model": [0.5, 1.5]}'
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"model-prices is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).",
            hint=f"Give USD per 1M tokens, e.g. {example}.",
        ) from None
    except RecursionError:
        raise UsageError(
            "model-prices is nested too deeply.", hint=f"For example {example}."
        ) from None
    if not isinstance(raw, dict):
        raise UsageError("model-prices must be a JSON object.", hint=f"For example {example}.")
    prices: dict[str, Price] = {}
    for model, value in raw.items():
        pair = isinstance(value, list) and len(value) == 2
        try:
            prices[model] = Price.model_validate(
                {"input": value[0], "output": value[1]} if pair else value
            )
        except ValidationError as exc:
            raise UsageError(
                f"model-prices entry {model!r} is invalid ({first_problem(exc, 'value')}).",
                hint=f"Each entry needs a non-negative input and output price, e.g. {example}.",
            ) from None
    return prices
