"""gen-tests' cargo gate on real commits with scripted candidates, as
:mod:`.runner_gate_eval` does for Go and JavaScript: the frozen set is
``runner_gate_rust/cases.json`` (committed before any run), each commit prepared the same way
(the parent's tree, then the commit's change to its named sources only), measured with
:func:`runner_gaps.measure` and each candidate judged by :func:`runner_gate.judge` in the real
sandbox with the job's cargo, offline. Nothing is mocked.

Run: ``nice python -m research.gen_tests.runner_gate_rust --mirrors DIR [--json OUT]``
(``DIR/owner+name/repo``: a git directory of each crate, bare or not). ``--extern-crate``:
judge the candidates with ``extern crate NAME;`` put first (NAME: the crate their first
``use`` names), as the writer's Rust rule asks since the first run: every crate of the set is
of edition 2015, where an integration test's ``use NAME::…`` alone does not resolve. That run
is not first-seen: the frozen files are amended in a temporary copy, never in the set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from research.gen_tests import runner_gate_eval

SET = Path(__file__).parent / "runner_gate_rust"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--json", type=Path, help="write every row here too")
    parser.add_argument("--extern-crate", action="store_true",
                        help="put `extern crate NAME;` first in each candidate (not first-seen)")
    args = parser.parse_args()
    folder = _amended(Path(tempfile.mkdtemp(prefix="rust-gate-set-"))) if args.extern_crate else SET
    cargo = subprocess.run(["cargo", "--version"], capture_output=True, text=True, check=False)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load {os.getloadavg()[0]:.1f} at the start; "
          f"{cargo.stdout.strip()}")  # fmt: skip
    rows: list[dict[str, Any]] = []
    for case in json.loads((SET / "cases.json").read_text())["cases"]:
        rows += runner_gate_eval.evaluate(case, args.mirrors, folder)
    runner_gate_eval.totals(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


def _amended(folder: Path) -> Path:
    """A copy of the set in ``folder`` whose candidates begin with ``extern crate NAME;``."""
    shutil.copytree(SET, folder, dirs_exist_ok=True)
    for file in folder.glob("*/*.txt"):
        text = file.read_text()
        used = [name for name in re.findall(r"^use (\w+)::", text, re.M) if name != "std"]
        if used:
            file.write_text(f"extern crate {used[0]};\n{text}")
    return folder


if __name__ == "__main__":
    main()
