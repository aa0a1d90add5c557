"""Batch 1 of research/failure/failure_cases.py: failed runs aimed at issue 18's misses.

Chosen by kind before any was run (time-outs, lint errors, config errors typed wrongly; flaky
shapes called plain failures), plus plain failures as controls. The rules were tuned on this
batch, so its score is a training figure (BENCHMARKS.md, "batch 1").
"""

from __future__ import annotations

import argparse
from pathlib import Path

from failure_cases_kit import Made, builder, cargo_project, ci_job, ci_step, node_bin, run_pytest
from tests.corpus.tools import Output, find, run, write

# --- flaky shapes (likely) and plain failures (controls) -------------------------------------


@builder
def pytest_rerunfailures(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tests/test_api.py": "import random\n\n\ndef test_ok():\n    assert True\n\n\n"
                 "def test_sometimes():\n    assert random.random() > 2, 'unlucky draw'\n"})  # fmt: skip
    out = run_pytest(root, args, "-p", "rerunfailures", "--reruns", "2", "-rR", "tests")
    truth = find(out, "FAILED tests/test_api.py::test_sometimes")
    return (
        "test_failure",
        truth,
        [ci_job("test", ci_step("Run tests", "pytest --reruns 2", out))],
        "likely",
    )


@builder
def pytest_timing_assertion(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tests/test_speed.py": "import time\n\n\ndef test_cache_is_fast():\n"
                 "    start = time.perf_counter()\n    time.sleep(0.05)\n"
                 "    elapsed = time.perf_counter() - start\n    assert elapsed < 0.01\n"})  # fmt: skip
    out = run_pytest(root, args, "tests")
    truth = find(out, "E       assert ")
    return (
        "test_failure",
        truth,
        [ci_job("test", ci_step("Run tests", "pytest tests", out))],
        "likely",
    )


@builder
def pytest_network_in_test(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tests/test_client.py": "import urllib.request\n\n\ndef test_fetch_status():\n"
                 "    with urllib.request.urlopen('http://127.0.0.1:9/health', timeout=1) as r:\n"
                 "        assert r.status == 200\n"})  # fmt: skip
    out = run_pytest(root, args, "tests")
    truth = find(out, "E       urllib.error.URLError")
    return (
        "test_failure",
        truth,
        [ci_job("test", ci_step("Run tests", "pytest tests", out))],
        "likely",
    )


@builder
def requests_connect_timeout(root: Path, args: argparse.Namespace) -> Made:
    text = Path(args.requests_log).read_bytes()
    out = Output(text, 1)
    truth = find(out, "E           Failed: The connect() request should time out.")
    step = ci_step("Run tests", "python -m pytest tests", out)
    return "test_failure", truth, [ci_job("ubuntu-latest (3.12)", step)], "likely"


@builder
def pytest_plain_assert(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tests/test_calc.py": "def total(xs):\n    return sum(xs) - 1\n\n\n"
                 "def test_total():\n    assert total([1, 2]) == 3\n"})  # fmt: skip
    out = run_pytest(root, args, "tests")
    truth = find(out, "E       assert 2 == 3")
    return (
        "test_failure",
        truth,
        [ci_job("test", ci_step("Run tests", "pytest tests", out))],
        "false",
    )


@builder
def pytest_key_error(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tests/test_cfg.py": "def test_lookup():\n    cfg = {'a': 1}\n"
                 "    assert cfg['timeout'] == 1\n"})  # fmt: skip
    out = run_pytest(root, args, "tests")
    truth = find(out, "E       KeyError: 'timeout'")
    return (
        "test_failure",
        truth,
        [ci_job("test", ci_step("Run tests", "pytest tests", out))],
        "false",
    )


@builder
def jest_retry_times(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0"}\n',
                 "sum.test.js": "jest.retryTimes(2, {logErrorsBeforeRetry: true});\n"
                 "test('adds', () => { expect(1 + 1).toBe(3); });\n"})  # fmt: skip
    out = run([node_bin("jest"), "--ci"], root)
    truth = find(out, "● adds")
    job = ci_job("test", ci_step("Run tests", "npx jest --ci", out), node=True)
    return "test_failure", truth, [job], "likely"


