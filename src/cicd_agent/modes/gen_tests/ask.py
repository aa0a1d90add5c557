"""gen-tests' ask step: the model writes tests, and the measured run follows.

The fast model writes a pytest module per segment, up to 3 attempts (the one attempt loop,
:mod:`.attempts`, with :class:`PythonWriter`), each judged by the six-stage gate in the
sandbox (the prompts and the answer's schema are :mod:`.prompt`'s); then
the suite runs once more with every accepted test, so the coverage after is measured, not
added up. Both runs belong to the loop: the second measures what the first produced. The
verdict's gaps are copied before the loop narrows them: the verdict stays as analyse made it.
Then the same for each other runner with uncovered changed lines (jest, vitest, ``go test``:
:mod:`.runner_ask`), in the same sandbox and within the same budget.

Segments go most missing first. A rejected candidate is re-prompted with the stage it failed
and the trimmed error (or the lines it still missed). Before every call the run's token and
cost budget is checked; when it is spent, or the model fails, generation stops and everything
accepted so far is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import neutralise
from cicd_agent.job.context import RunContext
from cicd_agent.local.checkout_files import lexists
from cicd_agent.modes.gen_tests.arguments import SUITE_TIMEOUT
from cicd_agent.modes.gen_tests.attempts import Judged, attempt
from cicd_agent.modes.gen_tests.collect import flaky_note, run_suite
from cicd_agent.modes.gen_tests.coverage_gaps import (
    Arc,
    CoverageMeter,
    CoverageReport,
    TooMuchCoverageData,
    within,
)
from cicd_agent.modes.gen_tests.gate import Gate
from cicd_agent.modes.gen_tests.options import GenTestsOptions
from cicd_agent.modes.gen_tests.patch import AcceptedTest, choose_test_path, with_header
from cicd_agent.modes.gen_tests.prompt import Feedback, GeneratedTest, Job, Prompts, module_text
from cicd_agent.modes.gen_tests.runner_ask import RunnerWriter
from cicd_agent.modes.gen_tests.runner_prompt import RunnerPrompts, RunnerTest
from cicd_agent.modes.gen_tests.segments import Segment
from cicd_agent.modes.gen_tests.stages import FUNNEL_LABELS, Verdict
from cicd_agent.modes.gen_tests.types import (
    Attempt,
    GenTestsFacts,
    GenTestsOpinion,
    GenTestsVerdict,
)
from cicd_agent.runners.sessions import SessionSandbox

if TYPE_CHECKING:
    from cicd_agent.model.client import ModelClient

PROMPT_TOKENS = 24_000
"""Most tokens one generation prompt may use, whatever the model's context."""


def ask(
    ctx: RunContext[GenTestsOptions],
    model: ModelClient,
    facts: GenTestsFacts,
    verdict: GenTestsVerdict,
    sandbox: SessionSandbox | None,
) -> GenTestsOpinion | None:
    """The generated and accepted tests, judged in ``sandbox`` (collect's), Python's and each
    other runner's; None when there is nothing to ask or no safe place to run what the model
    writes."""
    runners = [gaps for gaps in facts.runner_gaps if gaps.targets()]
    python = bool(verdict.jobs) and facts.baseline is not None
    if sandbox is None or not (python or runners):
        return None
    options = facts.options
    if not sandbox.isolation.sandboxed and not options.allow_unsandboxed:
        return None
    budget = Budget(options.token_budget, options.cost_budget)

    def refuses(tokens: int) -> str | None:
        usage = ctx.usage_report()
        return budget.refuses((usage.tokens_used, usage.cost_usd), tokens + ANSWER_RESERVE)

    tokens = min(PROMPT_TOKENS, model.prompt_budget("fast"))
    outcome = _python(ctx, facts, verdict, sandbox, refuses) if python else GenTestsOpinion()
    if runners and not outcome.stop_reason:
        writer = RunnerWriter(
            sandbox=sandbox,
            ask=lambda system, user: model.ask(
                RunnerTest, system=system, user=user, tier="fast", temperature=0
            ),
            refuses=refuses,
            prompts=RunnerPrompts(ctx.redactor, model.counter("fast"), tokens),
            attempts=ATTEMPTS,
            timeout=options.test_timeout,
            report=ctx.progress.say,
        )
        ctx.progress.say(
            f"writing tests for the uncovered lines of {len(runners)} other "
            f"runner(s), up to {ATTEMPTS} attempt(s) a file"
        )
        written, stop = writer.run(runners)
        outcome = replace(outcome, runners=tuple(written), stop_reason=stop)
        if stop:
            ctx.note(f"Generation stopped early: {stop}. Accepted tests are kept.")
    return outcome


