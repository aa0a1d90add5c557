"""How review runs a linter and reads its report (:func:`run_lint`: on the head, on the base
and on a patched copy alike, so a failed run means the same everywhere)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    create_file,
    create_link,
    remove_entry,
)
from cicd_agent.modes.review.lint.lint_reports import LintHit, UnreadableReport, read_report
from cicd_agent.runners.base import on_pipe

if TYPE_CHECKING:
    from cicd_agent.sandbox.run import RunResult, Sandbox
    from cicd_agent.sandbox.workspace import Workspace

MAX_REPORT_BYTES = 16 << 20
"""A larger report is not read (the changed files of one pull request give far less; the pull
request's settings, eslint's JavaScript among them, could write one as large as the pipe keeps)."""


class Setting(NamedTuple):
    """One of a checker's settings files as the base has it: its text (a link's target), or
    None where the base has none, so the run reads no file the pull request added."""

    path: str
    text: str | None
    link: bool = False


@dataclass(frozen=True)
class LintCommand:
    """A linter review ran, as the judge runs it again on a patched copy: the program and
    its arguments before the files, how it takes them, the files it checks and which reader
    parses its JSON report."""

    label: str
    argv: tuple[str, ...]
    report: str
    suffixes: tuple[str, ...]
    targets: str = "files"
    stream: str = "stdout"
    environment: tuple[tuple[str, str], ...] = ()
    quiet: bool = False
    settings: tuple[Setting, ...] = ()
    """Put in place of the copy's before every run (head, base, a patched copy): a pull
    request's edit to the checker's settings does not change what is checked on its code."""

    def reported(self, evidence: bytes, returncode: int) -> bool:
        """Whether a run wrote its report: any text on the pipe, or (a tool that writes
        nothing on a clean run: go vet, tsc) nothing there and exit 0."""
        return bool(evidence.strip()) or (self.quiet and returncode == 0)


def lint_argv(command: LintCommand, files: Sequence[str], evidence_variable: str) -> list[str]:
    """A linter's command line: its report to the evidence pipe, everything else to the log."""
    targets = {
        "files": [f"./{path}" for path in files],  # never read as a switch
        "folders": sorted({f"./{PurePosixPath(path).parent}" for path in files}),
    }.get(command.targets, [])
    return on_pipe(
        [*command.argv, *targets], evidence_variable, stream=2 if command.stream == "stderr" else 1
    )


def run_argv(tool: str, argv: Sequence[str], checkout: Path) -> tuple[str, ...]:
    """The arguments ``tool`` runs with: clippy's with ``--lib`` where the root crate has a
    library (cargo refuses ``--lib`` for a crate with none, and without it a library with no
    other target is built only as its unit tests, its ``#[cfg(not(test))]`` code unlinted)."""
    if tool != "clippy":
        return tuple(argv)
    # the runners' registry loads the sandbox: a review that runs no clippy pays nothing for it
    from cicd_agent.runners.lookups import has_rust_library

    if not has_rust_library(checkout):
        return tuple(argv)
    return (argv[0], "--lib", *argv[1:])


@dataclass(frozen=True)
class LintRun:
    """One run of a linter and what its report held. ``problem``: why there is no report to
    read ("" when there is); ``silent``: the run ended and wrote none, which its output may
    explain; ``stopped``: why the report could be read only in part, ``hits`` holding what came
    before (a caller that compares counts must not count those)."""

    run: RunResult | None
    """None: it did not start (``problem`` says why)."""
    hits: tuple[LintHit, ...] = ()
    problem: str = ""
    silent: bool = False
    stopped: str = ""
    denied: str = ""
    """Why lints the checker made errors stopped its first run, where a run keeping them as
    warnings then finished: said once, in place of an unfinished check."""


