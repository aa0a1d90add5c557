"""analyse-failure's result text (``modes/analyse_failure/result.py``): the quarantine
suggestion is in the flaky tests' own runner's words, and only a suggestion."""

from __future__ import annotations

from cicd_agent.analysis.logs.model import FlakyTest
from cicd_agent.modes.analyse_failure.result import quarantine_hint


def _flaky(*names: str) -> list[FlakyTest]:
    return [FlakyTest(name=name, verdict="likely") for name in names]


def test_pytest_ids_get_pytests_markers() -> None:
    hint = quarantine_hint(_flaky("tests/test_a.py::test_x", "tests/test_b.py::test_y"))
    assert hint.startswith("<sub>Quarantine suggestion: mark it `@pytest.mark.flaky(reruns=2)`")
    assert hint.endswith(".</sub>")


def test_jest_names_get_jests_retry() -> None:
    assert "jest.retryTimes(2)" in quarantine_hint(_flaky("cart › adds an item"))


def test_a_mix_of_runners_or_another_runner_gets_the_plain_words() -> None:
    hint = quarantine_hint(_flaky("tests/test_a.py::test_x", "cart › adds an item"))
    assert "retried or skipped in its test runner" in hint
    assert "pytest" not in hint and "jest" not in hint


def test_no_flaky_test_no_suggestion() -> None:
    assert quarantine_hint([]) == ""
