"""How many files a reader opens following a mode from the event to its outputs, read from the
source alone (no import of the package). Two parts, counted once each:

The wiring, as the reader meets it: the console script's module as ``pyproject.toml`` names it,
the CLI and the registry, the mode's declaration (the module its ``cicd_agent.modes`` entry point
names), the mode's ``mode.py``, each module of the mode's own package that ``mode.py`` imports
(its steps; its options and result when they are imported for type checking alone, counted
only "with types"), the module defining each name ``mode.py`` takes from the public API (the
pipeline), where the run comes in (the module resolving the run's options, the one reading the
event, the one defining the run context) and where it goes out (the module defining the result
``finish`` renders, the class of the context's ``runner``), and the module defining each class a
step returns (what the wiring hands from one step to the next).

The path, as the run takes it: every first-party function on a call path from the console
script's ``main`` (and from the mode's ``run``, which the registry hands the CLI) to a place the
run reads its input or writes its output, and the module of each:

- the event: a function naming ``GITHUB_EVENT_PATH``;
- the repository's settings: a function passing ``CONFIG_PATH`` (``.github/cicd-agent.yml``)
  to a call, which reads it;
- the outputs, the job summary and the annotations: a function naming ``GITHUB_OUTPUT`` or
  ``GITHUB_STEP_SUMMARY``, and the runner's ``annotate``;
- GitHub: a function sending a write, one passing ``POST``, ``PATCH``, ``PUT`` or ``DELETE`` to
  a call (the writers that post the review, the check run and the comments) or taking one as
  a parameter (the transport that sends it).

The calls are read from the syntax tree as a reader's "go to definition" resolves them: a name
defined in the module or imported (through re-exports, the lazy ``cicd_agent.api`` included), a
module's attribute, a class (its ``__init__``), and a method of a value whose class is known from
a parameter's annotation, ``self``, an assignment from a call or an attribute (a field's
annotation, a property's return), following base classes; a method bound as a class attribute
(``post_review = pulls.create_review``) is two hops, the class's module and the function's, as
"go to definition" takes them. A helper a function calls that leads to none of
those places (a formatter, a parser) is not counted: the reader can read past it. A call the
tree cannot resolve (a callable held in a field) is not followed, so the count is a floor.

The same source gives the same count and the same order (deterministic: no run, no clock).

    python research/house/wiring_files.py review analyse_failure
"""

from __future__ import annotations

import ast
import sys
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]


def entry_files() -> list[Path]:
    """The console script's module (``pyproject.toml``), the CLI and the registry, each once."""
    module = PROJECT["scripts"]["cicd-agent"].partition(":")[0]
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
    """A module's statements, an ``if TYPE_CHECKING:`` block's among them (``cicd_agent.api``)."""
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
    for imported in ast.walk(tree):
        if isinstance(imported, ast.ImportFrom) and imported.module and imported.level == 0:
            for alias in imported.names:
                if (alias.asname or alias.name) == name:
                    found = defining_file(imported.module, alias.name)
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


Target = tuple[str, str, str]
"""What a name is: ("func"|"class"|"instance"|"module"|"value", module, "f" or "Cls.m" or "")."""

WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
NAMED = frozenset({"GITHUB_EVENT_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"})


@cache
def tree_of(module: str) -> ast.Module:
    path = module_file(module)
    if path is None:
        raise SystemExit(f"{module}: not in src/")
    return ast.parse(path.read_text("utf-8"))


