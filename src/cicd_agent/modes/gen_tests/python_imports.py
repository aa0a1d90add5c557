"""Python modules by name: a source file's dotted name, and the modules a file imports, read
with ``ast`` and never run (the file is the pull request's)."""

from __future__ import annotations

import ast
from collections.abc import Collection
from pathlib import PurePosixPath


def module_name(path: str) -> str:
    """The dotted import name of a source file, for ``src/``-layout and flat projects alike."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if len(parts) > 1 and parts[0] in ("src", "lib", "python"):
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(source: str) -> frozenset[str]:
    """The modules ``source`` imports by absolute name: ``import a.b`` gives ``a.b``, ``from a
    import b`` gives ``a`` and ``a.b`` (``b`` may be a module of ``a``). A file that does not
    parse imports nothing."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
    return frozenset(found)


def imports_module(imported: Collection[str], module: str) -> bool:
    """Whether a file importing ``imported`` loads ``module``: it imports the module, a package
    holding it (``import pkg`` covers ``pkg.mod``), or a module inside it (importing
    ``pkg.mod`` runs ``pkg``'s ``__init__``)."""
    return bool(module) and any(
        name == module or module.startswith(name + ".") or name.startswith(module + ".")
        for name in imported
    )
