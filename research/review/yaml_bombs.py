"""Inputs built to stall a mode: how long the review's deterministic pass takes on each.

Run: ``python research/review/yaml_bombs.py``. Before the bounded loader, the two 15-line files
with recursive aliases kept review walking for more than 10 minutes at 5.4 GB (issue 13.9).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.findings import deterministic_findings
from cicd_agent.local.zizmor import ZizmorAudit

RECURSIVE = (
    "on: push\npermissions: {}\njobs:\n  a: &job\n    runs-on: ubuntu-latest\n"
    "    needs: [*job]\n    steps:\n      - run: echo hi\n"
)
LAUGHS = "on: push\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]\n" for i in range(1, 12)
)


def added(path: str, text: str) -> str:
    rows = text[:2000].splitlines()
    body = "".join(f"+{row}\n" for row in rows)
    head = f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
    return f"{head}@@ -0,0 +1,{len(rows)} @@\n{body}"


def main() -> None:
    one, two = ".github/workflows/a.yml", ".github/workflows/b.yml"
    cases = {
        "two recursive-alias files": {one: RECURSIVE, two: RECURSIVE},
        "billion laughs (9^11 nodes)": {one: LAUGHS},
        "a 100 MB line": {one: "on: push\nx: " + "a" * (100 * 1024 * 1024) + "\n"},
        "50,000 nested brackets": {one: "on: push\nx: " + "[" * 50_000 + "]" * 50_000 + "\n"},
    }
    print("| input | seconds | findings |\n|---|---|---|")
    for name, files in cases.items():
        diff = parse_diff("".join(added(path, text) for path, text in files.items()))
        start = time.monotonic()
        found = deterministic_findings(diff, files, ZizmorAudit())
        rules = ", ".join(f.rule for f in found)
        print(f"| {name} | {time.monotonic() - start:.3f} | {rules} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole process (the 100 MB input string included): {peak:.0f} MB")


if __name__ == "__main__":
    main()
