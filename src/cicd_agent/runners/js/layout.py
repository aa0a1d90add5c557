"""Which existing jest or vitest tests test a changed file, read without running anything, so a
generated test goes where the repository keeps them and gen-tests' gate lets it sit there.

A test tests ``src/a/b.ts`` when a relative import of it resolves there (``../src/a/b.js`` for
TypeScript's ESM, a folder's ``index``, or one hop through a re-export), or when its path mirrors
the source's in a root-level ``test``/``tests``/``__tests__``. Else the home is where the project
keeps its tests, shallowest first, among those the repository's test script gives the runner. Plain
imports are not followed further: each test of an index would "test" every module it imports.

Everything read is the pull request's: one bounded walk that follows no link, each test read
size-capped, and imports resolved against the walked names, never the file system, so a link
never makes a test "import" the changed file. The work is bounded whatever the files say
(:data:`MAX_READ`, :data:`MAX_IMPORTS`, :data:`MAX_FOUND`: git stores a thousand copies of one
import-dense test as one blob)."""

from __future__ import annotations

import os
import posixpath
import re
from itertools import islice
from pathlib import Path, PurePosixPath

from cicd_agent.analysis.file_names import folded
from cicd_agent.local.checkout_files import CheckoutFileError, read_text, walk_files
from cicd_agent.runners.base import ROOT, TEST_FOLDERS, Layout, nearest
from cicd_agent.runners.js import script as js_script
from cicd_agent.runners.js.load_time import SUFFIXES
from cicd_agent.runners.js.runner import JsRunner
from cicd_agent.runners.layout import NOT_PLAIN
from cicd_agent.runners.protocol import Runner

MAX_ENTRIES = 50_000
"""Entries the walk lists before it gives up (then only the folders beside the code count)."""
MAX_TESTS = 2_000
"""Test files read for their imports; more are not read."""
MAX_BYTES = 256 << 10
"""Bytes of a test or an imported module read; a larger one is not read."""
MAX_READ = 32 << 20
"""Bytes of tests and modules read in all; past them no more are read."""
MAX_IMPORTS = 50_000
"""Imports looked up in all (each file's distinct ones); past them no more are."""
MAX_FOUND = 100_000
"""Tests of a source found in all; past them no more count (a root test mirrors a source of
each top folder, so thousands of top folders make millions)."""

_SPECIFIER = r"""(["'])(\.\.?(?:/[^"'\n]*)?)\1"""
_IMPORT = re.compile(r"""(?:\bfrom|\bimport|\brequire)\s*\(?\s*""" + _SPECIFIER)
_REEXPORT = re.compile(  # export * (as ns) / export (type) {a, b as c} from "./x"; the braces
    # hold no brace, quote or ';', so each byte is read from one start only
    r"""\bexport\s*(?:type\s+)?(?:\*\s*(?:as\s+[\w$]+\s+)?|\{[^{}"'`;]*\}\s*)from\s*""" + _SPECIFIER
)
_ESM = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
"""What a TypeScript project's ``import "./x.js"`` names besides ``x.js`` itself."""


def import_twin(checkout: Path, path: str) -> bool:
    """Whether an import that opens something of ``checkout`` could open the new module ``path``
    in its place: a name beside it, extension, case and Unicode form aside (``tools.mjs`` before
    ``tools.ts``, ``shared.ts`` before ``shared/index``), as on a macOS or Windows checkout: a
    kept candidate there would be the helper every test importing ``./tools`` gets. Reads the one
    folder's names."""
    where = PurePosixPath(path)
    if not where.name.endswith(SUFFIXES):
        return False
    stem = folded(where.name.removesuffix(where.suffix))
    try:
        names = os.listdir(checkout / where.parent)
    except OSError:  # no such folder: nothing beside it
        return False
    return any(
        folded(name) == stem
        or (
            name.endswith(SUFFIXES)
            and folded(name.removesuffix(PurePosixPath(name).suffix)) == stem
        )
        for name in names
    )


def mock(path: str) -> bool:
    """Whether ``path`` is in a ``__mocks__`` folder: jest runs such a file in ``__tests__``
    as a test, yet takes it for the module of its name in every test of the project, unasked.
    Never a test to follow nor a home."""
    return any(part.lower() == "__mocks__" for part in PurePosixPath(path).parts)


