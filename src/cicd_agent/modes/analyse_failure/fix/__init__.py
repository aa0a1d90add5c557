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
   the model writes a pytest test that shows the bug (:func:`.bug_test.propose_test`), judged
   fail-to-pass (:mod:`.judge.fail_to_pass`).

It is handed one :class:`~.attempt.FixInput` and returns one :class:`~.attempt.Checks`, data
(None when no fix was asked for or no job failed: then nothing is opened, and the result says
nothing of a fix): decide reads the verdicts (:mod:`.outcome` words them), and publish hands
the decided fix back to :func:`.publish.publish_fix`, which writes the patch.

A package of its own because it is optional, and the one part of the mode that runs the
checkout's code.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import ModelError
from cicd_agent.modes.analyse_failure.fix.attempt import Checks, FixInput, start, with_model
from cicd_agent.modes.analyse_failure.fix.bug_test import NO_MODEL, propose_test, why_no_test

if TYPE_CHECKING:
    from cicd_agent.job.run import Run


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
        if verifier is None or failing is None:
            return Checks(attempt)
        if model is None:  # a passed patch would be due a test only a model can write
            due = attempt.first_pass is not None and not given.failed_tests
            return Checks(attempt, NO_MODEL if due else None)
        if attempt.first_pass is None:
            # Imported only here: the loop imports the openai SDK, which a run without a model,
            # or whose own fixer's patch is verified, never pays for. The loop ends on a failed
            # model call itself, and says so in its note.
            from cicd_agent.modes.analyse_failure.fix.agent import propose

            found = propose(run, model, verifier, failing, attempt.audit_file)
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
