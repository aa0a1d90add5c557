"""jest's repeats: each test a file defines, registered N times in its file's one run.

jest has no repeat count, and ``jest.retryTimes`` reruns only a failure. So our canary wraps the
global ``test`` and ``it`` to define each test N times over, each a test of its own for jest with
its hooks around it; one defined through ``test.each``, ``test.only`` or ``@jest/globals`` runs
once, and its count says so. Passes and failures are counted from jest's report, the outcome the
worst."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence

REPEAT = """
// cicd-agent's repeats (runners/jest/repeat.py): each test this file defines, TIMES times
for (const name of ["test", "it"]) {
  const original = globalThis[name];
  if (typeof original !== "function") continue;
  const repeated = function (...args) {
    for (let run = 0; run < TIMES; run += 1) original.apply(this, args);
  };
  globalThis[name] = Object.assign(repeated, original);
}
"""


def repeating(times: int) -> str:
    """The canary's repeat wrapper for ``times`` runs of each test ("" for one run)."""
    return REPEAT.replace("TIMES", str(int(times))) if times > 1 else ""


def repeat_counts(
    document: Mapping[str, object], root: str, tests: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """Each test's passed and failed runs in jest's report ``document`` (read and believed by
    the seam), by ``file › full name`` under ``root``, for the files ``tests`` (every file
    when empty); a test that did not run (skipped, todo) is not counted."""
    counts: dict[str, tuple[int, int]] = {}
    results = document.get("testResults")
    for result in results if isinstance(results, list) else []:
        name = str(result.get("name", "")) if isinstance(result, dict) else ""
        where = posixpath.relpath(name, root) if name.startswith(f"{root}/") else name
        cases = result.get("assertionResults") if isinstance(result, dict) else None
        for case in cases if isinstance(cases, list) and (where in tests or not tests) else []:
            status = case.get("status") if isinstance(case, dict) else None
            if status in ("passed", "failed"):
                test = f"{where} › {case.get('fullName', '')}"
                won, lost = counts.get(test, (0, 0))
                counts[test] = (won + (status == "passed"), lost + (status == "failed"))
    return counts
