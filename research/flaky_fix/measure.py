"""Run the test step's flaky-test fixer on the frozen set (``frozen-idoft.csv``) or on stable
controls, one JSON line per test on stdout, progress on stderr.

Each project is checked out at the dataset's commit under PROJECTS/<name>, with its own
virtual environment in VENVS/<name> (outside the checkout: pytest imported from the checkout's
own folder is no run the sandbox believes), the project installed there in editable mode; the
fixer is handed the
test as the history's flaky test, and runs as the test step runs it (``python -m pytest``),
every session in the sandbox::

    python research/flaky_fix/measure.py frozen PROJECTS VENVS > od.jsonl
    python research/flaky_fix/measure.py controls PROJECTS VENVS 200 > controls.jsonl
    python research/flaky_fix/measure.py report od.jsonl controls.jsonl

Controls are tests that passed in one run of the suite in its own order, drawn from the
projects whose suite ran (``random.Random(0)``), never one of the frozen set, and handed to
the fixer five at a time per project, as one step hands it its flaky tests.
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
import time
from pathlib import Path

from cicd_agent.modes.test_step.fixer import BUDGET, MOST_TESTS, fix_flaky
from cicd_agent.runners.table import IN_ORDER
from cicd_agent.verify.orders import OrderedRuns

HERE = Path(__file__).resolve().parent
ENVIRON = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


VENVS = Path("/nonexistent")


def _python(checkout: Path) -> Path:
    return VENVS / checkout.name / "bin" / "python"


def _runs(checkout: Path, sandbox: object) -> OrderedRuns:
    orders = IN_ORDER["pytest"]
    command = orders.command([str(_python(checkout)), "-m", "pytest", "-p", "no:cacheprovider"])
    assert command is not None
    return OrderedRuns(orders, sandbox, command, budget=BUDGET, say=say)  # type: ignore[arg-type]


def one(checkout: Path, test: str) -> dict[str, object]:
    return batch(checkout, [test])[0]


def batch(checkout: Path, tests: list[str]) -> list[dict[str, object]]:
    """``tests`` handed to the fixer together, as one step hands it its flaky tests (the suite
    run once for all of them); the seconds of each are the batch's shared out evenly."""
    started = time.monotonic()
    with IN_ORDER["pytest"].sandbox(checkout, ENVIRON) as sandbox:
        runs = _runs(checkout, sandbox)
        fixes, why = fix_flaky(runs, tests, trusted=True)
    seconds = round((time.monotonic() - started) / len(tests), 1)
    by_test = {fixed.test: fixed for fixed in fixes}
    said = []
    for test in tests:
        found = by_test.get(test)
        said.append({"test": test, "why": why or ("" if found else "not among the suite's tests"),
                     "kind": found.kind if found else "",
                     "related": found.related_test if found else "",
                     "status": found.status if found else "",
                     "evidence": found.evidence if found else "",
                     "patch": found.patch if found else "", "sessions": runs.sessions,
                     "seconds": seconds})  # fmt: skip
    return said


def frozen(projects: Path) -> None:
    with (HERE / "frozen-idoft.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            checkout = projects / row["project"].rsplit("/", 1)[1]
            ran = _python(checkout).exists()
            said = one(checkout, row["test"]) if ran else {"test": row["test"], "why": "no venv"}
            print(json.dumps({**row, **said}), flush=True)


def controls(projects: Path, count: int) -> None:
    with (HERE / "frozen-idoft.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    excluded = {row["test"] for row in rows}
    pool: list[tuple[Path, str]] = []
    for name in sorted({row["project"].rsplit("/", 1)[1] for row in rows}):
        checkout = projects / name
        if not _python(checkout).exists():
            continue
        with IN_ORDER["pytest"].sandbox(checkout, ENVIRON) as sandbox:
            said = _runs(checkout, sandbox).passes([])
        passed = [t for t, ok in (said or {}).items() if ok and t not in excluded]
        say(f"{name}: {len(passed)} passing tests")
        pool += [(checkout, test) for test in passed]
    chosen = random.Random(0).sample(pool, min(count, len(pool)))
    by_project: dict[Path, list[str]] = {}
    for checkout, test in chosen:
        by_project.setdefault(checkout, []).append(test)
    for checkout, tests in by_project.items():
        for start in range(0, len(tests), MOST_TESTS):  # as many as one step classifies
            for said in batch(checkout, tests[start : start + MOST_TESTS]):
                print(json.dumps({"project": checkout.name, **said}), flush=True)

def report(od: Path, control: Path) -> None:
    """The figures: of the frozen set, the tests whose suite ran here, those classified
    order-dependent and those fixed (a patch ``verified`` or ``checked``), the seconds a test
    took; of the controls, any called flaky (order-dependent) or fixed."""
    rows = [json.loads(line) for line in od.read_text(encoding="utf-8").splitlines()]
    ran = [r for r in rows if r.get("kind")]
    order = [r for r in ran if r["kind"] == "order-dependent"]
    fixed = [r for r in ran if r["status"] in ("verified", "checked")]
    seconds = sorted(float(r["seconds"]) for r in ran)
    print(f"frozen set: {len(rows)} tests; ran here: {len(ran)} (not run: {len(rows) - len(ran)})")
    print(f"order-dependent: {len(order)} of {len(ran)}; with the test it depends on: "
          f"{sum(1 for r in order if r['related'])}")
    print(f"fixed: {len(fixed)} of {len(rows)} ({len(fixed)} of {len(ran)} that ran); statuses: "
          f"{sorted((s, sum(1 for r in ran if r['status'] == s)) for s in {r['status'] for r in ran})}")
    if seconds:
        print(f"seconds per flaky test: median {seconds[len(seconds) // 2]:.0f}, mean "
              f"{sum(seconds) / len(seconds):.0f}, most {seconds[-1]:.0f}")
    kept = [json.loads(line) for line in control.read_text(encoding="utf-8").splitlines()]
    judged = [r for r in kept if r.get("kind")]
    flagged = [r for r in judged if r["kind"] == "order-dependent"
               or r["status"] in ("verified", "checked")]
    print(f"controls: {len(kept)}; judged: {len(judged)}; called order-dependent or fixed: "
          f"{len(flagged)}; kinds: {sorted({r['kind'] for r in judged})}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    if sys.argv[1] == "report":
        report(Path(sys.argv[2]), Path(sys.argv[3]))
        sys.exit(0)
    VENVS = Path(sys.argv[3]).resolve()
    if sys.argv[1] == "frozen":
        frozen(Path(sys.argv[2]).resolve())
    else:
        controls(Path(sys.argv[2]).resolve(), int(sys.argv[4]))
