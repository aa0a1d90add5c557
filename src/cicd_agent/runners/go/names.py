"""How go names a test: the test step's id (``package.TestName``, a subtest
``package.TestName/case/inner``, as go's events name them), the levels and parents of that id,
and the id of a test a plain ``go test`` log names without its package."""

from __future__ import annotations

import re
from collections.abc import Iterable

_TOP = re.compile(r"\.((?:Test|Fuzz|Example)[^./]*)(?=/|$)")
"""A test's top-level name in its step id, after its package (whose last part may hold dots,
``gopkg.in/yaml.v3``): the first such name that ends the id or a level of it."""


def levels(test: str) -> tuple[str, ...]:
    """The names of ``test``'s path (``pkg.TestX/a/b``: ``TestX``, ``a``, ``b``); () when the
    id names no go test."""
    found = _TOP.search(test)
    if found is None:
        return ()
    rest = test[found.end() :]
    return (found.group(1), *(rest.split("/")[1:] if rest else ()))


def parents(test: str) -> tuple[str, ...]:
    """The tests ``test`` runs within, outermost first (``pkg.TestX`` and ``pkg.TestX/a`` of
    ``pkg.TestX/a/b``), from the last level that reads as a test (a quarantine entry covers
    these): a package's folder may be named ``calc.TestX`` too, and ``m/calc.TestX/sub.TestNew``
    is then no subtest of ``m/calc.TestX``. A subtest whose level reads as one
    (``TestX/a.TestY/b``) is seen within fewer tests than it is, never within one it is not."""
    tops = list(_TOP.finditer(test))
    if not tops:
        return ()
    top, rest = test[: tops[-1].end()], test[tops[-1].end() :]
    names = rest.split("/")[1:] if rest else []
    return tuple("/".join((top, *names[:depth])) for depth in range(len(names)))


_FAILED_TEST = re.compile(r"^\s*--- FAIL: (?P<name>\S+)")
_PACKAGE_END = re.compile(r"^(?P<how>FAIL|ok)\s+(?P<package>[^\s\[]+)\s+(?:\S|\[)")
"""go's line closing one package's output (``FAIL\tpkg\t0.04s``, ``ok  \tpkg\t(cached)``,
``FAIL\tpkg [build failed]``); a bare ``FAIL`` closes the whole run and names none."""


def step_ids(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each test a plain ``go test`` log names failed (``--- FAIL: TestX``, no package) → its
    ids as the test step names it from go's events, ``package.TestX``: the package whose
    ``FAIL`` line closes the output its verdict is in (go prints each package's output whole).
    A name that failed in two packages has both ids; one no package line closes has none."""
    found: dict[str, tuple[str, ...]] = {}
    pending: list[str] = []
    for line in lines:
        if (failed := _FAILED_TEST.match(line)) is not None:
            pending.append(failed["name"])
        elif (end := _PACKAGE_END.match(line)) is not None:
            for name in pending if end["how"] == "FAIL" else ():
                ids = found.get(name, ())
                named = f"{end['package']}.{name}"
                found[name] = ids if named in ids else (*ids, named)
            pending = []
    return found
