"""The judge of the claim "this new test fails on the head and passes with the fix"
(:class:`~.claims.FailsThenPasses`): the test that shows the bug a verified fix removes.

The test is one new ``test_*.py`` file and nothing else (:func:`new_test_patch` builds and checks
it): it may not replace a file, a ``conftest.py`` or anything outside the checkout, so adding it
changes no other test and no code. It runs with pytest in two fresh copies, as every judged run
does (:class:`~.verifier.SandboxVerifier`'s sandbox, the failed step's shell and environment): on
the head alone pytest must report the test failed (exit 1, the test named ``FAILED``; an import
error or a usage error is no failure of the test), and with the fix applied first it must pass.
The words are pytest's own summary, printed inside the run: on code from someone who cannot
push that run is the pull request's, so a pass there is checked, never proof.

In both runs the Python files the fix writes are there only as compiled code (``compileall
-b``, then the source removed): the test can import and run them, never read their text. A
test that looks for the fix's words in its file fails with and without the fix, so it is not
offered: it shows the patch, not the bug. Nor may it read their compiled code: our guard (the
watched runner's :meth:`~cicd_agent.runners.sessions.WatchesFixes.reads_code_guard`, loaded first
with ``-p`` under a name chosen per claim) ends either run when the test's own code reaches a
code object or a frame (``__code__``, ``dis``, ``gc``, a ``.pyc``), however it spells the
name, and such a test is not offered either.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from cicd_agent.local.checkout_files import CheckoutFileError, lexists, unlinked
from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailsThenPasses,
    Patch,
    RunOutcome,
    Verdict,
    Verification,
)
from cicd_agent.modes.analyse_failure.fix.judge.policy import written_files
from cicd_agent.modes.analyse_failure.fix.judge.verifier import JUDGED, SandboxVerifier

if TYPE_CHECKING:
    from pathlib import Path

MAX_TEST_CHARS = 20_000
_TEST_FILE = re.compile(r"test_[A-Za-z0-9_]+\.py")
_SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
GUARD_EXIT = 87
"""The status a run ends with when the guard sees the test read code."""
READS_CODE = "cicd-agent: the test reads the code under test instead of running it"


def new_test_patch(path: str, content: str, checkout: Path) -> Patch | str:
    """The patch adding ``content`` as the new test file ``path``, or why it is refused."""
    parts = PurePosixPath(path).parts
    if not parts or not all(_SAFE_PART.fullmatch(part) for part in parts) or ".." in parts:
        return f"the test's path {path!r} is not a plain relative path"
    if not _TEST_FILE.fullmatch(parts[-1]):
        return f"the test's file name {parts[-1]!r} is not test_*.py"
    try:  # looked at without following a link: the checkout's links may point at the host
        if len(parts) > 1:
            unlinked(checkout, PurePosixPath(*parts[:-1]))
    except CheckoutFileError as refused:
        return f"the test's folder {refused}: a proposed test only adds a new file"
    if lexists(checkout, path):
        return f"{path} exists: a proposed test only adds a new file"
    if not content.strip() or len(content) > MAX_TEST_CHARS or "\x00" in content:
        return f"the test is empty or over {MAX_TEST_CHARS} characters"
    lines = content.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    diff = (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )
    return Patch(diff=diff, source="model", summary=f"new test {path}")


def new_test_claim(path: str, content: str, fix: Patch, checkout: Path) -> FailsThenPasses | str:
    """The claim that ``content``, as the new test file ``path``, fails without ``fix`` and
    passes with it, or why the test is refused (:func:`new_test_patch`)."""
    patch = new_test_patch(path, content, checkout)
    if isinstance(patch, str):
        return patch
    added = "".join(f"{line}\n" for line in content.splitlines())  # as the patch adds it
    return FailsThenPasses(patch, path, fix, added)


def judge(verifier: SandboxVerifier, claim: FailsThenPasses) -> Verification:
    """Whether the test fails without the fix and passes with it, in the sandbox."""
    written = written_files(claim.fix.diff)  # git's names: a quoted or spaced one too
    if isinstance(written, str):
        return Verification(claim.test, written)
    # `./`: git's names are relative, and one starting with `-` is a file, not an option
    fixed = [f"./{path}" for path in written if path.endswith(".py")]
    hidden = " ".join(map(shlex.quote, fixed))
    guard = _guard(verifier, claim.path, fixed)  # loaded first, before any option
    runs = verifier.watched.watches.file_run(claim.path, guard.module)
    # `|| true`: a file the fix adds is not there to compile in the run without it
    command = (
        f"python -m compileall -q -b {hidden} || true; rm -f {hidden}; " if hidden else ""
    ) + runs.guarded
    before = _run(verifier, (claim.test,), command, guard)
    if _stopped(before):
        return Verification(claim.test, _reads_code(before), (before,))
    if not runs.failed_in(before.exit_code, before.output):
        why = "did not fail" if before.passed else "did not fail as a test does"
        return Verification(
            claim.test,
            f"the test {why} without the fix (exit {before.exit_code})",
            (before,),
        )
    after = _run(verifier, (claim.fix, claim.test), command, guard)
    if _stopped(after):
        return Verification(claim.test, _reads_code(after), (before, after))
    if not after.passed or not runs.passed_in(after.output):
        return Verification(
            claim.test,
            f"the test did not pass with the fix (exit {after.exit_code})",
            (before, after),
        )
    proof = verifier.code_is_proof
    reason = (
        f"`{runs.shown}` fails on the failed commit and passes with the fix, in the sandbox"
        + (
            ""
            if proof
            else "; the code under test is the pull request's own, so this is checked, not proof"
        )
    )
    verdict = Verdict.VERIFIED if proof else Verdict.PASSES
    return Verification(claim.test, reason, (before, after), verdict=verdict, tests=1)


class Guard(NamedTuple):
    """The guard as one claim's runs load it."""

    module: str
    """Its module's name, fresh per claim (the runner loads it first)."""
    folder: str
    """The folder holding it, first on each run's ``PYTHONPATH``."""
    watches: str
    """What it watches, as JSON in ``CICD_F2P_GUARD``: the test, the fixed files, how to end."""


