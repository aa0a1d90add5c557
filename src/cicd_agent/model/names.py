"""Model names: one lookup rule for the context-window and price tables (``data/models.json``).
Providers spell a model several ways (``gpt-4o-2024-08-06``, ``openai/gpt-5.4``,
``ft:gpt-4o-mini:org::id``), and both tables must resolve them alike, or the budget and the bill
would disagree about which model ran."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, TypeVar

V = TypeVar("V")

_ROUTER_PREFIX = re.compile(r"^(?:openai|azure)/", re.IGNORECASE)
_FINE_TUNE = re.compile(r"^ft:([^:]+)(?::.*)?$")
# o-series and the gpt-5 generation onwards are reasoning models: they use o200k
# and reject a non-default temperature.
_REASONING = re.compile(r"^(?:o\d|gpt-(?:[5-9]|\d{2,}))")
_O200K = re.compile(r"^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-oss|o\d|gpt-(?:[5-9]|\d{2,}))")


@cache
def published() -> dict[str, dict[str, Any]]:
    """Each model the shipped table knows, in its order: ``context``, ``max_output``, maybe
    ``max_input``, and ``price`` (USD per 1M tokens in, out) where one is published."""
    text = resources.files("cicd_agent").joinpath("data/models.json").read_text("utf-8")
    return {name: entry for name, entry in json.loads(text).items() if name != "_about"}


def normalise(model: str) -> str:
    """The base name of ``model``: lower case, without router prefix or fine-tune suffix."""
    name = _ROUTER_PREFIX.sub("", model.strip().lower())
    fine_tuned = _FINE_TUNE.match(name)
    return fine_tuned.group(1) if fine_tuned else name


def lookup(table: Mapping[str, V], model: str) -> V | None:
    """The entry for ``model``: exact name first, then the longest ``key-`` prefix ending at a
    dash, so ``gpt-4o-mini-2024-07-18`` is ``gpt-4o-mini`` and ``gpt-4`` never claims
    ``gpt-4.1``."""
    name = normalise(model)
    if name in table:
        return table[name]
    prefixes = [key for key in table if name.startswith(f"{key}-")]
    return table[max(prefixes, key=len)] if prefixes else None


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` is an o-series or gpt-5-and-later model (no custom temperature)."""
    return bool(_REASONING.match(normalise(model)))


def encoding_name(model: str) -> str:
    """The tiktoken encoding for ``model``: o200k_base from the 4o generation on, else
    cl100k_base (also for unknown local models, whose tokenizer is unknown anyway; the budget
    keeps a margin)."""
    return "o200k_base" if _O200K.match(normalise(model)) else "cl100k_base"
