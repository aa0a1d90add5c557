"""analyse-failure's ask step: the diagnosis (:mod:`.prompt` builds what the model sees), the
fix step's tool loop when a fix was asked for, and the test that shows a verified fix's bug."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.actions.errors import ModelError
from cicd_agent.job.pipeline import model_failure_note
from cicd_agent.model.prompts import fence
from cicd_agent.modes.analyse_failure.answer import FailureAnswer
from cicd_agent.modes.analyse_failure.fix.attempt import model_patches
from cicd_agent.modes.analyse_failure.prompt import NO_MODEL, TEST_SYSTEM, TestAnswer, build_prompt
from cicd_agent.modes.analyse_failure.types import FailureOpinion
from cicd_agent.verify.contract import FailsThenPasses, Patch, failing_script
from cicd_agent.verify.fail_to_pass import judge, new_test_patch

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.modes.analyse_failure.types import FailureVerdict
    from cicd_agent.verify.contract import FailingCommand, Verification
    from cicd_agent.verify.fixes import SandboxVerifier


def ask(
    ctx: RunContext[AnalyseFailureOptions],
    verdict: FailureVerdict,
    verifier: SandboxVerifier | None = None,
) -> FailureOpinion | None:
    """The diagnosis first (it is the mode's answer), then the fix step's tool loop through the
    verifier the fix step opened (handed over by the mode's wiring), which runs even when the
    diagnosis call failed: its own errors only ever become notes."""
    model = ctx.model
    analysis = verdict.analysis
    if model is None or not analysis.failed_jobs:
        return None
    facts = verdict.facts
    system, user = build_prompt(
        analysis,
        facts.change,
        verdict.evidence,
        redact=ctx.redactor.redact,
        truncate=model.counter("model").truncate,
        attempt=facts.target.attempt if facts.target else 1,
    )
    try:
        answer = model.ask(FailureAnswer, system=system, user=user, tier="model", temperature=0.1)
    except ModelError as exc:
        answer = None
        ctx.note(model_failure_note(exc))  # the deterministic result stands
    joined = None  # the model's tool loop for a fix, when the deterministic fixer found none
    test: Verification | str | None = None
    attempt = verdict.fix
    if attempt is not None:
        try:
            joined = model_patches(ctx, attempt, verifier)
        except ModelError as exc:
            ctx.note(f"The model's fix attempt failed ({exc}); the deterministic result stands.")
        # The test for a verified fix when no existing test failed before it (the failing tests
        # already show the bug); the model's failure is the reason there is none.
        offered = (joined or attempt).offered
        failing = attempt.failing
        if offered and verifier is not None and failing and not analysis.failed_tests:
            try:
                test = propose_test(ctx, verifier, failing, offered.patch, analysis.root_cause)
            except ModelError as exc:
                test = f"no test proposed: the model failed ({exc})"
    return FailureOpinion(answer, joined, test)


def propose_test(
    ctx: RunContext[AnalyseFailureOptions],
    verifier: SandboxVerifier,
    failing: FailingCommand,
    fix: Patch,
    root_cause: str,
) -> Verification | str:
    """The test that comes with a verified fix when no existing test failed before it (a script
    crashed, a type check or a build broke): the model writes one new test file that should fail
    on the failed commit and pass with the fix, and the one verifier judges exactly that claim
    (:func:`cicd_agent.verify.fail_to_pass.judge`). Its verdict, or why none was judged:
    a test it refuses is not offered (ModelError is the caller's: it becomes a note)."""
    model = ctx.model
    if model is None:
        return NO_MODEL
    redact = ctx.redactor.redact
    user = "\n\n".join((
        fence("failing command", redact(failing_script(failing))),
        fence("error", redact(root_cause)),
        fence("verified patch", redact(fix.diff)),
    ))  # fmt: skip
    answer = model.ask(TestAnswer, system=TEST_SYSTEM, user=user, tier="model", temperature=0.1)
    patch = new_test_patch(answer.path, answer.content, verifier.sandbox.checkout)
    if isinstance(patch, str):
        return f"the model's test was refused: {patch}"
    return judge(verifier, FailsThenPasses(patch, answer.path, fix))
