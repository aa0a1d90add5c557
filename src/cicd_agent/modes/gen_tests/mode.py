"""gen-tests: tests for the uncovered lines of a change, kept only when they pass reliably and add
coverage.

:func:`run` is the whole mode, read top to bottom: ``collect`` finds the changed Python files
(or ``source``) and runs the project's test command under coverage.py in a sandbox; ``analyse``
turns the missing lines and branches into segments (most missing first), split by ``shard``;
``ask`` is the model loop: a pytest module per segment (``prompt`` builds what the model sees
and holds its answer's schema), up to 3 attempts, each judged by the eight-stage gate, then one
more measured run with every accepted test; ``decide`` (pure) builds the ``result``: the
accepted tests and coverage before and after, or with ``provider none`` the coverage gaps
alone; ``publish`` writes the patch file and, with ``push``, commits the accepted tests to the
pull request's branch. The sandbox collect opens lives until the run ends (``ctx.resources``);
it goes from collect to ask as a local of :func:`run`, never in the facts, which are data.
Changed files of other runners (jest, vitest, ``go test``) go the same way: measured by collect,
written for and judged by ask, decided and published with Python's.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from cicd_agent.job.pipeline import announce_analyse, ask_model, begin, finish
from cicd_agent.modes.gen_tests import NAME
from cicd_agent.modes.gen_tests.analyse import analyse
from cicd_agent.modes.gen_tests.ask import ask
from cicd_agent.modes.gen_tests.collect import collect
from cicd_agent.modes.gen_tests.decide import decide
from cicd_agent.modes.gen_tests.options import GenTestsOptions
from cicd_agent.modes.gen_tests.publish import publish
from cicd_agent.modes.gen_tests.result import GenTestsResult

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import Finished, Mode


def run(ctx: RunContext[GenTestsOptions]) -> Finished[GenTestsResult]:
    """Generate, judge and keep tests for the change at ``ctx``'s head; the result with the
    exit code it earns."""
    begin(ctx)
    facts, sandbox = collect(ctx, ctx.resources)  # the sandbox closes with the run
    announce_analyse(ctx)
    verdict = analyse(facts)
    if facts.coverage is not None and facts.isolation is not None:
        ctx.progress.say(verdict.progress_line())
    opinion = ask_model(ctx, lambda model: ask(ctx, model, facts, verdict, sandbox))
    result = decide(verdict, opinion, redact=ctx.redactor.redact, offline=ctx.model is None)
    return finish(ctx, result, lambda decided: publish(ctx, facts, verdict, decided))


class GenTests:
    """The gen-tests mode as the registry sees it (a :class:`~cicd_agent.job.pipeline.Mode`)."""

    name = NAME
    # A run that could not finish accepted nothing: a later job never applies a missing patch.
    fail_closed_outputs: Mapping[str, str] = MappingProxyType(
        {"tests_generated": "0", "tests_accepted": "0", "patch_path": "", "pushed_sha": ""}
    )

    def run(self, ctx: RunContext[GenTestsOptions]) -> Finished[GenTestsResult]:
        return run(ctx)

    def failure_outputs(self, ctx: RunContext[GenTestsOptions]) -> dict[str, str]:
        return {}


MODE: Mode = GenTests()
