"""The run context has each member of the one run protocol the core's services take (mypy
proves it at every call; this says so where a reader of the tests looks)."""

from __future__ import annotations

import dataclasses

from cicd_agent.job.context import RunContext
from cicd_agent.job.run import Run


def _members() -> set[str]:
    return {name for name in vars(Run) if not name.startswith("_")}


def test_the_run_context_has_every_member() -> None:
    fields = {field.name for field in dataclasses.fields(RunContext)}
    assert sorted(m for m in _members() if m not in fields and not hasattr(RunContext, m)) == []
