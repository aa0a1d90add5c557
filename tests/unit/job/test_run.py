"""The one run protocol names what the core's services read of a run, and nothing more: each
member is read by a service that takes a run (recording a decision, the risk service, the
sandboxes), so it never grows into a second run context; and the run context has each one
(mypy proves it at every call; this says so where a reader of the tests looks)."""

from __future__ import annotations

import ast
import dataclasses

from cicd_agent.job.context import RunContext
from cicd_agent.job.run import Run
from tests.harness.payloads import REPO_ROOT

SERVICES = ("job/decisions.py", "risk/service.py", "runners/sandboxes.py")
"""The core's modules whose functions take a :class:`Run`."""


def _members() -> set[str]:
    return {name for name in vars(Run) if not name.startswith("_")}


def _read_of_a_run(source: str) -> set[str]:
    """What the functions of ``source`` read of each parameter annotated ``Run``."""
    read: set[str] = set()
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef):
            continue
        runs = {a.arg for a in function.args.args + function.args.kwonlyargs
                if isinstance(a.annotation, ast.Name) and a.annotation.id == "Run"}  # fmt: skip
        read |= {node.attr for node in ast.walk(function) if isinstance(node, ast.Attribute)
                 and isinstance(node.value, ast.Name) and node.value.id in runs}  # fmt: skip
    return read


def test_every_member_of_the_run_is_read_by_a_service() -> None:
    read: set[str] = set()
    for path in SERVICES:
        read |= _read_of_a_run((REPO_ROOT / "src/cicd_agent" / path).read_text(encoding="utf-8"))
    assert _members() and _members() <= read, sorted(_members() - read)


def test_the_run_context_has_every_member() -> None:
    fields = {field.name for field in dataclasses.fields(RunContext)}
    assert sorted(m for m in _members() if m not in fields and not hasattr(RunContext, m)) == []
