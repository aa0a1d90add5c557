"""The fix judge's watch on a failed step's own command, pytest's: the in-run check and pytest's
own JUnit report, both asked for through the variables every way of starting pytest reads."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.runners.junit import REPORT_NAME, read_report
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.pytest.evidence import missing_evidence, passing_tests, pytest_addopts
from cicd_agent.runners.pytest.in_run_records import (
    InRunCheck,
    by_process,
    guard_problem,
    in_run_check_loaded,
    in_run_problem,
)
from cicd_agent.runners.sessions import Watched


@dataclass(frozen=True)
class PytestWatch:
    """The in-run check installed in one sandbox, and the report each judged run writes."""

    check: InRunCheck

    @property
    def module(self) -> str:
        return self.check.module

    def environment(
        self,
        lent: Mapping[str, str],
        stream: str,
        failed_tests: Collection[str],
        test_files: Collection[str],
        changed: PatchedLines,
        *,
        folder: Path,
    ) -> dict[str, str]:
        options = self.check.environment(dict(lent), stream, failed_tests, test_files, changed)
        options["PYTEST_ADDOPTS"] += " " + pytest_addopts(
            folder / REPORT_NAME, lent.get("PYTEST_ADDOPTS", "")
        )
        return options

    def seen(
        self,
        stream: bytes,
        folder: Path,
        repo: Path,
        *,
        patched: Collection[str],
        failed_tests: Collection[str],
        test_files: Collection[str],
        script: str,
        installed: Collection[str],
    ) -> Watched:
        """The guard's reason first; the report's and the records' only when it let the run go."""
        records = by_process(stream)  # as they streamed in while the run went
        guarded = guard_problem(records, repo)
        problem = (
            ""
            if guarded
            else missing_evidence(read_report(folder), failed_tests, test_files, script)
            or in_run_problem(records, repo, patched, failed_tests, test_files, installed=installed)
        )
        return Watched(guarded, in_run_check_loaded(records), problem)

    def passing(self, folder: Path) -> int:
        return passing_tests(folder)
