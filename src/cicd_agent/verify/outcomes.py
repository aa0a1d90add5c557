"""What a pytest run reports about itself, and when that report cannot be believed.

Our pytest plugin writes exactly one JSON line to a pipe the gate opened (the run finds its
write end in ``CICD_GENTESTS_EVIDENCE_FD``) at the end of the session, then closes it: each
test's outcome, collection errors, unresolved imports, pytest's exit status and, when coverage
was measured, the main process's coverage data. Nothing is read back from files the run could
write. A run whose pipe carries a second document (written by a test, before or after ours), or
whose process exits with another status than the one pytest reported, was tampered with: the
gate rejects it.

The report is still produced inside the candidate's process, so a test written to patch our
plugin's memory could lie in it; the checks here stop the cheap forgeries (rewriting a report
file, an ``atexit`` hook, a dropped coverage file, ``os._exit``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outcomes:
    """What our pytest plugin saw in one run."""

    tests: Mapping[str, str]
    collect_errors: tuple[str, ...]
    unresolved: tuple[str, ...]
    exitstatus: int | None = None
    coverage: bytes | None = None
    """coverage.py's serialised data of the pytest process (``CoverageData.dumps()``)."""
    seconds: Mapping[str, float] = field(default_factory=dict)
    """Each test's setup, call and teardown time, as pytest measured it."""

    def passed(self) -> frozenset[str]:
        return frozenset(test for test, outcome in self.tests.items() if outcome == "passed")


@dataclass(frozen=True)
class Evidence:
    """The parsed pipe of one run: its outcomes, or why there are none to believe."""

    outcomes: Outcomes | None
    problem: str = ""
    """Why the report cannot be believed ("" when it can, or when there is none)."""


def _document(line: bytes) -> Outcomes:
    document: dict[str, Any] = json.loads(line)
    if not isinstance(document, dict):
        raise ValueError("not an object")
    blob = document.get("coverage")
    status = document.get("exitstatus")
    return Outcomes(
        tests={str(k): str(v) for k, v in dict(document.get("tests", {})).items()},
        collect_errors=tuple(str(e) for e in document.get("collect_errors", [])),
        unresolved=tuple(str(u) for u in document.get("unresolved", [])),
        exitstatus=status if isinstance(status, int) else None,
        coverage=base64.b64decode(blob, validate=True) if isinstance(blob, str) else None,
        seconds={str(k): float(v) for k, v in dict(document.get("seconds", {})).items()},
    )


def parse_evidence(raw: bytes, returncode: int | None) -> Evidence:
    """Read a run's pipe; ``returncode`` is the run's exit status (None: killed, not compared)."""
    lines = [line for line in raw.split(b"\n") if line.strip()]
    if not lines:
        return Evidence(None)
    if len(lines) > 1:
        return Evidence(None, f"{len(lines)} outcome reports instead of one (a test wrote its own)")
    try:
        outcomes = _document(lines[0])
    except (ValueError, TypeError, RecursionError, binascii.Error) as exc:
        return Evidence(None, f"an unreadable outcome report ({type(exc).__name__})")
    if returncode is not None and outcomes.exitstatus != returncode:
        return Evidence(
            outcomes,
            f"the process exited with status {returncode} although pytest ended with "
            f"{outcomes.exitstatus}",
        )
    return Evidence(outcomes)
