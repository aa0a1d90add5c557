"""cargo's repeats: the selected tests' binaries built once and run many times in one sandboxed run
(libtest has no repeat count, and a ``cargo test`` per repetition costs cargo's start each time).

The build runs ``cargo test`` with our recorder as cargo's runner, which records each binary's
arguments, folder and environment as cargo would run it; each must be a test executable cargo's
JSON names, and each named one must be recorded. The launcher then runs each binary N times
beside any noise processes and frames each run's report and exit status on the evidence pipe,
which only it can reach. The frames must hold each repetition of each binary once, in order,
under one token: a missing, extra or forged frame is no result, never a pass. Each run is read
and seen by the in-run check as a lone ``cargo test``'s binary, and libtest's own log must agree.
Doctests are not repeated (rustdoc runs each in a process no in-run check reaches). Where cargo
hands our recorder no binary (a runner of the project's own for the host, a cargo before 1.63),
the run is no result and says why."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from cicd_agent.runners.base import PASSED, on_pipe
from cicd_agent.runners.cargo.report import Reading, read_blocks, test_executables
from cicd_agent.sandbox import RunResult, Sandbox, Workspace

LAUNCHER = Path(__file__).resolve().parent / "boot" / "launcher.py"
"""The script the sandbox runs for the build's recorder and the loop."""
MARK = b"cicd-agent-repeat"
"""How each of the launcher's frames begins (its ``MARK``)."""
MAX_PLAN = 100_000
"""The most characters of one binary's recorded run (one argument of the loop's command; the
kernel takes no longer one)."""
_CLAIMS = ("failed", "skipped", "passed")
_START = re.compile(re.escape(MARK) + rb" ([0-9a-f]{32}) start (\d+) (\d+) (\d+) 0\n\n")
_RUN = re.compile(re.escape(MARK) + rb" ([0-9a-f]{32}) run (\d+) (\d+) (-?\d+) (\d+)\n")
"""The launcher's frames' header lines."""


def placed_launcher(sandbox: Sandbox) -> str:
    """The launcher as the runs see it: a copy in the sandbox's own folder, which every run
    sees read-only (the package's file may lie where the sandbox hides, a clone in ``/tmp``)."""
    placed = sandbox.root / "cargo-launcher.py"
    if not placed.is_file():
        placed.write_bytes(LAUNCHER.read_bytes())
        placed.chmod(0o644)
    return str(placed)


def recording(
    cargo: str, target: Sequence[str], arguments: Sequence[str], launcher: str
) -> list[str]:
    """The build's ``cargo test`` for ``target`` (the whole suite's test binaries when
    empty), our recorder (``launcher``) as cargo's runner, libtest's ``arguments`` after
    ``--``."""
    runner = json.dumps([sys.executable, "-I", launcher, "record"])
    return [
        cargo,
        "test",
        "--quiet",
        "--no-fail-fast",
        "--message-format=json",
        *(target or ["--tests"]),
        "--config",
        f"target.'cfg(all())'.runner={runner}",
        "--",
        *arguments,
    ]


def plans(built: bytes) -> tuple[list[str], str]:
    """Each binary's recorded run from the build's standard output (JSON, one a line), or why
    there is none to repeat: each recorded binary is a test executable cargo's messages name,
    once, and each named one is recorded."""
    executables = test_executables(built)
    found: list[str] = []
    ran: set[str] = set()
    for line in built.decode("utf-8", "replace").splitlines():
        try:
            said = json.loads(line)
        except ValueError:
            continue
        if not isinstance(said, dict) or said.get("reason") != "cicd-agent-runner":
            continue
        argv = said.get("argv")
        binary = argv[0] if isinstance(argv, list) and argv and isinstance(argv[0], str) else ""
        if binary not in executables or binary in ran:
            return [], f"cargo's run of {binary[:120] or 'a binary'} was not one it built, once"
        if len(line) > MAX_PLAN:
            return [], (
                f"cargo runs {binary[:120]} with more than {MAX_PLAN:,} characters of "
                "arguments and environment, more than the loop's command may hold"
            )
        ran.add(binary)
        found.append(line)
    if ran != executables:
        return [], (
            f"cargo handed {len(ran)} of the {len(executables)} test binaries it built "
            "to the seam's recorder (a runner of the project's own?): not repeated"
        )
    return found, ""


def looping(
    variable: str, times: int, noise: int, found: Sequence[str], launcher: str
) -> list[str]:
    return [sys.executable, "-I", launcher, "loop", variable, str(times), str(noise), *found]


