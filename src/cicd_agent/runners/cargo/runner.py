"""``cargo test`` behind the seam (:mod:`..base`).

A source file's tests are its own ``#[cfg(test)]`` module and the crate's ``tests/*.rs``. Each
selected target runs in one ``cargo test`` (``--no-fail-fast``: a failing binary leaves none unrun),
offline (only what the job fetched builds), with libtest's plain report on the evidence pipe. No run
is shuffled (:data:`NOT_SHUFFLED`): ``--shuffle-seed`` needs ``RUSTC_BOOTSTRAP`` on a stable
toolchain, which lets the crate take nightly paths its own CI never builds. Coverage needs
``cargo-llvm-cov`` or ``cargo-tarpaulin``, which this seam does not run yet: "could not run" names
them, never a silent skip.

The in-run check. A test can write on stdout too, so a report is believed only where each binary's
block agrees with itself and the exit status: ``running N tests`` followed by exactly N results, no
test ending twice, the ``test result:`` line counting what the block shows.

Code under test can print a whole consistent block and ``exit(0)``, so each run appends to the
copy's crate root of every test binary (:func:`.in_run_check.crate_roots`) a module of ours, named
per run, holding one empty test and one empty doctest (:func:`.in_run_check.add_in_run_check`),
and asks for
``--show-output``, which lists passing tests only once every test of the binary ended: a block
counts only where our test is in that list. Doctests run each in its own rustdoc process that no
in-run check reaches: their passes are left out (a failure is kept: a forged one can only refuse),
and passing doctests alone are no result. The module is private, documented and empty, so it builds
under ``#![no_std]`` and ``#![deny(missing_docs, warnings)]``.

Code owning fd 1 can rewrite the whole report at exit, so libtest's own log (``--logfile``,
:class:`.report.LibtestLog`), written through a descriptor of its own, must show each test ending
each way as often as the report. Not closed: code written against this agent can read our
module's name and, owning its process, take the log's lines itself and write the log whole."""

from __future__ import annotations

import re
import shlex
import shutil
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import (
    is_file,
)
from cicd_agent.local.job_tools import job_tool
from cicd_agent.runners.base import (
    Layout,
    Reach,
    Selection,
    TestReport,
    could_not_run,
    on_pipe,
    unusable,
)
from cicd_agent.runners.cargo.crate import (
    code_lines,
    crate_code,
    first_error,
    integration_test_problem,
    library,
    library_root,
    manifest,
    rust_style,
    unasserted_test,
)
from cicd_agent.runners.cargo.doctests import retried, retry_arguments, write_retried
from cicd_agent.runners.cargo.in_run_check import (
    CRATE_CFG,
    add_in_run_check,
    crate_roots,
    restore,
)
from cicd_agent.runners.cargo.repeat import Runs, counted, repeated
from cicd_agent.runners.cargo.report import (
    LIBTEST,
    NO_FILE,
    LibtestLog,
    read_blocks,
    read_checks,
    shown_results,
    test_binaries,
    without_log_warning,
)
from cicd_agent.runners.cargo.step import bare, merged, outcomes, step_parents
from cicd_agent.runners.layout import generated_name
from cicd_agent.runners.protocol import PlainStep
from cicd_agent.sandbox import Sandbox, ToolMount, Workspace, own_path

_COMMAND = re.compile(r"(^|[\s/;&|])cargo(\s+\+\S+)?\s+test(\s|$)")
ENVIRONMENT = {"CARGO_NET_OFFLINE": "true", "CARGO_TERM_COLOR": "never"}
COVERAGE_TOOLS = "cargo-llvm-cov or cargo-tarpaulin"
NOT_SHUFFLED = "not shuffled: libtest's --shuffle is unstable"
"""What every word on a cargo run's order says (module doc): never that it was shuffled."""


