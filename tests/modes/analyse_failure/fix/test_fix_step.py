"""The check step (the fix, judged in the sandbox, between ask and decide) opens no sandbox and
runs nothing when no fix is asked for, or when no job failed: decide gets no checks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from cicd_agent.modes.analyse_failure.fix import check


def test_no_fix_asked_or_no_failed_job_runs_nothing() -> None:
    said: list[str] = []
    run = SimpleNamespace(progress=SimpleNamespace(stage=said.append))
    off = SimpleNamespace(options=SimpleNamespace(fix="off"))
    asked = SimpleNamespace(options=SimpleNamespace(fix="suggest"))
    failed = SimpleNamespace(facts=None, analysis=SimpleNamespace(failed_jobs=("tests",)))
    passed = SimpleNamespace(facts=None, analysis=SimpleNamespace(failed_jobs=()))
    assert check(cast(Any, run), cast(Any, failed), cast(Any, off)) is None
    assert check(cast(Any, run), cast(Any, passed), cast(Any, asked)) is None
    assert said == []  # the step never started
