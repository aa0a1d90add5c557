"""gen-tests' spending bound (``modes/gen_tests/ask.py``): the next model call is refused
when it would pass the token budget, or once the cost budget is spent, saying which and how
much; below both it goes ahead."""

from __future__ import annotations

from cicd_agent.modes.gen_tests.ask import Budget

BUDGET = Budget(tokens=10_000, cost_usd=0.50)


def test_a_call_within_both_budgets_goes_ahead() -> None:
    assert BUDGET.refuses((2_000, 0.10), 8_000) is None


def test_a_call_that_would_pass_the_token_budget_is_refused_before_it_is_made() -> None:
    assert BUDGET.refuses((2_000, 0.10), 8_001) == (
        "the token budget of 10,000 was reached (2,000 used, the next call needs about 8,001)"
    )


def test_once_the_cost_budget_is_spent_no_call_is_made() -> None:
    assert BUDGET.refuses((0, 0.50), 1) == ("the cost budget of $0.50 was reached ($0.5000 spent)")
