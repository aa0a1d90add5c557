"""``go test`` behind the seam.

A run is ``go test -json -count=1`` over the selected files' packages (``./...`` for the whole
module), shuffled with ``-shuffle=SEED``, measured with ``-coverprofile``; a repeated one is
``-count=N`` in one build. The go command never reaches a module proxy (``GOPROXY=off``: only
what the job downloaded builds).

The in-run check: the JSON stream on the evidence pipe is written by the go command itself, not
the test binary, but a test printing ``--- PASS: TestX`` makes test2json report an event it did
not see. So a report is believed only where each test ends once, each package ends with go's
own verdict, a test's failure fails its package, and go's exit status is 0 exactly when every
package passed. Only the selected files' test functions are counted, so a pass printed for a
name that never ran counts for nothing. A binary that ends itself with status 0, or owns fd 1
and rewrites ``--- FAIL``, is caught by our example and benchmark (:mod:`.in_run_check`).

What stays open: code under test shares the test binary's process, so code written against this
agent can write our benchmark's mark itself or empty every test's body (``//go:linkname`` to
``main.tests``), and within a failing binary a test's pass is read from its report. A change
judged by such a run is "checked", never "verified".
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from cicd_agent.analysis.changed_lines import Touched
from cicd_agent.local.checkout_files import CheckoutFileError, is_file, read_text, walk_files
from cicd_agent.local.job_tools import job_tool
from cicd_agent.runners.base import COUNT, Layout, Reach, Selection, TestReport, on_pipe, unusable
from cicd_agent.runners.go import coverage, step
from cicd_agent.runners.go.build_cache import CACHE, seed
from cicd_agent.runners.go.coverage import GoTracer
from cicd_agent.runners.go.in_run_check import (
    PACKAGE,
    add_in_run_check,
    keyed,
    passes_by_package,
    read_events,
)
from cicd_agent.runners.go.log import go_event
from cicd_agent.runners.go.names import parents
from cicd_agent.runners.go.profile import module_path, read_profile
from cicd_agent.runners.layout import generated_name
from cicd_agent.runners.protocol import PlainStep
from cicd_agent.sandbox import Sandbox, Workspace

_COMMAND = re.compile(r"(^|[\s/;&|])go\s+test(\s|$)")
_TEST_FUNC = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.MULTILINE)
_CHECK = re.compile(rf"^\s+([\w.+-]+_test\.go):{COUNT}: (.*)")
"""The testing package's mark of a failing ``t.Error``/``t.Fatal``: the file, line and words."""


ENVIRONMENT = {
    "GOPROXY": "off",
    "GOFLAGS": "",
    "GONOSUMDB": "",
    "GOTOOLCHAIN": "local",
}
"""Nothing is fetched (the sandbox has no network; this says so before go tries). cgo is go's
own choice, as in the job: on where a C compiler is found."""
_TABLE = re.compile(r"\[\]struct\s*\{")
_STYLE = (
    "Write Go: the file starts with `package {package}` (the package under test, so its "
    "unexported names are in reach) and imports only `testing` and the standard library. Name "
    "each test `TestXxx(t *testing.T)` and fail with `t.Errorf` or `t.Fatalf` naming the input, "
    "the value got and the value wanted.{table}"
)
_NOT_TESTED = frozenset({"vendor", "testdata", "node_modules"})
"""Folders ``./...`` leaves out (``testdata``, ``vendor``), searched for no test file."""


