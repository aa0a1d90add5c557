"""Running gen-tests from tests: the CLI with a clean HOME and the venv's tools on PATH."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cicd_agent.job.context import RunContext
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.maven.runner import MavenJUnit
from cicd_agent.runners.vitest.runner import Vitest
from tests.helpers.cli import run_cli

if TYPE_CHECKING:
    from cicd_agent.modes.gen_tests.options import GenTestsOptions
    from cicd_agent.modes.gen_tests.runner_gaps import RunnerChange


Runner = Jest | Vitest | GoTest | CargoTest | MavenJUnit
"""A runner gen-tests' runner loop writes tests for: its class answers the run, writing and
repeating a test (its row of the runners' table names it for each)."""

INNER_BIN = Path(__file__).resolve().parents[2] / ".harness" / "inner" / "bin"
"""The projects' own interpreter (tests/harness/setup.sh): pytest, coverage and pytest-cov only."""
PROJECT_PYTHON = str(INNER_BIN / "python") if INNER_BIN.is_dir() else sys.executable
"""What a test project's ``python -m pytest`` runs with: that interpreter when set up."""
PROJECT_PATH = os.pathsep.join([str(INNER_BIN), "/usr/bin", "/bin"])
"""A plain PATH that names that interpreter's folder first: a clone under ``/tmp``, which the
sandbox empties, keeps the folder inside the sandbox only as a folder of the run's PATH."""


def path_env() -> str:
    """PATH for a run over a test project: the projects' own interpreter first (when set up), so
    the sandbox's ``python -m pytest`` starts without the dev environment's plugins, then this
    interpreter's folder (the rest of the venv's tools), then the caller's PATH."""
    inner = [str(INNER_BIN)] if INNER_BIN.is_dir() else []
    return os.pathsep.join([*inner, str(Path(sys.executable).parent), os.environ["PATH"]])


def run_gen_tests(
    argv: list[str], tmp_path: Path, **extra: str
) -> tuple[int, dict[str, object], str, str]:
    """``gen-tests ARGV --json``: (exit code, JSON document, raw outputs, stderr)."""
    environ = {
        "PATH": path_env(),
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **extra,
    }
    run = run_cli(["gen-tests", *argv, "--json"], tmp_path, environ)
    return run.code, run.document or {}, run.outputs_text, run.stderr


def gen_tests_context(
    tmp_path: Path, argv: list[str], **extra: str
) -> RunContext[GenTestsOptions]:
    """A gen-tests run's context as the CLI builds it from ``gen-tests ARGV``, to drive its
    steps one by one (with a clean HOME and the venv's tools on PATH, as ``run_gen_tests``)."""
    from cicd_agent.actions.runner_io import RunnerIO
    from cicd_agent.job.flags import declared
    from cicd_agent.job.resolve import parse_flags, resolve_run
    from cicd_agent.modes.gen_tests import arguments
    from cicd_agent.modes.gen_tests.options import GenTestsOptions
    from cicd_agent.plugins import build_parser

    environ = {"PATH": path_env(), "HOME": str(tmp_path), "RUNNER_TEMP": str(tmp_path), **extra}
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        environ.setdefault("TIKTOKEN_CACHE_DIR", os.environ["TIKTOKEN_CACHE_DIR"])
    groups = declared(arguments.FAIL_ON_CHOICES, arguments.OPTIONS)
    flags = parse_flags(build_parser("gen-tests"), ["gen-tests", *argv], groups)
    run = resolve_run("gen-tests", arguments, flags, environ)
    runner = RunnerIO(environ, commands=io.StringIO(), human=io.StringIO())
    ctx: RunContext[GenTestsOptions] = RunContext.of(run, GenTestsOptions.from_given, runner)
    return ctx


@contextmanager
def gate_reruns(count: int) -> Iterator[None]:
    """Runs built meanwhile rerun a passing candidate ``count`` times at the gate's stage 4, not
    five: for tests whose claim is not about a flaky candidate (pushing, coverage data, the
    sandbox's absence), each rerun is a sandboxed pytest run that proves nothing they assert.
    The gate takes the count as an argument; a run builds it with the default, set here. What
    the five reruns catch is tested where the claim is (test_gen_tests_cli.py, the flaky
    candidate)."""
    from cicd_agent.modes.gen_tests.gate import Gate

    defaults = Gate.__init__.__kwdefaults__
    assert defaults is not None and "reruns" in defaults
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(defaults, "reruns", count)
        yield


def runner_change(
    runner: Runner, sources: Mapping[str, frozenset[int]], tests: tuple[str, ...],
    adds_tests: bool = False,
) -> RunnerChange:
    """A change for ``runner``, whose own class answers gen-tests' questions (writing, judging,
    repeating a test) as its row in the runners' table names it."""
    from cicd_agent.modes.gen_tests.runner_gaps import RunnerChange

    mutants = runner if isinstance(runner, CargoTest) else None
    return RunnerChange(runner, sources, tests, runner, runner, mutants, adds_tests)
