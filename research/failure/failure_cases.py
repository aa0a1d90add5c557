"""Build a second evaluation set of failed runs from real tools, aimed at what issue 18 names.

    python research/failure/failure_cases.py OUT_DIR [--python PY] [--requests-log FILE]

The corpus in tests/corpus was written before the held-out evaluation found its misses; this set
probes the kinds it names (time-outs, lint errors, config errors typed wrongly; flaky runs called
plain failures) with tools and error shapes that corpus does not use, plus plain failures as
controls, so a flakiness rule that fires on everything shows up. Every case runs the real tool
(pytest with pytest-rerunfailures, jest, vitest, node's test runner, tsc, eslint, cargo clippy
and fmt, mypy, maven, make, npm) and the true error line is read from its output. Cases were
chosen by kind before any was run, and the expected type is the one a maintainer would file the
failure under; none was dropped for being misclassified.

``--python`` is an interpreter with pytest, pytest-rerunfailures and mypy; ``--requests-log``
a saved pytest output of psf/requests' ``test_connect_timeout`` run here (item 12).
Writes ``OUT_DIR/<case>/logs.zip`` and ``OUT_DIR/<case>/truth.json``. ``--only NAME...`` builds
only the named cases. The cases live in the ``failure_cases_batch*`` modules (one per frozen
batch), the registry and their shared helpers in ``failure_cases_kit``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

# The batch modules register their builders on import, in this (batch) order.
import failure_cases_batch1  # noqa: E402, F401
import failure_cases_batch2  # noqa: E402, F401
import failure_cases_batch3  # noqa: E402, F401
from failure_cases_kit import BUILDERS  # noqa: E402
from tests.corpus.build import TOOLS_DIR  # noqa: E402
from tests.corpus.runner_log import write_layout  # noqa: E402
from tests.corpus.tools import Toolbox  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--requests-log", default="")
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    Toolbox(TOOLS_DIR).prepare()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        if args.only and name not in args.only:
            continue
        if name == "requests_connect_timeout" and not args.requests_log:
            print(f"{name}: skipped (no --requests-log)")
            continue
        with tempfile.TemporaryDirectory() as scratch:
            try:
                failure_type, truth, jobs, flaky = build(Path(scratch), args)
            except (AssertionError, OSError) as exc:
                print(f"{name}: NOT BUILT: {str(exc)[:300]}")
                continue
        folder = args.out / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        write_layout(jobs, folder, "zip_steps")
        document = {"failure_type": failure_type, "truth": truth, "flaky": flaky}
        (folder / "truth.json").write_text(json.dumps(document, indent=1))
        print(f"{name}: {failure_type} {truth[0][:70]!r}")


if __name__ == "__main__":
    main()
