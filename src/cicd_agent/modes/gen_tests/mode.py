"""gen-tests: tests for the uncovered lines of a change, kept only when they pass reliably and add coverage.

Wiring only. ``options`` reads the options once; ``collect`` finds the changed Python files (or
``source``) and runs the project's test command under coverage.py in a sandbox; ``verdict``
(the analyse step) turns the missing lines and branches into segments (most missing first),
split by ``shard``; ``ask`` is the model loop: a pytest module per segment (``prompt`` builds
what the model sees and holds its answer's schema), up to 3 attempts, each judged by the
six-stage gate, then one more measured run with every accepted test; ``decide`` (pure) builds
the ``result``: the accepted tests and coverage before and after, or with ``provider none`` the
coverage gaps alone; ``publish`` writes the patch file and, with ``push``, commits the accepted
tests to the pull request's branch. The sandbox collect opens lives until the run ends
(``ctx.resources``); the coverage meter in it goes from collect to ask through this wiring,
never in the facts, which are data.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.modes import Wiring
from cicd_agent.modes.gen_tests import NAME, arguments
from cicd_agent.modes.gen_tests.options import GenTestsOptions

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Mode, Told
    from cicd_agent.job.result import ModeResult
    from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter
    from cicd_agent.modes.gen_tests.result import GenTestsResult
    from cicd_agent.modes.gen_tests.types import GenTestsFacts, GenTestsOpinion, GenTestsVerdict
    from cicd_agent.runner.errors import ExitCode


class GenTests(Wiring):
    """The gen-tests mode (see the module doc)."""

    name = NAME
    fail_on_choices = arguments.FAIL_ON_CHOICES
    # A run that could not finish accepted nothing: a later job never applies a missing patch.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType(
        {"tests_generated": "0", "tests_accepted": "0", "patch_path": "", "pushed_sha": ""}
    )

    def __init__(self) -> None:
        self._meter: CoverageMeter | None = None
        """The coverage meter collect measured the baseline with (its sandbox in the run's
        resources), handed to the ask step: one run's, held by this run's wiring (:meth:`run`
        makes a fresh one)."""

    def collect(self, ctx: RunContext[GenTestsOptions]) -> GenTestsFacts:
        from cicd_agent.modes.gen_tests import collect

        facts, self._meter = collect.collect(ctx, ctx.resources)
        return facts

    def analyse(self, told: Told, facts: GenTestsFacts) -> GenTestsVerdict:
        from cicd_agent.modes.gen_tests import analyse

        found = analyse.analyse(facts)
        if facts.coverage is not None and facts.isolation is not None:
            told.say(found.progress_line())
        return found

    def ask(
        self, ctx: RunContext[GenTestsOptions], facts: GenTestsFacts, verdict: GenTestsVerdict
    ) -> GenTestsOpinion | None:
        from cicd_agent.modes.gen_tests import ask

        return ask.ask(ctx, facts, verdict, self._meter)

    def decide(
        self, told: Told, verdict: GenTestsVerdict, opinion: GenTestsOpinion | None
    ) -> GenTestsResult:
        from cicd_agent.modes.gen_tests import decide

        return decide.decide(verdict, opinion, redact=told.redact, offline=told.offline)

    def publish(
        self,
        ctx: RunContext[GenTestsOptions],
        facts: GenTestsFacts,
        verdict: GenTestsVerdict,
        result: GenTestsResult,
    ) -> None:
        from cicd_agent.modes.gen_tests import publish

        publish.publish(ctx, facts, verdict, result)

    def run(self, ctx: RunContext[GenTestsOptions]) -> tuple[ModeResult, ExitCode]:
        from cicd_agent.job.pipeline import run_mode

        # A fresh wiring per run: the meter it hands from collect to ask is this run's alone.
        # collect's sandbox is in ctx.resources, closed after the run.
        return run_mode(GenTests(), ctx)


MODE: Mode = GenTests()
