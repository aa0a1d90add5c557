"""How the test step names a ``cargo test`` result: by its binary's target, then its name.

libtest prints a name without its binary, and two targets may hold the same name: one id for both
would mix a flaky run in one with a failure in the other. cargo names each binary on standard
error as it starts it, so the step merges standard error (:func:`merged`) and names each result
by the last target started, ``tests/other.rs › tests::t``, as jest names by file. A doctest's
name holds its file already. With ``--quiet`` a result keeps its bare name, and a name two
binaries print is one no quarantine entry excuses."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Sequence

from cicd_agent.runners.cargo.report import BLOCK_END, BLOCK_START, RESULT
from cicd_agent.runners.step_outcomes import StepOutcomes

SEPARATOR = " › "
_STARTED = re.compile(r"^\s*Running (?:unittests )?(?P<target>\S+) \([^()\s]+\)$")
"""cargo's line as it starts one test binary: the target's root file, then the binary."""
_DOCTESTS = re.compile(r"^\s*Doc-tests \S+$")
_MERGED = ("/bin/sh", "-c", 'exec "$@" 2>&1', "sh")
"""What runs the step's command with its standard error sent into its standard output."""


def merged(argv: Sequence[str]) -> list[str]:
    """``argv`` with its standard error in its output, where cargo's ``Running`` lines land
    (as it is on Windows, which has no ``/bin/sh``: its results keep their bare names)."""
    return list(argv) if os.name == "nt" else [*_MERGED, *argv]


def bare(test: str) -> str:
    """The name libtest knows ``test`` by, its target taken off (what a retry selects)."""
    return test.split(SEPARATOR, 1)[1] if SEPARATOR in test else test


def outcomes(output: str, only: Collection[str] | None) -> StepOutcomes:
    """Each test libtest printed a result for (``ignored`` left out; given ``only``, the tests
    a retry ran again), named by its target where cargo named it, and whether it passed. A
    test prints into the output too: where it wrote cargo's or libtest's own lines
    (:func:`_forged`), the run is incomplete, said so, and none of its results is believed."""
    found, target = StepOutcomes(), ""
    for raw in output.splitlines():
        line = raw.rstrip("\r")
        if (started := _STARTED.match(line)) is not None:
            target = started["target"]
        elif _DOCTESTS.match(line):
            target = ""
        elif (result := RESULT.match(line)) is not None and result[2] != "ignored":
            name = f"{target}{SEPARATOR}{result[1]}" if target else result[1]
            if only is None or name in only:
                found.add(name, result[2] == "ok")
    if found and _forged(output.splitlines()):
        found.incomplete = _FORGED
    return found


_RERUN = re.compile(r"^error: test failed, to rerun pass `--(?:test|bin|bench|example) (\S+)`$")
"""cargo's last word when one test binary failed: the target to pass again, by its name."""
_BINARY = re.compile(r"/(?P<stem>[^/()\s]+)-[0-9a-f]{8,}(?:\.exe)?\)$")


