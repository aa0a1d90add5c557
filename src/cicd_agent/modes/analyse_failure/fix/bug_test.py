"""The test that comes with a verified fix when no existing test failed before it: the model
writes one pytest file that should fail on the failed commit and pass with the fix, and the fix
judge holds it to exactly that (:func:`.judge.fail_to_pass.judge`). A module of its own: the
check step asks for it only after a patch passed, and it is the step's one prompt of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from cicd_agent.model.prompts import UNTRUSTED_RULES, fence
from cicd_agent.modes.analyse_failure.fix.judge.claims import JudgedTest, failing_script
from cicd_agent.modes.analyse_failure.fix.judge.fail_to_pass import judge, new_test_claim

if TYPE_CHECKING:
    from collections.abc import Callable

    from cicd_agent.model.client import ModelClient
    from cicd_agent.modes.analyse_failure.fix.judge.claims import (
        FailingCommand,
        Patch,
        Verification,
    )
    from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier


NO_MODEL = "no test proposed: writing one needs a model"
"""Why a verified fix comes with no test in a run without a model."""


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
