"""go test's in-run check: the file a run adds to each tested folder of its copy, and the
reading of ``go test -json``'s stream against what it left.

Two checks in that file, both named per run. An example, which the testing package runs after
every test of the package: a binary ended early never shows its pass. And a benchmark, which the
run asks for alone: the testing package runs benchmarks only once every test, fuzz seed and
example of the binary passed, so ours writing a file outside the copy is the testing package's
own word that the package passed, whoever owns fd 1 or the package's ``TestMain``.
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
from cicd_agent.runners.go.log import go_event

EXAMPLE = "Example_cicdCheck"
"""How our example's name starts (a random part follows, per run); never a project's test."""
MARK = "Benchmark_cicdCheck"
PACKAGE = re.compile(r"^package\s+(\w+)", re.MULTILINE)
_PASSED = "passed"
_ENDS = {"pass": "passed", "fail": "failed", "skip": "skipped"}
_T = TypeVar("_T")


@dataclass(frozen=True)
class InRunCheck:
    """One run's in-run check: its random part (``token``), the files ``written`` in the copy
    (removed after the run), and for each folder given our file the file its benchmark writes
    (``marks``)."""

    token: str
    written: list[Path] = field(default_factory=list)
    marks: dict[str, Path] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{EXAMPLE}{self.token}"

    def bench_flags(self) -> list[str]:
        """go test's flags that run our benchmark, once, and no other (none without a mark)."""
        return [f"-bench=^{MARK}{self.token}$", "-benchtime=1x"] if self.marks else []


def add_in_run_check(repo: Path, tests: Sequence[str], records: Path) -> InRunCheck:
    """Write our example and benchmark beside the test files ``tests`` in the copy ``repo`` (in
    the package clause of the first of each folder); ``records``: a folder outside the copy the
    run may write, where each benchmark writes its mark. A folder that is a link, or a file of
    that name already there, is left alone: that package then never shows the example passing,
    so its run is no result."""
    token = secrets.token_hex(8)
    in_run_check = InRunCheck(token)
    folders: dict[str, str] = {}
    for test in tests:
        folders.setdefault(str(PurePosixPath(test).parent), test)
    for number, (folder, test) in enumerate(sorted(folders.items())):
        try:
            clause = PACKAGE.search(read_text(repo, test))
            where = repo / folder
            if clause is None or where.resolve() != repo.resolve() / folder:
                continue
            made = os.open(
                where / f"{in_run_check.name.lower()}_test.go",
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                0o644,
            )
        except (CheckoutFileError, OSError):
            continue
        in_run_check.written.append(where / f"{in_run_check.name.lower()}_test.go")
        in_run_check.marks[folder] = records / f"passed-{number}"
        with os.fdopen(made, "w", encoding="utf-8") as file:
            file.write(_source(clause.group(1), token, in_run_check.marks[folder]))
    return in_run_check


def _source(package: str, token: str, mark: Path) -> str:
    """Our test file: the example, and the benchmark writing its mark to ``mark`` (imports
    under names of this run, never a name of the package's), in Go any module's go line accepts
    (``0644``: a module saying ``go 1.11`` refuses ``0o644``, and then no package builds)."""
    name = f"{EXAMPLE}{token}"
    return (
        f'package {package}\n\nimport (\n\tfmt{token} "fmt"\n\tos{token} "os"\n'
        f'\ttesting{token} "testing"\n)\n\nfunc {name}() {{\n\tfmt{token}.Println("{name}")\n'
        f"\t// Output: {name}\n}}\n\nfunc {MARK}{token}(b *testing{token}.B) {{\n"
        f"\t_ = os{token}.WriteFile({json.dumps(str(mark))}, []byte({json.dumps(_PASSED)}), 0644)\n"
        "}\n"
    )


