"""The benchmark harness must keep running: ``bench/run.py`` drives one small bench end to end.

Not a performance test (no figure's value is asserted); it fails when a bench script, the shared
``Figure`` protocol or the report writer breaks, so ``bench/`` cannot rot unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.payloads import REPO_ROOT

ROOT = REPO_ROOT


@pytest.mark.slow
def test_quick_diff_bench_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "diff",
         "--runs", "1", "--output", str(report)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = report.read_text(encoding="utf-8")
    assert "Command: `" in text and "--only diff" in text
    assert "| Python | " in text and "| load average at start (1, 5, 15 min) | " in text
    assert "| tokenizer | tiktoken " in text
    for name, target in (("wall time", "≤ 2 s"), ("peak RSS", "≤ 300 MB")):
        row = next(line for line in text.splitlines() if f"PR → prompt, {name} |" in line)
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[0] == "diff" and cells[4] == "1" and cells[5] == target
        assert cells[6] in {"met", "**missed**"}
    # The prompt was packed with the exact tokenizer, and the same table went to stdout.
    assert "counted with tiktoken o200k_base" in text
    assert "| diff | 5,000-file PR → prompt, wall time |" in done.stdout


SUITE_FRAME = {"run.py", "common.py", "golden.py"}
"""The driver, its figure protocol, and the before-and-after recorder of every mode's outputs."""
MAX_SUITE_LINES = 4_500


def _sibling_imports(script: Path) -> set[str]:
    """The ``bench/`` modules ``script`` imports by bare name (it runs with ``bench/`` on the path)."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {f"{name}.py" for name in names if (script.parent / f"{name}.py").is_file()}


def test_bench_holds_only_the_suite_run_py_drives() -> None:
    """A study on fetched data or a corpus builder belongs in research/: bench/ is what
    ``bench/run.py`` runs, so every script in it keeps running and stays small."""
    import re

    bench = ROOT / "bench"
    driven = set(re.findall(r'"(\w+\.py)"', (bench / "run.py").read_text(encoding="utf-8")))
    needed, pending = set(SUITE_FRAME), list(driven | SUITE_FRAME)
    while pending:
        script = pending.pop()
        needed.add(script)
        pending += sorted(_sibling_imports(bench / script) - needed)
    present = {path.name for path in bench.glob("*.py")}
    assert present - needed == set(), "move these to research/ or drive them from bench/run.py"
    lines = sum(len((bench / name).read_text(encoding="utf-8").splitlines()) for name in present)
    assert lines <= MAX_SUITE_LINES
