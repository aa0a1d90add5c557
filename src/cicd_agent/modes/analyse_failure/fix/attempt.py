"""The fix step's start (:func:`start`, called by :func:`.check`): the failing command, the
checkout checked, the sandbox and its judge opened, and the repository's own fixer's patch
judged.

It reads the failed step's command from collect's scans of the logs (each log is read once) and
the jobs and tests that failed from analyse's verdict, checks that the checkout is the failed
commit (:func:`_checkout_problem`: only then are the verifier's copies that commit), opens the
sandbox (it lives as long as the check step, in the resources it is handed) and lets the
deterministic fixer (:mod:`.fixers`) try (the fixer it started, or why it could not, goes to the
run's ``tools``). What was tried is plain data (:class:`FixAttempt`); the model's patches join
it later in the step (:func:`with_model`, a new object). Every candidate, from either, is judged
by the one verifier (:meth:`~.judge.verifier.SandboxVerifier.verify`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from cicd_agent.local.audit import default_audit_path
from cicd_agent.local.git import GitTimedOut, Place, in_checkout
from cicd_agent.local.git_ops import differs_from_head, index_entries, resolve_commit
from cicd_agent.modes.analyse_failure.fix.command import failing_command, missing_command
from cicd_agent.modes.analyse_failure.fix.fixers import run_fixer
from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailingCommand,
    JudgedTest,
    Verdict,
    Verification,
)
from cicd_agent.modes.analyse_failure.fix.judge.verifier import SandboxVerifier
from cicd_agent.runners.sandboxes import isolation_of, opened
from cicd_agent.runners.table import PYTEST
from cicd_agent.sandbox.run import Sandbox

if TYPE_CHECKING:
    from cicd_agent.job.run import Run
    from cicd_agent.modes.analyse_failure.logs.reader import JobScan
    from cicd_agent.modes.analyse_failure.options import FixRequest


@dataclass(frozen=True)
class FixInput:
    """The check step's one input: all it reads of the failed run and of this one. The run's
    services (the sandbox's environment, where notes, progress and the tools it ran go, the
    model) come apart, as a :class:`~cicd_agent.job.run.Run`."""

    requested: FixRequest
    head: str
    """The failed commit as given: ``--head``, else the failed run's head ("": unknown; a local
    run then takes the checkout's HEAD)."""
    scans: Sequence[JobScan]
    """collect's scans of the failed logs: the failing command is read back from them."""
    failed_jobs: tuple[str, ...]
    """The names of the jobs the log reading found failed: the failing command is one of theirs."""
    failed_tests: tuple[str, ...]
    """The tests the log names as failed: their files are protected, and they show the bug."""
    root_cause: str
    """The log's best error line, which the model's test of the bug is asked to reproduce."""
    code_is_proof: bool
    checkout: Path
    local: bool
    """No event: the run is on a terminal, the checkout the operator's own."""


@dataclass(frozen=True)
class FixAttempt:
    """What the fix step tried in this run, and why it could not try more: plain data. The
    verifier that judged it is no part of it: it closes with the check step."""

    requested: FixRequest
    failing: FailingCommand | None = None
    verifications: tuple[Verification, ...] = ()
    unavailable: str = ""
    """Why no patch could be judged at all ("" when the verifier is ready)."""
    notes: tuple[str, ...] = ()
    """Why a producer gave no patch (the deterministic fixer's tool is not installed, …)."""
    audit: tuple[Mapping[str, Any], ...] = ()
    """The model loop's steps, for publish to append to the audit file."""
    audit_file: Path | None = None
    """That file (off a runner, none): named once, so the loop's note names the file publish
    writes."""

    @property
    def first_pass(self) -> Verification | None:
        """The first patch the judge passed, proof or not (its ``verdict`` says which): the
        deterministic fixer's when it has one, then the model's."""
        return next((v for v in self.verifications if v.verdict is not Verdict.NOT_PASSED), None)


@dataclass(frozen=True)
class Checks:
    """The check step's one output (:func:`~cicd_agent.modes.analyse_failure.fix.check`), read
    by decide as data: the attempt, and the test that shows a verified fix's bug (as review's
    ``SuggestionChecks`` holds the verdict on each suggestion)."""

    attempt: FixAttempt
    test: JudgedTest | str | None = None
    """The verdict on the test that shows the bug a fix removes, or why there is none (None: no
    test was due: no patch passed, or an existing test failed before it)."""


def start(
    run: Run, given: FixInput, *, resources: ExitStack
) -> tuple[FixAttempt, SandboxVerifier | None]:
    """Read the failing command, open the verifier, and let the deterministic fixer try: the
    attempt, and the verifier for the rest of the step (None: none could be opened)."""
    scans, head_sha = given.scans, given.head
    failing = _failing(scans, given.failed_jobs)
    audit_file = default_audit_path(run.environ, "analyse-failure")
    attempt = FixAttempt(given.requested, failing, audit_file=audit_file)
    if failing is None:
        why = _missing(scans, given.failed_jobs)
        return replace(attempt, unavailable=why), None
    checkout = given.checkout
    if not head_sha and given.local:
        # A local run with a log and a checkout: the checkout is the commit that failed.
        head_sha = _checkout_head(checkout)
        if head_sha:
            run.note(
                f"No --head given: the checkout's HEAD ({head_sha[:12]}) is taken as the "
                "failed commit."
            )
    problem = _checkout_problem(checkout, head_sha)
    if problem:
        return replace(attempt, unavailable=problem), None
    isolation = isolation_of(run)
    if not isolation.sandboxed:  # before copying the checkout for nothing
        return replace(attempt, unavailable=f"no sandbox on this runner ({isolation.detail})"), None
    sandbox = resources.enter_context(opened(run, checkout, Sandbox))
    verifier = SandboxVerifier(
        sandbox,
        failing,
        watched=PYTEST,
        redact=run.redactor.redact,
        failing_test_files=_test_files(given.failed_tests),
        failed_test_names=given.failed_tests,
        said=run.progress.say,
        code_is_proof=given.code_is_proof,
    )
    fixed = run_fixer(sandbox, failing, run.environ)
    if fixed.tool is not None:
        run.tool(*fixed.tool)
    if fixed.patch is None:
        return replace(attempt, notes=(f"No deterministic fix: {fixed.note}.",)), verifier
    return replace(attempt, verifications=(verifier.verify(fixed.patch),)), verifier


