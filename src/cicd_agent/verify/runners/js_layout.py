"""Which existing jest or vitest tests test a changed file, read without running anything, so a
generated test goes where the repository keeps them (a root ``tests/`` beside ``src/`` among
them), and gen-tests' gate lets it sit there.

An existing test file of the runner tests ``src/a/b.ts`` when it imports it by a relative path
that resolves to it (``../src/a/b``, ``../src/a/b.js`` for TypeScript's ESM, a folder's
``index``, or one hop through a module it imports that re-exports it: ``export * from
"./result"``), or when its path mirrors the
source's below the top folder in a root-level ``test``/``tests``/``__tests__``
(``tests/a/b.test.ts``).

Everything read is the pull request's: the files come from one bounded walk
(:func:`~cicd_agent.local.checkout_files.walk_files`: no link named, no linked folder entered),
each test read size-capped without following a link, and an import resolved by its words alone
against the walked files, never through the file system, so a link never makes a test "import"
the changed file. The walk is made once per runner and change (:func:`layout`), and its answer
passed down to the writer and the gate, which ask it per file and per candidate.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import CheckoutFileError, read_text, walk_files
from cicd_agent.verify.load_time_js import SUFFIXES
from cicd_agent.verify.runners.base import TEST_FOLDERS, TestRunner, nearest
from cicd_agent.verify.runners.js import JsRunner

MAX_ENTRIES = 50_000
"""Entries the walk lists before it gives up (then only the folders beside the code count)."""
MAX_TESTS = 2_000
"""Test files read for their imports; more are not read."""
MAX_BYTES = 256 << 10
"""Bytes of a test or an imported module read; a larger one is not read."""

_IMPORT = re.compile(r"""(?:\bfrom|\bimport|\brequire)\s*\(?\s*(["'])(\.\.?(?:/[^"'\n]*)?)\1""")
_REEXPORT = re.compile(r"""\bexport\b[^;"'`]*?\bfrom\s*(["'])(\.\.?(?:/[^"'\n]*)?)\1""")
_ESM = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
"""What a TypeScript project's ``import "./x.js"`` names besides ``x.js`` itself."""


Layout = Mapping[str, tuple[str, ...]]
"""Every source file a runner's existing tests test, with those tests, nearest first
(:func:`layout`)."""


def tests_of(found: Layout, source: str) -> tuple[str, ...]:
    """The existing test files that test ``source`` (module doc), nearest first; () when none."""
    return found.get(source, ())


def homes(found: Layout, sources: Iterable[str]) -> frozenset[PurePosixPath]:
    """The folders holding the existing tests of any of ``sources`` (:func:`tests_of`)."""
    return frozenset(PurePosixPath(test).parent for source in sources
                     for test in tests_of(found, source))  # fmt: skip


def layout(runner: TestRunner, checkout: Path) -> Layout:
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
    tests = {f for f in code if runner.tests_of(f, (f,)) == (f,)}
    below: dict[str, list[str]] = {}  # "a/b" -> ["src/a/b.ts"]: what a root test folder mirrors
    for source in code:
        top, _, rest = source.partition("/")
        if rest and top not in TEST_FOLDERS and source not in tests:
            below.setdefault(rest.removesuffix(PurePosixPath(rest).suffix), []).append(source)
    found: dict[str, list[str]] = {}
    reexports: dict[str, list[str]] = {}  # each imported module read once
    for test in sorted(tests)[:MAX_TESTS]:
        modules = set(_imported(checkout, test, files, _IMPORT))
        for module in modules - tests:
            if module not in reexports:
                reexports[module] = _imported(checkout, module, files, _REEXPORT)
            modules.update(reexports[module])
        for source in sorted((modules - tests) | set(below.get(_mirror(test), ()))):
            found.setdefault(source, []).append(test)
    return {source: nearest(found_tests, source) for source, found_tests in found.items()}


def _imported(checkout: Path, path: str, files: frozenset[str], pattern: re.Pattern[str]) -> list[str]:
    """The walked files ``path`` imports (or re-exports, by ``pattern``) by a relative path ([]
    when it cannot be read)."""
    try:
        text = read_text(checkout, path, MAX_BYTES)
    except CheckoutFileError:
        return []
    folder = posixpath.dirname(path)
    return [module for match in pattern.finditer(text)
            for module in _resolved(posixpath.join(folder, match.group(2)), files)]  # fmt: skip


def _resolved(named: str, files: frozenset[str]) -> list[str]:
    """The walked files an import of ``named`` (joined to the importer's folder) may open."""
    base = posixpath.normpath(named)
    if base == ".." or base.startswith("../"):
        return []
    stem, suffix = posixpath.splitext(base)
    options = [base, *(stem + other for other in _ESM.get(suffix, ()))]
    options += [base + s for s in SUFFIXES] + [posixpath.normpath(f"{base}/index{s}") for s in SUFFIXES]
    return [option for option in options if option in files]


def _mirror(test: str) -> str:
    """What ``test`` mirrors below a source's top folder (``tests/a/b.test.ts``: ``a/b``); ""
    when it sits in no root-level test folder."""
    parts = PurePosixPath(test).parts
    if len(parts) < 2 or parts[0] not in TEST_FOLDERS:
        return ""
    name = parts[-1].removesuffix(PurePosixPath(parts[-1]).suffix)
    return "/".join((*parts[1:-1], name.removesuffix(".test").removesuffix(".spec")))
