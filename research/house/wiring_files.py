"""How many files a reader opens following a mode from the event to its outputs, read from the
source alone (no import of the package): the entry point and the CLI that pick the mode, the
registry that loads it, the mode's ``mode.py``, each module of the mode's own package that
``mode.py`` imports (its steps, options, types, result), and for each name ``mode.py`` takes
from the public API the module that defines it (``begin``, ``finish``: the pipeline), with and
without the names imported for type checking alone. One level deep: the least a reader opens
to see every step and where each output is written.

    python research/house/wiring_files.py review analyse_failure
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
ENTRY = ("cicd_agent/entry.py", "cicd_agent/cli.py", "cicd_agent/plugins.py")


def module_file(module: str) -> Path | None:
    base = SRC / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def defining_file(module: str, name: str, seen: frozenset[str] = frozenset()) -> Path | None:
    """The file that defines ``name`` as ``module`` exports it (following re-exports)."""
    path = module_file(module)
    if path is None or module in seen:
        return None
    if (sub := module_file(f"{module}.{name}")) is not None:
        return sub
    tree = ast.parse(path.read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return defining_file(node.module, alias.name, seen | {module}) or path
    return path


def _type_only(tree: ast.Module) -> set[ast.AST]:
    """The imports under ``if TYPE_CHECKING:``."""
    return {node for block in tree.body if isinstance(block, ast.If)
            and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
            for node in ast.walk(block)}  # fmt: skip


def files_of(mode: str, *, types: bool) -> list[Path]:
    package = f"cicd_agent.modes.{mode.replace('-', '_')}"  # the CLI's name or the package's
    wiring = module_file(f"{package}.mode")
    if wiring is None:
        raise SystemExit(f"{mode}: no mode of that name (e.g. review, analyse-failure)")
    found = [SRC / entry for entry in ENTRY] + [wiring]
    tree = ast.parse(wiring.read_text("utf-8"))
    skipped = set() if types else _type_only(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.module or node in skipped:
            continue
        for alias in node.names:
            if node.module.startswith(package):
                path = module_file(f"{node.module}.{alias.name}") or module_file(node.module)
            elif node.module.startswith("cicd_agent.api"):
                path = defining_file(node.module, alias.name)
            else:
                continue
            if path is not None and path not in found:
                found.append(path)
    return found


if __name__ == "__main__":
    for name in sys.argv[1:]:
        files = files_of(name, types=True)
        running = files_of(name, types=False)
        print(f"{name}: {len(files)} files, {len(running)} without type-only imports")
        for path in files:
            print(f"  {path.relative_to(SRC)}{'' if path in running else '  (type only)'}")