def _python(
    ctx: RunContext[GenTestsOptions],
    facts: GenTestsFacts,
    verdict: GenTestsVerdict,
    sandbox: SessionSandbox,
    refuses: Callable[[int], str | None],
) -> GenTestsOpinion:
    """Python's tests for the verdict's jobs, judged by the six-stage gate, and the suite
    measured again with every accepted test."""
    model = ctx.model
    assert model is not None and facts.baseline is not None
    baseline = facts.baseline
    meter = CoverageMeter(sandbox, facts.targets.paths)
    options = facts.options
    gate = Gate(meter, facts.options.command, baseline, timeout=options.test_timeout)
    prompts = Prompts(
        ctx.redactor,
        model.counter("fast"),
        min(PROMPT_TOKENS, model.prompt_budget("fast")),
        facts.options.command.pytest,
    )
    generator = Generator(
        gate=gate,
        ask=lambda system, user: model.ask(
            GeneratedTest, system=system, user=user, tier="fast", temperature=0
        ),
        refuses=refuses,
        prompts=prompts,
        test_dir=options.test_dir,
        report=ctx.progress.say,
    )
    ctx.progress.say(
        f"writing tests for {len(verdict.jobs)} segment(s), up to {ATTEMPTS} "
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
        after = _measure_after(ctx, facts, meter, frozenset(gate.flaky))
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
    ctx: RunContext[GenTestsOptions],
    facts: GenTestsFacts,
    meter: CoverageMeter,
    flaky: frozenset[str],
) -> CoverageReport | None:
    """Coverage with every accepted test in place (None, said in a note, when the run left
    more coverage data than the host reads); a note when the tests together break any test
    that passed before (each passed the gate alone)."""
    assert facts.baseline is not None
    try:
        baseline, report, result = run_suite(
            meter, facts.options.command, timeout=SUITE_TIMEOUT, label="after"
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


ATTEMPTS = 3
ANSWER_RESERVE = 4_000
"""Tokens set aside for each answer when checking the run's budget before a call."""

_RATIONALE_CHARS = 300
_SOURCE_CHARS = 8_000
"""The most of a candidate's module a possible bug shows."""


@dataclass(frozen=True)
class Budget:
    """The most one run may spend on generation."""

    tokens: int
    cost_usd: float

    def refuses(self, spent: tuple[int, float], next_tokens: int) -> str | None:
        """Why the next call would go over budget, or None."""
        tokens, cost = spent
        if tokens + next_tokens > self.tokens:
            return (
                f"the token budget of {self.tokens:,} was reached ({tokens:,} used, the next "
                f"call needs about {next_tokens:,})"
            )
        if cost >= self.cost_usd:
            return f"the cost budget of ${self.cost_usd:.2f} was reached (${cost:.4f} spent)"
        return None


@dataclass(kw_only=True)
class Generator:
    """Python's segments in order, each through the attempt loop (:mod:`.attempts`) with its
    writer (:class:`PythonWriter`)."""

    gate: Gate
    ask: Callable[[str, str], GeneratedTest]
    """(system prompt, user prompt) → answer; raises ModelError."""
    refuses: Callable[[int], str | None]
    """Why a call whose prompt holds this many tokens would go over the run's budget, or None."""
    prompts: Prompts
    test_dir: str | None
    report: Callable[[str], None]
    """Told how far the loop got, a line per judged candidate (the run's progress)."""

    def run(
        self,
        jobs: Sequence[Job],
        missing_lines: MutableMapping[str, frozenset[int]],
        missing_arcs: MutableMapping[str, frozenset[Arc]],
    ) -> GenTestsOpinion:
        """Work through ``jobs`` in order; ``missing_*`` shrink as tests are accepted."""
        outcome = GenTestsOpinion()
        stop: str | None = None
        system = self.prompts.system()
        for index, job in enumerate(jobs, 1):
            key = job.segment.key
            if stop:
                outcome.not_tried[key] = f"not tried: {stop}"
                continue
            path = job.segment.path
            segment = job.segment.narrowed(missing_lines.get(path, ()), missing_arcs.get(path, ()))
            if not segment.weight:
                outcome.not_tried[key] = "covered by a test accepted for another segment"
                continue
            writer = PythonWriter(self, job, segment, system, outcome, missing_lines, missing_arcs)
            stopped = attempt(
                writer,
                f"segment {index} of {len(jobs)}",
                ask=self.ask,
                refuses=self.refuses,
                counter=self.prompts.counter,
                attempts=ATTEMPTS,
                report=self.report,
            )
            if stopped:  # the segment it stopped at says why
                outcome.not_tried.setdefault(segment.key, stopped.note)
            stop = stopped.why if stopped else None
        return replace(outcome, stop_reason=stop)


@dataclass
class PythonWriter:
    """Python's side of the attempts at one segment (:mod:`.attempts`): a pytest module in a
    free file of the test folder, judged by the six-stage gate; an accepted one narrows what
    the later segments still miss."""

    generator: Generator
    job: Job
    segment: Segment
    system: str
    outcome: GenTestsOpinion
    missing_lines: MutableMapping[str, frozenset[int]]
    missing_arcs: MutableMapping[str, frozenset[Arc]]
    test_path: str = ""
    feedback: Feedback | None = None

    def user(self) -> str | None:
        accepted = {test.path for test in self.outcome.accepted}
        pristine = self.generator.gate.sandbox.pristine
        path = choose_test_path(
            self.segment.path,
            self.generator.test_dir,
            self.job.related,
            lambda path: path in accepted or lexists(pristine, path),
        )
        if path is None:
            self.outcome.not_tried[self.segment.key] = (
                "not tried: no new test file name is free in its folder (is the folder "
                "a symbolic link? links are never written through)"
            )
            return None
        self.test_path = path
        return self.generator.prompts.user(self.job, self.segment, path, self.feedback)

    def judge(self, answer: GeneratedTest, number: int) -> Judged:
        segment, test_path = self.segment, self.test_path
        source = module_text(answer)
        started = time.monotonic()
        verdict = self.generator.gate.evaluate(
            source, segment, test_path, self.job.related, f"{segment.qualname}-{number}"
        )
        rationale = self.generator.prompts.redactor.redact(answer.rationale)[:_RATIONALE_CHARS]
        seconds = time.monotonic() - started
        self.outcome.attempts.append(
            Attempt(
                segment.key,
                number,
                test_path,
                verdict,
                neutralise(rationale),
                seconds,
                source[:_SOURCE_CHARS],
            )
        )
        if verdict.accepted:
            self._accept(source, verdict)
            return Judged(True, "accepted", seconds)
        assert verdict.stopped_at is not None
        self.feedback = Feedback(source, verdict.stopped_at.value, verdict.reason, verdict.feedback)
        return Judged(
            False, f"rejected at the {FUNNEL_LABELS[verdict.stopped_at.value]} stage", seconds
        )

    def _accept(self, source: str, verdict: Verdict) -> None:
        """Keep the module (in the sandbox, for the later segments' runs, and in the opinion)
        and narrow what the file still misses by what it ran."""
        segment, path = self.segment, self.segment.path
        text = with_header(source, segment, verdict.gained_lines, verdict.gained_arcs)
        self.generator.gate.sandbox.add_file(self.test_path, text)
        self.outcome.accepted.append(
            AcceptedTest(
                path=self.test_path,
                target=segment.key,
                gained_lines=tuple(sorted(verdict.gained_lines)),
                gained_arcs=tuple(sorted(verdict.gained_arcs)),
                text=text,
            )
        )
        self.missing_lines[path] = (
            self.missing_lines.get(path, frozenset()) - verdict.executed_lines
        )
        self.missing_arcs[path] = self.missing_arcs.get(path, frozenset()) - verdict.executed_arcs
