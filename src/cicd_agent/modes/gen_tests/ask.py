"""gen-tests' ask step: the model loop that writes tests, and the measured run that follows it.

The fast model writes a pytest module per segment, up to 3 attempts, each judged by the
six-stage gate in the sandbox (the prompts and the answer's schema are :mod:`.prompt`'s); then
the suite runs once more with every accepted test, so the coverage after is measured, not
added up. Both runs belong to the loop: the second measures what the first produced. The
verdict's gaps are copied before the loop narrows them: the verdict stays as analyse made it.
"""

from __future__ import annotations

from dataclasses import replace

from cicd_agent.job.context import RunContext
from cicd_agent.local import checkout_files
from cicd_agent.modes.gen_tests.candidates import Budget, Generator
from cicd_agent.modes.gen_tests.collect import SUITE_TIMEOUT, flaky_note, run_suite
from cicd_agent.modes.gen_tests.coverage_gaps import (
    Arc,
    CoverageReport,
    TooMuchCoverageData,
    within,
)
from cicd_agent.modes.gen_tests.gate import Gate
from cicd_agent.modes.gen_tests.options import GenTestsOptions
from cicd_agent.modes.gen_tests.prompt import GeneratedTest, Prompts
from cicd_agent.modes.gen_tests.types import GenTestsFacts, GenTestsOpinion, GenTestsVerdict

PROMPT_TOKENS = 24_000
"""Most tokens one generation prompt may use, whatever the model's context."""


def ask(
    ctx: RunContext[GenTestsOptions], facts: GenTestsFacts, verdict: GenTestsVerdict
) -> GenTestsOpinion | None:
    """The generated and accepted tests, or None when there is nothing to ask or no safe place
    to run what the model writes."""
    model = ctx.model
    sandbox, meter, baseline = facts.sandbox, facts.meter, facts.baseline
    if model is None or not verdict.jobs or sandbox is None or meter is None or baseline is None:
        return None
    options = facts.options
    if not sandbox.isolation.sandboxed and not options.allow_unsandboxed:
        return None
    gate = Gate(sandbox, meter, facts.command, baseline, timeout=options.test_timeout)
    prompts = Prompts(
        ctx.redactor,
        model.counter("fast"),
        min(PROMPT_TOKENS, model.prompt_budget("fast")),
        facts.command.pytest,
    )

    def spent() -> tuple[int, float]:
        usage = ctx.usage_report()
        return usage.tokens_used, usage.cost_usd

    generator = Generator(
        gate=gate,
        ask=lambda system, user: model.ask(
            GeneratedTest, system=system, user=user, tier="fast", temperature=0
        ),
        spent=spent,
        budget=Budget(options.token_budget, options.cost_budget),
        prompts=prompts,
        test_dir=options.test_dir,
        file_exists=lambda path: checkout_files.lexists(sandbox.pristine, path),
        add_file=sandbox.add_file,
        report=ctx.progress.say,
    )
    ctx.progress.say(
        f"writing tests for {len(verdict.jobs)} segment(s), up to {generator.attempts} "
        "attempt(s) each, every candidate judged by the six-stage gate"
    )
    outcome = generator.run(verdict.jobs, dict(verdict.missing_lines), dict(verdict.missing_arcs))
    since = sorted(gate.flaky - baseline.flaky)
    if since:
        how = "they failed with a generated test and again without it"
        ctx.note(flaky_note(ctx, since, how, more="more "))
    if outcome.stop_reason:
        ctx.note(f"Generation stopped early: {outcome.stop_reason}. Accepted tests are kept.")
    if outcome.accepted:
        ctx.progress.say(
            f"running the suite again with the {len(outcome.accepted)} accepted test(s)"
        )
        after = _measure_after(ctx, facts, frozenset(gate.flaky))
        if after is not None and facts.coverage is not None:
            gained: dict[str, tuple[set[int], set[Arc]]] = {}
            for test in outcome.accepted:  # a segment's key: its path, then ``::`` and a name
                path = test.target.rpartition("::")[0]
                lines, arcs = gained.setdefault(path, (set(), set()))
                lines.update(test.gained_lines)
                arcs.update(test.gained_arcs)
            after = within(after, facts.coverage, gained)
        return replace(outcome, coverage_after=after)
    return outcome


def _measure_after(
    ctx: RunContext[GenTestsOptions], facts: GenTestsFacts, flaky: frozenset[str]
) -> CoverageReport | None:
    """Coverage with every accepted test in place (None, said in a note, when the run left
    more coverage data than the host reads); a note when the tests together break any test
    that passed before (each passed the gate alone)."""
    assert facts.sandbox is not None and facts.meter is not None and facts.baseline is not None
    try:
        baseline, report, result = run_suite(
            facts.sandbox, facts.meter, facts.command, timeout=SUITE_TIMEOUT, label="after"
        )
    except TooMuchCoverageData as exc:
        ctx.note(f"The coverage after was not measured: with all accepted tests, {exc.message}.")
        return None
    before = None if facts.baseline.passed is None else facts.baseline.passed - flaky
    if before is not None and baseline.passed is not None and not before <= baseline.passed:
        broken = sorted(before - baseline.passed)
        ctx.note(
            f"With all accepted tests together, {len(broken)} test(s) that passed before did "
            f"not pass (first: {ctx.redactor.redact(broken[0])}); review the patch."
        )
    elif not result.ok and facts.baseline.returncode == 0:
        ctx.note(f"With all accepted tests together the suite {result.describe()}.")
    return report
