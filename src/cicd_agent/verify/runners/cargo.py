"""``cargo test`` behind the seam (:mod:`.base`).

A Rust repository has a ``Cargo.toml``; a source file's tests are its own (the ``#[cfg(test)]``
module in it, run with the library's unit tests) and the crate's ``tests/*.rs`` (each an
integration test target). Each selected target runs in one ``cargo test`` (``--lib``, or
``--test NAME``), offline (``CARGO_NET_OFFLINE``: only what the job fetched builds), with
libtest's plain report on the evidence pipe. A shuffled run asks libtest for
``--shuffle-seed`` (an unstable option libtest accepts from a stable toolchain where
``RUSTC_BOOTSTRAP`` is set, in that run only). Coverage needs ``cargo-llvm-cov`` or
``cargo-tarpaulin``; neither is run by this seam yet, so the stage "could not run" says
which to install, never a silent skip.

The witness. The test binary writes its report on stdout, where a test can write too (a test
thread writing to ``std::io::stdout()`` is not captured). So a report is believed only where
each binary's block agrees with itself and with the exit status: ``running N tests`` is
followed by exactly N results, no test ends twice, the ``test result:`` line counts what the
block shows, and cargo exits 0 exactly when every block says ``ok``. A forged ``test x ... ok``
line is one result too many, or a second end of ``x``. What stays unseen: a test that prints a
whole consistent block of its own in place of its binary's and exits 0 first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from cicd_agent.local.checkout_files import is_file
from cicd_agent.sandbox import Sandbox, Workspace
from cicd_agent.verify.job_tools import job_tool
from cicd_agent.verify.runners.base import (
    COUNT,
    Selection,
    TestReport,
    could_not_run,
    on_pipe,
    unusable,
)

_COMMAND = re.compile(r"(^|[\s/;&|])cargo(\s+\+\S+)?\s+test(\s|$)")
_RUNNING = re.compile(rf"^running {COUNT} tests?(?: \(shuffle seed: \d+\))?$")
_RESULT = re.compile(r"^test (.+?) \.\.\. (ok|FAILED|ignored(?:, .*)?)$")
_SUMMARY = re.compile(rf"^test result: (ok|FAILED)\. {COUNT} passed; {COUNT} failed; {COUNT} ignored;")
_OUTCOME = {"ok": "passed", "FAILED": "failed"}
ENVIRONMENT = {"CARGO_NET_OFFLINE": "true", "CARGO_TERM_COLOR": "never"}
COVERAGE_TOOLS = "cargo-llvm-cov or cargo-tarpaulin"


class CargoTest:
    """``cargo test`` (:class:`~.base.TestRunner`)."""

    name = "cargo test"
    suffixes: tuple[str, ...] = (".rs",)
    settings: tuple[str, ...] = ("Cargo.toml", "Cargo.lock", "build.rs", "config.toml", "config")

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
        return (path, *sorted(f for f in files if PurePosixPath(f).parent == PurePosixPath("tests")
                              and f.endswith(".rs")))  # fmt: skip

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
        tool = next((cover for name in ("cargo-llvm-cov", "cargo-tarpaulin") if isinstance(
            cover := job_tool(name, sandbox.checkout, environ), str)), None)  # fmt: skip
        said = TestReport(self.name, seed=selection.seed, coverage_problem=(
            (f"not measured: the seam does not run {PurePosixPath(tool).name} yet" if tool
             else could_not_run(COVERAGE_TOOLS)) if selection.cover else ""))  # fmt: skip
        targets = _targets(selection.tests)
        order = ["-Z", "unstable-options", f"--shuffle-seed={selection.seed}"] \
            if selection.seed is not None else []  # fmt: skip
        extra = {**selection.environment, **ENVIRONMENT,
                 **({"RUSTC_BOOTSTRAP": "1"} if order else {})}  # fmt: skip
        outcomes: dict[str, str] = {}
        for target, file in targets:
            argv = on_pipe([cargo, "test", "--quiet", *target, "--", "--format=pretty", *order],
                           sandbox.evidence_variable)  # fmt: skip
            run = sandbox.run(argv, space, timeout=timeout, extra_env=extra, evidence=True)
            said = replace(said, returncode=run.returncode, seconds=said.seconds + run.seconds,
                           output=run.output)  # fmt: skip
            if run.timed_out or run.killed_for or run.sandbox_failure:
                return replace(said, problem=f"cargo test {run.describe()}")
            found, why = read_blocks(run.evidence.decode("utf-8", "replace"), run.returncode)
            if why:
                return replace(said, problem=why)
            outcomes.update({f"{_file_of(test, file, selection.tests)} › {test}": outcome
                             for test, outcome in found.items()})  # fmt: skip
        return replace(said, outcomes=outcomes)


def _targets(tests: Sequence[str]) -> list[tuple[list[str], str]]:
    """cargo's target options for the selected files, each with the file its tests are read
    under: ``--test NAME`` for ``tests/NAME.rs``, ``--lib`` once for the crate's own files
    (every target when none is selected)."""
    found: list[tuple[list[str], str]] = []
    for test in tests:
        name = PurePosixPath(test)
        if name.parts[0] == "tests" and len(name.parts) == 2:
            found.append((["--test", name.stem], test))
        elif not any(target == ["--lib"] for target, _file in found):
            found.append((["--lib"], "src/lib.rs"))
    return found or [([], "")]


def _file_of(test: str, file: str, selected: Sequence[str]) -> str:
    """The file a test of a ``--lib`` run belongs to: the selected source file whose module
    path starts its name (``calc::tests::adds`` → ``src/calc.rs``), else the target's."""
    if file != "src/lib.rs":
        return file or "cargo test"
    best = ("", file)
    for path in selected:
        parts = PurePosixPath(path).with_suffix("").parts[1:]
        module = "::".join(parts[:-1] if parts and parts[-1] == "mod" else parts)
        if module and test.startswith(f"{module}::") and len(module) > len(best[0]):
            best = (module, path)
    return best[1]


