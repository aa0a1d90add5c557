"""Prices, the ``model-prices`` override, and the usage rendered as outputs and summary."""

from __future__ import annotations

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.model.pricing import Price, PriceTable, parse_price_overrides
from cicd_agent.model.usage import Usage


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-5.4", (2.50, 15.00)),
        ("gpt-4o-mini-2024-07-18", (0.15, 0.60)),  # not gpt-4o's price
        ("gpt-4.1-2025-04-14", (2.00, 8.00)),
        ("openai/gpt-5.4-mini", (0.75, 4.50)),  # router prefix
        ("ft:gpt-4o-mini:acme::abc123", (0.15, 0.60)),  # fine-tune of a known model
        ("GPT-5.5", (5.00, 30.00)),
    ],
)
def test_price_lookup_resolves_snapshots_and_prefixes(
    model: str, expected: tuple[float, float]
) -> None:
    price = PriceTable().price(model)
    assert price is not None
    assert (price.input, price.output) == expected


def test_cost_estimate_per_million_tokens() -> None:
    assert PriceTable().estimate_cost("gpt-5.4", 1_000_000, 100_000) == pytest.approx(4.0)


def test_unknown_model_costs_zero() -> None:
    usage = Usage()
    usage.record("model", "llama3.1:8b", 5_000, 400)
    assert usage.cost_usd == 0.0


def test_overrides_price_an_unknown_model_in_either_form() -> None:
    overrides = parse_price_overrides(
        '{"llama3.1:8b": [0.1, 0.2], "gpt-5.4": {"input": 1, "output": 2}}'
    )
    assert overrides == {
        "llama3.1:8b": Price(input=0.1, output=0.2),
        "gpt-5.4": Price(input=1, output=2),
    }
    table = PriceTable(overrides)
    assert table.estimate_cost("llama3.1:8b", 1_000_000, 1_000_000) == pytest.approx(0.3)
    assert table.estimate_cost("gpt-5.4-2026-03-05", 1_000_000, 0) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{gpt: 1}", "model-prices is not valid JSON"),
        ("[1, 2]", "model-prices must be a JSON object"),
        (
            '{"m": [-1, 2]}',
            "entry 'm' is invalid (input: Input should be greater than or equal to 0)",
        ),
        ('{"m": {"input": 1}}', "entry 'm' is invalid (output: Field required)"),
        ('{"m": 3}', "entry 'm' is invalid"),
    ],
)
def test_bad_overrides_are_usage_errors_with_an_example(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_price_overrides(text)
    assert problem in caught.value.message
    assert '{"my-model": [0.5, 1.5]}' in caught.value.hint


def test_blank_override_means_none() -> None:
    assert parse_price_overrides("  ") == {}


def test_report_of_a_run() -> None:
    usage = Usage()
    usage.record("model", "gpt-5.4", 10_000, 1_000)
    usage.record("fast", "gpt-5.4-mini", 20_000, 4_000)
    usage.record("fast", "gpt-5.4-mini", 1_000, 100)
    usage.record_failure("fast")
    cost = (10_000 * 2.5 + 1_000 * 15 + 21_000 * 0.75 + 4_100 * 4.5) / 1e6
    report = usage.report()
    assert (report.provider, report.model, report.calls) == ("openai", "gpt-5.4, gpt-5.4-mini", 3)
    assert report.failed_calls == 1
    assert report.tokens_used == 36_100
    assert report.cost_usd == pytest.approx(cost)


def test_a_run_without_model_calls() -> None:
    report = Usage().report()
    assert (report.calls, report.tokens_used, report.cost_usd) == (0, 0, 0.0)
