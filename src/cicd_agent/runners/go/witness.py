"""go test's witness (:mod:`.runner`'s module doc says what it stands for): the files a run
adds to each tested folder of its copy, and the reading of ``go test -json``'s stream against
what they left.

Two witnesses, both named per run. An example (:data:`WITNESS`), which the testing package
runs after every test of the package: a binary ended early never shows its pass. And, in a
package with no ``TestMain`` of its own, our ``TestMain``: it writes the value ``m.Run``
returned (the testing package's own verdict on every test of the binary, 0 when all passed)
to a file outside the copy, then exits with it. That file is written by no line of the
testing package's report, so code under test that owns fd 1 (rewrites ``--- FAIL`` to ``---
PASS``, ends the binary with status 0 as soon as a line it waits for went by) leaves either
no verdict (it ended the binary before ``m.Run`` returned) or a failing one that its printed
passes contradict. A package with a ``TestMain`` of its own (code under test) has the
example alone.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypeVar

from cicd_agent.local.checkout_files import CheckoutFileError, read_text

WITNESS = "Example_cicdWitness"
"""How our example's name starts (a random part follows, per run); never a project's test."""
PACKAGE = re.compile(r"^package\s+(\w+)", re.MULTILINE)
_OWN_MAIN = re.compile(rb"^func\s+TestMain\s*\(", re.MULTILINE)
_VERDICT = re.compile(r"[01]")
_ENDS = {"pass": "passed", "fail": "failed", "skip": "skipped"}
_T = TypeVar("_T")
_MAX_GO_FILE = 8 << 20
"""Past this a folder's Go file is not searched for a ``TestMain`` (ours is then not added)."""


@dataclass(frozen=True)
class Witness:
    """One run's witness: the example's ``name``, the files ``written`` in the copy (removed
    after the run), and for each folder whose ``TestMain`` is ours the file its verdict goes
    to (``verdicts``)."""

    name: str
    written: list[Path] = field(default_factory=list)
    verdicts: dict[str, Path] = field(default_factory=dict)


def add_witness(repo: Path, tests: Sequence[str], records: Path) -> Witness:
    """Write our example, and our ``TestMain`` where the package has none, beside the test
    files ``tests`` in the copy ``repo`` (in the package clause of the first of each folder);
    ``records``: a folder outside the copy the run may write, where each ``TestMain`` writes
    its verdict. A folder that is a link, or a file of that name already there, is left alone:
    that package then never shows the example passing, so its run is no result."""
    token = secrets.token_hex(8)
    witness = Witness(f"{WITNESS}{token}")
    folders: dict[str, str] = {}
    for test in tests:
        folders.setdefault(str(PurePosixPath(test).parent), test)
    for number, (folder, test) in enumerate(sorted(folders.items())):
        try:
            clause = PACKAGE.search(read_text(repo, test))
            where = repo / folder
            if clause is None or where.resolve() != repo.resolve() / folder:
                continue
            record = records / f"verdict-{number}" if not _has_main(where) else None
            made = os.open(where / f"{witness.name.lower()}_test.go",
                           os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)  # fmt: skip
        except (CheckoutFileError, OSError):
            continue
        witness.written.append(where / f"{witness.name.lower()}_test.go")
        if record is not None:
            witness.verdicts[folder] = record
        with os.fdopen(made, "w", encoding="utf-8") as file:
            file.write(_source(clause.group(1), witness.name, token, record))
    return witness


def _has_main(folder: Path) -> bool:
    """Whether a Go file of ``folder`` declares a ``TestMain`` (one the package has, or one
    too large to search: ours would be a second)."""
    for entry in os.scandir(folder):
        if entry.name.endswith(".go") and entry.is_file(follow_symlinks=False):
            if entry.stat(follow_symlinks=False).st_size > _MAX_GO_FILE:
                return True
            with open(entry.path, "rb") as file:
                if _OWN_MAIN.search(file.read()):
                    return True
    return False


def _source(package: str, name: str, token: str, record: Path | None) -> str:
    """Our test file: the example, and the ``TestMain`` writing its verdict to ``record``
    (imports under names of this run, never a name of the package's)."""
    text = (f'package {package}\n\nimport (\n\tfmt{token} "fmt"\n\tos{token} "os"\n'
            f'\ttesting{token} "testing"\n)\n\nfunc {name}() {{\n\tfmt{token}.Println("{name}")\n'
            f"\t// Output: {name}\n}}\n")  # fmt: skip
    if record is None:
        return text.replace(f'\tos{token} "os"\n\ttesting{token} "testing"\n', "")
    return text + (
        f'\nfunc TestMain(m *testing{token}.M) {{\n\tcode := m.Run()\n\tverdict := "1"\n'
        f'\tif code == 0 {{\n\t\tverdict = "0"\n\t}}\n'
        f"\t_ = os{token}.WriteFile({json.dumps(str(record))}, []byte(verdict), 0o644)\n"
        f"\tos{token}.Exit(code)\n}}\n"
    )


