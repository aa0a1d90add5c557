"""The shapes the fix step's parts share: what failed, a candidate patch, its verdict.

Kept apart so the producers of patches (deterministic fixers, the model's tool loop) and the
one judge of them (the sandboxed verifier) depend on data, not on each other.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from enum import Enum
from typing import Literal, Protocol

from cicd_agent.modes.analyse_failure.fix.judge.script import split_commands

PatchSource = Literal["fixer", "model"]


@dataclass(frozen=True)
class FailingCommand:
    """What the failed step ran, read from its ``Run …`` group in the log.

    ``script`` is the step's whole script; ``failing`` the command in it that failed (the one
    to re-run), or the whole script when the log cannot tell which line failed. ``shell`` is
    the runner's ``shell:`` line (``/usr/bin/bash -e {0}``); ``env`` the step's variables the
    log shows unmasked (masked ones are dropped: nothing is verified with secrets).
    """

    job: str
    step: str
    script: str
    failing: str
    shell: str = "bash -e {0}"
    env: tuple[tuple[str, str], ...] = ()
    commands: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """``script``'s commands, split once here: the parser, the fixer,
    every verifier run and the result all ask about this one step's script."""
    split: InitVar[tuple[str, ...] | None] = None
    """The split the parser already made to find ``failing`` (None: split ``script`` here)."""

    def __post_init__(self, split: tuple[str, ...] | None) -> None:
        commands = split if split is not None else split_commands(self.script)
        object.__setattr__(self, "commands", commands)  # a frozen dataclass's derived field


@dataclass(frozen=True)
class Patch:
    """A candidate change: a unified diff with paths relative to the checkout root."""

    diff: str
    source: PatchSource
    summary: str


@dataclass(frozen=True)
class RunOutcome:
    """One run of a command in the sandbox: its exit status and the (redacted) output tail."""

    exit_code: int
    output: str
    timed_out: bool = False
    check_records: bytes = field(default=b"", repr=False, compare=False)
    """What the fix step's in-run check streamed to the host as the run went (a judged run's
    alone)."""

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class Verdict(Enum):
    """The fix judge's one word on a patch; each value is the fix's ``status`` in the output."""

    NOT_PASSED = "none"
    """Not passed, for any reason: a rule of the judge refused it (:func:`refused`), it did not
    apply, the failing command still failed with it, or no run could judge it (no sandbox, the
    step's time spent)."""
    PASSES = "passes"
    """Passed on code whose pass is no proof (the pull request's own,
    :data:`~cicd_agent.verify.contract.NOT_PROOF`): shown, never suggested or opened."""
    VERIFIED = "verified"
    """Passed on code from someone who can push: the patch may be offered."""


@dataclass(frozen=True)
class Verification:
    """The fix judge's verdict on a patch, and why (one line a user can read)."""

    patch: Patch
    reason: str
    runs: tuple[RunOutcome, ...] = ()
    files: tuple[tuple[str, str | None], ...] = ()
    """A passed patch's result: each path it changes and its new text (None: deleted), read
    back from the judged copy, so a pull request carries exactly what was judged."""
    verdict: Verdict = Verdict.NOT_PASSED
    """Not passed unless the judge says otherwise: a verdict built without one offers nothing."""
    tests: int = 0
    """How many tests' passes the verdict rests on (0: a linter's or a formatter's word): a
    change they judged is :func:`~cicd_agent.verify.contract.checked`, never called verified."""


def refused(why: str) -> str:
    """The reason for a patch a rule of the judge refused: its policy, or a gate reading the
    patched files before or after its runs. Only these say "refused"; a patch that did not apply,
    still fails or whose pass shows nothing says what happened instead."""
    return f"refused: {why}"


class Verifier(Protocol):
    """The one judge of patches: applies them to a copy of the failed commit in the sandbox.

    It is also the one place the fix step's policy is enforced: :meth:`verify` and
    :meth:`run_failing` refuse what :meth:`refusal` names, whoever calls them."""

    def refusal(self, diff: str) -> str:
        """Why the fix step's policy refuses ``diff`` ("" when it may go on); a tool loop asks
        first so the model is told why without a run being spent."""
        ...

    def reproduces(self) -> RunOutcome:
        """The failing command without any patch (run once, then remembered): whether there is
        anything to fix. Each patch is judged against a baseline of its own, run as its runs."""
        ...

    def run_failing(self, patch: Patch | None) -> RunOutcome:
        """Run the failing command once, with ``patch`` applied (or none): the tool loop's eyes.
        A patch the policy refuses is not applied: the outcome says why (exit code 126)."""
        ...

    def verify(self, patch: Patch) -> Verification:
        """Policy, apply, the failing command passing twice, no regression in the step's rest."""
        ...


def failing_script(command: FailingCommand) -> str:
    """What to re-run: the script up to and including the failing command.

    The commands before it ran (and passed) in CI right before it: a ``cd`` or an ``export``
    there is part of how the failing command ran.
    """
    parts = command.commands
    if command.failing == command.script or command.failing not in parts:
        return command.script
    return "\n".join(parts[: parts.index(command.failing) + 1])


def rest_script(command: FailingCommand) -> str:
    """The step's other commands, in order ("" when the failing one is the whole script)."""
    parts = command.commands
    if command.failing == command.script or command.failing not in parts:
        return ""
    rest = [part for part in parts if part != command.failing]
    return "\n".join(rest)


@dataclass(frozen=True)
class FailsThenPasses:
    """The claim "this new test fails on the head and passes with the fix": ``test`` only adds
    one new test file, ``path``, whose text is ``content``; ``fix`` is the verified patch."""

    test: Patch
    path: str
    fix: Patch
    content: str
    """The new file's text as ``test`` adds it, line by line: what a reader is shown."""


@dataclass(frozen=True)
class JudgedTest:
    """A new test's claim and the verdict on it: the result shows the test's path and text from
    the claim, never read back out of its patch."""

    claim: FailsThenPasses
    verdict: Verification