@cache
def imports_of(module: str) -> dict[str, tuple[str, str]]:
    """Each first-party name imported anywhere in the module: (module, name; "" for a module)."""
    found: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree_of(module)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("cicd_agent"):
                for alias in node.names:
                    found.setdefault(alias.asname or alias.name, (node.module, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cicd_agent") and alias.asname:
                    found.setdefault(alias.asname, (alias.name, ""))
    return found


@cache
def top_defs(module: str) -> dict[str, ast.stmt]:
    found: dict[str, ast.stmt] = {}
    for node in tree_of(module).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, node)
    return found


@cache
def resolve(module: str, name: str) -> Target | None:
    """What ``name`` is in ``module``: defined there, or imported (following re-exports)."""
    node = top_defs(module).get(name)
    if isinstance(node, ast.ClassDef):
        return ("class", module, name)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return ("func", module, name)
    if node is not None:
        return ("value", module, name)
    imported = imports_of(module).get(name)
    if imported is None:
        return None
    source, attribute = imported
    if not attribute or module_file(f"{source}.{attribute}") is not None:
        return ("module", f"{source}.{attribute}".rstrip("."), "")
    return resolve(source, attribute) if module_file(source) is not None else None


def class_node(module: str, name: str) -> ast.ClassDef:
    node = top_defs(module)[name]
    assert isinstance(node, ast.ClassDef)
    return node


def bound_to(module: str, qual: str) -> Target | None:
    """The function a class binds as a method (``post_review = pulls.create_review``)."""
    owner, _, attr = qual.rpartition(".")
    for item in class_node(module, owner).body if owner else ():
        if isinstance(item, ast.Assign) and attr in {ast.unparse(t) for t in item.targets}:
            return reference(module, item.value, {})
    return None


def function_node(module: str, qual: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    owner, _, method = qual.rpartition(".")
    body = class_node(module, owner).body if owner else tree_of(module).body
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == method:
            return node
    raise KeyError(f"{module}.{qual}")


def bases(module: str, name: str) -> list[tuple[str, str]]:
    """The class and its first-party bases, nearest first."""
    found = [(module, name)]
    for base in class_node(module, name).bases:
        target = reference(module, base.value if isinstance(base, ast.Subscript) else base, {})
        if target is not None and target[0] == "class":
            found += [pair for pair in bases(target[1], target[2]) if pair not in found]
    return found


def annotated(module: str, annotation: ast.expr | None) -> Target | None:
    """A value of the class an annotation names (``X``, ``X[...]``, ``X | None``, ``"X"``)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = ast.parse(annotation.value, mode="eval").body
    if isinstance(annotation, ast.Subscript):
        return annotated(module, annotation.value)
    if isinstance(annotation, ast.BinOp):
        return annotated(module, annotation.left) or annotated(module, annotation.right)
    if annotation is None:
        return None
    target = reference(module, annotation, {})
    return ("instance", target[1], target[2]) if target and target[0] == "class" else None


def member(owner: Target, attr: str, reads: list[Target]) -> Target | None:
    """``owner.attr``: a method, the class of a field or of a property (read: a call)."""
    for module, name in bases(owner[1], owner[2]):
        for item in class_node(module, name).body:
            if isinstance(item, ast.FunctionDef) and item.name == attr:
                method: Target = ("func", module, f"{name}.{attr}")
                decorators = {ast.unparse(d).rpartition(".")[2] for d in item.decorator_list}
                if owner[0] == "instance" and decorators & {"property", "cached_property"}:
                    reads.append(method)
                    return annotated(module, item.returns)
                return method
            if isinstance(item, ast.AnnAssign) and ast.unparse(item.target) == attr:
                return annotated(module, item.annotation)
            if isinstance(item, ast.Assign) and attr in {ast.unparse(t) for t in item.targets}:
                bound = reference(module, item.value, {})
                if bound is not None and bound[0] == "func":  # a hop to the binding, then on
                    return ("func", module, f"{name}.{attr}")
    return None


def reference(
    module: str, expr: ast.expr, names: dict[str, Target], reads: list[Target] | None = None
) -> Target | None:
    """What an expression refers to, ``names`` holding the function's known locals."""
    reads = [] if reads is None else reads
    if isinstance(expr, ast.Name):
        return names.get(expr.id) or resolve(module, expr.id)
    if isinstance(expr, ast.Attribute):
        owner = reference(module, expr.value, names, reads)
        if owner is None or owner[0] in ("func", "value"):
            return None
        if owner[0] == "module":
            if module_file(f"{owner[1]}.{expr.attr}") is not None:
                return ("module", f"{owner[1]}.{expr.attr}", "")
            return resolve(owner[1], expr.attr)
        return member(owner, expr.attr, reads)
    if isinstance(expr, ast.Call):
        called = reference(module, expr.func, names, reads)
        if called is not None and called[0] == "class":
            return ("instance", called[1], called[2])
        while called is not None and called[0] == "func" and (bound := bound_to(*called[1:])):
            called = bound
        if called is not None and called[0] == "func":
            return annotated(called[1], function_node(called[1], called[2]).returns)
    return None


def calls(module: str, qual: str) -> list[Target]:
    """The first-party functions a function calls (a class called: its ``__init__``, or the
    class when it has none), properties it reads included, in the order written; a method
    bound as a class attribute calls the function bound."""
    if (bound := bound_to(module, qual)) is not None:
        return [bound]
    node = function_node(module, qual)
    owner = qual.rpartition(".")[0]
    names: dict[str, Target] = {}
    for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
        if owner and arg.arg in ("self", "cls"):
            names[arg.arg] = ("instance" if arg.arg == "self" else "class", module, owner)
        elif (value := annotated(module, arg.annotation)) is not None:
            names[arg.arg] = value
    found: list[Target] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assign) and [type(t) for t in sub.targets] == [ast.Name]:
            value = reference(module, sub.value, names)
            if value is not None and value[0] == "instance":
                names[ast.unparse(sub.targets[0])] = value
        elif (isinstance(sub, ast.AnnAssign) and isinstance(sub.target, ast.Name)
                and (value := annotated(module, sub.annotation)) is not None):  # fmt: skip
            names[sub.target.id] = value
        if isinstance(sub, ast.Call | ast.Attribute):
            reads: list[Target] = []
            called = reference(module, sub.func if isinstance(sub, ast.Call) else sub, names, reads)
            found += reads
            if isinstance(sub, ast.Call) and called is not None and called[0] == "class":
                init = next((("func", m, f"{c}.__init__") for m, c in bases(called[1], called[2])
                             if "__init__" in _methods(m, c)), called)  # fmt: skip
                found.append(init)
            elif isinstance(sub, ast.Call) and called is not None and called[0] == "func":
                found.append(called)
    return found


def _methods(module: str, name: str) -> set[str]:
    return {n.name for n in class_node(module, name).body if isinstance(n, ast.FunctionDef)}


def reads_or_writes(module: str, qual: str) -> bool:
    """Whether the function reads the run's input or writes its output (the module's text)."""
    if qual in {"RunnerIO.annotate"}:
        return True
    if bound_to(module, qual) is not None:
        return False
    node = function_node(module, qual)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and sub.value in NAMED:
            return True
        if isinstance(sub, ast.Call) and any(
            (isinstance(arg, ast.Constant) and arg.value in WRITES)
            or (isinstance(arg, ast.Name) and arg.id == "CONFIG_PATH")
            for arg in sub.args
        ):
            return True
    parameters = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
    return any(isinstance(sub, ast.Constant) and sub.value in WRITES
               for arg in parameters if arg.annotation for sub in ast.walk(arg.annotation))  # fmt: skip


def path_files(roots: list[Target]) -> list[Path]:
    """The modules of the functions on a call path from ``roots`` to a read or write."""
    edges: dict[Target, list[Target]] = {}
    queue = list(roots)
    while queue:
        function = queue.pop(0)
        if function in edges:
            continue
        edges[function] = calls(function[1], function[2]) if function[0] == "func" else []
        queue += edges[function]
    on_path = {f for f in edges if f[0] == "func" and reads_or_writes(f[1], f[2])}
    grew = True
    while grew:
        before = len(on_path)
        on_path |= {f for f, called in edges.items() if on_path.intersection(called)}
        grew = len(on_path) > before
    modules = dict.fromkeys(f[1] for f in edges if f in on_path)  # in the order first called
    return [path for module in modules if (path := module_file(module)) is not None]


def returned_files(wiring: Path, module: str) -> list[Path]:
    """The modules defining the classes the functions ``run`` calls return: the values the
    wiring hands from one step to the next."""
    found: list[Path] = []
    for node in ast.walk(function_node(module, "run")):
        called = reference(module, node.func, {}) if isinstance(node, ast.Call) else None
        if called is None or called[0] != "func":
            continue
        returns = function_node(called[1], called[2]).returns
        for name in ast.walk(returns) if returns is not None else ():
            target = reference(called[1], name, {}) if isinstance(name, ast.Name) else None
            if target is not None and target[0] == "class" and target[1].startswith("cicd_agent"):
                path = module_file(target[1])
                if path is not None and path not in found and path != wiring:
                    found.append(path)
    return found


def declaration(mode: str) -> Path | None:
    """The module the mode's ``cicd_agent.modes`` entry point names."""
    target = PROJECT["entry-points"]["cicd_agent.modes"].get(mode.replace("_", "-"), "")
    return module_file(target.partition(":")[0]) if target else None


def files_of(mode: str, *, types: bool) -> list[Path]:
    package = f"cicd_agent.modes.{mode.replace('-', '_')}"  # the CLI's name or the package's
    wiring = module_file(f"{package}.mode")
    if wiring is None:
        raise SystemExit(f"{mode}: no mode of that name (e.g. review, analyse-failure)")
    found = [*entry_files(), *filter(None, [declaration(mode)]), wiring]
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
    found += [path for path in returned_files(wiring, f"{package}.mode") if path not in found]
    console, _, function = PROJECT["scripts"]["cicd-agent"].partition(":")
    roots: list[Target] = [("func", console, function), ("func", f"{package}.mode", "run")]
    return found + [path for path in path_files(roots) if path not in found]


if __name__ == "__main__":
    for name in sys.argv[1:]:
        files = files_of(name, types=True)
        running = files_of(name, types=False)
        print(f"{name}: {len(files)} files, {len(running)} without type-only imports")
        for path in files:
            print(f"  {path.relative_to(SRC)}{'' if path in running else '  (type only)'}")
