"""Which test files can reach a changed file: the imports of the project's Python and Go files
at the head, read from git and parsed (never run), as a graph from each file to what it loads.

A test that can reach the changed code is related to it; the targeted scope must hold every
such test, so where the reader cannot establish the graph (too many or too large files, an
import it cannot resolve) it says why and the scope is full. A Python file that imports a
module whose name it computes can load anything: it loads :data:`EVERYTHING`.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

from cicd_agent.analysis.file_names import name_span
from cicd_agent.local.gitrepo import GitRepo

MAX_FILES = 5_000
"""Python or Go files read for the graph; past them the related tests are not established."""
MAX_BYTES = 500_000
"""A Python or Go file larger than this is not read, and the related tests not established."""
MAX_TOTAL = 32 << 20
"""Bytes of Python or Go files read for the graph, in all: Python's parser takes up to 1.5
CPU-seconds a MiB of hostile text, so the files the other limits allow held a run for hours."""
MAX_DEPTH = 32
"""Folders a Python file may be in (each dotted tail of its path is a name it may go by)."""
EVERYTHING = "*"
"""The node a file with a computed import loads: every changed file reaches it."""
_DYNAMIC = frozenset({"import_module", "__import__", "importorskip", "run_module"})
_ANY = frozenset({"exec", "eval", "compile", "run_path", "spec_from_file_location"})
"""Calls that run code from a string or a file path: what they load is not a module name."""


@dataclass(frozen=True)
class Graph:
    """``loads``: each node (a file, or a name an import gives) to the nodes it loads; a
    language in ``unknown`` maps to the one line saying why its graph could not be read."""

    loads: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unknown: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def _back(self) -> dict[str, set[str]]:
        back: dict[str, set[str]] = {}
        for node, targets in self.loads.items():
            for target in targets:
                back.setdefault(target, set()).add(node)
        return back

    def reaching(self, changed: str) -> set[str]:
        """Every node that loads ``changed``, directly or through others."""
        back = self._back
        seen, todo = {changed, EVERYTHING}, deque([changed, EVERYTHING])
        while todo:
            for node in back.get(todo.popleft(), ()):
                if node not in seen:
                    seen.add(node)
                    todo.append(node)
        return seen


def read_graph(repo: GitRepo, head: str, tracked: Sequence[str], suffixes: Iterable[str]) -> Graph:
    """The graph of the languages of ``suffixes`` (Python, Go) at ``head``."""
    loads: dict[str, frozenset[str]] = {}
    unknown: dict[str, str] = {}
    for suffix in sorted(set(suffixes) & {".py", ".go"}):
        paths = [p for p in tracked if _read_for(p, suffix)]
        data, why = _read(repo, head, paths)
        if not why and suffix == ".py":
            found, why = _python(data, _links(repo, head, data))
            loads.update(found)
        elif not why:
            found, why = _go({p: d.decode("utf-8", "replace") for p, d in data.items()}, tracked)
            loads.update(found)
        if why:
            unknown[suffix] = why
    return Graph(loads, unknown)


def _read_for(path: str, suffix: str) -> bool:
    """Whether ``path`` is read for the language of ``suffix``: Go's ``go.mod`` files too,
    and Go builds neither ``testdata`` nor folders named with a leading ``_`` or ``.``."""
    pure = PurePosixPath(path)
    if suffix == ".py":
        return pure.suffix == ".py"
    hidden = any(p == "testdata" or p[:1] in "_." for p in pure.parts[:-1])
    return (pure.suffix == ".go" or pure.name == "go.mod") and not hidden


def _read(repo: GitRepo, head: str, paths: Sequence[str]) -> tuple[dict[str, bytes], str]:
    if len(paths) > MAX_FILES:
        return {}, f"more than {MAX_FILES:,} files to trace imports through"
    ids = repo.blob_ids(head, paths, MAX_BYTES)
    skipped = next((p for p in paths if p not in ids), None)
    if skipped is not None:
        return {}, f"{name_span(skipped)} is too large to trace its imports"
    if sum(size for _, size in ids.values()) > MAX_TOTAL:
        return {}, f"more than {MAX_TOTAL >> 20} MiB of files to trace imports through"
    return dict(repo.blobs(ids)), ""


def _links(repo: GitRepo, head: str, data: Mapping[str, bytes]) -> dict[str, str]:
    """Each of ``data``'s files git stores as a link, to the file it names (the repository
    path, or :data:`EVERYTHING` for a target outside the files read): Python runs the target."""
    links: dict[str, str] = {}
    for record in repo.run("ls-tree", "-r", "-z", "--full-tree", head).split("\0"):
        meta, _, path = record.partition("\t")
        if meta.startswith("120000 ") and path in data:
            named = data[path].decode("utf-8", "replace")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), named))
            links[path] = target if target in data else EVERYTHING
    return links


# --- Python --------------------------------------------------------------------------------


def _python(
    texts: Mapping[str, bytes], links: Mapping[str, str]
) -> tuple[dict[str, frozenset[str]], str]:
    """Each file loads the names it imports; a name loads every file it may mean (any dotted
    tail of the file's path, its packages' ``__init__`` and, for a package, all it holds); a
    test loads the ``conftest.py`` files pytest runs for it, a file the ``__init__`` of its
    folders; a link loads its target."""
    by_prefix: dict[str, set[str]] = {}
    exact: dict[str, set[str]] = {}
    for path in texts:
        parts = _dotted(path)
        if len(parts) > MAX_DEPTH:
            return {}, f"{name_span(path)} is too deep in folders to trace its imports"
        for start in range(len(parts)):
            tail = parts[start:]
            exact.setdefault(".".join(tail), set()).add(path)
            for end in range(1, len(tail) + 1):
                by_prefix.setdefault(".".join(tail[:end]), set()).add(path)
    conftests = [p for p in texts if PurePosixPath(p).name == "conftest.py"]
    loads: dict[str, frozenset[str]] = {}
    names: set[str] = set()
    for path, text in texts.items():
        imported, why = _python_imports(path, text) if path not in links else (set(), "")
        if why:
            return {}, why
        names |= imported - {EVERYTHING}
        folder = PurePosixPath(path).parent
        runs = {c for c in conftests if folder.is_relative_to(PurePosixPath(c).parent)}
        named = {n if n == EVERYTHING else f"py:{n}" for n in imported}
        linked = {links[path]} if path in links else set()
        # imported as part of its packages (as pytest imports a test), it runs their inits
        inits = {str(p / "__init__.py") for p in PurePosixPath(path).parents} & texts.keys()
        loads[path] = frozenset((named | runs | linked | inits) - {path})
    for name in names:
        parents = {".".join(name.split(".")[:end]) for end in range(1, name.count(".") + 1)}
        meant = set(by_prefix.get(name, ())).union(*(exact.get(p, ()) for p in parents))
        loads[f"py:{name}"] = frozenset(meant)
    return loads, ""


def _dotted(path: str) -> list[str]:
    parts = list(PurePosixPath(path).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts


def _python_imports(path: str, text: bytes) -> tuple[set[str], str]:
    """The absolute names ``text`` imports (relative ones resolved against ``path``), and
    :data:`EVERYTHING` for an import by a computed name. Python reads the file's encoding
    line; a file that does not parse here may in the project's newer Python: it loads
    :data:`EVERYTHING`."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {EVERYTHING}, ""
    package = _dotted(path) if PurePosixPath(path).name == "__init__.py" else _dotted(path)[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level - 1 > len(package):
                return set(), f"{name_span(path)} imports from above the repository"
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            listed = [alias.name for alias in node.names if alias.name != "*"]
            if len(listed) < len(node.names):  # a star may bring any module of the package
                found.add(module)
            # a name imported from a package is its module if it is one, else the package's
            # ``__init__`` (what ``module.name``'s parents load), never all it holds
            found.update(f"{module}.{name}".strip(".") for name in listed)
        elif isinstance(node, ast.Call) and _called(node.func) in _DYNAMIC:
            found.add(_constant_name(node.args[0] if node.args else None))
        elif isinstance(node, ast.Call) and _called(node.func) in _ANY:
            found.add(EVERYTHING)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in _targets(node)
        ):  # pytest imports the plugins a module names
            value = node.value
            items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
            found.update(_constant_name(item) for item in items)
    return {name for name in found if name}, ""


