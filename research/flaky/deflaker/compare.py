"""Two runs of ``measure.py`` on the same cases side by side: each case's changed lines, whether
the step could judge its failures (no whole-run guard withheld the label) and how many of them
ran no changed line.

Usage: ``.venv/bin/python research/flaky/deflaker/compare.py BEFORE.jsonl AFTER.jsonl``
"""

from __future__ import annotations

import json
import sys

from cicd_agent.analysis.history import canonical_test


def load(path: str) -> dict[str, dict[str, object]]:
    with open(path, encoding="utf-8") as lines:
        return {r["fix"]: r for r in map(json.loads, lines)
                if r.get("kind") in ("regression", "flaky")}  # fmt: skip


def summary(record: dict) -> tuple[bool, int, int, int]:  # type: ignore[type-arg]
    """Judged, failures that ran no changed line, failures, changed lines."""
    traced = record.get("record") or {}
    tests = {canonical_test(k): v for k, v in (traced.get("tests") or {}).items()}
    failures = record.get("failures") or record.get("flaky_failed") or []
    ran_none = sum(1 for f in failures if tests.get(canonical_test(f)) is False)
    said = " ".join(record.get("said", []))
    judged = bool(traced) and not record.get("untraced") and not traced.get("outside") \
        and "could not see" not in said
    changed = sum(len(v) for v in record.get("changed", {}).values())
    return judged, ran_none, len(failures), changed


def main() -> int:
    before, after = load(sys.argv[1]), load(sys.argv[2])
    totals = {"before": [0, 0, 0, 0], "after": [0, 0, 0, 0]}
    print("| repository | fix | changed lines | before: label / failures that ran none | after |")
    print("|---|---|---|---|---|")
    for fix, new in after.items():
        if fix not in before:
            continue
        old_row, new_row = summary(before[fix]), summary(new)
        for name, row in (("before", old_row), ("after", new_row)):
            totals[name] = [a + b for a, b in zip(totals[name], (*row[:3], 1), strict=True)]
        said = [f"{'judged' if r[0] else 'withheld'}, {r[1]} of {r[2]}" for r in (old_row, new_row)]
        print(f"| {new['repo']} | {fix[:10]} | {old_row[3]} → {new_row[3]} | {said[0]} | {said[1]} |")
    for name, (judged, none, failures, cases) in totals.items():
        print(f"\n{name}: label judged in {judged} of {cases} cases; {none} of {failures} failures "
              "ran no changed line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
