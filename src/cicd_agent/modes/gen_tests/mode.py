"""gen-tests: tests for the uncovered lines of a change, kept only when they pass reliably and add coverage.

collect: the changed Python files (or ``source``), and the project's test command run under
coverage.py with branch coverage in a sandbox. analyse: the missing lines and branches of the
change, as segments (most missing first), split by ``shard``. ask: the fast model writes a
pytest module per segment, up to 3 attempts, each judged by the six-stage gate, then one more
measured run with every accepted test. decide (pure): the accepted tests and coverage before
and after. With ``provider none`` the coverage gaps alone are reported. publish: the patch file
and, with ``push``, the accepted tests committed to the pull request's branch. Options are read
once, in ``options``; the sandbox collect opens lives until ``run`` ends.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent import checkout_files
from cicd_agent.errors import UsageError
from cicd_agent.modes.gen_tests import arguments
from cicd_agent.modes.gen_tests.options import (
    GenTestsOptions,
)

if TYPE_CHECKING:
    from cicd_agent.context import RunContext
    from cicd_agent.errors import ExitCode
    from cicd_agent.modes.gen_tests.candidates import Job, Outcome
    from cicd_agent.modes.gen_tests.coverage_gaps import Arc, CoverageMeter, CoverageReport
    from cicd_agent.modes.gen_tests.gate import ProjectCommand, SuiteBaseline
    from cicd_agent.modes.gen_tests.report import GenTestsResult, SegmentReport
    from cicd_agent.modes.gen_tests.sandbox import Sandbox
    from cicd_agent.modes.gen_tests.segments import Segment
    from cicd_agent.modes.gen_tests.shard import Shard
    from cicd_agent.modes.gen_tests.targets import Targets
    from cicd_agent.result import ModeResult

SUITE_TIMEOUT = 3600.0
"""The baseline run of the user's suite: generous, it is the suite their CI already runs."""
PROMPT_TOKENS = 24_000
"""Most tokens one generation prompt may use, whatever the model's context."""


@dataclass
class Facts:
    """What collect found: the targets and, when there are any, the measured baseline."""

    repo: Path
    options: GenTestsOptions
    targets: Targets
    sandbox: Sandbox | None = None
    meter: CoverageMeter | None = None
    baseline: SuiteBaseline | None = None
    coverage: CoverageReport | None = None
    warnings: list[str] = field(default_factory=list)
    unimported: list[str] = field(default_factory=list)

    @property
    def command(self) -> ProjectCommand:
        return self.options.command

    @property
    def shard(self) -> Shard | None:
        return self.options.shard


@dataclass
class Gaps:
    """The deterministic verdict: what the change misses, as segments and jobs."""

    facts: Facts
    segments: list[Segment]
    jobs: list[Job]
    missing_lines: dict[str, frozenset[int]] = field(default_factory=dict)
    missing_arcs: dict[str, frozenset[Arc]] = field(default_factory=dict)


