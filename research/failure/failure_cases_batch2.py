"""Batch 2 of research/failure/failure_cases.py (``h_*``): 12 cases written after batch 1's rules
were tuned.

They were run once untuned, so that first score is the honest estimate (BENCHMARKS.md, "batch 2").
"""

from __future__ import annotations

import argparse
from pathlib import Path

from failure_cases_kit import Made, builder, cargo_project, ci_job, ci_step, node_bin, run_pytest
from tests.corpus.tools import find, run, write


@builder
def h_jest_describe_failure(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0"}\n',
                 "cart.test.js": "describe('cart', () => {\n  it('sums prices', () => {\n"
                 "    expect([1, 2].reduce((a, b) => a + b, 0)).toEqual(4);\n  });\n});\n"})  # fmt: skip
    out = run([node_bin("jest"), "--ci"], root)
    truth = find(out, "● cart › sums prices")
    job = ci_job("test", ci_step("Run tests", "npx jest --ci", out), node=True)
    return "test_failure", truth, [job], "false"


@builder
def h_vitest_assertion(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0", "type": "module"}\n',
                 "cart.test.js": "import { expect, test } from 'vitest';\n"
                 "test('sums prices', () => { expect(1 + 2).toBe(4); });\n"})  # fmt: skip
    out = run([node_bin("vitest"), "run"], root)
    truth = find(out, "AssertionError: expected 3 to be 4")
    job = ci_job("test", ci_step("Run tests", "npx vitest run", out), node=True)
    return "test_failure", truth, [job], "false"


@builder
def h_pytest_fixture_error(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tests/test_db.py": "import pytest\n\n\n@pytest.fixture\ndef db():\n"
                 "    raise RuntimeError('database not reachable at setup')\n\n\n"
                 "def test_query(db):\n    assert db\n"})  # fmt: skip
    out = run_pytest(root, args, "tests")
    truth = find(out, "E       RuntimeError: database not reachable at setup")
    return (
        "test_failure",
        truth,
        [ci_job("test", ci_step("Run tests", "pytest tests", out))],
        "false",
    )


@builder
def h_pytest_timeout_thread(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tests/test_slow.py": "import time\n\n\ndef test_sync():\n    time.sleep(5)\n"})
    out = run_pytest(root, args, "--timeout=1", "--timeout-method=thread",
                  "tests")  # fmt: skip
    truth = find(out, "Timeout")
    return (
        "timeout",
        truth,
        [ci_job("test", ci_step("Run tests", "pytest --timeout=1", out))],
        "likely",
    )


@builder
def h_unittest_timing(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"test_speed.py": "import time\nimport unittest\n\n\n"
                 "class TestSpeed(unittest.TestCase):\n    def test_fast(self):\n"
                 "        start = time.monotonic()\n        time.sleep(0.02)\n"
                 "        elapsed = time.monotonic() - start\n"
                 "        self.assertLess(elapsed, 0.001)\n"})  # fmt: skip
    out = run([args.python, "-m", "unittest", "-v"], root)
    truth = find(out, "AssertionError:")
    job = ci_job("test", ci_step("Run tests", "python -m unittest -v", out))
    return "test_failure", truth, [job], "likely"


@builder
def h_ruff_line_too_long(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"app.py": "x = '" + "a" * 120 + "'\n"})
    ruff = str(Path(args.python).parent / "ruff")
    out = run([ruff, "check", "--select", "E501", "--output-format", "full", "."], root)
    truth = find(out, "E501")
    return "lint_error", truth, [ci_job("lint", ci_step("Lint", "ruff check .", out))], "false"


@builder
def h_tsc_missing_file(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tsconfig.json": '{"files": ["src/missing.ts"]}\n'})
    out = run([node_bin("tsc"), "--noEmit", "-p", "."], root)
    truth = find(out, "error TS6053")
    job = ci_job("build", ci_step("Type check", "npx tsc --noEmit -p .", out), node=True)
    return "config_error", truth, [job], "false"


@builder
def h_cargo_unknown_feature(root: Path, args: argparse.Namespace) -> Made:
    cargo_project(root, "fn main() {}\n")
    out = run(["cargo", "build", "--quiet", "--features", "nope"], root)
    truth = find(out, "nope")
    job = ci_job("build", ci_step("Build", "cargo build --features nope", out))
    return "config_error", truth, [job], "false"


@builder
def h_gcc_missing_header(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"main.c": '#include "nothere.h"\nint main(void) { return 0; }\n'})
    out = run(["gcc", "-c", "main.c", "-o", "main.o"], root)
    truth = find(out, "fatal error: nothere.h")
    return "build_error", truth, [ci_job("build", ci_step("Build", "gcc -c main.c", out))], "false"


@builder
def h_node_bad_json_config(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"config.json": '{"port": 8080,}\n', "start.js": "require('./config.json');\n"})
    out = run(["node", "start.js"], root)
    truth = find(out, "SyntaxError")
    job = ci_job("start", ci_step("Smoke test", "node start.js", out), node=True)
    return "config_error", truth, [job], "false"


@builder
def h_maven_unknown_phase(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"pom.xml": "<project><modelVersion>4.0.0</modelVersion><groupId>a</groupId>"
                 "<artifactId>b</artifactId><version>1</version></project>\n"})  # fmt: skip
    out = run(["mvn", "-o", "-q", "-B", "tset"], root)
    truth = find(out, "Unknown lifecycle phase")
    return "config_error", truth, [ci_job("build", ci_step("Build", "mvn -B tset", out))], "false"


@builder
def h_pip_missing_requirements_file(root: Path, args: argparse.Namespace) -> Made:
    out = run([args.python, "-m", "pip", "install", "-r", "requirements-dev.txt"], root)
    truth = find(out, "Could not open requirements file")
    return (
        "config_error",
        truth,
        [ci_job("build", ci_step("Install", "pip install -r", out))],
        "false",
    )
