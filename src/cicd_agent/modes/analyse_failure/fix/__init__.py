"""analyse-failure's check step (:func:`check`): every fix claim judged in the sandbox, between
ask and decide, when ``--fix`` asks for one and a job failed. A patch is offered only when the
fix judge (:mod:`.judge`) passed it on code that is proof: verified.

In order, in one sandbox that lives as long as this step:

1. :func:`.attempt.start` reads the failed step's command from collect's scans of the logs,
   checks that the checkout is the failed commit, opens the sandbox and the judge, and lets the
   repository's own fixer (:mod:`.fixers`) try: its patch is judged;
2. when the judge passed no patch of that fixer and a model is configured, the model's loop
   (:func:`.agent.propose`): the one place asking the model and running in the sandbox
   interleave (it reads the checkout, runs the failing command, proposes patches, each judged
   as it is proposed);
3. when a patch passed, no existing test failed before it and the patch changes Python code,
   the model writes a pytest test that shows the bug (:func:`propose_test`, its prompt and
   schema here), judged fail-to-pass (:mod:`.judge.fail_to_pass`).

It is handed one :class:`~.attempt.FixInput` and returns one :class:`~.attempt.Checks`, data
(None when no fix was asked for or no job failed: then nothing is opened, and the result says
nothing of a fix): decide reads the verdicts (:mod:`.outcome` words them), publish writes the
patch.

A package of its own because it is optional, and the one part of the mode that runs the
checkout's code.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from cicd_agent.actions.errors import ModelError
from cicd_agent.model.prompts import UNTRUSTED_RULES, fence
from cicd_agent.modes.analyse_failure.fix.attempt import Checks, FixInput, start, with_model
from cicd_agent.modes.analyse_failure.fix.judge.claims import JudgedTest, failing_script
from cicd_agent.modes.analyse_failure.fix.judge.fail_to_pass import judge, new_test_claim

if TYPE_CHECKING:
    from collections.abc import Callable

    from cicd_agent.job.run import Run
    from cicd_agent.model.client import ModelClient
    from cicd_agent.modes.analyse_failure.fix.judge.claims import (
        FailingCommand,
        Patch,
        Verification,
    )
    from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier


def check(run: Run, given: FixInput) -> Checks | None:
    """The fix step's verdicts (None: no fix asked, or no job failed: nothing is opened or run).
    ``run``: the services the sandbox is opened with, where progress and notes go, and its model
    (None: no model loop, no test). The model's errors here only ever become notes: the diagnosis
    stands without a fix."""
    if given.requested == "off" or not given.failed_jobs:
        return None
    run.progress.stage("check: the fix, judged in the sandbox")
    with ExitStack() as resources:  # the sandbox closes when the step ends, however it ends
        attempt, verifier = start(run, given, resources=resources)
        failing = attempt.failing
        model = run.model
        if verifier is None or failing is None or model is None:
            return Checks(attempt)
        if attempt.first_pass is None:
            # Imported only here: the loop imports the openai SDK, which a run without a model,
            # or whose own fixer's patch is verified, never pays for. The loop ends on a failed
            # model call itself, and says so in its note.
            from cicd_agent.modes.analyse_failure.fix.agent import propose

            found = propose(run, model, verifier, failing)
            attempt = with_model(attempt, found.proposals, tuple(found.audit))
        offered = attempt.first_pass
        if offered is None or given.failed_tests:  # the failing tests already show the bug
            return Checks(attempt)
        if why := why_no_test(offered):
            return Checks(attempt, why)
        try:
            redact = run.redactor.redact
            cause = given.root_cause
            test = propose_test(redact, verifier, failing, offered.patch, cause, model=model)
        except ModelError as exc:
            return Checks(attempt, f"no test proposed: the model failed ({exc})")
        return Checks(attempt, test)


def why_no_test(fix: Verification) -> str:
    """Why no test is asked for with the verified ``fix`` ("" when one is): the test written
    with a fix is a pytest test, which shows a bug only in Python code the fix changed."""
    if any(path.endswith(".py") for path, _ in fix.files):
        return ""
    return (
        "no test proposed: the fix changes no Python file, and the test written with a fix is a "
        "pytest test"
    )


TEST_SYSTEM = (
    "You write one new pytest test file for a repository. A CI step failed; a patch that makes "
    "it pass was verified. Write a test that fails on the repository as it is (a failing "
    "assertion or an exception inside the test function, not an import error at module level) "
    "and passes once the patch is applied. Give a new path `tests/test_<name>.py` (or beside "
    "the code, named test_*.py) and the whole file. Import what you test inside the test "
    "function. " + UNTRUSTED_RULES
)


class TestAnswer(BaseModel):
    """The model's test: one new file."""

    __test__ = False  # a name pytest would otherwise collect
    model_config = ConfigDict(extra="forbid", defer_build=True)

    path: str
    content: str


def propose_test(
    redact: Callable[[str], str],
    verifier: SandboxVerifier,
    failing: FailingCommand,
    fix: Patch,
    root_cause: str,
    *,
    model: ModelClient,
) -> JudgedTest | str:
    """The test that comes with a verified fix when no existing test failed before it (a script
    crashed, a type check or a build broke): the model writes one new test file that should fail
    on the failed commit and pass with the fix, and the one verifier judges exactly that claim
    (:func:`.judge.fail_to_pass.judge`). Its verdict, or why none was judged: a test it refuses
    is not offered (ModelError is the caller's: it becomes a note).
    ``model``: the run's, which the caller checked it has; ``redact``: the run's."""
    user = "\n\n".join(
        (
            fence("failing command", redact(failing_script(failing))),
            fence("error", redact(root_cause)),
            fence("verified patch", redact(fix.diff)),
        )
    )
    answer = model.ask(TestAnswer, system=TEST_SYSTEM, user=user, tier="model", temperature=0.1)
    claim = new_test_claim(answer.path, answer.content, fix, verifier.sandbox.checkout)
    if isinstance(claim, str):
        return f"the model's test was refused: {claim}"
    return JudgedTest(claim, judge(verifier, claim))
