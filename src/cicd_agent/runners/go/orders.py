"""go test's part of the test step's flaky-test fixer: chosen
tests of a package run in a chosen order, in one test binary, by a test of ours added to the
copy that runs them one after another as its subtests.

Why that way, and not go's own words: go runs a package's tests in the order they are written
(files by name, then functions), whatever ``-run`` says, so ``-run`` selects tests and never
orders them. ``-shuffle=N`` orders them by a seed, but a wanted order of k tests comes from a
seed once in k! tries, and a binary
built by ``go test -c`` run once per test loses what the fixer looks for: a package variable
one test leaves set lives in the binary's process, and each run would start a fresh one. A test
of ours calling ``t.Run("TestB", TestB)`` then ``t.Run("TestA", TestA)`` runs them in that
order in one process, as go runs its own top-level tests (they too are subtests of the testing
package's own), parallel ones paused until the sequential ones end as there. What differs: a
test's ``t.Name()`` starts with our test's name. Tests of different packages share no
process (go runs each package's binary on its own, one at a time here: ``-p 1``), so each
package's chosen tests run in their given order, the packages in go's own.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    create_file,
    folder_files,
    read_text,
)
from cicd_agent.runners.go import set_up
from cicd_agent.runners.go.in_run_check import PACKAGE
from cicd_agent.runners.go.names import levels
from cicd_agent.runners.go.profile import module_path
from cicd_agent.runners.go.sessions import ORDERED, GoSandbox, package_folder
from cicd_agent.runners.orders import SetUp
from cicd_agent.runners.sessions import Evidence, Outcomes, SessionSandbox
from cicd_agent.sandbox import RunResult, Workspace

_OWN_ORDER = ("-json", "-count=1", "-p=1", "-shuffle=off", "-failfast=false")
"""go's words for a session: events to read, no cached pass replayed, one package at a time,
the tests in their written order, every test run (a ``-failfast`` of the command's undone)."""
_ONCE = ("-args", "--args", "--raw-command", "--watch", "-c", "-list", "-fuzz")
"""Words after which go's test words would be the binary's, or which run no test of ours."""
_TEST_FUNC = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.MULTILINE)
"""A top-level test function, as the test binary lists it."""


class GoOrders:
    sandbox: type[SessionSandbox] = GoSandbox

    def command(self, words: Sequence[str]) -> tuple[str, ...] | None:
        """``go test`` with the step's words (gotestsum's: those after its ``--``) and
        :data:`_OWN_ORDER` after them (go keeps a flag's last value); None for another
        runner's command, or one whose later words would not reach go test (``-args``)."""
        if not words:
            return None
        if PurePosixPath(words[0]).name == "gotestsum" and "--" in words:
            given = list(words[list(words).index("--") + 1 :])
        elif PurePosixPath(words[0]).name == "go" and list(words[1:2]) == ["test"]:
            given = list(words[2:])
        else:
            return None
        if any(word in _ONCE or word.startswith(("-fuzz=", "-list=")) for word in words):
            return None
        return ("go", "test", *given, *_OWN_ORDER)

    def in_order(self, space: Workspace, tests: Sequence[str]) -> list[str]:
        """``-run`` naming only a test of ours written into each chosen package's folder of the
        copy, which runs that package's ``tests`` in this order; a test whose
        function is not found in its package's test files is left out, and shows no outcome."""
        if not tests:
            return []
        token = secrets.token_hex(8)
        module = module_path(space.repo)
        by_package: dict[str, list[str]] = {}
        for test in tests:
            package, name = _split(test)
            if package and name:
                by_package.setdefault(package, []).append(name)
        for package, names in by_package.items():
            folder = package_folder(module, package)
            if folder is not None:
                _write_order(space.repo, folder, package, names, token)
        return [f"-run=^{ORDERED}{token}$"]

    def again(self, times: int) -> list[str]:
        """``-count=N``: go runs the binary's chosen tests N times over in its one process."""
        return [f"-count={times}"]

    def read(self, result: RunResult, evidence: Evidence) -> tuple[Outcomes | None, str]:
        if evidence.outcomes is not None and not evidence.problem:
            return evidence.outcomes, ""
        return None, evidence.problem or f"go test {result.describe()}"

    def file_of(self, root: Path, test: str) -> str:
        """The test file of its package's folder under ``root`` that declares it: a go test's
        name (``example.com/m/calc.TestX``) names its package, not its file."""
        package, name = _split(test)
        folder = package_folder(module_path(root), package) if package else None
        if folder is None or not name:
            return ""
        found = _declared(root, folder).get(name)
        return (PurePosixPath(folder) / found[0]).as_posix() if found else ""

    def set_up_of(self, texts: Mapping[str, str], donor: str, victim: str) -> SetUp:
        return set_up.set_up_of(texts, donor, victim)

    def with_set_up(self, text: str, victim: str, moved: SetUp, keep: Collection[int]) -> str:
        return set_up.with_set_up(text, victim, moved, keep)

    def under_test(self, root: Path, victim: str) -> dict[str, frozenset[int]]:
        """The body lines of the functions of its package's other files (no test file) that
        it calls by name: what a mutant breaks."""
        path = self.file_of(root, victim)
        if not path:
            return {}
        folder = PurePosixPath(path).parent
        try:
            text = read_text(root, path)
            names = sorted(folder_files(root, folder))
        except (CheckoutFileError, OSError):
            return {}
        sources: dict[str, str] = {}
        for name in names:
            if name.endswith(".go") and not name.endswith("_test.go"):
                with contextlib.suppress(CheckoutFileError):
                    sources[(folder / name).as_posix()] = read_text(root, folder / name)
        return set_up.called_lines(text, victim, sources)