def passes_by_package(in_run_check: InRunCheck, module: str) -> dict[str, bool]:
    """Whether each package given our benchmark has the testing package's word that it passed
    (our benchmark's mark), by its import path under ``module``. The file is the test
    binary's, so it is read bounded and never through a link."""
    found: dict[str, bool] = {}
    for folder, mark in in_run_check.marks.items():
        try:
            said = read_text(mark.parent, mark.name, 16).strip()
        except CheckoutFileError:
            said = ""
        found[module if folder == "." else f"{module}/{folder}"] = said == _PASSED
    return found


def read_events(
    stream: str,
    returncode: int,
    names: Mapping[str, str],
    in_run_check: str = "",
    count: int = 1,
    *,
    passes: Mapping[str, bool] | None = None,
) -> tuple[dict[str, str], str]:
    """Each test ``go test -json``'s ``stream`` ends, as ``file › TestName`` (its file from
    ``names``, ``folder/TestName`` → file; a test of no named file keeps ``folder/TestName``),
    or why the stream is no result ("" when it is). ``in_run_check``: our
    example's name: a package with a test's end but not the example's pass is no result (""; a
    stream read without it, by a test of this reader). ``count``: the run's ``-count``: a test
    ends at most that often (once more is a result it printed), its outcome the worst.
    ``passes``: whether the testing package said each package given our benchmark passed: go's
    verdict on such a package must be that."""
    ended: dict[tuple[str, str], str] = {}
    ends: dict[tuple[str, str], int] = {}
    packages: dict[str, str] = {}
    for line in stream.splitlines():
        event = go_event(line) or {}  # go's own words on a build failure are not events
        action = event.get("Action")
        if not isinstance(action, str) or action not in _ENDS:  # a list or a dict is no action
            continue
        package, test = str(event.get("Package", "")), str(event.get("Test", "") or "")
        if not test:
            packages[package] = action
            continue
        ends[package, test] = ends.get((package, test), 0) + 1
        if ends[package, test] > count:
            often = "twice" if count == 1 else f"more often than its {count} runs"
            return {}, f"go test reported {test} ending {often} (a test printed its own result)"
        if ended.get((package, test), "passed") == "passed":  # repeated: its worst outcome
            ended[package, test] = _ENDS[action]
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
    for package in sorted({of for of, _ in ended} if in_run_check else ()):
        if ended.get((package, in_run_check)) != "passed":
            return {}, (
                f"go test's binary for {package} ended before the seam's in-run check, run "
                "after every test, passed: a pass printed by the code under test"
            )
    why = _against_passes(ended, packages, passes or {})
    return ({} if why else keyed(ended, names)), why


def _against_passes(
    ended: Mapping[tuple[str, str], str], packages: Mapping[str, str], passes: Mapping[str, bool]
) -> str:
    """Why go's verdicts belie the testing package's own word ("" when none does)."""
    for package in sorted({of for of, _ in ended} & passes.keys()):
        if packages.get(package) == "pass" and not passes[package]:
            return (
                f"go test's printed report passes {package}, but the testing package never "
                "found its tests passed (the seam's benchmark, run only then, did not run): "
                "a report the code under test rewrote or ended"
            )
        if packages.get(package) != "pass" and passes[package]:
            return (
                f"go test's printed report fails {package}, but the testing package found "
                "its tests passed: a report rewritten by the code under test"
            )
    return ""


def keyed(ended: Mapping[tuple[str, str], _T], names: Mapping[str, str]) -> dict[str, _T]:
    """``ended`` by ``file › TestName``, our in-run check left out. A test
    is its own package's: the package's folder is the longest folder of ``names`` its import
    path ends with (the module's own folder, ``.``, where none does), so two packages' tests
    of one name keep their own outcomes."""
    files = {tuple(name.rsplit("/", 1)): file for name, file in names.items()}
    folders = sorted({folder for folder, _ in files if folder != "."}, key=len, reverse=True)
    found_keys: dict[str, _T] = {}
    for (package, test), value in ended.items():
        if not test.startswith((EXAMPLE, MARK)):
            folder = next((f for f in folders if f"/{package}".endswith(f"/{f}")), ".")
            file = files.get((folder, test.split("/", 1)[0]))
            found_keys[f"{file} › {test}" if file else f"{package} › {test}"] = value
    return found_keys