@builder
def jest_plain_failure(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0"}\n',
                 "sum.test.js": "test('adds', () => { expect(1 + 1).toBe(3); });\n"})  # fmt: skip
    out = run([node_bin("jest"), "--ci"], root)
    truth = find(out, "● adds")
    job = ci_job("test", ci_step("Run tests", "npx jest --ci", out), node=True)
    return "test_failure", truth, [job], "false"


# --- time-outs --------------------------------------------------------------------------------


@builder
def jest_test_timeout(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0"}\n',
                 "slow.test.js": "test('loads data', async () => {\n"
                 "  await new Promise((r) => setTimeout(r, 500));\n}, 50);\n"})  # fmt: skip
    out = run([node_bin("jest"), "--ci"], root)
    truth = find(out, "Exceeded timeout of 50 ms")
    job = ci_job("test", ci_step("Run tests", "npx jest --ci", out), node=True)
    return "timeout", truth, [job], "likely"


@builder
def vitest_test_timeout(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0", "type": "module"}\n',
                 "slow.test.js": "import { test } from 'vitest';\n"
                 "test('loads data', async () => {\n"
                 "  await new Promise((r) => setTimeout(r, 500));\n}, 50);\n"})  # fmt: skip
    out = run([node_bin("vitest"), "run"], root)
    truth = find(out, "Test timed out in 50ms")
    job = ci_job("test", ci_step("Run tests", "npx vitest run", out), node=True)
    return "timeout", truth, [job], "likely"


@builder
def node_test_timeout(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"slow.test.mjs": "import test from 'node:test';\n"
                 "test('loads data', { timeout: 50 }, async () => {\n"
                 "  await new Promise((r) => setTimeout(r, 500));\n});\n"})  # fmt: skip
    out = run(["node", "--test", "slow.test.mjs"], root)
    truth = find(out, "test timed out after 50ms")
    job = ci_job("test", ci_step("Run tests", "node --test", out), node=True)
    return "timeout", truth, [job], "likely"


@builder
def python_subprocess_timeout(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"build.py": "import subprocess\n\n"
                 "subprocess.run(['sleep', '5'], timeout=0.5, check=True)\n"})  # fmt: skip
    out = run([args.python, "build.py"], root)
    truth = find(out, "subprocess.TimeoutExpired")
    return "timeout", truth, [ci_job("build", ci_step("Build", "python build.py", out))], "false"


# --- lint errors ------------------------------------------------------------------------------


@builder
def eslint_max_warnings(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0", "type": "module"}\n',
                 "eslint.config.js": "export default [{ rules: { 'no-unused-vars': 'warn' } }];\n",
                 "src/app.js": "const unused = 1;\nexport const x = 2;\n"})  # fmt: skip
    out = run([node_bin("eslint"), "--max-warnings", "0", "src"], root)
    truth = find(out, "ESLint found too many warnings")
    job = ci_job("lint", ci_step("Lint", "npx eslint --max-warnings 0 src", out), node=True)
    return "lint_error", truth, [job], "false"


@builder
def cargo_clippy_deny(root: Path, args: argparse.Namespace) -> Made:
    cargo_project(root, "fn main() {\n    let x = vec![1, 2, 3];\n"
                   "    if x.len() == 0 { println!(\"empty\"); }\n}\n")  # fmt: skip
    out = run(["cargo", "clippy", "--quiet", "--", "-D", "warnings"], root)
    truth = find(out, "error: length comparison to zero")
    job = ci_job("lint", ci_step("Lint", "cargo clippy -- -D warnings", out))
    return "lint_error", truth, [job], "false"


@builder
def cargo_fmt_check(root: Path, args: argparse.Namespace) -> Made:
    cargo_project(root, 'fn main(){println!("hi");}\n')
    out = run(["cargo", "fmt", "--check"], root)
    truth = find(out, "Diff in ")
    return (
        "lint_error",
        truth,
        [ci_job("fmt", ci_step("Check format", "cargo fmt --check", out))],
        "false",
    )


