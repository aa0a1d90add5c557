"""logs/flaky.py before and after each runner's flaky signs moved into its folder: the evidence
each log gives (a test failure's and another step's) and its timing miss, on every log under
``tests/fixtures`` and ``research``, whole and cut into steps of 200 lines.

``nice .venv/bin/python -m research.runners.flaky_same OLD_FLAKY.py`` (``OLD_FLAKY``:
``git show REV:src/cicd_agent/logs/flaky.py``)."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

from cicd_agent.logs import flaky
from cicd_agent.logs.runner_format import clean_line


def _fields(miss: object) -> tuple[object, ...] | None:
    """A timing miss as plain values (the two modules' classes never compare equal)."""
    return None if miss is None else dataclasses.astuple(miss)  # type: ignore[call-overload]


def main(old_path: str) -> None:
    spec = importlib.util.spec_from_file_location("old_flaky", old_path)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules["old_flaky"] = old  # its dataclasses look their module up
    spec.loader.exec_module(old)
    files = sorted(p for folder in ("tests/fixtures", "research") for p in Path(folder).rglob("*")
                   if p.suffix in (".log", ".txt") and p.is_file())  # fmt: skip
    steps = differ = evidence = misses = 0
    for path in files:
        lines = [clean_line(line) for line in path.read_bytes().splitlines()]
        for part in [lines, *(lines[at:at + 200] for at in range(0, len(lines), 200))]:
            steps += 1
            for test_failure in (True, False):
                before = old.offline_evidence(part, test_failure=test_failure)
                after = flaky.offline_evidence(part, test_failure=test_failure)
                evidence += bool(after)
                if before != after:
                    differ += 1
                    print(f"{path}: {before} -> {after}")
            misses += flaky.timing_miss(part) is not None
            if _fields(old.timing_miss(part)) != _fields(flaky.timing_miss(part)):
                differ += 1
                print(f"{path}: timing {old.timing_miss(part)} -> {flaky.timing_miss(part)}")
    print(f"{len(files)} logs, {steps} steps (whole and by 200 lines), {evidence} answers with "
          f"evidence, {misses} timing misses; answers that differ: {differ}")


if __name__ == "__main__":
    main(sys.argv[1])
