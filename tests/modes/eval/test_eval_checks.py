"""The deterministic asserts judged as promptfoo judges them, each way."""

from __future__ import annotations

import pytest

from cicd_agent.modes.eval.checks import Check, judge, read_checks, within_edits


@pytest.mark.parametrize(
    ("check", "output", "passes"),
    [(Check("equals", "Paris"), "Paris", True),
     (Check("equals", "Paris"), "Paris.", False),
     (Check("equals", {"a": 1}), '{"a": 1}', True),
     (Check("equals", {"a": 1}), "not json", False),
     (Check("contains", "Bonjour"), "Bonjour le monde", True),
     (Check("contains", "bonjour"), "Bonjour le monde", False),
     (Check("icontains", "DÓNDE"), "¿dónde está?", True),
     (Check("contains", "sorry", negate=True), "Sure.", True),
     (Check("regex", r"\d{3}-\d{4}"), "call 555-1234", True),
     (Check("regex", r"^\d+$"), "12a", False),
     (Check("starts-with", "Yes"), "Yes, indeed", True),
     (Check("starts-with", "Yes"), " Yes", False),
     (Check("is-json"), ' {"a": [1, 2]} ', True),
     (Check("is-json"), '{"a": 1} trailing', False),
     (Check("contains-json"), 'Here: {"a": 1} done', True),
     (Check("contains-json"), "no json {here", False),
     (Check("contains-json"), "just 42", False),
     (Check("levenshtein", "kitten", threshold=3), "sitting", True),
     (Check("levenshtein", "kitten", threshold=2), "sitting", False),
     (Check("levenshtein", "abc"), "abc", True),
     (Check("contains-any", ["x", "y"]), "a y", True),
     (Check("contains-all", ["x", "y"]), "a y", False),
     (Check("icontains-all", ["X", "Y"]), "x y", True)],
)  # fmt: skip
def test_each_local_assert(check: Check, output: str, passes: bool) -> None:
    assert judge(check, output) is passes


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("", "abc"),
        ("flaw", "lawn"),
        ("abcdef", "azced"),
        ("intention", "execution"),
        ("a" * 8, "b" * 8),
    ],
)
def test_the_banded_distance_agrees_with_the_full_one(first: str, second: str) -> None:
    full = list(range(len(second) + 1))
    for i, a in enumerate(first, 1):
        row = [i]
        for j, b in enumerate(second, 1):
            row.append(min(full[j] + 1, row[j - 1] + 1, full[j - 1] + (a != b)))
        full = row
    for limit in range(10):
        assert within_edits(first, second, limit) is (full[-1] <= limit)


def test_graded_asserts_are_marked_for_the_model_and_values_filled_in() -> None:
    checks, error = read_checks(
        [{"type": "llm-rubric", "value": "answers in {{lang}}"}, {"type": "model-graded-closedqa",
          "value": "is polite"}], {"lang": "French"})  # fmt: skip
    assert error == ""
    assert [check.graded for check in checks] == [True, True]
    assert checks[0].value == "answers in French"