@builder
def mypy_unused_ignore(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"app.py": "x: int = 1  # type: ignore\n"})
    out = run([args.python, "-m", "mypy", "--strict", "--warn-unused-ignores", "app.py"], root)
    truth = find(out, 'error: Unused "type: ignore" comment')
    return (
        "type_error",
        truth,
        [ci_job("types", ci_step("Type check", "mypy --strict .", out))],
        "false",
    )


# --- configuration errors --------------------------------------------------------------------


@builder
def tsc_unknown_option(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tsconfig.json": '{"compilerOptions": {"strictt": true}}\n',
                 "src/a.ts": "export const a: number = 1;\n"})  # fmt: skip
    out = run([node_bin("tsc"), "--noEmit", "-p", "."], root)
    truth = find(out, "error TS5025")
    job = ci_job("build", ci_step("Type check", "npx tsc --noEmit -p .", out), node=True)
    return "config_error", truth, [job], "false"


@builder
def tsc_no_inputs(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"tsconfig.json": '{"include": ["src/**/*"]}\n', "README.md": "x\n"})
    out = run([node_bin("tsc"), "--noEmit", "-p", "."], root)
    truth = find(out, "error TS18003")
    job = ci_job("build", ci_step("Type check", "npx tsc --noEmit -p .", out), node=True)
    return "config_error", truth, [job], "false"


@builder
def jest_bad_preset(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0", '
                 '"jest": {"preset": "ts-jestt"}}\n', "a.test.js": "test('a', () => {});\n"})  # fmt: skip
    out = run([node_bin("jest"), "--ci"], root)
    truth = find(out, "Preset ts-jestt not found")
    job = ci_job("test", ci_step("Run tests", "npx jest --ci", out), node=True)
    return "config_error", truth, [job], "false"


@builder
def npm_ci_without_lockfile(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"package.json": '{"name": "app", "version": "1.0.0"}\n'})
    out = run(["npm", "ci", "--no-audit", "--no-fund"], root)
    truth = find(out, "can only install with an existing package-lock.json")
    job = ci_job("build", ci_step("Install", "npm ci", out), node=True)
    return "config_error", truth, [job], "false"


@builder
def pytest_bad_ini(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"pytest.ini": "[pytest]\naddopts = -q\nthis line is not ini\n",
                 "tests/test_a.py": "def test_a():\n    assert True\n"})  # fmt: skip
    out = run_pytest(root, args, "tests")
    truth = find(out, "unexpected line")
    return (
        "config_error",
        truth,
        [ci_job("test", ci_step("Run tests", "pytest tests", out))],
        "false",
    )


@builder
def mypy_bad_config(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"mypy.ini": "[mypy]\nplugins = no_such_plugin\n", "app.py": "x = 1\n"})
    out = run([args.python, "-m", "mypy", "app.py"], root)
    truth = find(out, "Error importing plugin")
    return (
        "config_error",
        truth,
        [ci_job("types", ci_step("Type check", "mypy app.py", out))],
        "false",
    )


@builder
def cargo_bad_manifest(root: Path, args: argparse.Namespace) -> Made:
    write(
        root,
        {"Cargo.toml": '[package]\nname = "app"\nversion = 0.1\n', "src/main.rs": "fn main() {}\n"},
    )
    out = run(["cargo", "build", "--quiet"], root)
    truth = find(out, "invalid type: floating point")
    return "config_error", truth, [ci_job("build", ci_step("Build", "cargo build", out))], "false"


@builder
def maven_bad_pom(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"pom.xml": "<project><modelVersion>4.0.0</modelVersion><groupId>a</groupId>\n"})
    out = run(["mvn", "-o", "-q", "-B", "validate"], root)
    truth = find(out, "Non-readable POM")
    return (
        "config_error",
        truth,
        [ci_job("build", ci_step("Build", "mvn -B validate", out))],
        "false",
    )


@builder
def make_no_rule(root: Path, args: argparse.Namespace) -> Made:
    write(root, {"Makefile": "test:\n\t@echo testing\n"})
    out = run(["make", "tset"], root)
    truth = find(out, "No rule to make target")
    return "config_error", truth, [ci_job("test", ci_step("Run tests", "make tset", out))], "false"
