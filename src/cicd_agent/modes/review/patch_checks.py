"""Review's part of checking a suggestion: how its linters run on a copy and their reports are
read; the rest is :class:`~cicd_agent.modes.review.keeps_passing.KeepsPassingJudge`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath

from cicd_agent.modes.review.keeps_passing import RUN_TIMEOUT, KeepsPassingJudge
from cicd_agent.modes.review.lint_reports import UnreadableReport, read_report
from cicd_agent.runners.base import on_pipe
from cicd_agent.sandbox import Workspace
from cicd_agent.verify.contract import LintCommand


def lint_argv(command: LintCommand, files: Sequence[str], evidence_variable: str) -> list[str]:
    """A linter's command line: its report to the evidence pipe, everything else to the log."""
    targets = {
        "files": [f"./{path}" for path in files],  # never read as a switch
        "folders": sorted({f"./{PurePosixPath(path).parent}" for path in files}),
    }.get(command.targets, [])
    return on_pipe([*command.argv, *targets], evidence_variable,
                   stream=2 if command.stream == "stderr" else 1)  # fmt: skip


class PatchChecks(KeepsPassingJudge):
    """The core's judge of review's suggestions, with review's linters."""

    def lint(
        self,
        space: Workspace,
        command: LintCommand,
        paths: tuple[str, ...],
        rules: Counter[tuple[str, str]],
    ) -> str:
        left = self.left()
        if left <= 0:
            return "the time budget was spent"
        argv = lint_argv(command, paths, self.sandbox.evidence_variable)
        run = self.sandbox.run(argv, space, timeout=min(RUN_TIMEOUT, left), evidence=True,
                               extra_env=dict(command.environment))  # fmt: skip
        if (run.timed_out or run.killed_for or run.sandbox_failure
                or not command.reported(run.evidence, run.returncode)):  # fmt: skip
            return f"{command.label} gave no report (it {run.describe()})"
        try:
            hits = read_report(command.report, run.evidence.decode("utf-8", "replace"),
                               str(space.repo), exited=run.returncode)  # fmt: skip
        except UnreadableReport as exc:
            return f"{command.label}: {exc}"
        rules.update((command.label, hit.code) for hit in hits if hit.path in paths)
        return ""