class GoTest(PlainStep):
    name = "go test"
    suffixes: tuple[str, ...] = (".go",)
    declares_a_test = re.compile(r"func\s+(?:Test|Fuzz|Example)\w*\s*\(")
    """A ``Test…``, ``Fuzz…`` or ``Example…`` function: ``go test`` runs all three."""
    settings: tuple[str, ...] = ("go.mod", "go.sum", "go.work", "go.work.sum")
    repeats: str | None = "go test -count=N, one build"
    step_captures = True
    """The test step reads ``go test -json``'s events from its output, showing their text."""

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        """The test step's run with ``-json`` (or gotestsum's, its events into ``folder``); a
        retry: the failed tests and subtests."""
        return step.command(self.runs(shlex.join(command)), command, folder, failed)

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        """Each test's ``package.TestName`` (``example.com/m/calc.TestSign/case``) and whether
        every end of it passed, a parent whose failure only reflects its subtests' left out."""
        return step.outcomes(folder, output)

    def step_parents(self, test: str) -> tuple[str, ...]:
        return parents(test)

    def step_sees(self, path: str) -> bool:
        return coverage.sees(path)

    def step_tracer(
        self,
        command: Sequence[str],
        change: Touched,
        folder: Path,
        cwd: Path,
        environ: Mapping[str, str],
    ) -> GoTracer | None:
        """Each failed test run again alone under go's coverage."""
        if not change.lines:
            return None
        return GoTracer(tuple(command), self.runs(shlex.join(command)), change, cwd)

    def sandboxed(self, environ: Mapping[str, str]) -> dict[str, str]:
        """go's build cache under the run's own home: a ``GOCACHE`` the job set names a host
        folder the sandbox does not show or lets no run write, and go then stops before any test
        ("failed to initialize build cache")."""
        return {"GOCACHE": str(Path(environ["HOME"]) / CACHE)} if environ.get("HOME") else {}

    def __init__(self) -> None:
        self._shown = step.Shown()

    def step_shown(self, line: str) -> str:
        """What a person reads of one line of ``-json`` output: what ``go test`` would print
        without ``-v`` (a failed test's lines, the packages' results)."""
        return self._shown(line)

    unshuffled = ""
    builds: tuple[str, ...] = ()

    def unshuffled_in(self, checkout: Path) -> str:
        return self.unshuffled

    def reach(self, checkout: Path) -> Callable[[str], Reach]:
        return lambda path: "tests"

    def layout(self, checkout: Path) -> Layout:
        """{}: a test file's name says which source it tests."""
        return {}

    def new_test_problem(self, checkout: Path, path: str) -> str:
        return ""

    def configured(self, checkout: Path) -> bool:
        return is_file(checkout, "go.mod")

    def runs(self, command: str) -> bool:
        return _COMMAND.search(command) is not None

    def tests_of(self, path: str, files: Sequence[str]) -> tuple[str, ...]:
        """The ``_test.go`` files of ``path``'s own folder (its package's tests)."""
        name = PurePosixPath(path)
        if name.suffix != ".go":
            return ()
        if name.name.endswith("_test.go"):
            return (path,)
        return tuple(
            sorted(
                f
                for f in files
                if f.endswith("_test.go") and PurePosixPath(f).parent == name.parent
            )
        )

    def test_file_for(self, source: str, related: str, taken: Callable[[str], bool]) -> str:
        """``<stem>_generated_test.go`` beside ``source``: a package's tests are its folder's."""
        name = PurePosixPath(source)
        stem = name.name.removesuffix(name.suffix)
        return generated_name(
            self, lambda mark: (name.parent / f"{stem}_{mark}_test.go").as_posix(), taken
        )

    def test_style(self, source_text: str, related_text: str) -> str:
        """The package under test (its unexported names in reach), and a table of cases where
        the package's tests use one."""
        package = PACKAGE.search(source_text)
        table = (
            " The package's tests are table-driven (a slice of cases looped over with "
            "`t.Run`): write yours the same way."
            if _TABLE.search(related_text)
            else ""
        )
        return _STYLE.format(package=package.group(1) if package else "…", table=table)

    def unasserted(self, checkout: Path, path: str, text: str) -> str:
        """Its first ``TestX`` that reports no failure, itself or through a helper of its
        package's other test files."""
        from cicd_agent.runners.go.assertions import (  # gen-tests' alone: not on review's path
            go_unasserted,
            package_tests,
            same_package,
        )

        idle = go_unasserted(text, same_package(text, package_tests(checkout, path)))
        return (
            f"{idle} asserts nothing (no failure it could report: a Go test calls t.Errorf "
            "or t.Fatalf, itself or through a helper of its package's tests it hands t to)"
            if idle
            else ""
        )

    def rerun_file(self, test_path: str) -> str:
        """Its package's tests: ``go test`` runs a package, not a file."""
        return f"go test ./{shlex.quote(str(PurePosixPath(test_path).parent))}"

    def missing(self, checkout: Path, environ: Mapping[str, str]) -> str:
        found = job_tool("go", checkout, environ)
        return unusable(found, "Go", "actions/setup-go, or the golang-go package")

    def run(
        self, sandbox: Sandbox, space: Workspace, selection: Selection, *, timeout: float
    ) -> TestReport:
        environ = sandbox.environment(space)
        go = job_tool("go", sandbox.checkout, environ)
        if not isinstance(go, str):
            return TestReport(self.name, problem=self.missing(sandbox.checkout, environ))
        warm = Selection(cover=("warm/warm.go",))
        seed(sandbox, space, go, lambda box, ours: self._test(box, ours, go, warm, timeout=timeout))
        return self._test(sandbox, space, go, selection, timeout=timeout)

    def _test(
        self, sandbox: Sandbox, space: Workspace, go: str, selection: Selection, *, timeout: float
    ) -> TestReport:
        folders = sorted({str(PurePosixPath(test).parent) for test in selection.tests})
        packages = [f"./{folder}" if folder != "." else "." for folder in folders] or ["./..."]
        argv = [go, "test", "-json", f"-count={max(selection.repeat, 1)}"]
        if selection.seed is not None:
            argv.append(f"-shuffle={selection.seed}")
        shown = ["go", "test", *argv[3:]]  # the count and order, not our -json or coverage
        shared: tuple[Path, ...] = ()
        if selection.cover:
            folder = space.scratch("cover", "")
            folder.mkdir()
            shared = (folder,)
            argv += [f"-coverprofile={folder / 'cover.out'}", "-coverpkg=./..."]
        # read before the run: what a run writes in its copy names no test
        tests = selection.tests or tuple(
            f for f in walk_files(space.repo, _NOT_TESTED) if f.endswith("_test.go")
        )
        names = _test_names(space.repo, tests)
        records = space.scratch("verdicts", "")
        records.mkdir()
        in_run_check = add_in_run_check(space.repo, tests, records)
        if selection.repeat > 1 and selection.tests:  # the selected files' tests, not the package's
            theirs = sorted({name.rsplit("/", 1)[1] for name in names})
            shown.append(f"-run=^({'|'.join(theirs)})$")
            argv.append(f"-run=^({'|'.join([*theirs, in_run_check.name])})$")
        argv += in_run_check.bench_flags()
        try:
            run = sandbox.run(
                on_pipe([*argv, *packages], sandbox.evidence_variable),
                space,
                timeout=timeout,
                extra_env={
                    **selection.environment,
                    **ENVIRONMENT,
                    **self.sandboxed({"HOME": str(space.home)}),
                },
                evidence=True,
                shared=(*shared, records),
            )
        finally:  # a copy's later runs (reruns) add their own
            for path in in_run_check.written:
                path.unlink(missing_ok=True)
        zone = [f"TZ={selection.zone}"] if selection.zone else []
        said = TestReport(
            self.name,
            seed=selection.seed,
            returncode=run.returncode,
            seconds=run.seconds,
            output=run.output,
            command=shlex.join([*zone, *shown, *packages]),
        )
        if run.timed_out or run.killed_for or run.sandbox_failure:
            return replace(said, problem=f"go test {run.describe()}")
        passes = passes_by_package(in_run_check, module_path(space.repo))
        outcomes, why = read_events(
            run.evidence.decode("utf-8", "replace"),
            run.returncode,
            names,
            in_run_check.name,
            max(selection.repeat, 1),
            passes=passes,
        )
        coverage, measured, uncovered = (
            read_profile(shared[0] / "cover.out", space.repo, selection.cover)
            if shared
            else (None, None, "")
        )
        stream = run.evidence.decode("utf-8", "replace")
        counted = repeat_counts(stream, names) if selection.repeat > 1 and not why else {}
        return replace(
            said,
            outcomes=outcomes,
            problem=why,
            coverage=coverage,
            repeats=counted,
            measured=measured,
            coverage_problem=uncovered,
            output=run.output + failed_output(stream),
            checks=read_checks(stream, outcomes),
            crashed=panicked(stream, names) if why else (),
        )


