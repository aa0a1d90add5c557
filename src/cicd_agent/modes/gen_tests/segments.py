"""Segments: the function, method or class around each missing region, and its existing tests.

A model writes better tests for one function it can see whole than for a scatter of line
numbers, and a gate can then judge each test against a precise set of lines. Segments are:
module-level functions; classes, whole when short and split by method when long; and what is
left at module level (``if __name__ == "__main__":`` blocks are never a target). They are
ordered by how much they miss, so a budget that runs out stops at the least valuable work.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.file_names import has_control_characters
from cicd_agent.local.checkout_files import CheckoutFileError, read_text, walk_files
from cicd_agent.modes.gen_tests.coverage_gaps import Arc
from cicd_agent.modes.gen_tests.python_imports import module_name
from cicd_agent.modes.gen_tests.targets import SKIPPED_FOLDERS

LONG_CLASS_LINES = 60
"""A class longer than this is split into one segment per method."""


@dataclass(frozen=True)
class Segment:
    """One unit of code to cover and what it still misses."""

    path: str
    qualname: str
    start: int
    end: int
    missing_lines: frozenset[int] = frozenset()
    missing_arcs: frozenset[Arc] = frozenset()
    context: tuple[tuple[int, int], ...] = ()
    """Other line ranges the model needs to see (the class header and ``__init__`` of a method)."""

    @property
    def key(self) -> str:
        return f"{self.path}::{self.qualname}"

    @property
    def weight(self) -> int:
        """How much the segment misses: lines plus branches."""
        return len(self.missing_lines) + len(self.missing_arcs)

    def narrowed(self, lines: Iterable[int], arcs: Iterable[Arc]) -> Segment:
        """The same segment missing only what is still missing in ``lines``/``arcs``."""
        return replace(
            self,
            missing_lines=self.missing_lines & frozenset(lines),
            missing_arcs=self.missing_arcs & frozenset(arcs),
        )


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _end(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


def _is_main_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _class_units(path: str, node: ast.ClassDef) -> list[Segment]:
    start, end = _first_line(node), _end(node)
    if end - start + 1 <= LONG_CLASS_LINES:
        return [Segment(path, node.name, start, end)]
    header = (start, max(start, node.body[0].lineno - 1))
    init = next(
        (
            item
            for item in node.body
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == "__init__"
        ),
        None,
    )
    units = [Segment(path, node.name, start, end)]
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            context = [header]
            if init is not None and item is not init:
                context.append((_first_line(init), _end(init)))
            qualname = f"{node.name}.{item.name}"
            first, last = _first_line(item), _end(item)
            units.append(Segment(path, qualname, first, last, context=tuple(context)))
    return units


def _units(path: str, tree: ast.Module) -> tuple[list[Segment], set[int]]:
    """Units of a module (segments missing nothing yet), and the lines of ``__main__`` guards
    (never targets)."""
    units: list[Segment] = []
    excluded: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            units.append(Segment(path, node.name, _first_line(node), _end(node)))
        elif isinstance(node, ast.ClassDef):
            units += _class_units(path, node)
        elif _is_main_guard(node):
            excluded.update(range(node.lineno, _end(node) + 1))
    return units, excluded


def _innermost(units: list[Segment], line: int) -> Segment | None:
    holding = [unit for unit in units if unit.start <= line <= unit.end]
    return min(holding, key=lambda unit: unit.end - unit.start) if holding else None


def find_segments(
    path: str, source: str, missing_lines: Iterable[int], missing_arcs: Iterable[Arc]
) -> list[Segment]:
    """The segments of one file that miss something, most missing first."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    units, excluded = _units(path, tree)
    lines_of: dict[Segment | None, set[int]] = {}
    arcs_of: dict[Segment | None, set[Arc]] = {}
    for line in missing_lines:
        if line not in excluded:
            lines_of.setdefault(_innermost(units, line), set()).add(line)
    for arc in missing_arcs:
        if arc[0] not in excluded:
            arcs_of.setdefault(_innermost(units, arc[0]), set()).add(arc)
    segments = []
    for unit in set(lines_of) | set(arcs_of):
        lines = frozenset(lines_of.get(unit, set()))
        arcs = frozenset(arcs_of.get(unit, set()))
        if unit is None:
            spots = [*lines, *(arc[0] for arc in arcs)]
            segments.append(Segment(path, "<module>", min(spots), max(spots), lines, arcs))
        else:
            segments.append(replace(unit, missing_lines=lines, missing_arcs=arcs))
    return order(segments)


