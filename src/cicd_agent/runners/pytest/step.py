"""pytest in the job's test step: the usage error it stops on, and the tracer that records which
tests ran a line the change touched.

The tracer's module name is drawn afresh for each step, so no module of the checkout can take its
place. Its record is written in the tests' process, so it is read bounded, without following a
link, and only ever describes a failure."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.changed_lines import Record, Touched, absolute
from cicd_agent.analysis.history import canonical_test
from cicd_agent.runners.pytest import changed_lines_tracer

USAGE = 4
"""pytest's exit status for a usage error (a flag or an ``addopts`` it does not know): no test
ran, and no report says why; its own line does."""
MODULE = "cicd_changed_lines"
"""The tracer's module name, before the part drawn for each step."""
LINES = "CICD_CHANGED_LINES"
RECORD = "CICD_CHANGED_RECORD"
RECORD_NAME = "changed.json"
MAX_RECORD_BYTES = 64 << 20


def usage_error(status: int, output: str) -> UsageError | None:
    """The step's pytest stopped on its usage (before any test reported): its own ``error:``
    line quoted when ``output`` holds it; None for any other status."""
    if status != USAGE:
        return None
    said = [line.strip() for line in output.splitlines() if "error:" in line.lower()]
    quoted = f": {said[-1][:300]}" if said else " (its own line is above)"
    return UsageError(
        f"pytest stopped on a usage error before running any test{quoted}",
        hint="Fix the test command or the project's pytest options (addopts in its "
        "configuration; a plugin they name must be installed), then re-run.",
    )


@dataclass(frozen=True)
class PytestTracer:
    """Our tracer as the step's runs load it: ``module``, its name for this step, and
    ``variables``, where it and the change's lines are."""

    module: str
    variables: Mapping[str, str]

    @property
    def arguments(self) -> tuple[str, ...]:
        return ("-p", self.module)

    def environment(self, folder: Path) -> dict[str, str]:
        return {**self.variables, RECORD: str(folder / RECORD_NAME)}

    def alone(self, failed: Sequence[str], folder: Path) -> dict[str, tuple[list[str], Path]]:
        return {}

    def record(self, folder: Path, alone: Mapping[str, str]) -> Record | None:
        return read_record(folder / RECORD_NAME)


def tracer(
    change: Touched, folder: Path, cwd: Path, environ: Mapping[str, str]
) -> PytestTracer | None:
    """Our tracer written into ``folder`` for the change's lines (their files under ``cwd``,
    where the runs work), first on ``PYTHONPATH`` before ``environ``'s; None when the change
    has no line a test could run."""
    if not change.lines:
        return None
    module = f"{MODULE}_{secrets.token_hex(8)}"
    boot = folder / "boot"
    boot.mkdir()
    (boot / f"{module}.py").write_text(changed_lines_tracer(), "utf-8")
    lines = folder / "lines.json"
    lines.write_text(json.dumps(absolute(change, str(cwd.resolve()))), "utf-8")
    path = os.pathsep.join(filter(None, [str(boot), environ.get("PYTHONPATH", "")]))
    return PytestTracer(module, {"PYTHONPATH": path, LINES: str(lines)})


def read_record(path: Path) -> Record | None:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_RECORD_BYTES:
            return None
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    tests, outside = document.get("tests"), document.get("outside")
    again, unseen = document.get("again", {}), document.get("unseen", {})
    blind = document.get("blind", "")
    if not isinstance(tests, dict) or not isinstance(outside, bool) or not isinstance(again, dict):
        return None
    if not isinstance(unseen, dict) or not isinstance(blind, str):
        return None
    ran: dict[str, bool] = {}
    for test, value in tests.items():
        if not isinstance(value, bool):
            return None
        key = canonical_test(str(test))
        ran[key] = ran.get(key, False) or value  # two ids of one spelling: either's run counts
    rerun = {
        canonical_test(str(test)): value for test, value in again.items() if isinstance(value, bool)
    }
    hidden = {canonical_test(str(test)): str(why)[:300] for test, why in unseen.items()}
    return Record(ran, outside, rerun, hidden, blind[:300])