def failed_output(stream: str, limit: int = 4_000) -> str:
    """What the failed tests printed (``calc_test.go:12: want 0``), from go's JSON stream: the
    log holds go's own words, the stream the tests'; gen-tests reads which assertion failed."""
    printed: dict[tuple[str, str], list[str]] = {}
    failed: list[tuple[str, str]] = []
    for line in stream.splitlines():
        event = go_event(line)
        if event is None or not event.get("Test"):
            continue
        key = (str(event.get("Package", "")), str(event["Test"]))
        if event.get("Action") == "output":
            printed.setdefault(key, []).append(str(event.get("Output", "")))
        elif event.get("Action") == "fail":
            failed.append(key)
    return "".join("".join(printed.get(key, ())) for key in failed)[:limit]


def read_checks(stream: str, outcomes: Mapping[str, str]) -> dict[str, str]:
    """Each failed test of ``outcomes`` (``file › TestName``) that its own check failed: a Go
    test fails only by its ``t.Error``/``t.Fatal``/``t.Fail`` (or a helper's it calls) or by a
    panic, go's ``panic:`` line (a nil dereference in the code under test, a timeout), which is
    a crash whatever it printed before; that binary's run is no result anyway. Named
    by the testing package's mark of the first such call in the test's own file (``
    calc_test.go:12: want 0``; a ``t.Log`` line is marked alike), else the test's ``t.Fail``."""
    printed = _printed(stream)
    found: dict[str, str] = {}
    for key, outcome in outcomes.items():
        file, _, test = key.partition(" › ")
        said = printed.get(test, [])
        if outcome != "failed" or _panic(said):
            continue
        marks = [
            mark
            for line in said
            if (mark := _CHECK.match(line)) is not None
            and mark.group(1) == PurePosixPath(file).name
        ]
        found[key] = (
            f"{file}:{marks[0].group(2)}: {marks[0].group(3)[:160]}"
            if marks
            else f"{file}: {test[:120]} failed (t.Fail)"
        )
    return found


