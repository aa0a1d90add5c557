"""One failure type per failed job: runner facts decide outright, then the best typed finding
with its corrections (network before a resolver error, the project's own module, a linter
speaking through the compiler, errors only in configuration), then exit codes and the API's
conclusion. Whether a failure is flaky is not classify's: see test_flakiness.py."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.classify import (
    classify,
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
