"""Which Python files gen-tests covers, and which of their lines count as "the change".

By default: the Python source files changed between base and head (``base...head``, as GitHub
shows a pull request), and in them only the added or modified lines. With ``source``: every
Python file under the given paths, whole. Test files, conftest and packaging scripts are never
targets: tests are not written for tests.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.file_names import has_control_characters
from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    is_file,
    read_text,
    unlinked,
    walk_every_name,
)
from cicd_agent.modes.gen_tests.coverage_gaps import Arc, CoverageReport
from cicd_agent.runners.table import PYTEST

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import FileDiff
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.runners.protocol import WritesTests

_TEST_FOLDERS = frozenset({"tests", "test", "testing"})
_NOT_TARGETS = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py"})
SKIPPED_FOLDERS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "env",
        ".tox",
        ".nox",
        "node_modules",
        "site-packages",
        "build",
        "dist",
        "__pycache__",
        ".eggs",
    }
)


def adds_a_test(changed: FileDiff, runner: WritesTests) -> bool:
    """Whether the change to ``runner``'s test file ``changed`` adds a test: the file is new,
    or a line it adds declares one as the runner's own rule says (its ``declares_a_test``,
    in its folder). The flaky hunt spends its
    budget on such a test, whose flakiness no run before the change has seen."""
    if changed.status == "added":
        return True
    return any(runner.declares_a_test.match(text) for _, text in changed.added_lines())


def is_test_path(path: str) -> bool:
    """Whether ``path`` (relative, ``/``-separated) is a test file or lives in a test folder."""
    pure = PurePosixPath(path)
    name = pure.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or any(part in _TEST_FOLDERS for part in pure.parts[:-1])
    )


def is_target(path: str) -> bool:
    """Whether ``path`` is Python source gen-tests may write tests for."""
    pure = PurePosixPath(path)
    return (
        pure.suffix == ".py"
        and pure.name not in _NOT_TARGETS
        and not is_test_path(path)
        and not any(part in SKIPPED_FOLDERS for part in pure.parts)
    )


@dataclass(frozen=True)
class Targets:
    """Target files and, for each, the changed lines (None: the whole file counts)."""

    files: Mapping[str, frozenset[int] | None]
    base: str | None = None
    head: str | None = None
    unsafe_names: tuple[str, ...] = field(default=())
    """Files left out because their names hold control characters (see ``file_names``)."""
    tests: tuple[str, ...] = field(default=())
    """The tests the change adds or modifies, run again and again before they merge
    (:func:`~.collect.collect`): the node ids of the test functions (or classes) whose lines
    changed in a pytest file (``test_*.py``, ``*_test.py``), or the whole file when no changed
    line lies in a test (a fixture or helper: any of its tests may change)."""
    adds_tests: bool = False
    """Whether the change adds a test (:func:`adds_a_test`): only then does the flaky hunt
    repeat the tests in each round for its share of the budget; else each runs once a round."""

    added: Mapping[str, frozenset[int]] = field(default_factory=dict)
    """Every file's added lines, of any kind (a README, a docs page, a test): where the change
    wrote a line, which is weaker evidence as a possible bug's contract (:meth:`written`)."""

    def written(self, path: str, line: int) -> bool:
        """Whether the change wrote ``line`` of ``path`` (any file)."""
        return line in self.added.get(path, ())

    @property
    def paths(self) -> list[str]:
        return sorted(self.files)

    def only(self, selects: Callable[[str], bool]) -> Targets:
        """These targets less the files ``selects`` refuses (``paths`` / ``paths-ignore`` of
        the repository's settings)."""
        kept = {path: lines for path, lines in self.files.items() if selects(path)}
        return replace(self, files=kept)

    def counts(self, path: str, line: int) -> bool:
        """Whether ``line`` of ``path`` is part of the change."""
        changed = self.files.get(path)
        return path in self.files and (changed is None or line in changed)


