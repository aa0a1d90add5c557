"""AVA in the test step, read from the TAP it prints with ``--tap``: each top-level
``ok``/``not ok`` line is a test (``file › title`` when the run has several files); an indented line
never is.

AVA's closing ``# pass`` and ``# fail`` counts must be its lines', or the run is not read: AVA
counts as failed the tests a run left unrun (``failFast``, a crashed file), which no line names
and a retry of the failed alone would never run; a line a test prints of its own is one too many.
A retry names each failed test by ``--match``. One pattern reads the TAP: a TAP library would add
a dependency for the YAML blocks we do not read. A command that chooses its reporter itself is
run as written and not retried."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from cicd_agent.runners.node import program
from cicd_agent.runners.step_outcomes import StepOutcomes

SEPARATOR = " › "
_POINT = re.compile(r"^(?P<not>not )?ok \d+ - (?P<name>.+?)(?: # (?P<directive>SKIP|TODO)\b.*)?$")
_COUNT = re.compile(r"^# (?P<what>pass|fail) (?P<n>\d{1,9})$")


def runs(command: Sequence[str]) -> bool:
    """Whether ``command`` runs AVA (``ava``, ``npx ava``, ``./node_modules/.bin/ava``)."""
    return program(command) == "ava"


def declined(command: Sequence[str]) -> str:
    """Why ``command`` is run once as written ("" when ours can be added, or it is no run of
    AVA): the TAP it is read from is asked for by the step, which would not know its own."""
    chosen = " ".join(dict.fromkeys(w for w in command if w in ("--tap", "-t") and runs(command)))
    return (
        f"it chooses its own reporter ({chosen}), where cicd-agent adds the one it reads: "
        f"drop {chosen} to have its tests counted and retried"
        if chosen
        else ""
    )


def step_command(
    command: Sequence[str], folder: Path, failed: Sequence[str] | None
) -> list[str] | None:
    """``command`` printing TAP and, on a retry, matching ``failed``; None when it is no run
    of AVA, or it chose its reporter (``--tap``, ``--verbose``) itself."""
    if not runs(command) or declined(command):
        return None
    names = dict.fromkeys(
        name for test in failed or () for name in (test, test.split(SEPARATOR, 1)[-1])
    )
    return [*command, "--tap", *(f"--match={name}" for name in names)]


def step_outcomes(folder: Path, output: str, root: Path) -> StepOutcomes:
    """Each test the TAP in ``output`` ended and whether it passed (skipped and to-do tests
    left out); none when its closing counts are missing or are not its lines'."""
    found, said, counts = StepOutcomes(), {"pass": 0, "fail": 0}, dict[str, int]()
    for line in output.splitlines():
        if (count := _COUNT.match(line)) is not None:
            counts[count["what"]] = int(count["n"])
        if (point := _POINT.match(line)) is None or point["directive"] == "SKIP":
            continue
        said["fail" if point["not"] or point["directive"] else "pass"] += 1
        if point["directive"] is None:
            found.add(point["name"], point["not"] is None)
    return found if counts == said else StepOutcomes()
