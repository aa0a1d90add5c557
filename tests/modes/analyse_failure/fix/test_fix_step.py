"""The fix step between analyse and ask opens no sandbox and runs nothing when no fix is asked
for, or when no job failed: the verdict goes on to ask as it was, with no verifier."""

from __future__ import annotations

from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any, cast

from cicd_agent.modes.analyse_failure.fix import fix


def test_no_fix_asked_or_no_failed_job_runs_nothing() -> None:
    off = SimpleNamespace(mode_options=SimpleNamespace(fix="off"))
    asked = SimpleNamespace(mode_options=SimpleNamespace(fix="suggest"))
    failed = SimpleNamespace(facts=None, analysis=SimpleNamespace(failed_jobs=("tests",)))
    passed = SimpleNamespace(facts=None, analysis=SimpleNamespace(failed_jobs=()))
    with ExitStack() as resources:
        assert fix(cast(Any, off), cast(Any, failed), resources) == (failed, None)
        assert fix(cast(Any, asked), cast(Any, passed), resources) == (passed, None)
