"""CPU of importing a mode's wiring in a fresh interpreter, less ``python -c pass``: the import
cost a run of the mode pays before its first step (user + system time, read by ``os.wait4``,
so load on the machine inflates it less than wall time). Runs alternate with ``pass``; the
median of each side is kept. Bytecode is compiled by a first, uncounted run.

    python research/house/import_cost.py review analyse_failure --runs 9

Set ``PYTHONPATH`` to another tree's ``src`` to measure it (a before figure).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys


def cpu_seconds(code: str) -> float:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def measure(module: str, runs: int) -> str:
    code = f"import {module}"
    count = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(len(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    base, ours = [], []
    for _ in range(runs):
        base.append(cpu_seconds("pass"))
        ours.append(cpu_seconds(code))
    floor = statistics.median(base)
    less = sorted(o - floor for o in ours)
    return (f"{module}: import CPU s less pass, median {statistics.median(ours) - floor:.3f} "
            f"(min {less[0]:.3f}, max {less[-1]:.3f}), modules {count}; pass median {floor:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modes", nargs="+", help="review, analyse_failure, ... or a module name")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    for mode in args.modes:
        module = mode if "." in mode else f"cicd_agent.modes.{mode}.mode"
        print(measure(module, args.runs), flush=True)


if __name__ == "__main__":
    main()
