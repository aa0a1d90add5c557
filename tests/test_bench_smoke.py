"""The benchmark harness must keep running: ``bench/run.py`` drives one small bench end to end.

Not a performance test (the figures' values are not asserted); it fails when a bench script, the
shared ``Figure`` protocol or the report writer breaks, so ``bench/`` cannot rot unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_startup_bench_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "startup",
         "--runs", "1", "--output", str(report)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = report.read_text(encoding="utf-8")
    assert "Command: `" in text and "--only startup" in text
    assert "| Python | " in text and "| load average at start (1, 5, 15 min) | " in text
    assert "| startup | `cicd-agent --version` / `python -c pass` |" in text
    for mode in ("review", "gen-tests", "analyse-failure", "deploy-gate"):
        assert f"| startup | import {mode} mode / `python -c pass` |" in text
    # The lazy-import promise is a count, not a timing: `--version` loads no heavy SDK.
    assert (
        "| startup | heavy SDKs imported by `cicd-agent --version` | 0 | 0–0 | 1 | 0 | met |"
        in text
    )
    assert "| startup | `cicd-agent --version` / `python -c pass` |" in done.stdout
