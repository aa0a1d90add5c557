"""How gen-tests reads a runner's :data:`~.base.Layout`: the existing tests of a changed file,
the project's home for a file no test reaches, the folders a new test may sit in, a test named
by the project's naming rather than the runner's, and a free name for a generated test."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from cicd_agent.runners.base import ROOT, Layout
from cicd_agent.runners.protocol import Runner

GENERATED_NAMES = 20
NOT_PLAIN = ("config", "setup", "teardown", ".d.", "rc.")


def tests_of(found: Layout, source: str) -> tuple[str, ...]:
    return found.get(source, ()) if source != ROOT else ()


def elsewhere(found: Layout, source: str) -> tuple[str, ...]:
    """The tests in root-level test folders, shallowest first (the folder the project keeps
    its tests in, not a sub-folder of one file's), when no test is found for ``source``; ()
    otherwise: the project's home for a file no test reaches."""
    if tests_of(found, source):
        return ()
    return tuple(sorted(found.get(ROOT, ()), key=lambda f: (f.count("/"), f)))


def plain_test(runner: Runner, found: Layout, path: str) -> bool:
    """Whether ``path`` names a test by the project's naming, not the runner's: a module
    directly in a root-level test folder whose tests are all plain modules (a vitest
    ``include: ["test/*.ts"]``). A name the runner then does not run is dropped
    at its first run, as any; a name of settings, set-up or types (``vitest.config.ts``,
    ``setup.ts``, ``x.d.ts``) never is one."""
    folder, name = PurePosixPath(path).parent, PurePosixPath(path).name.lower()
    if not name.endswith(runner.suffixes) or any(word in name for word in NOT_PLAIN):
        return False
    there = [test for test in found.get(ROOT, ()) if PurePosixPath(test).parent == folder]
    return (
        len(folder.parts) == 1
        and bool(there)
        and all(runner.tests_of(test, (test,)) != (test,) for test in there)
    )


def homes(found: Layout, sources: Iterable[str]) -> frozenset[PurePosixPath]:
    """The folders holding the existing tests of any of ``sources``, or the root-level test
    folders' for one no test is found for."""
    return frozenset(
        PurePosixPath(test).parent
        for source in sources
        for test in tests_of(found, source) or elsewhere(found, source)
    )


def generated_name(
    runner: Runner, named: Callable[[str], str], taken: Callable[[str], bool]
) -> str:
    """The first of ``named(mark)`` (``mark``: ``generated``, ``generated2``…) that ``runner``
    runs as a test file and that is not ``taken``; "" when none of them is free."""
    for number in range(1, GENERATED_NAMES + 1):
        path = named("generated" if number == 1 else f"generated{number}")
        if runner.tests_of(path, (path,)) == (path,) and not taken(path):
            return path
    return ""