def read_frames(
    stream: bytes, times: int, binaries: int
) -> tuple[list[list[tuple[int, str]]], int, str]:
    """Each repetition's runs, each binary's exit status and report in order, from the
    launcher's frames, and the noise processes it started beside them; or why
    they are no result."""
    start = _START.match(stream)
    if start is None or start.groups()[1:3] != (b"%d" % times, b"%d" % binaries):
        return [], 0, "the repeat loop's report did not begin as the seam's launcher begins it"
    token, at = start[1], start.end()
    runs: list[list[tuple[int, str]]] = []
    for repetition in range(times):
        runs.append([])
        for index in range(binaries):
            header = _RUN.match(stream, at)
            size = int(header[5]) if header is not None else 0
            end = at if header is None else header.end() + size
            if (
                header is None
                or header.groups()[:3] != (token, b"%d" % repetition, b"%d" % index)
                or stream[end : end + 1] != b"\n"
            ):
                return (
                    [],
                    0,
                    (
                        f"the repeat loop's report ends or strays before run {repetition + 1} "
                        f"of {times} of binary {index + 1} (a test ended the loop, or "
                        "wrote into its report): no run of it is believed"
                    ),
                )
            runs[-1].append((int(header[4]), stream[header.end() : end].decode("utf-8", "replace")))
            at = end + 1
    if stream[at:] != MARK + b" " + token + b" end 0\n\n":
        return [], 0, "the repeat loop's report does not end as the seam's launcher ends it"
    return runs, int(start[4]), ""


def repetition(runs: Sequence[tuple[int, str]], in_run_check: str) -> tuple[dict[str, str], str]:
    """One repetition's outcomes from each binary's run (its exit status and report), each
    read and seen by the in-run check as one binary of a lone ``cargo test`` (a name two binaries
    share: the least it claims), or why it is no result."""
    outcomes: dict[str, str] = {}
    for status, report in runs:
        found, why = read_blocks(report, status, in_run_check, 1)
        if why:
            return {}, why
        for name, outcome in found.items():
            outcomes[name] = min(outcome, outcomes.get(name, outcome), key=_CLAIMS.index)
    return outcomes, ""


class Runs(NamedTuple):
    """What one target's runs gave: the sandbox runs made, each run's reading (one per
    repetition), why they are no result ("" when they are one), and the noise processes that
    ran beside them, by the launcher's word."""

    made: list[RunResult]
    readings: list[Reading]
    why: str
    noise: int = 0


def repeated(
    sandbox: Sandbox,
    space: Workspace,
    cargo: str,
    target: Sequence[str],
    extra: Mapping[str, str],
    *,
    in_run_check: str,
    arguments: Sequence[str],
    times: int,
    timeout: float,
    noise: int = 0,
) -> Runs:
    """``target``'s test binaries built and recorded (libtest given ``arguments``), then run
    ``times`` times each in one loop beside ``noise`` processes."""
    launcher = placed_launcher(sandbox)
    built = sandbox.run(
        on_pipe(recording(cargo, target, arguments, launcher), sandbox.evidence_variable),
        space,
        timeout=timeout,
        extra_env=extra,
        evidence=True,
    )
    if built.timed_out or built.killed_for or built.sandbox_failure or built.returncode:
        return Runs([built], [], f"cargo test's build for the repeats {built.describe()}")
    found, why = plans(built.evidence)
    if why:
        return Runs([built], [], why)
    argv = looping(sandbox.evidence_variable, times, noise, found, launcher)
    loop = sandbox.run(argv, space, timeout=timeout, extra_env=extra, evidence=True)
    if loop.timed_out or loop.killed_for or loop.sandbox_failure:
        return Runs([built, loop], [], f"cargo test's repeat loop {loop.describe()}")
    frames, started, why = read_frames(loop.evidence, times, len(found))
    readings: list[Reading] = []
    for runs in frames:
        outcomes, why = repetition(runs, in_run_check)
        if why:
            break
        readings.append(("\n".join(report for _, report in runs), outcomes))
    return Runs([built, loop], readings, why, started)


def counted(
    outcomes: dict[str, str], repeats: dict[str, tuple[int, int]], found: Mapping[str, str]
) -> None:
    """One run's ``found`` outcomes added to the ``outcomes`` so far (each test's worst: a
    failure is kept over a pass) and to each run test's passes and failures in ``repeats``."""
    for test, outcome in found.items():
        if outcomes.get(test, PASSED) == PASSED:
            outcomes[test] = outcome
        if outcome in (PASSED, "failed"):
            won, lost = repeats.get(test, (0, 0))
            repeats[test] = (won + (outcome == PASSED), lost + (outcome != PASSED))