class AddedLines(Mapping[str, frozenset[int]]):
    """Each changed file's added lines, read from its diff when first asked: the contracts
    a verdict names ask about a few files, and a change adding 100 MB of data files would
    otherwise have every one of its lines parsed for nothing."""

    def __init__(self, files: Mapping[str, FileDiff]) -> None:
        self._files = files
        self._read: dict[str, frozenset[int]] = {}

    def __getitem__(self, path: str) -> frozenset[int]:
        if path not in self._read:
            self._read[path] = frozenset(n for n, _ in self._files[path].added_lines())
        return self._read[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def changed_targets(checkout: GitCheckout, base: str, head: str) -> Targets:
    """Changed Python source files between ``base`` and ``head`` with their added lines, read
    from the run's checkout (``ctx.checkout``)."""
    diff = checkout.diff(base, head)
    files: dict[str, frozenset[int] | None] = {}
    unsafe: list[str] = []
    tests: list[str] = []
    adds = False
    added = AddedLines(
        {changed.path: changed for changed in diff.files if changed.status != "deleted"}
    )
    for changed in diff.files:
        if changed.status == "deleted" or not changed.path.endswith(".py"):
            continue
        if has_control_characters(changed.path):
            unsafe.append(changed.path)
            continue
        a_file = is_file(checkout.root, changed.path)
        if not is_target(changed.path) or not a_file:
            name = PurePosixPath(changed.path).name
            if a_file and (name.startswith("test_") or name.endswith("_test.py")):
                tests.extend(_changed_tests(checkout.root, changed))
                adds = adds or adds_a_test(changed, PYTEST.tests)
            continue
        lines = frozenset(number for number, _ in changed.added_lines())
        if lines:
            files[changed.path] = lines
    return Targets(files, diff.base, diff.head, tuple(unsafe), tuple(tests), adds, added)


def _changed_tests(root: Path, changed: FileDiff) -> list[str]:
    """The node ids of ``changed``'s tests that hold a changed line, else its path: ids let the
    flaky hunt run the tests alone when their whole file would outlast its budget."""
    try:
        tree = ast.parse(read_text(root, changed.path))
    except (CheckoutFileError, SyntaxError, ValueError, RecursionError, MemoryError):
        return [changed.path]
    lines = _changed_lines(changed)
    names = dict.fromkeys(name for name in _tests_at(tree.body, "", lines))
    return [f"{changed.path}::{name}" for name in names] or [changed.path]


def _changed_lines(changed: FileDiff) -> set[int]:
    """Head lines the change added, and for each removal the head line that now stands there."""
    lines: set[int] = set()
    for hunk in changed.hunks:
        removed = False
        for line in hunk.lines:
            if line.new is not None and (line.kind == "+" or removed):
                lines.add(line.new)
            removed = line.kind == "-"
    return lines


def _tests_at(body: Sequence[ast.stmt], prefix: str, lines: set[int]) -> Iterator[str]:
    """``Class::test`` names (pytest's default collection: ``test*`` functions, and classes
    named ``Test*`` or holding them) in ``body`` whose lines, decorators included, hold one of
    ``lines``; a test class whose own lines changed outside its tests is named whole."""
    for node in body:
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        touched = any(start <= line <= (node.end_lineno or node.lineno) for line in lines)
        if not touched:
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("test"):
                yield prefix + node.name
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            inner = list(_tests_at(node.body, f"{prefix}{node.name}::", lines))
            yield from inner or [prefix + node.name]


def _is_test_class(node: ast.ClassDef) -> bool:
    return node.name.startswith("Test") or any(
        isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef) and inner.name.startswith("test")
        for inner in node.body
    )


def source_targets(repo_dir: Path, sources: Sequence[str]) -> Targets:
    """Every Python source file under ``sources`` (files or folders inside the repository)."""
    root = repo_dir.resolve()
    files: dict[str, frozenset[int] | None] = {}
    unsafe: list[str] = []
    for source in sources:
        folder = source.strip("/") or "."
        if is_file(root, folder):
            found = [folder]
        elif _is_folder(root, folder):
            prefix = "" if folder == "." else folder + "/"
            found = [prefix + path for path in walk_every_name(root / folder)]
        else:
            raise UsageError(
                f"source {source!r} is not a file or folder inside the repository "
                "(reached without a symbolic link).",
                hint="Give paths relative to the repository root, e.g. `source: src/mypkg`.",
            )
        for relative in found:
            if is_target(relative) and has_control_characters(relative):
                unsafe.append(relative)
            elif is_target(relative):
                files[relative] = None
    return Targets(files, unsafe_names=tuple(dict.fromkeys(unsafe)))


def _is_folder(root: Path, folder: str) -> bool:
    """Whether ``folder`` is a folder of the checkout reached without a link."""
    if folder == ".":
        return True
    try:
        unlinked(root, folder)
    except CheckoutFileError:
        return False
    return (root / folder).is_dir()


def gaps(
    report: CoverageReport, targets: Targets
) -> tuple[dict[str, frozenset[int]], dict[str, frozenset[Arc]]]:
    """Missing lines and branches of the change: lines that are changed, and branches that
    start or end on a changed line."""
    lines: dict[str, frozenset[int]] = {}
    arcs: dict[str, frozenset[Arc]] = {}
    for path in targets.paths:
        found = report.files.get(path)
        if found is None:
            continue
        lines[path] = frozenset(n for n in found.missing_lines if targets.counts(path, n))
        arcs[path] = frozenset(
            arc
            for arc in found.missing_arcs
            if targets.counts(path, arc[0]) or targets.counts(path, abs(arc[1]))
        )
    return lines, arcs


def split_list(values: Iterable[str]) -> list[str]:
    """Entries of a list input given as lines, commas or spaces."""
    return [item for value in values for item in value.replace(",", " ").split() if item]