class CargoTest(PlainStep):
    """``cargo test``: its row of :mod:`~..table` names it for each consumer it serves."""

    name = "cargo test"
    suffixes: tuple[str, ...] = (".rs",)
    declares_a_test = re.compile(r"\s*#\[(?:\w+::)*(?:test|rstest|test_case|quickcheck)\b")
    """``#[test]``, an attribute of a crate's (``#[tokio::test(flavor = ...)]``), rstest's,
    test-case's, quickcheck's."""
    settings: tuple[str, ...] = ("Cargo.toml", "Cargo.lock", "build.rs", "config.toml", "config")
    repeats: str | None = "each test binary N times in one run, built once"
    """libtest has no repeat count: the built binaries run again and again (:mod:`.repeat`)."""
    unshuffled = NOT_SHUFFLED
    builds: tuple[str, ...] = ("target", "Cargo.lock")
    """What cargo writes in a copy that held neither: its build folder and a lock file."""
    step_captures = True
    """The test step reads libtest's result lines from its output."""

    def step_command(
        self, command: Sequence[str], folder: Path, failed: Sequence[str] | None
    ) -> list[str] | None:
        """The test step's run with ``--no-fail-fast`` (cargo stops at its first failing test
        binary, and the tests of the binaries after it would go unrun and unretried: the step
        would pass on the failures it saw), its standard error in its output (:mod:`.step`); a
        retry: the failed tests by their exact names, or where one is a doctest, by the parts
        rustdoc can match (:mod:`.doctests`), every target running them."""
        if not self.runs(shlex.join(command)):
            return None
        cut = command.index("--") if "--" in command else len(command)
        every = [
            *command[:cut],
            *(() if "--no-fail-fast" in command[:cut] else ("--no-fail-fast",)),
            *command[cut:],
        ]
        if not failed:
            return merged(every)
        names = list(dict.fromkeys(failed))
        options, arguments = retry_arguments(list(dict.fromkeys(map(bare, names))))
        write_retried(folder, names)
        cut = every.index("--") if "--" in every else len(every)
        return merged([*every[:cut], *options, "--", *every[cut + 1 :], *arguments])

    def step_outcomes(self, folder: Path, output: str, root: Path) -> dict[str, bool]:
        """Each test libtest printed a result for, named by its target (:mod:`.step`); on a
        retry, each one it retried."""
        return outcomes(output, retried(folder))

    def step_parents(self, test: str) -> tuple[str, ...]:
        """The bare name (``tests::t`` of ``tests/other.rs › tests::t``): a quarantine entry
        written before tests were named by their target covers it in every target, as then."""
        return step_parents(test)

    def unshuffled_in(self, checkout: Path) -> str:
        return self.unshuffled

    def layout(self, checkout: Path) -> Layout:
        """{}: a test file's name says which source it tests."""
        return {}

    def configured(self, checkout: Path) -> bool:
        return is_file(checkout, "Cargo.toml")

    def runs(self, command: str) -> bool:
        return _COMMAND.search(command) is not None

    def tests_of(self, path: str, files: Sequence[str]) -> tuple[str, ...]:
        """The file itself (its test module runs with the library's tests) and the crate's
        ``tests/*.rs``; an integration test is its own."""
        name = PurePosixPath(path)
        if name.suffix != ".rs":
            return ()
        if name.parts[0] == "tests":
            return (path,)
        return (
            path,
            *sorted(
                f
                for f in files
                if PurePosixPath(f).parent == PurePosixPath("tests") and f.endswith(".rs")
            ),
        )

    def test_file_for(self, source: str, related: str, taken: Callable[[str], bool]) -> str:
        """An integration test, ``tests/<stem>_generated.rs`` (its own test target, a name no
        target takes): a unit test inside ``src/`` would edit the code's own file."""
        stem = re.sub(r"[^a-z0-9_]", "_", PurePosixPath(source).stem.lower())
        return generated_name(self, lambda mark: f"tests/{stem}_{mark}.rs", taken)

    def test_style(self, source_text: str, related_text: str) -> str:
        return rust_style(source_text, related_text)

    def reach(self, checkout: Path) -> Callable[[str], Reach]:
        """The root crate's code is tested in its own file too (``own``), ``tests/`` by itself;
        any other Rust file (a binary, example, bench or build script) by no test."""
        crate = library(manifest(checkout))  # once: a manifest may be megabytes

        def reached(path: str) -> Reach:
            if crate_code(checkout, path, crate):
                return "own"
            return "tests" if PurePosixPath(path).parts[0] == "tests" else "none"

        return reached

    def code_lines(self, text: str) -> frozenset[int] | None:
        return code_lines(text)

    def unasserted(self, checkout: Path, path: str, text: str) -> str:
        idle = unasserted_test(text)
        return (
            f"{idle} asserts nothing (a Rust test calls assert!, assert_eq!, assert_ne! or "
            "panic!, or is #[should_panic])"
            if idle
            else ""
        )

    def new_test_problem(self, checkout: Path, path: str) -> str:
        return integration_test_problem(checkout, path)

    def build_problem(self, report: TestReport, path: str) -> str:
        """What rustc said first, where the candidate's test target did not build."""
        if "did not build" not in report.problem:
            return ""
        return (
            f"cargo test --no-run --test {PurePosixPath(path).stem} failed: "
            f"{first_error(report.output)}"
        )

    def rerun_file(self, test_path: str) -> str:
        """An integration test's own target (``tests/x.rs``: ``--test x``); a file of ``src/``
        runs with the whole crate's tests (cargo selects tests by name, not by file)."""
        name = PurePosixPath(test_path)
        if name.parts[0] == "tests" and len(name.parts) == 2:
            return f"cargo test --test {shlex.quote(name.stem)}"
        return "cargo test"

    def tool_mounts(self, environ: Mapping[str, str]) -> tuple[ToolMount, ...]:
        """rustup's toolchains (``RUSTUP_HOME``, else ``~/.rustup``), when its proxies
        (``cargo``, ``cargo-clippy``) are on our own ``PATH``: they live in the home every run
        has hidden, and the proxies find them through ``RUSTUP_HOME``."""
        if shutil.which("rustup", path=own_path(environ)) is None:
            return ()
        home = Path(environ.get("HOME") or Path.home())
        return (
            ToolMount(
                Path(environ.get("RUSTUP_HOME") or home / ".rustup").resolve(), "RUSTUP_HOME"
            ),
        )

    def missing(self, checkout: Path, environ: Mapping[str, str]) -> str:
        found = job_tool("cargo", checkout, environ)
        return unusable(found, "Rust's cargo", "rustup, or dtolnay/rust-toolchain")

    def run(
        self, sandbox: Sandbox, space: Workspace, selection: Selection, *, timeout: float
    ) -> TestReport:
        environ = sandbox.environment(space)
        cargo = job_tool("cargo", sandbox.checkout, environ)
        if not isinstance(cargo, str):
            return TestReport(self.name, problem=self.missing(sandbox.checkout, environ))
        tool = next(
            (
                cover
                for name in ("cargo-llvm-cov", "cargo-tarpaulin")
                if isinstance(cover := job_tool(name, sandbox.checkout, environ), str)
            ),
            None,
        )
        said = TestReport(
            self.name,
            coverage_problem=(  # no seed: never shuffled (NOT_SHUFFLED)
                (
                    f"not measured: the seam does not run {PurePosixPath(tool).name} yet"
                    if tool
                    else could_not_run(COVERAGE_TOOLS)
                )
                if selection.cover
                else ""
            ),
        )
        lib = library_root(space.repo)
        targets = _targets(selection.tests, lib)
        extra = {**selection.environment, **ENVIRONMENT}
        outcomes: dict[str, str] = {}
        checks: dict[str, str] = {}
        repeats: dict[str, tuple[int, int]] = {}
        noise: list[int] = []  # beside each target's runs, by the launcher's word
        for target, file in targets:
            log = LibtestLog(space.tmp)
            arguments = [*LIBTEST, "--logfile", str(log.path)]
            in_run_check, written = add_in_run_check(space.repo, crate_roots(space.repo, target))
            try:
                with log:
                    if selection.repeat > 1:
                        runs = repeated(
                            sandbox,
                            space,
                            cargo,
                            target,
                            extra,
                            in_run_check=in_run_check,
                            arguments=arguments,
                            times=selection.repeat,
                            noise=selection.noise,
                            timeout=timeout,
                        )
                    else:
                        runs = _once(
                            sandbox,
                            space,
                            cargo,
                            target,
                            extra,
                            in_run_check=in_run_check,
                            arguments=arguments,
                            timeout=timeout,
                        )
            finally:  # the copy's later runs (reruns) add their own
                restore(space.repo, written)
            made, why, last = runs.made, runs.why, runs.made[-1]
            said = replace(
                said,
                returncode=last.returncode,
                output=without_log_warning(last.output),
                seconds=said.seconds + last.seconds,
            )
            noise.append(runs.noise)
            if why and any("could not compile" in run.output for run in made):
                why = (
                    f"cargo test did not build with the seam's in-run check added to "
                    f"{', '.join(r for r, _ in written) or 'no crate root'} (the crate's "
                    "own error, or one that refuses the in-run check): never believed"
                )
            if why and (gated := [root for root, text in written if CRATE_CFG.search(text)]):
                why = (
                    f"{', '.join(gated)} {'is' if len(gated) == 1 else 'are'} left out of the "
                    "build by a crate-level `#![cfg(...)]` (a feature not enabled), its tests "
                    f"and the in-run check with it: {why}"
                )
            if why:
                return replace(said, problem=why)
            shown: Counter[tuple[str, str]] = Counter()
            for text, found in runs.readings:
                shown.update(shown_results(text))
                named = {
                    f"{_file_of(test, file, selection.tests, lib)} › {test}": outcome
                    for test, outcome in found.items()
                }
                counted(outcomes, repeats, named)
                checks.update(read_checks(text, named))
            if why := log.belies(shown):
                return replace(said, problem=why)
        return replace(
            said,
            outcomes=outcomes,
            checks=checks,
            noise=min(noise, default=0),
            repeats=repeats if selection.repeat > 1 else {},
        )


