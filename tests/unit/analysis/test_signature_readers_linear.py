"""Hostile lines for the two readers of signatures (authz's enclosing-function lookup and
definitions' head finder): runs of 20,000 whitespace, tabs, mixed blanks, identifier
characters, digits and parentheses. Each old pattern let several quantifiers take the same
characters, so such a line cost hours; the readers must now answer, and answer right, on it.
The attack tests in tests/modes/review/test_review_cli.py hold the time limit."""

from __future__ import annotations

import pytest

from cicd_agent.analysis.definitions import definition_name, starts_definition
from cicd_agent.risk.evidence import _function_name, weakened_access

N = 20_000
RUNS = {
    "spaces": " " * N,
    "tabs": "\t" * N,
    "mixed": " \t\f\v" * (N // 4),
    "identifier": "a_b1" * (N // 4),
    "digits": "7" * N,
    "open parens": "(" * N,
    "parens": "()" * (N // 2),
    "words": "int " * (N // 4),
    "modifiers": "public " * (N // 7),
    "func receivers": "func (" * (N // 6),
    "arrows": "a=(" * (N // 3),
    "stars": "int *" * (N // 5),
}


@pytest.mark.parametrize("run", RUNS.values(), ids=RUNS.keys())
def test_authz_reads_a_hostile_run_and_still_finds_the_signature(run: str) -> None:
    assert _function_name(f"{run}x") in {None, "x", "a", "a_b1"} | set(run.split())
    assert _function_name(f"{run};") in {None, "a", "int", "public", "func"}
    assert _function_name(f"def login({run}") == "login"
    assert _function_name(f"public boolean isAdmin(User u) {{ // {run}") == "isAdmin"


@pytest.mark.parametrize("run", RUNS.values(), ids=RUNS.keys())
def test_definitions_read_a_hostile_run(run: str) -> None:
    assert definition_name(f"{run}x") is None
    starts_definition(f"{run}x")
    assert starts_definition(f"public static int parse(String s) {{ // {run}")
    assert definition_name(f"def compute({run}") == "compute"


@pytest.mark.parametrize("run", ["", " " * N, "\t" * N])
def test_a_line_of_whitespace_before_return_true_still_finds_the_check(run: str) -> None:
    diff = (
        "diff --git a/app/auth.py b/app/auth.py\n--- a/app/auth.py\n+++ b/app/auth.py\n"
        f"@@ -1,3 +1,4 @@\n+{run}x\n def login(user, password):\n"
        "-    return check(user, password)\n+    return True\n"
    )
    assert weakened_access(diff) == ["app/auth.py: login() now returns True"]


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("    def login(u, p):", "login"),
        ("public static boolean isAdmin(User u) {", "isAdmin"),
        ("    protected List<String> canEdit(Map<String, Integer> m) {", "canEdit"),
        ("func (e *Engine) canAccess(w int) {", "canAccess"),
        ("  canEdit(user) {", "canEdit"),
        ("const verify = async (t) => {", "verify"),
        ("export function canEdit(user: User): boolean {", "canEdit"),
        ("int foo(int x);", None),
        ("    if (allowed) {", None),
    ],
)
def test_the_function_name_of_ordinary_lines(line: str, name: str | None) -> None:
    assert _function_name(line) == name
