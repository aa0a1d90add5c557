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

from cicd_agent.runners.cargo.report import RESULT
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
    a retry ran again), named by its target where cargo named it, and whether it passed."""
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
    return found


_RERUN = re.compile(r"^error: test failed, to rerun pass `--(?:test|bin|bench|example) (\S+)`$")
"""cargo's last word when one test binary failed: the target to pass again, by its name."""
_BINARY = re.compile(r"/(?P<stem>[^/()\s]+)-[0-9a-f]{8,}(?:\.exe)?\)$")


def step_ids(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each test a job's log names failed (``test t ... FAILED``) → its id as the test step
    names it, ``tests/other.rs › t``: by the ``Running`` line before its result, as
    :func:`outcomes` reads it. A log that holds cargo's standard error after its standard output
    (the ``Running`` lines last) names the target only when one binary failed: the one whose
    name cargo's ``to rerun pass `--test name``` gives. A name left unplaced keeps none."""
    found: dict[str, tuple[str, ...]] = {}
    unplaced: list[str] = []
    binaries: dict[str, list[str]] = {}
    rerun: list[str] = []
    target: str | None = None
    for raw in lines:
        line = raw.rstrip("\r")
        if (started := _STARTED.match(line)) is not None:
            target = started["target"]
            if (binary := _BINARY.search(line)) is not None:
                binaries.setdefault(binary["stem"], []).append(target)
        elif _DOCTESTS.match(line):
            target = ""
        elif (again := _RERUN.match(line.strip())) is not None:
            rerun.append(again[1])
        elif (result := RESULT.match(line)) is not None and result[2] == "FAILED":
            if target is None:
                unplaced.append(result[1])
            elif target:
                _add(found, result[1], f"{target}{SEPARATOR}{result[1]}")
    places = binaries.get(rerun[0], []) if len(rerun) == 1 else []
    for name in unplaced if len(places) == 1 else ():
        _add(found, name, f"{places[0]}{SEPARATOR}{name}")
    return found


def _add(found: dict[str, tuple[str, ...]], name: str, one: str) -> None:
    ids = found.get(name, ())
    found[name] = ids if one in ids else (*ids, one)


def step_parents(test: str) -> tuple[str, ...]:
    """The bare name a test's entry may still be written by (as the runner's own rule says)."""
    return (bare(test),) if bare(test) != test else ()