def layout(runner: Runner, checkout: Path) -> Layout:
    """Which existing tests of ``runner`` test each source file of ``checkout``, by one walk;
    nothing when the checkout is too large to walk, or for a runner other than jest and vitest
    (Go's tests sit in the package, cargo's and Maven's where their tools say)."""
    if not isinstance(runner, JsRunner):
        return {}
    try:
        files = frozenset(walk_files(checkout, frozenset({"node_modules"}), MAX_ENTRIES))
    except (CheckoutFileError, OSError):
        return {}
    code = sorted(f for f in files if f.endswith(SUFFIXES))
    script = js_script.scope(runner, checkout)  # a test npm test never runs is no home
    tests = {f for f in code if runner.tests_of(f, (f,)) == (f,) and not mock(f)}
    below: dict[str, list[str]] = {}  # "a/b" -> ["src/a/b.ts"]: what a root test folder mirrors
    for source in code:
        top, _, rest = source.partition("/")
        if rest and top not in TEST_FOLDERS and source not in tests:
            below.setdefault(rest.removesuffix(PurePosixPath(rest).suffix), []).append(source)
    found: dict[str, list[str]] = {}
    reads, reexports, room = _Reads(checkout, files), {}, MAX_FOUND  # each module read once
    for test in sorted(filter(script.runs, tests))[:MAX_TESTS]:
        modules = set(reads.imported(test, _IMPORT))
        for module in modules - tests:
            if module not in reexports:
                reexports[module] = reads.imported(module, _REEXPORT)
            modules.update(reexports[module])
        tested = sorted((modules - tests) | set(below.get(_mirror(test), ())))[:room]
        room -= len(tested)
        for source in tested:
            found.setdefault(source, []).append(test)
    rooted = sorted(f for f in code if _rooted(f, f in tests) and script.runs(f))[:MAX_TESTS]
    known = {source: nearest(found_tests, source) for source, found_tests in found.items()}
    return {**known, ROOT: tuple(rooted)}


def _rooted(path: str, test: bool) -> bool:
    """Whether ``path`` is a test in a root-level test folder: one by the runner's naming
    (``test``), or a module directly in it (vitest's ``include: ["test/*.ts"]``) not named as
    settings, set-up or types are (``jest.config.js``, ``setup.ts``: no test to follow
    nor a sign that the folder's modules are tests)."""
    parts = PurePosixPath(path).parts
    plain = len(parts) == 2 and not any(word in parts[1].lower() for word in NOT_PLAIN)
    return len(parts) > 1 and parts[0] in TEST_FOLDERS and (test or plain)


class _Reads:
    """Reads files of one walk for their relative imports, within :data:`MAX_READ` bytes and
    :data:`MAX_IMPORTS` imports in all (past either, a file imports nothing)."""

    def __init__(self, checkout: Path, files: frozenset[str]) -> None:
        self.checkout, self.files = checkout, files
        self.left, self.imports = MAX_READ, MAX_IMPORTS
        self.resolved: dict[str, list[str]] = {}

    def imported(self, path: str, pattern: re.Pattern[str]) -> list[str]:
        """The walked files ``path`` imports (or re-exports, by ``pattern``) by a relative path
        ([] when it cannot be read, or the budget is spent)."""
        if self.left <= 0 or self.imports <= 0:
            return []
        try:
            text = read_text(self.checkout, path, min(MAX_BYTES, self.left))
        except CheckoutFileError:
            return []
        self.left -= len(text)
        folder = posixpath.dirname(path)
        specifiers = dict.fromkeys(match.group(2) for match in pattern.finditer(text))
        named = {
            posixpath.normpath(posixpath.join(folder, specifier))
            for specifier in islice(specifiers, self.imports)
        }
        self.imports -= len(named)
        for base in named - self.resolved.keys():
            self.resolved[base] = _resolved(base, self.files)
        return [module for base in sorted(named) for module in self.resolved[base]]


def _resolved(base: str, files: frozenset[str]) -> list[str]:
    """The walked files an import of ``base`` (joined to the importer's folder, normalised) may
    open."""
    if base == ".." or base.startswith("../"):
        return []
    stem, suffix = posixpath.splitext(base)
    options = [base, *(stem + other for other in _ESM.get(suffix, ()))]
    options += [base + s for s in SUFFIXES] + [
        posixpath.normpath(f"{base}/index{s}") for s in SUFFIXES
    ]
    return [option for option in options if option in files]


def _mirror(test: str) -> str:
    """What ``test`` mirrors below a source's top folder (``tests/a/b.test.ts``: ``a/b``); ""
    when it sits in no root-level test folder."""
    parts = PurePosixPath(test).parts
    if len(parts) < 2 or parts[0] not in TEST_FOLDERS:
        return ""
    name = parts[-1].removesuffix(PurePosixPath(parts[-1]).suffix)
    return "/".join((*parts[1:-1], name.removesuffix(".test").removesuffix(".spec")))