def with_model(
    attempt: FixAttempt,
    verdicts: Sequence[Verification],
    audit: tuple[Mapping[str, Any], ...] = (),
) -> FixAttempt:
    """The attempt with the model's patches after the deterministic fixer's (a new object: the
    fixer's attempt is left as it was), or the note that it proposed none, and the loop's
    ``audit`` records."""
    return replace(
        attempt,
        verifications=(*attempt.verifications, *verdicts),
        notes=(*attempt.notes, *(() if verdicts else ("The model proposed no patch.",))),
        audit=(*attempt.audit, *audit),
    )


def _test_files(failed_tests: Sequence[str]) -> list[str]:
    """The files of the tests that failed (``tests/test_x.py::test_y`` → ``tests/test_x.py``).

    Empty when one failed test is named without its file (jest, unittest): the policy then
    protects every test file, since the unnamed one may be any of them."""
    found: list[str] = []
    for name in failed_tests:
        path = name.split("::", 1)[0]
        if path == name or not PurePosixPath(path).suffix:
            return []
        if path not in found:
            found.append(path)
    return found


def _failing(scans: Sequence[JobScan], failed: Sequence[str]) -> FailingCommand | None:
    """The failing command of the first failed job whose log shows one."""
    ordered = sorted(scans, key=lambda scan: failed.index(scan.name) if scan.name in failed else 99)
    for scan in ordered:
        if failed and scan.name not in failed:
            continue
        command = failing_command(scan)
        if command is not None:
            return command
    return None


def _missing(scans: Sequence[JobScan], failed: Sequence[str]) -> str:
    """Why the first failed job's log shows no command to re-run, and how to give one."""
    first = next((scan for scan in scans if not failed or scan.name == failed[0]), None)
    return missing_command(first) if first is not None else "no failed job's log was read"


def _checkout_problem(checkout: Path, head_sha: str) -> str:
    """Why ``checkout`` is not the failed commit as it was built ("" when it is).

    ``head_sha`` may be any commit-ish (a SHA, a branch, a tag, ``HEAD~1``): it is resolved in
    the checkout, so a branch name for the checked-out commit is that commit. Reads the
    repository with git's plumbing only (no hooks, no filters run): its ``HEAD`` and whether a
    tracked file differs from it.
    """
    if not head_sha:
        return (
            "the failed run's head commit is unknown (pass --head, or run it where the event says)"
        )
    place = in_checkout(checkout)
    try:
        head = _resolve(place, "HEAD")
        if head is None:
            return f"{checkout} is not a git checkout"
        failed = _resolve(place, head_sha)
        if failed is None and not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", head_sha):
            return f"the failed commit {head_sha!r} names no commit of the checkout at {checkout}"
        failed = failed or head_sha  # a SHA this clone lacks: not what is checked out
        if head != failed:
            named = failed[:12] if failed.startswith(head_sha) else f"{head_sha} ({failed[:12]})"
            return (
                f"the checkout is at {head[:12]}, not the failed commit {named} "
                "(check out the run's head_sha)"
            )
        listed = index_entries(place, stages=False, timeout=120).stdout.split(b"\0")
        contents = in_checkout(checkout, contents=True)  # no filter runs on the files
        changed = differs_from_head(contents, timeout=120)
    except (OSError, GitTimedOut) as exc:
        return f"git could not read the checkout ({exc})"
    # ``diff-index`` trusts what the index says: a file marked so is never compared, and the
    # failed job (the pull request's code) could have marked its rewritten conftest.py.
    hidden = sum(1 for entry in listed if entry[:1].islower() or entry[:1] == b"S")
    if hidden:
        return (
            f"the checkout's index keeps {hidden} tracked file(s) from git's view "
            "(assume-unchanged or skip-worktree), so it cannot tell they are the commit's"
        )
    if changed.returncode != 0:
        return "tracked files in the checkout differ from the failed commit"
    return ""


def _checkout_head(checkout: Path) -> str:
    """The commit the checkout has checked out ("" when it is not a git checkout)."""
    try:
        return _resolve(in_checkout(checkout), "HEAD") or ""
    except (OSError, GitTimedOut):
        return ""


def _resolve(place: Place, commitish: str) -> str | None:
    """The full SHA ``commitish`` names in the repository, or None. ``--end-of-options``: a
    value starting with ``-`` is a name to look up, never an option."""
    if "\0" in commitish or "\n" in commitish:
        return None
    done = resolve_commit(place, commitish, timeout=60)
    found = done.stdout.decode("utf-8", "replace").strip()
    return found if done.ok and found else None
