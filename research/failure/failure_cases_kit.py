"""The registry and shared helpers of research/failure/failure_cases.py's builders.

A builder makes one failed CI run from a real tool in a scratch folder and returns what the
evaluation needs (:data:`Made`); :func:`builder` files it in :data:`BUILDERS` under its function
name, which is the case's folder name and what ``--only`` selects. The builders live in the
``failure_cases_batch*`` modules, one per frozen batch; research/failure/failure_cases.py imports
them in batch order, so the registry's order (the order cases are built and printed) is the
batches'.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from tests.corpus import noise  # noqa: E402
from tests.corpus.build import TOOLS_DIR  # noqa: E402
from tests.corpus.runner_log import Job, Step  # noqa: E402
from tests.corpus.tools import Output, run, write  # noqa: E402

Made = tuple[str, list[str], list[Job], str]
"""(failure type, true lines, jobs, expected is_flaky without history)."""
BUILDERS: dict[str, Callable[[Path, argparse.Namespace], Made]] = {}


def builder(fn: Callable[[Path, argparse.Namespace], Made]) -> Callable[..., Made]:
    BUILDERS[fn.__name__] = fn
    return fn


def ci_job(name: str, step: Step, *, node: bool = False) -> Job:
    setup = noise.setup_node() if node else noise.setup_python()
    return Job(name, [noise.checkout(), setup, step])


def ci_step(name: str, command: str, out: Output) -> Step:
    return Step(name, run=command, output=out.text, exit_code=out.exit_code or 1)


def run_pytest(root: Path, args: argparse.Namespace, *extra: str) -> Output:
    return run([args.python, "-m", "pytest", "-p", "no:cacheprovider", *extra], root)


def node_bin(name: str) -> str:
    return str(TOOLS_DIR / "node" / "node_modules" / ".bin" / name)


def cargo_project(root: Path, main: str) -> Path:
    return write(root, {"Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\n'
                        'edition = "2021"\n\n[dependencies]\n', "src/main.rs": main})  # fmt: skip