def step_ids(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each test a job's log names failed (``test t ... FAILED``) → its id as the test step
    names it, ``tests/other.rs › t``: by the ``Running`` line before its binary's block, as
    :func:`outcomes` reads it. A log that holds cargo's standard error after its standard output
    (the ``Running`` lines last) names the target only when one binary failed: the one whose
    name cargo's ``to rerun pass `--test name``` gives. A name left unplaced keeps none.

    A test prints into the log too (a process it starts writes there uncaptured), so a result is
    placed only from a block read whole, ``running N tests`` to a summary counting its results;
    and cargo's own lines (a binary started, a block begun, the rerun hint) inside a block, a
    summary that does not count its block (:func:`_forged`), or a target started twice, are a
    test's: then no name is placed, for none can be told from a forged one."""
    read = [raw.rstrip("\r") for raw in lines]
    targets = [begun["target"] for line in read if (begun := _STARTED.match(line))]
    if _forged(read, gaps=True) or len(set(targets)) < len(targets):
        return {}  # a test printed cargo's words, or a target started twice: no name is placed
    found: dict[str, dict[str, None]] = {}
    unplaced: list[str] = []
    binaries: dict[str, list[str]] = {}
    rerun: list[str] = []
    target: str | None = None
    block: _Block | None = None
    for line in read:
        if (begun := _STARTED.match(line)) is not None:
            target = begun["target"]
            if (binary := _BINARY.search(line)) is not None:
                binaries.setdefault(binary["stem"], []).append(target)
        elif _DOCTESTS.match(line):
            target = ""
        elif (again := _RERUN.match(line.strip())) is not None:
            rerun.append(again[1])
        elif (opened := BLOCK_START.match(line)) is not None:
            block = _Block(int(opened[1]))
        elif block is not None and block.read(line):
            for name in block.failed():
                if target is None:
                    unplaced.append(name)
                elif target:
                    found.setdefault(name, {})[f"{target}{SEPARATOR}{name}"] = None
            block = None
    places = binaries.get(rerun[0], []) if len(rerun) == 1 else []
    for name in unplaced if len(places) == 1 else ():
        found.setdefault(name, {})[f"{places[0]}{SEPARATOR}{name}"] = None
    return {name: tuple(ids) for name, ids in found.items()}


_FORGED = (
    "a test printed cargo's or libtest's own lines (a binary started, a block begun or ended) "
    "inside a binary's results, so no result can be told from one a test wrote: find the test "
    "that prints them"
)


def _forged(lines: Sequence[str], *, gaps: bool = False) -> bool:
    """Whether a test wrote cargo's or libtest's own lines into ``lines``: one of those written
    only between binaries' blocks inside a block, or (where results are listed, not dots) a
    summary that does not count its block. ``gaps``: lines may be missing (a log's kept lines),
    so a block whose start was not read is not judged."""
    listed = any(RESULT.match(line) for line in lines)
    block: _Block | None = None
    for line in lines:
        if block is None:
            opened = BLOCK_START.match(line)
            block = _Block(int(opened[1])) if opened is not None else None
            if block is None and not gaps and BLOCK_END.match(line) and listed:
                return True  # a summary no block opened
        elif _outside_blocks(line):
            return True
        elif block.read(line):
            if listed and not block.whole:
                return True
            block = None
    return False


def _outside_blocks(line: str) -> bool:
    """Whether ``line`` is one cargo or libtest writes only between binaries' blocks."""
    bare = line.strip()
    return any(shape.match(bare) for shape in (_STARTED, _DOCTESTS, _RERUN, BLOCK_START))


class _Block:
    """One binary's block as libtest writes it: its results, then (after its ``failures:``
    section, where the tests' captured output goes) its summary."""

    def __init__(self, announced: int) -> None:
        self.announced = announced
        self.results: dict[str, str] = {}
        self.twice = False
        self.section = False
        self.whole = False

    def read(self, line: str) -> bool:
        """Take ``line``; whether it ended the block (:attr:`whole`: its summary counts it)."""
        if line in ("successes:", "failures:"):
            self.section = True
        elif not self.section and (result := RESULT.match(line)) is not None:
            self.twice = self.twice or result[1] in self.results
            self.results[result[1]] = result[2]
        elif (summary := BLOCK_END.match(line)) is not None:
            counted = [sum(o == said for o in self.results.values()) for said in ("ok", "FAILED")]
            self.whole = (
                not self.twice
                and len(self.results) == self.announced
                and counted == [int(summary[2]), int(summary[3])]
                and len(self.results) == sum(map(int, summary.groups()[1:]))
            )
            return True
        return False

    def failed(self) -> list[str]:
        return [name for name, said in self.results.items() if said == "FAILED"]


def step_parents(test: str) -> tuple[str, ...]:
    """The bare name a test's entry may still be written by (as the runner's own rule says)."""
    return (bare(test),) if bare(test) != test else ()