def panicked(stream: str, names: Mapping[str, str]) -> tuple[str, ...]:
    """The tests of ``names`` (``folder/TestName`` → file) that printed go's ``panic:`` line,
    as ``file › TestName``: a panic ends the test binary before the seam's in-run check, so such a
    run is no result."""
    files = {name.rsplit("/", 1)[1]: file for name, file in names.items()}
    return tuple(
        f"{files[test.split('/', 1)[0]]} › {test}"
        for test, said in _printed(stream).items()
        if test.split("/", 1)[0] in files and _panic(said)
    )


def _printed(stream: str) -> dict[str, list[str]]:
    printed: dict[str, list[str]] = {}
    for line in stream.splitlines():
        event = go_event(line)
        if event is not None and event.get("Action") == "output" and event.get("Test"):
            printed.setdefault(str(event["Test"]), []).append(str(event.get("Output", "")))
    return printed


def _panic(said: Sequence[str]) -> bool:
    return any(line.lstrip().startswith("panic: ") for line in said)


def _test_names(repo: Path, tests: Sequence[str]) -> dict[str, str]:
    """Each top-level test function of the files ``tests`` and its file (read from the copy)."""
    names: dict[str, str] = {}
    for test in tests:
        try:
            text = read_text(repo, test)
        except CheckoutFileError:
            continue
        folder = str(PurePosixPath(test).parent)
        names.update({f"{folder}/{name}": test for name in _TEST_FUNC.findall(text)})
    return names


def repeat_counts(stream: str, names: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """Each test's passed and failed runs in a ``-count=N`` stream :func:`read_events`
    believed (it bounds each test's ends by N), keyed as its outcomes."""
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for line in stream.splitlines():
        event = go_event(line)
        if event is not None and event.get("Test") and event.get("Action") in ("pass", "fail"):
            key = (str(event.get("Package", "")), str(event["Test"]))
            passes, failures = counts.get(key, (0, 0))
            won = event["Action"] == "pass"
            counts[key] = (passes + won, failures + (not won))
    return keyed(counts, names)