def _constant_name(node: ast.expr | None) -> str:
    """The absolute module name ``node`` spells, else :data:`EVERYTHING` (a computed or a
    relative name, which the call resolves against a package it may compute)."""
    named = node.value if isinstance(node, ast.Constant) else None
    return named if isinstance(named, str) and named[:1] != "." else EVERYTHING


def _targets(node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _called(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


# --- Go ------------------------------------------------------------------------------------

_GO_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"/][^\s\"]*)\"?", re.MULTILINE)
_GO_NAME = re.compile(r"[A-Za-z_]\w*")
_GO_TOKEN = re.compile(
    r"\s+|//[^\n]*|/\*.*?\*/|\"(?:[^\"\\\n]|\\.)*\"|`[^`]*`|[A-Za-z_][\w]*|[();.]",
    re.DOTALL,
)


def _go(texts: Mapping[str, str], tracked: Sequence[str]) -> tuple[dict[str, frozenset[str]], str]:
    """Each file loads its own package and the packages it imports; a package loads its files
    that are not tests (a package's tests load it; nothing loads them)."""
    modules = {
        str(PurePosixPath(p).parent): p for p in tracked if PurePosixPath(p).name == "go.mod"
    }
    roots: dict[str, str] = {}
    for folder, path in modules.items():
        if path not in texts:
            continue
        named = _GO_MODULE.search(texts[path])
        if named is None:
            return {}, f"{name_span(path)} names no module"
        roots[named.group(1)] = folder
    sources = {p: t for p, t in texts.items() if p.endswith(".go")}
    folders = {str(PurePosixPath(p).parent) for p in sources}
    loads: dict[str, frozenset[str]] = {}
    for path, text in sources.items():
        folder = str(PurePosixPath(path).parent)
        module = _module_of(folder, roots)
        if module is None:
            return {}, f"{name_span(path)} is in no Go module (no go.mod above it)"
        imports = _go_imports(text)
        if imports is None:
            return {}, f"could not read the imports of {name_span(path)}"
        packages = {f"go:{folder}"}
        for imported in imports:
            inside = _in_module(imported, roots)
            if inside is None:
                continue  # the standard library or another module's package
            if inside not in folders:
                return {}, f"{name_span(path)} imports {name_span(imported)}, not found here"
            packages.add(f"go:{inside}")
        loads[path] = frozenset(packages)
    built: dict[str, set[str]] = {folder: set() for folder in folders}
    for path in sources:
        if not path.endswith("_test.go"):
            built[str(PurePosixPath(path).parent)].add(path)
    loads.update((f"go:{folder}", frozenset(paths)) for folder, paths in built.items())
    return loads, ""


def _module_of(folder: str, roots: Mapping[str, str]) -> str | None:
    here = PurePosixPath(folder)
    owning = [r for r in roots.values() if r == "." or here.is_relative_to(r)]
    return max(owning, key=len) if owning else None


def _in_module(imported: str, roots: Mapping[str, str]) -> str | None:
    """The folder of the module package ``imported`` names, or None outside every module."""
    best = max(
        (m for m in roots if imported == m or imported.startswith(m + "/")), key=len, default=None
    )
    if best is None:
        return None
    rest = imported[len(best) :].strip("/")
    return str(PurePosixPath(roots[best], rest)) if rest else roots[best]


def _go_imports(text: str) -> list[str] | None:
    """The import paths of a Go file's ``import`` declarations, which follow its ``package``
    clause; None when they do not read as Go. Only the head of the file is read."""
    words = _go_words(text)
    if next(words, None) != "package" or next(words, None) is None:
        return None
    found: list[str] = []
    word = next(words, None)
    while word in ("import", ";"):
        if word == ";":
            word = next(words, None)
            continue
        word = next(words, None)
        grouped = word == "("
        if grouped:
            word = next(words, None)
        while word is not None:
            if word[:1] in '"`':
                found.append(word[1:-1])
                if not grouped:
                    break
            elif word == ")" and grouped:
                break
            elif word not in (";", ".") and not _GO_NAME.fullmatch(word):
                return None
            word = next(words, None)
        if word is None:
            return None
        word = next(words, None)
    return found


def _go_words(text: str) -> Iterator[str]:
    """Go's tokens from the start of ``text``, without spaces or comments, until one that
    no import declaration holds (each pattern is tried once at each place, so an unclosed
    comment costs one pass)."""
    at = 0
    while at < len(text):
        matched = _GO_TOKEN.match(text, at)
        if matched is None:
            return
        at, word = matched.end(), matched.group()
        if word.strip() and not word.startswith(("//", "/*")):
            yield word
