"""CPU of importing a mode's wiring in a fresh interpreter, less ``python -c pass``: the import
cost a run of the mode pays before its first step (user + system time, read by ``os.wait4``,
so load on the machine inflates it less than wall time). Runs alternate with ``pass``; the
median of each side is kept. Bytecode is compiled by a first, uncounted run.

    python research/house/import_cost.py review analyse_failure --runs 9

``--against SRC`` alternates a third run importing from another tree's ``src`` (``PYTHONPATH``):
a before figure taken under the same load as the after one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys


def cpu_seconds(code: str, src: str | None = None) -> float:
    env = dict(os.environ, PYTHONPATH=src) if src else None
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def modules(code: str, src: str | None = None) -> str:
    env = dict(os.environ, PYTHONPATH=src) if src else None
    return subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(len(sys.modules))"],
        capture_output=True, text=True, check=True, env=env,
    ).stdout.strip()  # fmt: skip


def measure(module: str, runs: int, against: str | None) -> list[str]:
    code = f"import {module}"
    sides = {"this tree": None, **({f"PYTHONPATH={against}": against} if against else {})}
    counts = {name: modules(code, src) for name, src in sides.items()}  # and bytecode written
    base: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(runs):
        base.append(cpu_seconds("pass"))
        for name, src in sides.items():
            times[name].append(cpu_seconds(code, src))
    floor = statistics.median(base)
    lines = []
    for name, ours in times.items():
        less = sorted(o - floor for o in ours)
        lines.append(f"{module} ({name}): import CPU s less pass, median "
                     f"{statistics.median(ours) - floor:.3f} (min {less[0]:.3f}, max "
                     f"{less[-1]:.3f}), modules {counts[name]}; pass median {floor:.3f}")  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modes", nargs="+", help="review, analyse_failure, ... or a module name")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--against", help="another tree's src folder, measured alternately")
    args = parser.parse_args()
    for mode in args.modes:
        module = mode if "." in mode else f"cicd_agent.modes.{mode}.mode"
        print("\n".join(measure(module, args.runs, args.against)), flush=True)


if __name__ == "__main__":
    main()
