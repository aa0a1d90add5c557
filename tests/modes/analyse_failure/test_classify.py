"""One failure type per failed job: runner facts decide outright, then the best typed finding
with its corrections (network before a resolver error, the project's own module, a linter
speaking through the compiler, errors only in configuration), then exit codes and the API's
conclusion. Flakiness comes from other runs' evidence, never from one log."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType, FlakinessEvidence
from cicd_agent.modes.analyse_failure.logs.classify import (
    classify,
    flakiness,
    flaky_type,
    local_module_roots,
)
from cicd_agent.modes.analyse_failure.logs.region import LogFinding
from tests.modes.analyse_failure.findings import finding

T = FailureType


def _type(
    ranked: Sequence[LogFinding],
    *,
    exit_codes: Sequence[int] = (),
    conclusion: str | None = None,
    step_names: Sequence[str] = ("Run tests",),
    local_roots: set[str] | None = None,
    lines: Sequence[str] = (),
) -> FailureType:
    return classify(
        ranked, exit_codes=exit_codes, conclusion=conclusion, step_names=step_names,
        local_roots=local_roots or set(), lines=lines,
    )  # fmt: skip


def test_a_runner_fact_decides_whatever_the_tools_printed() -> None:
    timeout = finding("##[error]The job running on runner X has exceeded the maximum execution "
                      "time of 360 minutes.", 90)  # fmt: skip
    assert _type([finding("E       assert 5 == 6", 10), timeout]) is T.TIMEOUT


def test_the_best_typed_finding_names_the_type() -> None:
    generic = finding("Error: something", 5)
    assert _type([generic, finding("E       assert 5 == 6", 10)]) is T.TEST_FAILURE


def test_a_resolver_error_after_network_errors_is_the_networks_fault() -> None:
    resolver = finding("ERROR: No matching distribution found for foo==1.0", 20)
    assert _type([resolver]) is T.DEPENDENCY_ERROR
    assert _type([resolver, finding("Connection refused", 10)]) is T.INFRASTRUCTURE


def test_a_missing_module_that_is_the_projects_own_is_not_a_missing_dependency() -> None:
    shop = finding("ModuleNotFoundError: No module named 'shop'", 3)
    roots = local_module_roots(["src/shop/models.py", "tests/test_orders.py"])
    assert {"src", "shop", "models", "tests", "test_orders"} <= roots
    assert _type([shop]) is T.DEPENDENCY_ERROR
    assert _type([shop], local_roots=roots, exit_codes=[1], conclusion="failure") is T.UNKNOWN
    requests = finding("ModuleNotFoundError: No module named 'requests'", 3)
    assert _type([requests], local_roots=roots) is T.DEPENDENCY_ERROR


def test_a_compilers_error_raised_by_clippy_is_a_lint_error() -> None:
    rustc = finding("error[E0308]: mismatched types", 7)
    assert _type([rustc]) is T.BUILD_ERROR
    assert _type([rustc], step_names=["cargo clippy"]) is T.LINT_ERROR
    assert _type([rustc], lines=["  = note: `-D clippy::all` implied by `-D warnings`"]) is (
        T.LINT_ERROR
    )


@pytest.mark.parametrize(
    ("exit_codes", "conclusion", "expected"),
    [
        ([124], None, T.TIMEOUT),
        ([1, 137], None, T.OOM),
        ([127], None, T.CONFIG_ERROR),
        ([1], "timed_out", T.TIMEOUT),
        ([], "cancelled", T.INFRASTRUCTURE),
        ([1], "failure", T.UNKNOWN),
    ],
)
def test_without_a_typed_finding_exit_codes_then_the_conclusion_decide(
    exit_codes: list[int], conclusion: str | None, expected: FailureType
) -> None:
    assert _type([finding("Error: something", 1)], exit_codes=exit_codes,
                 conclusion=conclusion) is expected  # fmt: skip


def test_flakiness_needs_evidence_from_other_runs() -> None:
    assert flakiness(None, touches_changes=False) == (False, ())
    assert flakiness(FlakinessEvidence(), touches_changes=False) == (False, ())
    flaky, reasons = flakiness(FlakinessEvidence(other_attempt_passed=True), touches_changes=True)
    assert flaky and "another attempt" in reasons[0]


def test_failing_on_the_default_branch_counts_only_when_this_change_is_elsewhere() -> None:
    evidence = FlakinessEvidence(recent_default_branch_failures=3)
    assert flakiness(evidence, touches_changes=True) == (False, ())
    flaky, (reason,) = flakiness(evidence, touches_changes=False)
    assert flaky and "in 3 recent run(s)" in reason
    listed = FlakinessEvidence(flaky_tests=("test_a failed 4 of its last 20 runs",))
    assert flakiness(listed, touches_changes=True) == (True, listed.flaky_tests)


@pytest.mark.parametrize(
    ("failure_type", "is_flaky", "expected"),
    [
        (T.TEST_FAILURE, True, T.FLAKY_TEST),
        (T.TIMEOUT, True, T.FLAKY_TEST),
        (T.TEST_FAILURE, False, T.TEST_FAILURE),
        (T.BUILD_ERROR, True, T.BUILD_ERROR),
    ],
)
def test_only_a_test_failure_or_timeout_becomes_flaky(
    failure_type: FailureType, is_flaky: bool, expected: FailureType
) -> None:
    assert flaky_type(failure_type, is_flaky) is expected
