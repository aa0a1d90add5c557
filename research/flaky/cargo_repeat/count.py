"""How many runs of a small real crate's tests cargo's repeats reach in 60 s, measured once.

The crate: servo/rust-fnv at 4e55052 (two unit tests in lib.rs, no dependency), copied from
a local clone given as the first argument. Two figures, each from one run:

- the hunt (gen-tests' reruns of a changed test file, ``runner_gaps.rerun``) over ``lib.rs``
  with a 60 s budget and its default rounds: each test's runs, the rounds and the seconds;
- the seam alone: ``CargoTest().run`` of ``lib.rs`` repeated in one selection of N runs
  within a 60 s timeout (N = the second argument), its repeats and seconds.

Run with the code under measure on ``PYTHONPATH`` (main's, then this branch's).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cicd_agent.modes.gen_tests.runner_gaps import rerun
from cicd_agent.runners.base import Selection
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.pytest.runner import PytestSandbox


def main(clone: str, times: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="cargo-repeat-count-"))
    repo = work / "fnv"
    subprocess.run(["git", "clone", "-q", clone, str(repo)], check=True)
    environ = {"PATH": os.environ["PATH"], "HOME": "/nonexistent",
               "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup"))}
    cargo = CargoTest()
    try:
        with PytestSandbox(repo, environ) as sandbox:
            space = sandbox.workspace("warm")  # the first build, not measured
            first = cargo.run(sandbox, space, Selection(("lib.rs",)), timeout=300)
            started = time.monotonic()
            hunt = rerun(cargo, sandbox, ["lib.rs"], timeout=60, budget=60, seed=1)
            hunted = time.monotonic() - started
            started = time.monotonic()
            alone = cargo.run(sandbox, space, Selection(("lib.rs",), repeat=times), timeout=60)
            seam = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "first_run": {"outcomes": dict(first.outcomes), "problem": first.problem},
        "hunt": {"seconds": round(hunted, 1), "rounds": hunt.runs, "stopped": hunt.stopped,
                 "tests": {t: [c.passed, c.failed] for t, c in hunt.tests.items()},
                 "shown": hunt.shown},
        "seam": {"asked": times, "seconds": round(seam, 1), "problem": alone.problem[:300],
                 "repeats": {t: list(r) for t, r in alone.repeats.items()}},
    }, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
