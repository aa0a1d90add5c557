"""How many files a reader opens following a mode from the event to its outputs, read from the
source alone (no import of the package): the entry point and the CLI that pick the mode, the
registry that loads it, the mode's ``mode.py``, each module of the mode's own package that
``mode.py`` imports (its steps, options, types, result), and for each name ``mode.py`` takes
from the public API the module that defines it (``begin``, ``finish``: the pipeline), with and
without the names imported for type checking alone.

Then one level further, where the run comes in and where it goes out, since a reader cannot
see either from the wiring alone: the module that resolves the run's options (the name the CLI
calls, ``resolve_run``), the one that reads the event (``load_event``, as that module imports
it or defines it) and the one that defines the run context the CLI makes of the resolved run
(``RunContext``); and on the way out the
module that defines the result ``finish`` renders (``ModeResult``: the outputs, the summary,
the annotations) and the one that writes them, the class of the context's ``runner``
(``set_outputs``, ``write_summary``, ``annotate``). Each is found by following imports from
the file before it, so a name that moves is followed where it goes and a name that is gone
stops the count with an error rather than leaving a file out.

    python research/house/wiring_files.py review analyse_failure
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def entry_files() -> list[Path]:
    """The console script's module as ``pyproject.toml`` names it, then the CLI and the registry
    (each once: the console script may be the CLI itself)."""
    script = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    module = script["cicd-agent"].partition(":")[0]
    found = [module_file(module), SRC / "cicd_agent/cli.py", SRC / "cicd_agent/plugins.py"]
    if found[0] is None:
        raise SystemExit(f"pyproject.toml: the console script's module {module} is not in src/")
    return list(dict.fromkeys(path for path in found if path is not None))


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
    for node in _top_level(tree.body):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return defining_file(node.module, alias.name, seen | {module}) or path
    return path


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """A module's statements, with those of an ``if TYPE_CHECKING:`` block among them: a
    package that loads its names on first use (``cicd_agent.api``) names where each lives
    there, where an editor's "go to definition" follows it too."""
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            found.extend(node.body)
        else:
            found.append(node)
    return found


def defined_in(path: Path, name: str) -> Path:
    """The file defining ``name`` as ``path`` has it: ``path`` itself when it defines it at its
    top level, else the module it imports it from, at any depth (following re-exports)."""
    tree = ast.parse(path.read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return path
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == name for target in targets):
                return path
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    found = defining_file(node.module, alias.name)
                    if found is not None:
                        return found
    raise SystemExit(f"{path.relative_to(SRC)}: no {name} defined or imported there")


def field_type(path: Path, cls: str, field: str) -> str:
    """The class named by the annotation of ``cls``'s field ``field`` in ``path``."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                        and item.target.id == field and isinstance(item.annotation, ast.Name)):  # fmt: skip
                    return item.annotation.id
    raise SystemExit(f"{path.relative_to(SRC)}: no field {cls}.{field} with a class")


def way_in_and_out(pipeline: Path) -> list[Path]:
    """Where the event comes in (options resolved, event read, context made) and where the
    outputs are written (the result rendered, the runner writing it): see the module's text."""
    cli = SRC / "cicd_agent/cli.py"
    resolve = defined_in(cli, "resolve_run")
    events = defined_in(resolve, "load_event")
    context = defined_in(cli, "RunContext")
    result = defined_in(pipeline, "BaseResult")
    runner = defined_in(context, field_type(context, "RunContext", "runner"))
    return [resolve, events, context, result, runner]


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
    found = [*entry_files(), wiring]
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
    pipeline = defining_file("cicd_agent.api", "finish")
    if pipeline is None:
        raise SystemExit("cicd_agent.api: no finish")
    found += [path for path in dict.fromkeys(way_in_and_out(pipeline)) if path not in found]
    return found


if __name__ == "__main__":
    for name in sys.argv[1:]:
        files = files_of(name, types=True)
        running = files_of(name, types=False)
        print(f"{name}: {len(files)} files, {len(running)} without type-only imports")
        for path in files:
            print(f"  {path.relative_to(SRC)}{'' if path in running else '  (type only)'}")
