"""``cicd_agent.api`` imports each of its names from its module on first use: the table its
``__getattr__`` reads says what the imports mypy reads say, every name it lists resolves, and
importing the package alone loads nothing of the core."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

import cicd_agent.api as api
from tests.harness.payloads import REPO_ROOT

SOURCE = REPO_ROOT / "src" / "cicd_agent" / "api" / "__init__.py"


def imported_for_mypy() -> dict[str, tuple[str, str]]:
    """name → (module, attribute) of the imports under ``if TYPE_CHECKING:``."""
    found: dict[str, tuple[str, str]] = {}
    for node in ast.parse(SOURCE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module
                for alias in statement.names:
                    found[alias.asname or alias.name] = (statement.module, alias.name)
    return found


def test_the_table_says_what_the_imports_say() -> None:
    assert dict(api.HOMES) == imported_for_mypy()


def test_the_table_lists_the_api_and_nothing_else() -> None:
    assert sorted(api.HOMES) == sorted(api.__all__)


def test_every_name_resolves_to_its_modules_object() -> None:
    for name, (module, attribute) in api.HOMES.items():
        assert getattr(api, name) is getattr(importlib.import_module(module), attribute), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchName"):
        api.NoSuchName  # noqa: B018


def fresh(code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def test_importing_the_api_loads_nothing_of_the_core() -> None:
    code = (
        "import sys, cicd_agent.api\n"
        "print(sorted(m for m in sys.modules if m.startswith('cicd_agent')))"
    )
    assert fresh(code) == "['cicd_agent', 'cicd_agent.api']"


def test_a_name_imported_loads_its_module_and_what_that_module_imports() -> None:
    code = (
        "import sys\nfrom cicd_agent.api import Severity, load_json\n"
        "print(load_json.__module__, Severity.__module__, 'cicd_agent.sandbox' in sys.modules)"
    )
    assert fresh(code) == "cicd_agent.actions.bounded_json cicd_agent.analysis.severity False"
