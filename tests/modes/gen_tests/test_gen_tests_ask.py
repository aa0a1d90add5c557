"""gen-tests' ask step: the model's tests, each judged by the gate in the sandbox, and the
suite measured once more with every accepted test; nothing is asked with no model or no job.

The fixture shop project's pull request, collected and analysed for real; the model is the
local server answering with the fixture's candidate modules.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from cicd_agent.job.context import RunContext
from cicd_agent.job.pipeline import ask_model
from cicd_agent.modes.gen_tests.analyse import analyse
from cicd_agent.modes.gen_tests.ask import ask
from cicd_agent.modes.gen_tests.collect import collect
from cicd_agent.modes.gen_tests.coverage_gaps import percent
from cicd_agent.modes.gen_tests.decide import decide
from cicd_agent.modes.gen_tests.options import GenTestsOptions
from cicd_agent.modes.gen_tests.types import GenTestsFacts, GenTestsVerdict
from cicd_agent.runners.pytest.runner import PytestSandbox
from tests.fixtures.gentests_project.build import candidate, make_repo
from tests.harness.model_server import TEST_API_KEY
from tests.helpers.gen_tests import gate_reruns, gen_tests_context

COUPON = "src/shop/pricing.py::coupon_value"


README = "# shop\n\n```python\n>>> coupon_value('SAVE10')\n11\n```\n"
"""A README the code does not follow (``coupon_value`` gives 10): the contract of a possible bug."""


def _context(tmp_path: Path, *argv: str, readme: str = "") -> RunContext[GenTestsOptions]:
    base, head = make_repo(tmp_path / "shop", {"README.md": readme} if readme else None)
    flags = ["--repo", str(tmp_path / "shop"), "--base", base, "--head", head, "--test-timeout", "120"]
    return gen_tests_context(tmp_path, [*flags, *argv], OPENAI_API_KEY=TEST_API_KEY)


def _coupon_only(
    ctx: RunContext[GenTestsOptions],
) -> tuple[GenTestsFacts, GenTestsVerdict, PytestSandbox | None]:
    """Collected and analysed, the jobs narrowed to ``coupon_value`` (one answer to script)."""
    facts, sandbox = collect(ctx, ctx.resources)
    verdict = analyse(facts)
    jobs = tuple(job for job in verdict.jobs if job.segment.key == COUPON)
    return facts, dataclasses.replace(verdict, jobs=jobs), sandbox


def _model(model_server: Any) -> tuple[str, ...]:
    return ("--provider", "openai", "--base-url", model_server.base_url, "--model", "gpt-4o-mini")


def test_a_passing_test_is_accepted_and_the_coverage_after_is_measured(
    tmp_path: Path, model_server: Any
) -> None:
    model_server.answer({"test_module": candidate("good"), "rationale": "codes of coupon_value"})
    ctx = _context(tmp_path, *_model(model_server))
    with gate_reruns(1), ctx.resources:  # acceptance and the coverage after, not flakiness
        facts, verdict, sandbox = _coupon_only(ctx)
        before = dict(verdict.missing_lines)
        opinion = ask_model(ctx, lambda model: ask(ctx, model, facts, verdict, sandbox))
    assert opinion is not None
    [accepted] = opinion.accepted
    assert accepted.target == COUPON and accepted.text.endswith(candidate("good"))
    assert set(accepted.gained_lines) >= {37, 38, 39}
    assert [(a.segment, a.verdict.stopped_at) for a in opinion.attempts] == [(COUPON, None)]
    assert opinion.coverage_after is not None and facts.coverage is not None
    after, baseline = percent(opinion.coverage_after), percent(facts.coverage)
    assert after is not None and baseline is not None and after > baseline
    assert dict(verdict.missing_lines) == before  # the loop narrowed a copy
    assert not (facts.repo / accepted.path).exists()  # written to the sandbox, not the checkout


def test_a_failing_test_is_not_kept_and_nothing_is_measured_again(
    tmp_path: Path, model_server: Any
) -> None:
    for value in (11, 20, 11):  # the README's 11, then 20, which nothing states
        model_server.answer({"test_module": "from shop.pricing import coupon_value\n\n\n"
                             f"def test_save10():\n    assert coupon_value('SAVE10') == {value}\n",
                             "rationale": "wrong"})  # fmt: skip
    ctx = _context(tmp_path, *_model(model_server), readme=README)
    with ctx.resources:
        facts, verdict, sandbox = _coupon_only(ctx)
        opinion = ask_model(ctx, lambda model: ask(ctx, model, facts, verdict, sandbox))
    assert opinion is not None and opinion.accepted == [] and opinion.coverage_after is None
    assert [a.verdict.stopped_at for a in opinion.attempts] == ["pass", "pass", "pass"]
    # it ran the change's lines and failed on the same assertion twice, and the README states
    # what it asserts: a possible bug, shown with its failure, the contract and the test, never
    # kept; the same failure on a value nothing states is dropped, never called a bug
    # imports, pass, again; and where a contract states it, our own run of the call it claims
    assert [a.verdict.runs for a in opinion.attempts] == [4, 3, 4]
    assert "assert 10 == 11" in opinion.attempts[0].verdict.possible_bug
    unstated = opinion.attempts[1].verdict
    assert (unstated.possible_bug, unstated.contracts) == ("", ())
    assert unstated.reason.startswith("fails; no contract says the asserted value: ")
    result = decide(verdict, opinion, redact=str, offline=False)
    [bug] = result.possible_bugs
    assert (bug.segment, bug.rationale) == (COUPON, "wrong")
    assert bug.failure == "AssertionError: assert 10 == 11"
    assert bug.test.startswith("from shop.pricing import coupon_value")
    assert (bug.contract, bug.contract_changed) == ("docs README.md:4: >>> coupon_value('SAVE10')",
                                                    False)  # fmt: skip
    assert bug.reproduce == "python -m pytest tests/test_pricing_generated.py"
    summary = result.summary_body()
    assert f"**Possible bug in `{COUPON}`** (line {bug.line})" in summary
    assert "```text\nAssertionError: assert 10 == 11\n```" in summary
    assert any(a.title == "gen-tests: possible bug" for a in result.annotations())


def test_nothing_is_asked_without_a_model_or_without_a_job(
    tmp_path: Path, model_server: Any
) -> None:
    # One collect (the baseline's sandboxed runs) serves both: everything else is there to ask.
    ctx = _context(tmp_path / "online", *_model(model_server))
    offline = _context(tmp_path / "offline", "--provider", "none")
    with ctx.resources, offline.resources:
        facts, verdict, sandbox = _coupon_only(ctx)
        assert verdict.jobs and sandbox is not None and facts.baseline is not None
        # no model: the pipeline's ask step calls nothing
        assert ask_model(offline, lambda model: ask(offline, model, facts, verdict, sandbox)) is None
        assert ctx.model is not None
        assert ask(ctx, ctx.model, facts, dataclasses.replace(verdict, jobs=()), sandbox) is None
    assert model_server.chat_requests == []
