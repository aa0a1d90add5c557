"""Line and branch coverage of the target files, measured by coverage.py in a sandbox run.

The user's command runs unchanged; coverage starts in every Python process it spawns through
the boot folder's ``sitecustomize`` and ``COVERAGE_PROCESS_START`` (branch coverage, parallel
data files). Only the target files are measured. Paths are remapped so code imported from the
user's checkout (an editable install) and from the sandbox copy count as the same file, and the
report is read from coverage's own JSON report, computed against the pristine copy's sources (a
test that edits its copy of the code cannot change what the lines mean).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.errors import ExternalServiceError
from cicd_agent.modes.gen_tests.sandbox import RunResult, Sandbox, Workspace

Arc = tuple[int, int]
"""A branch from one line to another, as coverage.py numbers it (negative: leaving a function)."""

_REPORT_TIMEOUT = 300.0


@dataclass(frozen=True)
class FileCoverage:
    """One target file: its executed and missing lines and branches."""

    path: str
    executed_lines: frozenset[int]
    missing_lines: frozenset[int]
    executed_arcs: frozenset[Arc]
    missing_arcs: frozenset[Arc]

    @property
    def statements(self) -> int:
        return len(self.executed_lines) + len(self.missing_lines)

    @property
    def branches(self) -> int:
        return len(self.executed_arcs) + len(self.missing_arcs)


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of every target file by one run."""

    files: Mapping[str, FileCoverage]

    def get(self, path: str) -> FileCoverage | None:
        return self.files.get(path)

    def executed_lines(self, path: str) -> frozenset[int]:
        found = self.files.get(path)
        return found.executed_lines if found else frozenset()

    def executed_arcs(self, path: str) -> frozenset[Arc]:
        found = self.files.get(path)
        return found.executed_arcs if found else frozenset()


def percent(report: CoverageReport) -> float | None:
    """Coverage percent as coverage.py computes it with branches: (lines + arcs run) / (all).

    None when the files have no statements.
    """
    total = sum(found.statements + found.branches for found in report.files.values())
    covered = sum(
        len(found.executed_lines) + len(found.executed_arcs) for found in report.files.values()
    )
    return round(100.0 * covered / total, 2) if total else None


def _arcs(pairs: Sequence[Sequence[int]]) -> frozenset[Arc]:
    return frozenset((int(pair[0]), int(pair[1])) for pair in pairs)


def parse_json_report(document: Mapping[str, object]) -> CoverageReport:
    """coverage.py's JSON report (format 3) as a :class:`CoverageReport`."""
    files = document.get("files")
    if not isinstance(files, dict):
        raise ValueError("the coverage JSON report has no files object")
    parsed: dict[str, FileCoverage] = {}
    for path, entry in files.items():
        parsed[path] = FileCoverage(
            path=path,
            executed_lines=frozenset(entry.get("executed_lines", [])),
            missing_lines=frozenset(entry.get("missing_lines", [])),
            executed_arcs=_arcs(entry.get("executed_branches", [])),
            missing_arcs=_arcs(entry.get("missing_branches", [])),
        )
    return CoverageReport(parsed)


class CoverageMeter:
    """Runs commands under coverage in a sandbox and reads what they executed in the targets."""

    def __init__(self, sandbox: Sandbox, targets: Sequence[str]) -> None:
        self.sandbox = sandbox
        self.targets = list(targets)

    def _config(self, space: Workspace, data_dir: Path) -> Path:
        """A coverage configuration for one run in ``space``."""
        roots = [self.sandbox.pristine, space.repo, self.sandbox.checkout]
        include = [str(root / target) for root in roots[1:] for target in self.targets]
        lines = [
            "[run]",
            "branch = True",
            "parallel = True",
            f"data_file = {data_dir / '.coverage'}",
            "include =",
            *(f"    {pattern}" for pattern in include),
            "",
            "[paths]",
            "source =",
            *(f"    {root}/" for root in roots),
            "",
            "[report]",
            "ignore_errors = True",
            "",
        ]
        config = space.scratch("coverage", ".rc")
        config.write_text("\n".join(lines), encoding="utf-8")
        return config

    def measure(
        self,
        command: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
    ) -> tuple[RunResult, CoverageReport]:
        """Run ``command`` in ``space`` with coverage on; its result and what it executed."""
        data_dir = space.scratch("coverage", ".data")
        data_dir.mkdir()
        config = self._config(space, data_dir)
        env = {"COVERAGE_PROCESS_START": str(config), **(extra_env or {})}
        result = self.sandbox.run(command, space, timeout=timeout, extra_env=env)
        return result, self._read(config, data_dir)

    def _read(self, config: Path, data_dir: Path) -> CoverageReport:
        if any(data_dir.glob(".coverage.*")):
            self._coverage_cli("combine", f"--rcfile={config}", "-q")
        if not (data_dir / ".coverage").exists():
            import coverage

            empty = coverage.CoverageData(basename=str(data_dir / ".coverage"))
            empty.add_arcs({})
            empty.write()
        out = data_dir / "report.json"
        self._coverage_cli("json", f"--rcfile={config}", "-q", "-o", str(out), *self.targets)
        return parse_json_report(json.loads(out.read_text(encoding="utf-8")))

    def _coverage_cli(self, *args: str) -> None:
        """coverage.py's own command line, with our interpreter, in the pristine copy."""
        try:
            subprocess.run(
                [sys.executable, "-m", "coverage", *args],
                cwd=self.sandbox.pristine,
                capture_output=True,
                text=True,
                timeout=_REPORT_TIMEOUT,
                check=True,
            )
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or exc.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise ExternalServiceError(
                f"coverage {args[0]} failed: {detail[0][:300]}",
                hint="The coverage data of the test run could not be read.",
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise ExternalServiceError(
                f"coverage {args[0]} took over {exc.timeout:.0f} s."
            ) from exc
