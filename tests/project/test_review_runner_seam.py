"""Review stands on the test runners only where its suggestion check and its linters must: a
file's tests and a run of them (one small protocol), the lookup that picks them, the sandbox they
run in. An owner of review then reads those few names, not the runners' table and its rows; a
new name here widens what that owner must know of proof, and is said here first."""

from __future__ import annotations

import ast

from tests.project.test_import_graph import MODULES

REVIEW = "cicd_agent.modes.review"
RUNNERS = "cicd_agent.runners"

NAMED = {
    "cicd_agent.runners.protocol": {"ChecksSuggestions"},
    "cicd_agent.runners.base": {"Selection", "on_pipe"},
    "cicd_agent.runners.lookups": {"file_tests", "has_rust_library"},
    "cicd_agent.runners.sandboxes": {"PYTEST_SESSION_SANDBOX", "isolation_of", "opened"},
}
"""The runners' names review imports, by module (type-only imports count: a reader follows
them all the same)."""


def runner_names_of_review() -> dict[str, set[str]]:
    """Each runners module review's modules import from, with the names they take from it."""
    taken: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        if not module.startswith(f"{REVIEW}."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names if alias.name.startswith(RUNNERS)]
                assert names == [], f"{module} imports {names} whole"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(RUNNERS):
                taken.setdefault(node.module or "", set()).update(a.name for a in node.names)
    return taken


def test_review_names_a_few_runner_names_never_the_table_or_its_rows() -> None:
    taken = runner_names_of_review()
    assert taken.get("cicd_agent.runners.protocol") == {"ChecksSuggestions"}  # it is read
    wider = {
        module: sorted(names - NAMED.get(module, set()))
        for module, names in taken.items()
        if names - NAMED.get(module, set())
    }
    assert wider == {}