class GenTests:
    """The gen-tests mode (see the module doc)."""

    name = "gen-tests"
    help = (
        "Write tests for the uncovered lines of a change; keep only those that pass a strict gate."
    )
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # A run that could not finish accepted nothing: a later job never applies a missing patch.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType(
        {"tests_generated": "0", "tests_accepted": "0", "patch_path": "", "pushed_sha": ""}
    )

    def __init__(self) -> None:
        # What this run opened (collect's sandbox): ``run`` closes it when the run ends, however
        # it ends, so ``decide`` stays pure and a failing step still deletes the copies.
        self._resources = ExitStack()

    # ------------------------------------------------------------------ collect

    def _refs(self, ctx: RunContext, options: GenTestsOptions) -> tuple[str | None, str | None]:
        base, head = options.base, options.head
        if (base and head) or not ctx.has_event:
            return base, head
        event = ctx.event
        if event.pull_request is not None:
            return base or event.pull_request.base.sha, head or event.pull_request.head.sha
        if event.push is not None:
            from cicd_agent.analysis.gitrepo import is_null_sha

            before = None if is_null_sha(event.push.before) else event.push.before
            return base or before, head or event.push.after
        return base, head

    def collect(self, ctx: RunContext) -> Facts:
        from cicd_agent.modes.gen_tests.targets import Targets, changed_targets, source_targets

        repo = ctx.options.repo_dir.resolve()
        options = ctx.mode_options(GenTestsOptions)
        base, head = self._refs(ctx, options)
        if options.sources is not None:
            targets = source_targets(repo, list(options.sources))
        elif base:
            targets = changed_targets(repo, base, head or "HEAD")
        else:
            raise UsageError(
                "gen-tests needs the change to cover: --base/--head, a pull_request or push "
                "event, or --source.",
                hint="Run it on pull_request, or pass `base`/`head` or `source`.",
            )
        if options.whole_files:
            targets = Targets(
                dict.fromkeys(targets.files), targets.base, targets.head, targets.skipped
            )
        targets = targets.only(ctx.repo_config.paths.selects)
        facts = Facts(repo, options, targets)
        ctx.progress.say(f"{len(targets.files)} Python file(s) to cover")
        if targets.unsafe_names:
            facts.warnings.append(_unsafe_names_warning(targets.unsafe_names))
        if not targets.files:
            return facts
        self._measure(ctx, facts)
        return facts

    def _measure(self, ctx: RunContext, facts: Facts) -> None:
        from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter, never_imported
        from cicd_agent.modes.gen_tests.gate import run_suite
        from cicd_agent.modes.gen_tests.sandbox import Sandbox

        facts.sandbox = self._resources.enter_context(
            Sandbox(
                facts.repo,
                ctx.environ,
                known_secrets=ctx.redactor.known,
                secret_names=list(facts.options.secret_names),
            )
        )
        isolation = facts.sandbox.isolation
        if not isolation.sandboxed:
            facts.warnings.append(
                f"No sandbox: bubblewrap cannot run on this runner ({isolation.detail}). "
                + (
                    "Model-written tests run anyway, with only a scrubbed environment and "
                    "resource limits, because allow-unsandboxed is set."
                    if facts.options.allow_unsandboxed
                    else "No model-written code is run; the README's Security section says "
                    "what the runner must allow (or set allow-unsandboxed: true)."
                )
            )
        facts.meter = CoverageMeter(facts.sandbox, facts.targets.paths)
        ctx.progress.say(
            f"running the test suite under coverage ({' '.join(facts.command.suite)}; "
            + ("sandboxed)" if isolation.sandboxed else "not sandboxed)")
        )
        facts.baseline, facts.coverage, result = run_suite(
            facts.sandbox, facts.meter, facts.command, timeout=SUITE_TIMEOUT, label="baseline"
        )
        ctx.progress.say(f"the suite {result.describe()} in {facts.baseline.seconds:.1f}s")
        # Another copy is what coverage shows only when tests did run: a suite that ran none
        # (or a runner that is not pytest and failed) says nothing about which copy it used.
        ran = facts.baseline.tests_run
        tests_ran = bool(ran) if ran is not None else result.ok
        facts.unimported = never_imported(facts.coverage, facts.targets.paths) if tests_ran else []
        if facts.unimported:
            facts.warnings.append(
                f"The test suite ran {f'{ran} test(s)' if ran else 'its tests'} but never "
                "imported "
                + ", ".join(f"`{path}`" for path in facts.unimported)
                + " from this checkout: not one line ran, not even its imports, so the tests "
                "probably ran against another copy of the package (an installed release?). "
                "Install the checkout first (e.g. `pip install -e .`) or set test-command."
            )
        if not result.ok:
            ctx.note(
                f"The test command {result.describe()} at head; the gate requires that tests "
                "which passed still pass."
            )

    # ------------------------------------------------------------------ analyse

    def analyse(self, ctx: RunContext, facts: Facts) -> Gaps:
        from cicd_agent.analysis.file_names import escaped
        from cicd_agent.markdown import code_span
        from cicd_agent.modes.gen_tests.candidates import Job
        from cicd_agent.modes.gen_tests.segments import (
            find_segments,
            find_test_files,
            order,
            related_tests,
        )
        from cicd_agent.modes.gen_tests.targets import gaps

        if facts.coverage is None or facts.sandbox is None:
            return Gaps(facts, [], [])
        missing_lines, missing_arcs = gaps(facts.coverage, facts.targets)
        segments: list[Segment] = []
        texts: dict[str, str] = {}
        for path in facts.targets.paths:
            try:
                texts[path] = checkout_files.read_text(facts.repo, path)
            except checkout_files.CheckoutFileError as exc:  # too large, or changed since
                facts.warnings.append(f"Left out {code_span(escaped(path))}: it {exc.detail}.")
                continue
            segments += find_segments(
                path, texts[path], missing_lines.get(path, ()), missing_arcs.get(path, ())
            )
        segments = order(segments)
        selected = facts.shard.select(segments) if facts.shard else segments
        tests = find_test_files(facts.sandbox.pristine)
        ctx.progress.say(
            f"{len(segments)} uncovered segment(s) in {len(facts.targets.paths)} file(s)"
            + (f", {len(selected)} for this shard" if facts.shard else "")
        )
        jobs = []
        for segment in selected:
            related = tuple(related_tests(segment.path, tests))
            jobs.append(
                Job(segment, texts[segment.path], related, tests[related[0]] if related else "")
            )
        return Gaps(facts, segments, jobs, dict(missing_lines), dict(missing_arcs))

    # ------------------------------------------------------------------ ask

    def ask(self, ctx: RunContext, facts: Facts, verdict: Gaps) -> Outcome | None:
        from cicd_agent.modes.gen_tests.candidates import Budget, GeneratedTest, Generator, Prompts
        from cicd_agent.modes.gen_tests.gate import Gate

        model = ctx.model
        sandbox, meter, baseline = facts.sandbox, facts.meter, facts.baseline
        if (
            model is None
            or not verdict.jobs
            or sandbox is None
            or meter is None
            or baseline is None
        ):
            return None
        options = facts.options
        if not sandbox.isolation.sandboxed and not options.allow_unsandboxed:
            return None
        gate = Gate(
            sandbox,
            meter,
            facts.command,
            baseline,
            timeout=options.test_timeout,
        )
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
        outcome = generator.run(verdict.jobs, verdict.missing_lines, verdict.missing_arcs)
        if outcome.stop_reason:
            ctx.note(f"Generation stopped early: {outcome.stop_reason}. Accepted tests are kept.")
        if outcome.accepted:
            ctx.progress.say(
                f"running the suite again with the {len(outcome.accepted)} accepted test(s)"
            )
            outcome.coverage_after = self._measure_after(ctx, facts)
        return outcome

    # ------------------------------------------------------------------ decide

    def decide(self, ctx: RunContext, verdict: Gaps, opinion: Outcome | None) -> GenTestsResult:
        """The report from what was measured and generated: pure (the sandbox outlives it)."""
        from cicd_agent.modes.gen_tests.coverage_gaps import percent
        from cicd_agent.modes.gen_tests.patch import describe_gain
        from cicd_agent.modes.gen_tests.report import (
            AcceptedFile,
            GenTestsResult,
            candidate_report,
            funnel,
        )
        from cicd_agent.modes.gen_tests.targets import gaps

        facts = verdict.facts
        result = GenTestsResult(
            mode=self.name,
            headline="",
            base=facts.targets.base,
            head=facts.targets.head,
            targets=facts.targets.paths,
            test_command=" ".join(facts.command.suite),
            shard=str(facts.shard) if facts.shard else None,
        )
        if facts.sandbox is not None:
            result.isolation = facts.sandbox.isolation.describe()
        result.warnings = list(facts.warnings)
        if facts.baseline is not None:
            result.suite_exit_code = facts.baseline.returncode
        if facts.coverage is None:
            result.headline = "No changed Python source files to cover: nothing to do."
            return result
        result.coverage_before = percent(facts.coverage)
        result.coverage_after = result.coverage_before
        outcome = opinion
        accepted = outcome.accepted if outcome else []
        after = facts.coverage
        if accepted and outcome is not None and outcome.coverage_after is not None:
            after = outcome.coverage_after
            result.coverage_after = percent(after)
            result.patch_path = str(self._patch_path(ctx, facts))
            result._accepted_tests = list(accepted)
        lines, arcs = gaps(after, facts.targets)
        result.uncovered_lines = {p: sorted(v) for p, v in lines.items() if v}
        result.uncovered_branches = {p: sorted(v) for p, v in arcs.items() if v}
        result.segments = self._segment_reports(verdict, outcome)
        if outcome is not None:
            result.candidates = [candidate_report(a, ctx.redactor.redact) for a in outcome.attempts]
            result.funnel = funnel(a.verdict.stopped_at for a in outcome.attempts)
            result.accepted = [
                AcceptedFile(
                    path=t.path,
                    target=t.target,
                    gained=describe_gain(t.gained_lines, t.gained_arcs),
                )
                for t in accepted
            ]
            result.stopped = outcome.stop_reason
        result.headline = self._headline(ctx, result, verdict)
        return result

    def _measure_after(self, ctx: RunContext, facts: Facts) -> CoverageReport:
        from cicd_agent.modes.gen_tests.gate import run_suite

        assert facts.sandbox is not None and facts.meter is not None and facts.baseline is not None
        baseline, report, result = run_suite(
            facts.sandbox, facts.meter, facts.command, timeout=SUITE_TIMEOUT, label="after"
        )
        before = facts.baseline.passed
        if before is not None and baseline.passed is not None and not before <= baseline.passed:
            broken = sorted(before - baseline.passed)
            ctx.note(
                f"With all accepted tests together, {len(broken)} test(s) that passed before did "
                f"not pass (first: {ctx.redactor.redact(broken[0])}); review the patch."
            )
        elif not result.ok and facts.baseline.returncode == 0:
            ctx.note(f"With all accepted tests together the suite {result.describe()}.")
        return report

    def _patch_path(self, ctx: RunContext, facts: Facts) -> Path:
        if facts.options.patch_file is not None:
            return facts.options.patch_file
        suffix = f"-{facts.shard.index}" if facts.shard else ""
        runner_temp = ctx.environ.get("RUNNER_TEMP")
        if runner_temp:
            return Path(runner_temp) / f"cicd-agent-gen-tests{suffix}.patch"
        # Off a runner, a name of this process's own: two runs never overwrite each other.
        return Path(tempfile.gettempdir()) / f"cicd-agent-gen-tests{suffix}-{os.getpid()}.patch"

    def _segment_reports(self, verdict: Gaps, outcome: Outcome | None) -> list[SegmentReport]:
        from cicd_agent.modes.gen_tests.report import SegmentReport

        chosen = {job.segment.key for job in verdict.jobs}
        accepted = {test.target for test in outcome.accepted} if outcome else set()
        tried: dict[str, int] = {}
        for attempt in outcome.attempts if outcome else []:
            tried[attempt.segment] = tried.get(attempt.segment, 0) + 1
        reports = []
        for segment in verdict.segments:
            key = segment.key
            if key in accepted:
                status = "accepted a test"
            elif outcome is not None and key in outcome.not_tried:
                status = outcome.not_tried[key]
            elif key in tried:
                status = f"no candidate passed the gate in {tried[key]} attempt(s)"
            elif key not in chosen:
                status = "another shard's"
            else:
                status = "no model configured" if outcome is None else "not tried"
                sandbox = verdict.facts.sandbox
                if outcome is None and sandbox is not None and not sandbox.isolation.sandboxed:
                    status = "not tried: no sandbox on this runner"
            reports.append(
                SegmentReport(
                    path=segment.path,
                    qualname=segment.qualname,
                    start=segment.start,
                    end=segment.end,
                    missing_lines=sorted(segment.missing_lines),
                    missing_branches=sorted(segment.missing_arcs),
                    status=status,
                )
            )
        return reports

    def _headline(self, ctx: RunContext, result: GenTestsResult, verdict: Gaps) -> str:
        lines, branches = (
            sum(len(v) for v in verdict.missing_lines.values()),
            sum(len(v) for v in verdict.missing_arcs.values()),
        )
        before = "n/a" if result.coverage_before is None else f"{result.coverage_before:.2f}%"
        unimported = verdict.facts.unimported
        prefix = (
            f"The tests never imported {len(unimported)} of the {len(result.targets)} changed "
            "file(s) from this checkout (install it before gen-tests); "
            if unimported
            else ""
        )
        if not verdict.segments:
            return (
                prefix
                + f"Every changed line and branch is already covered by the tests ({before})."
            )
        gap = (
            f"{lines} changed line(s) and {branches} branch(es) in {len(verdict.segments)} "
            f"segment(s) are not covered (coverage of the changed files {before})"
        )
        if not result.candidates:
            sandbox = verdict.facts.sandbox
            if ctx.model is None:
                why = "no model is configured"
            elif sandbox is not None and not sandbox.isolation.sandboxed:
                why = "no sandbox could be built on this runner and allow-unsandboxed is not set"
            else:
                why = "no candidate was generated"
            return prefix + f"{gap}; {why}, so no tests were written."
        after = "n/a" if result.coverage_after is None else f"{result.coverage_after:.2f}%"
        return prefix + (
            f"{result.funnel['accepted']} of {result.funnel['generated']} generated test(s) "
            f"passed every gate stage; coverage of the changed files {before} → {after}."
        )

    # ------------------------------------------------------------------ publish

    def publish(self, ctx: RunContext, facts: Facts, verdict: Gaps, result: GenTestsResult) -> None:
        from cicd_agent.modes.gen_tests.patch import write_patch
        from cicd_agent.modes.gen_tests.push import push_accepted_tests

        if result.patch_path:
            write_patch(result._accepted_tests, Path(result.patch_path))
        result.pushed_sha = push_accepted_tests(
            ctx, result, requested=ctx.mode_options(GenTestsOptions).push
        )

    def run(self, ctx: RunContext) -> tuple[ModeResult, ExitCode]:
        from cicd_agent.pipeline import run_mode

        ctx.mode_options(GenTestsOptions)  # every option typed and checked before any I/O
        steps = GenTests()  # one per run: it owns that run's sandbox, closed when the run ends
        with steps._resources:
            return run_mode(steps, ctx)

    def failure_outputs(self, ctx: RunContext) -> dict[str, str]:
        return {}


def _unsafe_names_warning(names: tuple[str, ...]) -> str:
    """One line naming, escaped, the files left out for control characters in their names."""
    from cicd_agent.analysis.file_names import escaped
    from cicd_agent.markdown import code_span

    shown = ", ".join(code_span(escaped(name)) for name in names[:10])
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    return (
        f"Left out {len(names)} file(s) whose names hold control characters (a newline in a "
        f"name would become lines of coverage's configuration and of prompts): {shown}{more}. "
        "Rename them to cover them."
    )


MODE = GenTests()