def _guard(verifier: SandboxVerifier, test: str, fixed: list[str]) -> Guard:
    """Write the guard into the sandbox's own folder under a fresh name."""
    module = f"cicd_f2p_{secrets.token_hex(8)}"
    folder = verifier.sandbox.root / "fix-boot"
    folder.mkdir(exist_ok=True)
    (folder / f"{module}.py").write_text(verifier.watched.watches.reads_code_guard(), "utf-8")
    said = {"test": test, "fixed": fixed, "exit": GUARD_EXIT, "said": READS_CODE}
    return Guard(module, str(folder), json.dumps(said))


def _stopped(run: RunOutcome) -> bool:
    """Whether the guard ended ``run`` (its status, or its line where a wrapper changed it)."""
    return run.exit_code == GUARD_EXIT or f"\n{READS_CODE}" in run.output


def _reads_code(run: RunOutcome) -> str:
    """Why a run the guard ended is no evidence, with the event it saw."""
    seen = next((line for line in run.output.splitlines() if line.startswith(READS_CODE)), "")
    event = seen.removeprefix(READS_CODE).strip()
    return (
        f"{READS_CODE.removeprefix('cicd-agent: ')}{' ' + event if event else ''}: it "
        "shows the patch, not the bug"
    )


def _run(
    verifier: SandboxVerifier, patches: tuple[Patch, ...], command: str, guard: Guard
) -> RunOutcome:
    """``command`` in a fresh judged copy with ``patches`` applied in order: the engine's own
    copy, apply and run, so this claim runs exactly as a fix's runs do; ``guard``'s folder
    first on ``PYTHONPATH``."""
    with verifier.copy("judged", at=JUDGED) as space:
        for patch in patches:
            failed = verifier.apply(space, patch)
            if failed is not None:
                return RunOutcome(failed.exit_code or 126, f"{patch.summary}: did not apply")
        lent = verifier.sandbox.environment(space, borrowed=dict(verifier.failing.env))
        path = os.pathsep.join(filter(None, [guard.folder, lent.get("PYTHONPATH", "")]))
        extra = {"PYTHONPATH": path, "CICD_F2P_GUARD": guard.watches}
        return verifier.script(space, command, extra_env=extra)
