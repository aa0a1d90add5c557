"""The in-run check's guard on its own, in a process of its own (its audit hook cannot be removed):
the checkout's code that starts a process while the guard watches ends the run with the
guard's exit code and a record naming why; code that does nothing of the kind runs on."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.helpers.check_stream import streamed

GUARD = "cicd_agent.runners.pytest.in_run.in_run_check_guard"
CHILD = (
    "import importlib, sys\n"
    "guard = importlib.import_module(sys.argv[1])\n"
    "assert guard.install(sys.argv[2], set(), frozenset())\n"
    "sys.path.insert(0, sys.argv[3])\n"
    "import starter\n"
    "print('ran on', flush=True)\n"
)


def _guarded(tmp_path: Path, starter: str) -> tuple[int, str, list[dict[str, object]]]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (project / "starter.py").write_text(starter)
    patched = {"repo": str(project), "lines": {str(project / "calc.py"): [2]}}
    environ = {**os.environ, "CICD_FIX_CHECK_PATCHED": json.dumps(patched)}
    done, records = streamed(
        lambda fd: [sys.executable, "-c", CHILD, GUARD, str(fd), str(project)], project, environ
    )
    return done.returncode, done.stdout, records


def test_the_checkouts_code_that_starts_a_process_while_watched_ends_the_run(
    tmp_path: Path,
) -> None:
    starter = "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'pass'])\n"
    code, out, records = _guarded(tmp_path, starter)
    assert code == 86 and "ran on" not in out, (code, out, records)
    assert any(
        isinstance(record.get("import_guard"), dict)
        and record["import_guard"].get("tamper") == "subprocess.Popen"
        for record in records
    ), records


def test_the_checkouts_code_that_only_defines_runs_on(tmp_path: Path) -> None:
    code, out, records = _guarded(tmp_path, "X = 1\n")
    assert (code, out) == (0, "ran on\n"), (code, out, records)