def run_lint(
    sandbox: Sandbox,
    space: Workspace,
    command: LintCommand,
    files: Sequence[str],
    *,
    timeout: float,
) -> LintRun:
    """Run ``command`` on ``files`` in ``space`` (a copy of the checkout) and read its report."""
    try:
        put_settings(space.repo, command.settings)
    except CheckoutFileError as exc:
        return LintRun(None, problem=f"the base's settings could not be put in place ({exc})")
    lint = _run_once(sandbox, space, command, files, timeout=timeout)
    if not lint.stopped or not _denied_only(command, lint.hits):
        return lint
    # lints the crate's own code denies stopped cargo's build: they are findings, and only a
    # build that finishes with them kept as warnings shows nothing else stopped it; it gets
    # what is left of the one limit (a caller's budget), never a second one
    left = timeout - (lint.run.seconds if lint.run is not None else timeout)
    if left <= 0:
        return lint
    capped = replace(command, argv=(*command.argv, "--", "--cap-lints=warn"))
    again = _run_once(sandbox, space, capped, files, timeout=left)
    if again.run is None or again.problem:
        return lint
    denied = {(h.path, h.line, h.code) for h in lint.hits if h.error}
    hits = tuple(
        replace(h, error=h.error or (h.path, h.line, h.code) in denied)
        for h in dict.fromkeys(replace(h, error=False) if not h.compiles else h for h in again.hits)
    )
    # the crate's code can tell the capped run from the first (a build script reads clippy's
    # arguments) and build without what the first run's lints were about: those stay found
    capped_saw = {(h.path, h.line, h.code) for h in hits}
    lost = (h for h in lint.hits if h.error and (h.path, h.line, h.code) not in capped_saw)
    hits += tuple(dict.fromkeys(lost))
    return replace(again, hits=hits, denied="" if again.stopped else DENIED)


DENIED = (
    "clippy's lints are errors in this crate's own build (its code denies them, as "
    "`#![cfg_attr(test, deny(warnings))]` does), which stopped cargo's build: they are read as "
    "lint findings, from a run that kept them as warnings (`--cap-lints=warn`) and finished."
)


def _denied_only(command: LintCommand, hits: Sequence[LintHit]) -> bool:
    """Whether every error of a stopped clippy run is one of clippy's lints made an error."""
    errors = [h for h in hits if h.error]
    return command.report == "clippy" and bool(errors) and not any(h.compiles for h in errors)


def _run_once(
    sandbox: Sandbox,
    space: Workspace,
    command: LintCommand,
    files: Sequence[str],
    *,
    timeout: float,
) -> LintRun:
    argv = lint_argv(command, files, sandbox.evidence_variable)
    run = sandbox.run(
        argv, space, timeout=timeout, evidence=True, extra_env=dict(command.environment)
    )
    if run.timed_out or run.killed_for or run.sandbox_failure:
        return LintRun(run, problem=f"it {run.describe()}, so its findings are missing")
    if not command.reported(run.evidence, run.returncode):  # a clean run writes ``[]``
        return LintRun(run, problem=f"it wrote no report (it {run.describe()})", silent=True)
    if len(run.evidence) > MAX_REPORT_BYTES:
        return LintRun(
            run, problem=f"its report is over {MAX_REPORT_BYTES >> 20} MiB, so it was not read"
        )
    text = run.evidence.decode("utf-8", "replace")
    try:
        hits = read_report(command.report, text, str(space.repo), exited=run.returncode)
    except UnreadableReport as exc:
        return LintRun(run, tuple(exc.hits), stopped=str(exc))
    return LintRun(run, tuple(hits))


def put_settings(root: Path, settings: Sequence[Setting]) -> None:
    """Make each settings file in the copy at ``root`` the base's: the copy's entry taken
    away (a link itself, never followed), the base's written where it has one. Raises
    CheckoutFileError where that cannot be done (a folder on the way that is a link)."""
    for setting in settings:
        remove_entry(root, setting.path)
        if setting.text is None:
            continue
        if setting.link:
            create_link(root, setting.path, setting.text)
        else:
            create_file(root, setting.path, setting.text)
