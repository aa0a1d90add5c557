"""The test that comes with a verified fix when no existing test failed before it (a script
crashed, a type check or a build broke): the model writes one new test file that should fail
on the failed commit and pass with the fix, and the one verifier judges exactly that claim
(:mod:`cicd_agent.verify.fail_to_pass`). Without a model no test is written, and the result
says so; a test the verifier refuses is not offered, with its reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from cicd_agent.prompts import UNTRUSTED_RULES, fence
from cicd_agent.verify.contract import FailsThenPasses, Patch, Verification, failing_script
from cicd_agent.verify.fail_to_pass import judge, new_test_patch
from cicd_agent.verify.judge import SandboxVerifier

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.analyse_failure.options import AnalyseFailureOptions
    from cicd_agent.verify.contract import FailingCommand, Verifier

NO_MODEL = "no test proposed: writing one needs a model"
SYSTEM = (
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
    model_config = ConfigDict(extra="forbid")

    path: str
    content: str


def propose_test(
    ctx: RunContext[AnalyseFailureOptions],
    verifier: Verifier,
    failing: FailingCommand,
    fix: Patch,
    root_cause: str,
) -> Verification | str:
    """The verifier's verdict on the model's test, or why none was judged (ModelError is the
    caller's: it becomes a note)."""
    model = ctx.model
    if model is None:
        return NO_MODEL
    if not isinstance(verifier, SandboxVerifier):
        return "no test proposed: the verifier cannot run tests here"
    redact = ctx.redactor.redact
    user = "\n\n".join((
        fence("failing command", redact(failing_script(failing))),
        fence("error", redact(root_cause)),
        fence("verified patch", redact(fix.diff)),
    ))  # fmt: skip
    answer = model.ask(TestAnswer, system=SYSTEM, user=user, tier="model", temperature=0.1)
    patch = new_test_patch(answer.path, answer.content, verifier.sandbox.checkout)
    if isinstance(patch, str):
        return f"the model's test was refused: {patch}"
    return judge(verifier, FailsThenPasses(patch, answer.path, fix))
