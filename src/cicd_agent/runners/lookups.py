"""The questions asked of the runners' table as a whole: which runner a checkout, a step's
command or ``scripts.test`` runs, the folders every sandbox mounts for the toolchains."""

from __future__ import annotations

import shlex
from collections.abc import Collection, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import is_file
from cicd_agent.runners import named_files
from cicd_agent.runners.cargo.crate import library_root
from cicd_agent.runners.js.runner import PACKAGE_TEST, test_script
from cicd_agent.runners.protocol import ChecksSuggestions, Runner
from cicd_agent.runners.table import RUNNERS, STEP_ONLY, TABLE, Row
from cicd_agent.sandbox import ToolMount


def configured(checkout: Path) -> tuple[Runner, ...]:
    return tuple(runner for runner in RUNNERS if runner.configured(checkout))


def running(command: str, checkout: Path | None = None) -> Runner | None:
    """The runner a failed step's ``command`` runs (None: no test runner the seam knows); a
    package manager's ``test`` script (``npm test``, ``yarn test``, ``pnpm test``) runs the one
    ``package.json``'s ``scripts.test`` names, read in ``checkout`` when given."""
    found = next((runner for runner in RUNNERS if runner.runs(command)), None)
    if found is None and checkout is not None and PACKAGE_TEST.search(command):
        script = test_script(checkout)
        found = next((runner for runner in RUNNERS if script and runner.runs(script)), None)
    return found


def package_test_script(command: str, checkout: Path) -> str:
    """``package.json``'s ``scripts.test`` in ``checkout`` where ``command`` is a package
    manager's ``test`` (``npm test``), else ""."""
    return test_script(checkout) if PACKAGE_TEST.search(command) else ""


def package_script_runner(command: str, checkout: Path) -> str:
    """The name of the runner a package manager's ``test`` script (``npm test``) runs, read in
    ``checkout`` ("" when ``command`` is no such script, or its script runs no runner known)."""
    if not PACKAGE_TEST.search(command):
        return ""
    script = test_script(checkout)
    found = next((runner for runner in RUNNERS if script and runner.runs(script)), None)
    return found.name if found is not None else _step_only(script, checkout)


def scripted_step_runner(checkout: Path) -> str:
    """The name of the runner only the test step reads (uvu, AVA, mocha, ``node --test``) that
    ``package.json``'s ``scripts.test`` runs ("" for none): each step's own reading of it."""
    return _step_only(test_script(checkout), checkout)


def _step_only(script: str, checkout: Path) -> str:
    try:
        words = shlex.split(script)
    except ValueError:  # an unbalanced quote
        return ""
    found = (row.name for row in STEP_ONLY if row.step.step_command(words, checkout, None))
    return next(found, "") if words else ""


def file_of_test(checkout: Path, test: str) -> str:
    """The file of ``test`` (a canonical, dotted name, whichever runner named it) in
    ``checkout``; "" when none is there."""
    return named_files.file_of_test(
        checkout, test, [(row.runner.suffixes, row.names) for row in TABLE]
    )


def tool_mounts(environ: Mapping[str, str]) -> tuple[ToolMount, ...]:
    """The folders every runner's toolchain needs in a sandbox of the job whose environment is
    ``environ``, each once: what every sandbox is built with (review's clippy needs rustup's
    as ``cargo test`` does)."""
    return tuple(
        dict.fromkeys(mount for row in TABLE if row.mounts for mount in row.mounts(environ))
    )


NO_TESTS = "no tests exercise this file by name"


def file_tests(
    path: str, files: Sequence[str], checkout: Path, environ: Mapping[str, str]
) -> tuple[ChecksSuggestions, tuple[str, ...]] | str:
    """The runner that runs ``path``'s tests in this job (:func:`for_file`) and those tests
    among ``files`` (the checkout's), nearest first; or the clause saying why no test runs:
    :data:`NO_TESTS` when no runner of such files names one after it (whether or not one is
    installed), else why none can run ("" when no runner knows such files). Review's suggestion
    check asks this, and only the two members of :class:`ChecksSuggestions` of the answer."""
    row = for_file(path, checkout, environ)
    if not row:
        return ""
    if isinstance(row, str):
        named = any(r.tests_of(path, files) for r in RUNNERS if path.endswith(r.suffixes))
        return row if named else NO_TESTS
    tests = row.runner.tests_of(path, files)
    return (row.runner, tests) if tests else NO_TESTS


def for_file(path: str, checkout: Path, environ: Mapping[str, str]) -> Row | str:
    """The row of the runner whose tests exercise ``path`` in this job, or the clause saying why no
    test runs ("" when no runner knows such files): one installed runner is the one; of several, the
    one the repository's configuration names (``package.json``'s ``devDependencies`` between
    jest and vitest); of none, the one it names is the one to install. The whole row, for
    gen-tests, which writes the tests too; review asks :func:`file_tests`."""
    mine = [row.runner for row in TABLE if path.endswith(row.runner.suffixes)]
    ready = [runner for runner in mine if not runner.missing(checkout, environ)]
    if len(ready) > 1:
        chosen = [runner for runner in ready if runner.configured(checkout)]
        if len(chosen) != 1:
            names = " and ".join(runner.name for runner in ready)
            return (
                f"no tests were run: {names} are all installed and the repository's "
                "configuration does not choose one"
            )
        ready = chosen
    if ready:
        return next(row for row in TABLE if row.runner is ready[0])
    wanted = [runner for runner in mine if runner.configured(checkout)] or mine
    return (
        f"no tests were run: {wanted[0].name} {wanted[0].missing(checkout, environ)}"
        if wanted
        else ""
    )


def settings_problem(runner: Runner, paths: Collection[str]) -> str:
    """Why a fix judged by ``runner`` may not write ``paths`` ("" when it may): one is among
    the runner's settings, which judge, not code."""
    for path in paths:
        if any(fnmatchcase(PurePosixPath(path).name, pattern) for pattern in runner.settings):
            return (
                f"the patch changes {path[:200]}, part of {runner.name}'s settings: a fix "
                "changes code, not what judges it"
            )
    return ""


def has_rust_library(checkout: Path) -> bool:
    """Whether the root crate in ``checkout`` has a library (its ``[lib] path``, else
    ``src/lib.rs``), a file reached without a link: review's clippy asks cargo for it."""
    return is_file(checkout, library_root(checkout))