def read_blocks(stream: str, returncode: int) -> tuple[dict[str, str], str]:
    """Each test libtest's plain ``stream`` reports, with its outcome, or why the stream is no
    word ("" when it is; module doc)."""
    outcomes: dict[str, str] = {}
    expected: int | None = None
    block: dict[str, str] = {}
    verdicts: list[str] = []
    failures = False  # the failing tests' captured output follows: no result is read there
    for raw in stream.splitlines():
        line = raw.rstrip()
        if (started := _RUNNING.match(line)) is not None:
            if expected is not None:
                return {}, "libtest began a block before the last one ended (a forged report)"
            expected, block, failures = int(started.group(1)), {}, False
        elif line == "failures:" and expected is not None:
            failures = True
        elif (result := _RESULT.match(line)) is not None and expected is not None and not failures:
            name, said = result.groups()
            if name in block or name in outcomes:
                return {}, f"libtest reported {name[:120]} ending twice (a test printed its own result)"
            block[name] = _OUTCOME.get(said, "skipped")
        elif (summary := _SUMMARY.match(line)) is not None and expected is not None:
            verdict, passed, failed, ignored = summary.groups()
            counts = [list(block.values()).count(o) for o in ("passed", "failed", "skipped")]
            if len(block) != expected or counts != [int(passed), int(failed), int(ignored)]:
                return {}, (f"libtest's block of {expected} test(s) shows {len(block)} result(s) "
                            "that its summary does not count (a test printed its own)")  # fmt: skip
            outcomes.update(block)
            verdicts.append(verdict)
            expected = None
    if expected is not None or not verdicts:
        return {}, "libtest's report ended before its summary (not a cargo test run, or killed)"
    if (returncode == 0) != all(verdict == "ok" for verdict in verdicts):
        return {}, f"cargo test's report and its exit status {returncode} disagree"
    return outcomes, ""