def order(segments: Iterable[Segment]) -> list[Segment]:
    """Most missing first; ties in file order, so the order is the same on every run."""
    return sorted(segments, key=lambda s: (-s.weight, s.path, s.start, s.qualname))


def _imports_module(source: str, dotted: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    package, _, leaf = dotted.rpartition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            alias.name == dotted or alias.name.startswith(dotted + ".") for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == dotted or node.module.startswith(dotted + "."):
                return True
            if package and node.module == package and any(a.name == leaf for a in node.names):
                return True
    return False


def related_tests(target: str, test_files: Mapping[str, str]) -> list[str]:
    """Existing test files for ``target``, nearest first: by name, then by import.

    ``test_files`` maps each test file's path to its text.
    """
    dotted = module_name(target)
    stem = dotted.rpartition(".")[2] or PurePosixPath(target).stem
    target_parts = PurePosixPath(target).parts

    def distance(path: str) -> int:
        common = len(PurePosixPath(os.path.commonpath([target, path])).parts)
        return len(target_parts) + len(PurePosixPath(path).parts) - 2 * common

    named = [
        path
        for path in test_files
        if PurePosixPath(path).stem in (f"test_{stem}", f"{stem}_test")
        or PurePosixPath(path).stem.startswith(f"test_{stem}_")
    ]
    importing = [
        path
        for path, text in test_files.items()
        if path not in named and _imports_module(text, dotted)
    ]
    return sorted(named, key=lambda p: (distance(p), p)) + sorted(
        importing, key=lambda p: (distance(p), p)
    )


MAX_TEST_FILE_BYTES = 200_000
_PRUNED = SKIPPED_FOLDERS - {"env"}
"""Folders never searched for test files: those no target lies in, but ``env``, which the
search has always entered."""


def find_test_files(root: Path) -> dict[str, str]:
    """Every test file under ``root`` (``test_*.py``, ``*_test.py``) with its text: regular
    files only, read without following a link (the pull request chose every file here)."""
    found: dict[str, str] = {}
    for relative in walk_files(root, _PRUNED):
        name = PurePosixPath(relative).name
        if has_control_characters(relative):
            continue  # its name would become lines of a prompt
        if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
            try:
                found[relative] = read_text(root, relative, MAX_TEST_FILE_BYTES)
            except CheckoutFileError:
                continue  # too large, or changed since the walk
    return found


_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """``shard: i/n``: shard ``index`` (1-based) of ``total``, splitting the segments across
    matrix jobs, a whole module to one job.

    Keeping every segment of a module in one shard means each shard writes different test
    files, so the shards' patches apply one after another without conflicts::

        git apply gen-tests-1.patch gen-tests-2.patch gen-tests-3.patch

    Modules are dealt round-robin in the order of how much they miss, so the shards get
    similar amounts of work, and the assignment is the same on every run of the same change.
    """

    index: int
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.match(text)
        if not match:
            raise UsageError(
                f"shard {text!r} is not of the form i/n.",
                hint="Use e.g. `shard: ${{ matrix.shard }}/3` with shard in [1, 2, 3].",
            )
        index, total = int(match.group(1)), int(match.group(2))
        if total < 1 or not 1 <= index <= total:
            raise UsageError(f"shard {text!r}: i must be between 1 and n (n at least 1).")
        return cls(index, total)

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def select(self, segments: Sequence[Segment]) -> list[Segment]:
        """The segments of this shard's modules, in their original order."""
        weight: dict[str, int] = {}
        for segment in segments:
            weight[segment.path] = weight.get(segment.path, 0) + segment.weight
        modules = sorted(weight, key=lambda path: (-weight[path], path))
        mine = {
            path for number, path in enumerate(modules) if number % self.total == self.index - 1
        }
        return [segment for segment in segments if segment.path in mine]
