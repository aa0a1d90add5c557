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
from collections.abc import Collection, Sequence

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
