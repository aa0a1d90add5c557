"""Model names: the context-window table and the price table resolve every spelling of a
model the same way, or the budget and the bill would disagree about which model ran."""

from __future__ import annotations

import pytest

from cicd_agent.model.names import encoding_name, is_reasoning_model, lookup, normalise

TABLE = {"gpt-4o": "4o", "gpt-4o-mini": "4o-mini", "gpt-4": "4", "o3": "o3"}


@pytest.mark.parametrize(
    ("spelling", "base"),
    [
        ("GPT-4o", "gpt-4o"),
        ("  openai/gpt-5.4 ", "gpt-5.4"),
        ("Azure/gpt-4o-mini", "gpt-4o-mini"),
        ("ft:gpt-4o-mini:my-org::abc123", "gpt-4o-mini"),
        ("llama3.1:8b", "llama3.1:8b"),
    ],
)
def test_router_prefixes_case_and_fine_tunes_fold_to_the_base_name(
    spelling: str, base: str
) -> None:
    assert normalise(spelling) == base


@pytest.mark.parametrize(
    ("model", "entry"),
    [
        ("gpt-4o-mini-2024-07-18", "4o-mini"),  # the longest prefix, not gpt-4o
        ("gpt-4o-2024-08-06", "4o"),
        ("openai/GPT-4", "4"),
        ("gpt-4.1", None),  # gpt-4 claims only names that continue with a dash
        ("o3-mini", "o3"),
        ("mistral", None),
    ],
)
def test_lookup_takes_the_exact_name_then_the_longest_dashed_prefix(
    model: str, entry: str | None
) -> None:
    assert lookup(TABLE, model) == entry


@pytest.mark.parametrize(
    ("model", "reasoning", "encoding"),
    [
        ("gpt-4o-mini", False, "o200k_base"),
        ("gpt-4.1", False, "o200k_base"),
        ("gpt-4", False, "cl100k_base"),
        ("gpt-3.5-turbo", False, "cl100k_base"),
        ("o1-preview", True, "o200k_base"),
        ("openai/gpt-5.4", True, "o200k_base"),
        ("gpt-10", True, "o200k_base"),
        ("qwen2.5-coder", False, "cl100k_base"),  # unknown: the over-estimating encoding
    ],
)
def test_reasoning_models_and_encodings_by_generation(
    model: str, reasoning: bool, encoding: str
) -> None:
    assert is_reasoning_model(model) is reasoning
    assert encoding_name(model) == encoding