def _once(
    sandbox: Sandbox,
    space: Workspace,
    cargo: str,
    target: Sequence[str],
    extra: Mapping[str, str],
    *,
    in_run_check: str,
    arguments: Sequence[str],
    timeout: float,
) -> Runs:
    """One ``cargo test`` of ``target`` after its build (which counts the test binaries),
    libtest given ``arguments``."""
    built = sandbox.run(
        on_pipe(
            [cargo, "test", "--no-run", "--quiet", *target, "--message-format=json"],
            sandbox.evidence_variable,
        ),
        space,
        timeout=timeout,
        extra_env=extra,
        evidence=True,
    )
    argv = [cargo, "test", "--quiet", "--no-fail-fast", *target, "--", *arguments]
    run = sandbox.run(
        on_pipe(argv, sandbox.evidence_variable),
        space,
        timeout=timeout,
        extra_env=extra,
        evidence=True,
    )
    if run.timed_out or run.killed_for or run.sandbox_failure:
        return Runs([run], [], f"cargo test {run.describe()}")
    text = run.evidence.decode("utf-8", "replace")
    found, why = read_blocks(text, run.returncode, in_run_check, test_binaries(built.evidence))
    return Runs([run], [(text, found)], why)


def _targets(tests: Sequence[str], library: str) -> list[tuple[list[str], str]]:
    """cargo's target options for the selected files, each with the file its tests are read
    under: ``--test NAME`` for ``tests/NAME.rs``, ``--lib`` once for the crate's own files
    (read under its root ``library``; every target when none is selected)."""
    found: list[tuple[list[str], str]] = []
    for test in tests:
        name = PurePosixPath(test)
        if name.parts[0] == "tests" and len(name.parts) == 2:
            found.append((["--test", name.stem], test))
        elif not any(target == ["--lib"] for target, _file in found):
            found.append((["--lib"], library))
    return found or [([], "")]


def _file_of(test: str, file: str, selected: Sequence[str], library: str) -> str:
    """The file a test of a ``--lib`` run (its root ``library``) belongs to: the selected
    source file whose module path starts its name (``calc::tests::adds`` → ``src/calc.rs``),
    else the target's."""
    if file != library:
        return file or NO_FILE
    best, folder = ("", file), PurePosixPath(library).parent
    for path in selected:
        name = PurePosixPath(path).with_suffix("")
        parts = name.relative_to(folder).parts if folder in name.parents else ()
        module = "::".join(parts[:-1] if parts and parts[-1] == "mod" else parts)
        if module and test.startswith(f"{module}::") and len(module) > len(best[0]):
            best = (module, path)
    return best[1]