def _split(test: str) -> tuple[str, str]:
    """A step name's package and top-level test (``example.com/m/calc``, ``TestX``); ("", "")
    for a subtest's name or one that names no go test."""
    names = levels(test)
    if len(names) != 1:
        return "", ""
    return test.removesuffix(f".{names[0]}"), names[0]


def _write_order(repo: Path, folder: str, package: str, names: Sequence[str], token: str) -> None:
    """Our test running ``names`` in order, in ``folder`` of the copy: in the package of their
    test files when all are in one, else in the external test package (``name_test``), which
    reaches the package's own test functions by importing it. No file is written through a
    link or over one there."""
    clauses = {name: clause for name, (_, clause) in _declared(repo, folder).items()}
    found = [name for name in names if name in clauses]
    if not found:
        return
    used = {clauses[name] for name in found}
    alias = f"p{token}"
    external = len(used) > 1
    clause = next((c for c in used if c.endswith("_test")), None) if external else used.pop()
    if clause is None:  # two packages of other names in one folder: go builds neither
        return
    calls = "".join(
        f'\tt.Run("{name}", '
        f"{alias + '.' if external and not clauses[name].endswith('_test') else ''}"
        f"{name})\n"
        for name in found
    )
    imports = f"\t{alias} {json.dumps(package)}\n" if external else ""  # a Go string literal
    text = (
        f'package {clause}\n\nimport (\n{imports}\ttesting{token} "testing"\n)\n\n'
        f"func {ORDERED}{token}(t *testing{token}.T) {{\n{calls}}}\n"
    )
    try:
        create_file(repo, PurePosixPath(folder) / f"zz_cicd_order_{token}_test.go", text)
    except (CheckoutFileError, OSError):
        return


def _declared(repo: Path, folder: str) -> dict[str, tuple[str, str]]:
    """Each top-level test function of ``folder``'s test files: its file's name and package."""
    found: dict[str, tuple[str, str]] = {}
    try:
        names = sorted(folder_files(repo, folder))
    except (CheckoutFileError, OSError):
        return found
    for name in names:
        if not name.endswith("_test.go"):
            continue
        try:
            text = read_text(repo, PurePosixPath(folder) / name)
        except CheckoutFileError:
            continue
        clause = PACKAGE.search(text)
        if clause is not None:
            found.update(dict.fromkeys(_TEST_FUNC.findall(text), (name, clause.group(1))))
    return found
