"""The check a random test's classification passes in every runner without a model's fix: not
order-dependent, its rate over 20 reruns alone, and no model asked (its checks read Python only)."""

from __future__ import annotations

from cicd_agent.modes.test_step.fixer import fix_flaky
from cicd_agent.verify.orders import OrderedRuns


def never_asked(test: str, path: str, text: str, said: str) -> tuple[str, str] | None:
    raise AssertionError(f"the model was asked to rewrite {path!r} for {test}")


def assert_random_not_model_fixed(runs: OrderedRuns, test: str) -> None:
    fixes, _ = fix_flaky(runs, [test], trusted=True, propose=never_asked)
    (fixed,) = fixes
    assert (fixed.kind, fixed.related_test, fixed.status) == ("not-order-dependent", "", "none")
    assert fixed.runs_before.runs == 20 and 0 < fixed.runs_before.failed < 20, fixed
    assert f"failed {fixed.runs_before.failed} of 20 rerun(s) alone" in fixed.evidence
    assert "no model fix: a model's rewrite is held to checks that read Python" in fixed.evidence
