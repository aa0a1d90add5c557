"""What the gen-tests sandbox costs: the fixture project's suite run sandboxed and unsandboxed.

Not part of the unit-test run. One command::

    .venv/bin/python research/gen_tests/gen_tests_sandbox.py [--runs 15]

Builds the fixture shop project (tests/fixtures/gentests_project) as a git repository, then runs
``python -m pytest -q`` and ``python -c pass`` in one workspace through :class:`Sandbox.run`,
alternating a sandboxed run (bubblewrap, when the machine allows it) with an unsandboxed one
(scrubbed environment only), and prints the median wall time of each and their ratio. The
reference is the unsandboxed run in the same process, so the machine's speed cancels out.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.fixtures.gentests_project.build import make_repo  # noqa: E402

from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox  # noqa: E402
from cicd_agent.sandbox.isolation import Isolation  # noqa: E402

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "pytest (4 tests)": [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    environ = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    environ["HOME"] = os.environ.get("HOME", "/nonexistent")
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "shop"
        make_repo(repo)
        sandboxed = Sandbox(repo, environ)
        plain = Sandbox(repo, environ, isolation=Isolation(False, "reference run"))
        print(f"sandbox: {sandboxed.isolation.describe()}")
        with sandboxed, plain:
            spaces = {box: box.workspace("bench") for box in (sandboxed, plain)}
            for label, command in COMMANDS.items():
                times: dict[Sandbox, list[float]] = {sandboxed: [], plain: []}
                for _ in range(args.runs):
                    for box in (sandboxed, plain):
                        started = time.perf_counter()
                        result = box.run(command, spaces[box], timeout=120)
                        times[box].append(time.perf_counter() - started)
                        if not result.ok:
                            raise SystemExit(f"{label} failed: {result.output[-500:]}")
                inside = statistics.median(times[sandboxed])
                outside = statistics.median(times[plain])
                print(
                    f"{label}: sandboxed {inside * 1000:.0f} ms, unsandboxed "
                    f"{outside * 1000:.0f} ms, ratio {inside / outside:.2f} "
                    f"(+{(inside - outside) * 1000:.0f} ms; median of {args.runs})"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