def verdicts_by_package(witness: Witness, module: str) -> dict[str, str]:
    """What each of our ``TestMain`` wrote (``"0"``, ``"1"``; ``""``: nothing, or not a
    verdict), by its package's import path under ``module``. The file is the test binary's, so
    it is read bounded and never through a link."""
    found: dict[str, str] = {}
    for folder, record in witness.verdicts.items():
        try:
            said = read_text(record.parent, record.name, 16).strip()
        except CheckoutFileError:
            said = ""
        package = module if folder == "." else f"{module}/{folder}"
        found[package] = said if _VERDICT.fullmatch(said) else ""
    return found


def read_events(
    stream: str,
    returncode: int,
    names: Mapping[str, str],
    witness: str = "",
    count: int = 1,
    *,
    verdicts: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], str]:
    """Each test ``go test -json``'s ``stream`` ends, as ``file › TestName`` (its file from
    ``names``, ``folder/TestName`` → file; a test of no named file keeps ``folder/TestName``),
    or why the stream is no result ("" when it is; :mod:`.runner`'s doc). ``witness``: our
    example's name: a package with a test's end but not the example's pass is no result (""; a
    stream read without it, by a test of this reader). ``count``: the run's ``-count``: a test
    ends at most that often (once more is a result it printed), its outcome the worst.
    ``verdicts``: our ``TestMain``'s word on each package it ran in
    (:func:`verdicts_by_package`): go's verdict on such a package must be it."""
    ended: dict[tuple[str, str], str] = {}
    ends: dict[tuple[str, str], int] = {}
    packages: dict[str, str] = {}
    for line in stream.splitlines():
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue  # go's own words on a build failure are not events
        action = event.get("Action") if isinstance(event, dict) else None
        if not isinstance(action, str) or action not in _ENDS:  # a list or a dict is no action
            continue
        package, test = str(event.get("Package", "")), str(event.get("Test", "") or "")
        if not test:
            packages[package] = str(event["Action"])
            continue
        ends[package, test] = ends.get((package, test), 0) + 1
        if ends[package, test] > count:
            often = "twice" if count == 1 else f"more often than its {count} runs"
            return {}, f"go test reported {test} ending {often} (a test printed its own result)"
        if ended.get((package, test), "passed") == "passed":  # repeated: its worst outcome
            ended[package, test] = _ENDS[str(event["Action"])]
    if not packages:
        return {}, "go test reported no package's result (a build failure, or not a go test run)"
    for (package, test), outcome in ended.items():
        if outcome == "failed" and packages.get(package) != "fail":
            return {}, f"go test reported {test} failed in a package that passed"
    for package, verdict in packages.items():
        # the binary failed outside every test's verdict (os.Exit, TestMain): a pass printed
        # before it ended is test2json's reading of the test's output, not go's
        tests = [outcome for (of, _), outcome in ended.items() if of == package]
        if verdict == "fail" and tests and "failed" not in tests:
            return {}, f"go test failed package {package} while no test of it failed"
    if (returncode == 0) != all(verdict != "fail" for verdict in packages.values()):
        return {}, f"go test's report and its exit status {returncode} disagree"
    for package in sorted({of for of, _ in ended} if witness else ()):
        if ended.get((package, witness)) != "passed":
            return {}, (f"go test's binary for {package} ended before the seam's witness, run "
                        "after every test, passed: a pass printed by the code under test")  # fmt: skip
    why = _against_verdicts(ended, packages, verdicts or {})
    return ({} if why else keyed(ended, names)), why


def _against_verdicts(
    ended: Mapping[tuple[str, str], str], packages: Mapping[str, str], verdicts: Mapping[str, str]
) -> str:
    """Why go's verdicts belie our ``TestMain``'s ("" when none does)."""
    for package in sorted({of for of, _ in ended} & verdicts.keys()):
        said = verdicts[package]
        if not said:
            return (f"go test's binary for {package} ended before the testing package's own "
                    "verdict reached the seam's witness: a report the code under test ended")  # fmt: skip
        if (said == "0") != (packages.get(package) == "pass"):
            failed = "failed" if said != "0" else "passed"
            return (f"go test's printed report on {package} is not the testing package's own "
                    f"verdict (its tests {failed}): a report rewritten by the code under test")  # fmt: skip
    return ""


def keyed(ended: Mapping[tuple[str, str], _T], names: Mapping[str, str]) -> dict[str, _T]:
    """``ended`` by ``file › TestName`` (:func:`read_events`), our witness left out. A test
    is its own package's: the package's folder is the longest folder of ``names`` its import
    path ends with (the module's own folder, ``.``, where none does), so two packages' tests
    of one name keep their own outcomes."""
    files = {tuple(name.rsplit("/", 1)): file for name, file in names.items()}
    folders = sorted({folder for folder, _ in files if folder != "."}, key=len, reverse=True)
    found_keys: dict[str, _T] = {}
    for (package, test), value in ended.items():
        if not test.startswith(WITNESS):
            folder = next((f for f in folders if f"/{package}".endswith(f"/{f}")), ".")
            file = files.get((folder, test.split("/", 1)[0]))
            found_keys[f"{file} › {test}" if file else f"{package} › {test}"] = value
    return found_keys
