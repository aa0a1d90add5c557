"""The corpus cases: a real tool, a real injected failure, the true error line and type.

Each case writes a small project, runs the real tool on it, and wraps the output in a job (with
checkout, setup and install steps around it, and sometimes other jobs beside it). The true
error line is read from the tool's own output (``tools.find``), never typed in by hand, so a
tool that changes its wording breaks the build of the corpus rather than the case's truth.
Cases whose toolchain is missing on the machine are skipped by the builder.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.corpus import noise, tools
from tests.corpus.noise import Noise, python_project
from tests.corpus.runner_log import Job, Step
from tests.corpus.tools import PYTEST_PYTHON, PYTHON, Output, Toolbox, bash, find, run, write


@dataclass
class Case:
    """One failed run of the corpus, with its ground truth."""

    name: str
    failure_type: str
    truth: list[str]
    jobs: list[Job]
    layout: str = "zip_steps"


@dataclass
class Ctx:
    """Scratch space and shared noise for building cases."""

    scratch: Path
    toolbox: Toolbox
    noise: Noise = field(init=False)

    def __post_init__(self) -> None:
        self.noise = Noise(self.scratch)

    def project(self, name: str, files: dict[str, str]) -> Path:
        return write(self.scratch / name, files)

    def tool(self, name: str) -> str:
        path = self.toolbox.bin(name)
        assert path is not None, f"{name} is not installed"
        return str(path.resolve())


CaseBuilder = Callable[[Ctx], Case]
CASES: dict[str, tuple[tuple[str, ...], CaseBuilder]] = {}


def case(*requires: str) -> Callable[[CaseBuilder], CaseBuilder]:
    """Register a case builder; ``requires`` names the executables it needs.

    ``tool:NAME`` is a linter or test runner from the corpus toolbox (npm or PyPI).
    """

    def register(builder: CaseBuilder) -> CaseBuilder:
        CASES[builder.__name__] = (requires, builder)
        return builder

    return register


def _py_job(name: str, *steps: Step, **kwargs: bool) -> Job:
    return Job(
        name,
        [noise.checkout(), noise.setup_python(), noise.pip_install(**kwargs), *steps],
    )


def _step(name: str, command: str, output: Output, **kwargs: object) -> Step:
    return Step(name, run=command, output=output.text, exit_code=output.exit_code, **kwargs)  # type: ignore[arg-type]


def _pytest(root: Path, *args: str) -> Output:
    """pytest as a job without pytest-cov runs it (our dev extra installs pytest-cov for the
    verifier's tests; ``--cov-fail-under`` is an unknown option in this corpus's jobs)."""
    return run([PYTEST_PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:cov", *args], root)


_ASSERT_TEST = """\
from calc import add, div


def test_add_small_numbers():
    assert add(2, 3) == 6


def test_div():
    assert div(6, 3) == 2
"""

# --- Python tests ---------------------------------------------------------------------------


@case()
def pytest_assertion(ctx: Ctx) -> Case:
    root = ctx.project("pytest_assertion", python_project(tests=260, failing=_ASSERT_TEST))
    out = _pytest(root, "-v", "tests")
    truth = find(out, "E       assert 5 == 6", "FAILED tests/test_failing.py::test_add_small")
    return Case(
        "pytest_assertion",
        "test_failure",
        truth,
        [_py_job("test", _step("Run tests", "python -m pytest -v tests", out))],
    )


@case()
def pytest_assertion_color(ctx: Ctx) -> Case:
    root = ctx.project("pytest_color", python_project(tests=120, failing=_ASSERT_TEST))
    out = _pytest(root, "-q", "--color=yes", "tests")
    truth = find(out, "FAILED tests/test_failing.py::test_add_small")
    job = _py_job("test (3.11)", _step("Run tests", "pytest -q --color=yes", out))
    return Case("pytest_assertion_color", "test_failure", truth, [job], layout="job_text")


@case()
def pytest_import_error(ctx: Ctx) -> Case:
    failing = (
        "from calc import add, multiply\n\n\ndef test_multiply():\n    assert multiply(2, 3) == 6\n"
    )
    root = ctx.project("pytest_import", python_project(tests=80, failing=failing))
    out = _pytest(root, "tests")
    truth = find(out, "ImportError: cannot import name 'multiply'")
    job = _py_job("test", _step("Run tests", "pytest tests", out))
    return Case("pytest_import_error", "test_failure", truth, [job], layout="zip_jobs")


@case()
def pytest_missing_dependency(ctx: Ctx) -> Case:
    failing = "import fancylib\n\n\ndef test_fancy():\n    assert fancylib.VERSION\n"
    root = ctx.project("pytest_missing", python_project(tests=40, failing=failing))
    out = _pytest(root, "-v", "tests")
    truth = find(out, "ModuleNotFoundError: No module named 'fancylib'")
    job = _py_job("test", _step("Run tests", "python -m pytest -v tests", out))
    return Case("pytest_missing_dependency", "dependency_error", truth, [job], layout="folder")


@case()
def pytest_exception_in_code(ctx: Ctx) -> Case:
    failing = "from calc import div\n\n\ndef test_ratio():\n    assert div(1, 0) == 0\n"
    root = ctx.project("pytest_exc", python_project(tests=150, failing=failing))
    out = _pytest(root, "-v", "tests")
    truth = find(out, "E       ZeroDivisionError: division by zero", "FAILED tests/test_failing.py")
    return Case(
        "pytest_exception_in_code",
        "test_failure",
        truth,
        [_py_job("test", _step("Run tests", "python -m pytest -v tests", out))],
    )


@case()
def pytest_many_failures_then_coverage(ctx: Ctx) -> Case:
    failing = "".join(
        f"def test_broken_{i}():\n    data = {{'a': {i}, 'b': [1, 2, 3]}}\n"
        f"    assert data == {{'a': {i + 1}, 'b': [1, 2, 4]}}\n\n\n"
        for i in range(6)
    )
    extra = {f"src/mod{i}.py": f"def f{i}(x):\n    return x + {i}\n" for i in range(40)}
    root = ctx.project("pytest_cov", python_project(tests=200, failing=failing, extra=extra))
    script = (
        f"{PYTEST_PYTHON} -m coverage run --source=src -m pytest -p no:cacheprovider tests"
        f" || {{ {PYTEST_PYTHON} -m coverage report -m; exit 1; }}\n"
    )
    out = bash(script, root)
    truth = find(out, "FAILED tests/test_failing.py::test_broken_0")
    step = _step("Run tests with coverage", "coverage run -m pytest tests || coverage report", out)
    return Case(
        "pytest_many_failures_then_coverage", "test_failure", truth, [_py_job("coverage", step)]
    )


@case()
def pytest_timeout_plugin(ctx: Ctx) -> Case:
    failing = "import time\n\n\ndef test_slow_endpoint():\n    time.sleep(5)\n"
    root = ctx.project("pytest_timeout", python_project(tests=50, failing=failing))
    out = _pytest(root, "-v", "--timeout=1", "tests")
    truth = find(out, "Failed: Timeout")
    job = _py_job("test", _step("Run tests", "pytest -v --timeout=1 tests", out))
    return Case("pytest_timeout_plugin", "timeout", truth, [job], layout="job_text")


@case()
def pytest_non_utf8_output(ctx: Ctx) -> Case:
    failing = (
        "import sys\n\n\ndef test_decode():\n"
        "    sys.stdout.buffer.write(b'caf\\xe9 \\xff\\xfe legacy bytes\\n')\n"
        "    sys.stdout.flush()\n    assert 'caf\\xe9' == 'cafe'\n"
    )
    root = ctx.project("pytest_latin1", python_project(tests=60, failing=failing))
    out = _pytest(root, "-v", "-s", "tests")
    truth = find(out, "FAILED tests/test_failing.py::test_decode")
    job = _py_job("test", _step("Run tests", "pytest -v -s tests", out))
    return Case("pytest_non_utf8_output", "test_failure", truth, [job], layout="zip_jobs")


@case()
def pytest_after_noisy_install(ctx: Ctx) -> Case:
    root = ctx.project("pytest_noisy", python_project(tests=90, failing=_ASSERT_TEST))
    out = _pytest(root, "-v", "tests")
    truth = find(out, "FAILED tests/test_failing.py::test_add_small")
    job = Job(
        "test",
        [
            noise.checkout(),
            noise.setup_python(),
            noise.pip_install(resolver_notice=True, retry=True),
            ctx.noise.compile_warnings,
            _step("Run tests", "python -m pytest -v tests", out),
        ],
    )
    return Case("pytest_after_noisy_install", "test_failure", truth, [job])


@case()
def unittest_failure(ctx: Ctx) -> Case:
    root = ctx.project(
        "unittest_fail",
        {
            "test_strings.py": textwrap.dedent("""\
            import unittest


            class TestStrings(unittest.TestCase):
                def test_lower(self):
                    self.assertEqual("FOO".lower(), "foo")

                def test_upper(self):
                    self.assertEqual("foo".upper(), "Foo")

                def test_split(self):
                    self.assertEqual("a b".split(), ["a", "b"])
            """),
        },
    )
    out = run([PYTHON, "-m", "unittest", "-v"], root)
    truth = find(out, "FAIL: test_upper", "AssertionError: 'FOO' != 'Foo'")
    job = _py_job("unittest", _step("Run unittest", "python -m unittest -v", out))
    return Case("unittest_failure", "test_failure", truth, [job], layout="job_text")


@case()
def unittest_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "unittest_error",
        {
            "test_config.py": textwrap.dedent("""\
            import unittest


            def load(settings):
                return settings["timeout"] * 2


            class TestConfig(unittest.TestCase):
                def test_load(self):
                    self.assertEqual(load({"retries": 3}), 6)

                def test_ok(self):
                    self.assertTrue(True)
            """),
        },
    )
    out = run([PYTHON, "-m", "unittest", "-v"], root)
    truth = find(out, "ERROR: test_load", "KeyError: 'timeout'")
    job = _py_job("unittest", _step("Run unittest", "python -m unittest -v", out))
    return Case("unittest_error", "test_failure", truth, [job])


# --- Python static checks ---------------------------------------------------------------------


def _mypy(root: Path, ctx: Ctx, *args: str) -> Output:
    # A copy of a cache warmed on the standard library: each run then checks only its project.
    cache = ctx.scratch / "mypy-cache" / root.name
    shutil.copytree(ctx.noise.mypy_cache, cache)
    return run([PYTHON, "-m", "mypy", "--cache-dir", str(cache), *args], root)


@case()
def mypy_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "mypy_error",
        {
            "src/app.py": textwrap.dedent("""\
            def greeting(name: str) -> str:
                return len(name)


            def total(values: list[int]) -> int:
                return sum(values)


            print(total(["a", "b"]))
            """),
        },
    )
    out = _mypy(root, ctx, "--strict", "src")
    truth = find(out, "src/app.py:2: error: Incompatible return value type")
    job = _py_job(
        "typecheck", ctx.noise.passing_tests, _step("Type check", "mypy --strict src", out)
    )
    return Case("mypy_error", "type_error", truth, [job])


@case()
def mypy_many_errors(ctx: Ctx) -> Case:
    body = "".join(f"def f{i}(x: int) -> str:\n    return x + {i}\n\n\n" for i in range(60))
    root = ctx.project("mypy_many", {"src/legacy.py": body})
    out = _mypy(root, ctx, "src")
    truth = find(out, "src/legacy.py:2: error:")
    job = _py_job("typecheck", _step("Type check", "mypy src", out))
    return Case("mypy_many_errors", "type_error", truth, [job], layout="zip_jobs")


_LINT_SOURCE = textwrap.dedent("""\
    import os
    import sys


    def check(value):
        if value == None:
            return False
        return True
    """)


@case()
def ruff_lint(ctx: Ctx) -> Case:
    root = ctx.project("ruff_lint", {"src/app.py": _LINT_SOURCE, "pyproject.toml": "[tool.ruff]\n"})
    out = run([PYTHON, "-m", "ruff", "check", "--no-cache", "src"], root)
    truth = find(out, "F401 [*] `os` imported but unused")
    job = _py_job("lint", _step("Lint", "ruff check src", out))
    return Case("ruff_lint", "lint_error", truth, [job])


@case()
def ruff_lint_concise(ctx: Ctx) -> Case:
    root = ctx.project(
        "ruff_concise", {"src/app.py": _LINT_SOURCE, "pyproject.toml": "[tool.ruff]\n"}
    )
    out = run([PYTHON, "-m", "ruff", "check", "--no-cache", "--output-format=concise", "src"], root)
    truth = find(out, "src/app.py:1:8: F401")
    job = _py_job("lint", _step("Lint", "ruff check --output-format=concise src", out))
    test_job = _py_job("test", ctx.noise.passing_tests)
    test_job.conclusion = "success"
    return Case("ruff_lint_concise", "lint_error", truth, [test_job, job], layout="folder")


@case()
def ruff_format_check(ctx: Ctx) -> Case:
    root = ctx.project(
        "ruff_format",
        {
            "src/app.py": "def f( a,b ):\n  return {'a':a,'b':b}\n",
            "pyproject.toml": "[tool.ruff]\n",
        },
    )
    out = run([PYTHON, "-m", "ruff", "format", "--check", "--no-cache", "src"], root)
    truth = find(out, "would be reformatted")
    job = _py_job("format", _step("Check formatting", "ruff format --check src", out))
    return Case("ruff_format_check", "lint_error", truth, [job], layout="job_text")


@case()
def python_syntax_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "py_syntax",
        {
            "src/app.py": "def handler(event):\n    if event['kind'] == 'push'\n        return 1\n",
            "src/ok.py": "X = 1\n",
        },
    )
    out = run([PYTHON, "-m", "compileall", "-q", "src"], root)
    truth = find(out, "SyntaxError:")
    job = _py_job("build", _step("Byte-compile", "python -m compileall -q src", out))
    return Case("python_syntax_error", "build_error", truth, [job])


@case()
def pytest_syntax_error_in_source(ctx: Ctx) -> Case:
    extra = {"src/parser.py": "def parse(text):\n    return [int(x) for x in text.split(',')\n"}
    failing = "from parser import parse\n\n\ndef test_parse():\n    assert parse('1,2') == [1, 2]\n"
    root = ctx.project("pytest_syntax", python_project(tests=30, failing=failing, extra=extra))
    out = _pytest(root, "tests")
    truth = find(out, "SyntaxError:")
    job = _py_job("test", _step("Run tests", "pytest tests", out))
    return Case("pytest_syntax_error_in_source", "build_error", truth, [job], layout="zip_jobs")


# --- Python dependencies ----------------------------------------------------------------------


def _pip(root: Path, *args: str) -> Output:
    return run(
        [
            PYTHON,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--target",
            str(root / "target"),
            *args,
        ],
        root,
    )


@case()
def pip_conflict(ctx: Ctx) -> Case:
    root = ctx.project("pip_conflict", {"requirements.txt": "demo-app==1.0\ndemo-lib==1.0\n"})
    tools.wheel(root / "wheels", "demo-app", "1.0", ("demo-lib>=2.0",))
    tools.wheel(root / "wheels", "demo-lib", "1.0")
    tools.wheel(root / "wheels", "demo-lib", "2.0")
    out = _pip(root, "--no-index", "--find-links", "wheels", "-r", "requirements.txt")
    truth = find(out, "because these package versions have conflicting dependencies")
    job = Job(
        "install",
        [
            noise.checkout(),
            noise.setup_python(),
            _step("Install dependencies", "pip install -r requirements.txt", out),
        ],
    )
    return Case("pip_conflict", "dependency_error", truth, [job])


@case()
def pip_missing_package(ctx: Ctx) -> Case:
    root = ctx.project("pip_missing", {})
    out = _pip(root, "--no-index", "nonexistent-package==99")
    truth = find(out, "No matching distribution found for nonexistent-package==99")
    job = Job(
        "install",
        [
            noise.checkout(),
            noise.setup_python(),
            _step("Install", "pip install nonexistent-package==99", out),
        ],
    )
    return Case("pip_missing_package", "dependency_error", truth, [job], layout="job_text")


@case()
def pip_network_down(ctx: Ctx) -> Case:
    root = ctx.project("pip_network", {})
    out = _pip(
        root,
        "--index-url",
        "http://127.0.0.1:9/simple",
        "--retries",
        "1",
        "--timeout",
        "2",
        "requests",
    )
    truth = find(out, "Connection refused")
    job = Job(
        "install",
        [noise.checkout(), noise.setup_python(), _step("Install", "pip install requests", out)],
    )
    return Case("pip_network_down", "infrastructure", truth, [job], layout="zip_jobs")


# --- configuration ----------------------------------------------------------------------------


@case()
def yaml_config_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "yaml_config",
        {
            "deploy.yml": "service: api\nreplicas: 3\nimage: registry/api:1.2\n"
            "env:\n  LOG_LEVEL: info\n  url: http://x: 8080\n",
            "load_config.py": "import yaml\n\nwith open('deploy.yml') as f:\n"
            "    config = yaml.safe_load(f)\nprint(config['service'])\n",
        },
    )
    out = run([PYTHON, "load_config.py"], root)
    truth = find(out, "yaml.scanner.ScannerError: mapping values are not allowed here")
    job = _py_job("deploy", _step("Render manifests", "python load_config.py", out))
    return Case("yaml_config_error", "config_error", truth, [job])


@case()
def workflow_yaml_invalid(ctx: Ctx) -> Case:
    root = ctx.project(
        "wf_yaml",
        {
            ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - run: echo hi\n        name: build: all\n",
        },
    )
    exe = str(Path(PYTHON).parent / "check-jsonschema")
    out = run(
        [exe, "--builtin-schema", "vendor.github-workflows", ".github/workflows/ci.yml"], root
    )
    truth = find(out, "ScannerError: mapping values are not allowed here")
    job = _py_job("lint-workflows", _step("Validate workflows", "check-jsonschema ...", out))
    return Case("workflow_yaml_invalid", "config_error", truth, [job], layout="folder")


@case()
def ruff_bad_config(ctx: Ctx) -> Case:
    root = ctx.project(
        "ruff_config",
        {
            "pyproject.toml": '[tool.ruff]\nline-length = "one hundred"\n',
            "src/app.py": "X = 1\n",
        },
    )
    out = run([PYTHON, "-m", "ruff", "check", "--no-cache", "src"], root)
    truth = find(out, "TOML parse error")
    job = _py_job("lint", _step("Lint", "ruff check src", out))
    return Case("ruff_bad_config", "config_error", truth, [job], layout="job_text")


@case()
def pytest_unknown_option(ctx: Ctx) -> Case:
    root = ctx.project("pytest_option", python_project(tests=10, failing=""))
    out = _pytest(root, "--cov-fail-under=90", "tests")
    truth = find(out, "error: unrecognized arguments: --cov-fail-under=90")
    job = _py_job("test", _step("Run tests", "pytest --cov-fail-under=90 tests", out))
    return Case("pytest_unknown_option", "config_error", truth, [job])


@case()
def shell_command_not_found(ctx: Ctx) -> Case:
    root = ctx.project("cmd_missing", python_project(tests=10, failing=""))
    out = bash("echo 'Running the test suite'\npytset -q tests\n", root)
    truth = find(out, "pytset: command not found")
    job = _py_job("test", _step("Run tests", "echo 'Running the test suite'\npytset -q tests", out))
    return Case("shell_command_not_found", "config_error", truth, [job], layout="zip_jobs")


@case("npm")
def npm_missing_script(ctx: Ctx) -> Case:
    root = ctx.project(
        "npm_script",
        {
            "package.json": '{"name": "web", "version": "1.0.0",'
            ' "scripts": {"test": "node --test"}}\n'
        },
    )
    out = run(["npm", "run", "lint"], root)
    truth = find(out, 'Missing script: "lint"')
    job = Job("lint", [noise.checkout(), noise.setup_node(), _step("Lint", "npm run lint", out)])
    return Case("npm_missing_script", "config_error", truth, [job])


# --- runner-level and resource failures -------------------------------------------------------


@case()
def python_memory_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "memory",
        {"load.py": "rows = []\nprint('loading dataset')\nrows.append(bytearray(8 * 1024 ** 3))\n"},
    )
    out = bash(f"ulimit -v 600000\n{PYTHON} load.py\n", root)
    truth = find(out, "MemoryError")
    job = _py_job("etl", ctx.noise.passing_tests, _step("Load data", "python load.py", out))
    return Case("python_memory_error", "oom", truth, [job])


@case()
def killed_137(ctx: Ctx) -> Case:
    root = ctx.project(
        "oom_kill", {"worker.py": "import time\nprint('indexing...', flush=True)\ntime.sleep(30)\n"}
    )
    out = bash(f"{PYTHON} worker.py &\npid=$!\nsleep 0.5\nkill -9 $pid\nwait $pid\n", root)
    assert out.exit_code == 137, out
    truth = find(out, "Killed")
    job = _py_job("index", _step("Build index", "python worker.py", out))
    return Case("killed_137", "oom", truth, [job], layout="job_text")


@case()
def command_timeout_124(ctx: Ctx) -> Case:
    root = ctx.project("timeout124", {})
    out = bash("echo 'waiting for the service to come up'\ntimeout 1 sleep 5\n", root)
    assert out.exit_code == 124, out
    job = _py_job("e2e", _step("Wait for service", "timeout 1 sleep 5", out))
    return Case(
        "command_timeout_124", "timeout", ["##[error]Process completed with exit code 124."], [job]
    )


@case()
def job_timeout(ctx: Ctx) -> Case:
    failing = "import time\n\n\ndef test_integration():\n    time.sleep(30)\n"
    root = ctx.project("job_timeout", python_project(tests=200, failing=failing))
    out = run(
        [
            "timeout",
            "-s",
            "KILL",
            "3",
            PYTEST_PYTHON,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            "tests",
        ],
        root,
    )
    message = (
        "The job running on runner GitHub Actions 7 has exceeded the maximum execution "
        "time of 10 minutes."
    )
    step = Step(
        "Run tests",
        run="python -m pytest -v tests",
        output=out.text,
        runner_errors=(message, "The operation was canceled."),
    )
    job = _py_job("integration", step)
    job.conclusion = "cancelled"
    return Case("job_timeout", "timeout", [f"##[error]{message}"], [job], layout="zip_jobs")


@case()
def runner_shutdown(ctx: Ctx) -> Case:
    root = ctx.project("shutdown", python_project(tests=150, failing=""))
    out = _pytest(root, "-v", "tests")
    partial = b"\n".join(out.text.splitlines()[:90]) + b"\n"
    message = (
        "The runner has received a shutdown signal. This can happen when the runner "
        "service is stopped, or a manually started runner is canceled."
    )
    step = Step(
        "Run tests",
        run="python -m pytest -v tests",
        output=partial,
        runner_errors=(message, "Process completed with exit code 143."),
    )
    return Case(
        "runner_shutdown", "infrastructure", [f"##[error]{message}"], [_py_job("test", step)]
    )


@case()
def cancelled_by_user(ctx: Ctx) -> Case:
    step = ctx.noise.passing_tests
    partial = b"\n".join(step.output.splitlines()[:120]) + b"\n"
    cancelled = Step(
        step.name, run=step.run, output=partial, runner_errors=("The operation was canceled.",)
    )
    job = _py_job("test", cancelled)
    job.conclusion = "cancelled"
    return Case(
        "cancelled_by_user",
        "infrastructure",
        ["##[error]The operation was canceled."],
        [job],
        layout="job_text",
    )


@case()
def disk_full(ctx: Ctx) -> Case:
    root = ctx.project("disk_full", {"artifact.bin": "x" * 200_000})
    out = bash("echo 'Copying build artifacts'\ncp artifact.bin /dev/full\n", root)
    truth = find(out, "No space left on device")
    job = _py_job(
        "package", ctx.noise.passing_tests, _step("Package", "cp artifact.bin dist/", out)
    )
    return Case("disk_full", "infrastructure", truth, [job])


@case("curl")
def curl_dns_failure(ctx: Ctx) -> Case:
    root = ctx.project("curl_dns", {})
    out = bash("curl -sS --max-time 5 https://registry.example.invalid/v2/\n", root)
    truth = find(out, "Could not resolve host")
    job = _py_job(
        "deploy", _step("Push image", "curl -sS https://registry.example.invalid/v2/", out)
    )
    return Case("curl_dns_failure", "infrastructure", truth, [job], layout="folder")


@case("git")
def git_clone_refused(ctx: Ctx) -> Case:
    root = ctx.project("git_refused", {})
    out = run(["git", "clone", "https://127.0.0.1:9/octo/tools.git"], root)
    truth = find(out, "Failed to connect to 127.0.0.1 port 9")
    job = _py_job(
        "build", _step("Fetch tools", "git clone https://127.0.0.1:9/octo/tools.git", out)
    )
    return Case("git_clone_refused", "infrastructure", truth, [job], layout="zip_jobs")


# --- compiled languages -----------------------------------------------------------------------


@case("gcc", "make")
def gcc_compile_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "gcc_error",
        {
            "Makefile": "app: main.c\n\tgcc -Wall -o app main.c\n",
            "main.c": textwrap.dedent("""\
            #include <stdio.h>

            int main(void) {
                int unused_total = 0;
                for (int i = 0; i < 3; i++) {
                    printf("%d\\n", count + i);
                }
                return 0;
            }
            """),
        },
    )
    out = run(["make"], root)
    truth = find(out, "undeclared (first use in this function)")
    job = Job("build", [noise.checkout(), ctx.noise.compile_warnings, _step("Build", "make", out)])
    return Case("gcc_compile_error", "build_error", truth, [job])


@case("gcc")
def gcc_link_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "gcc_link",
        {
            "main.c": "int helper(int);\nint main(void) { return helper(2); }\n",
        },
    )
    out = run(["gcc", "-o", "app", "main.c"], root)
    truth = find(out, "undefined reference to `helper'")
    job = Job("build", [noise.checkout(), _step("Link", "gcc -o app main.c", out)])
    return Case("gcc_link_error", "build_error", truth, [job], layout="job_text")


@case("javac")
def javac_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "javac_error",
        {
            "src/App.java": "public class App {\n    public static void main(String[] args) {\n"
            "        System.out.println(greeting());\n        int n = undefinedCount;\n    }\n"
            '    static String greeting() { return "hi"; }\n}\n',
        },
    )
    out = run(["javac", "-d", "out", "src/App.java"], root)
    truth = find(out, "error: cannot find symbol")
    job = Job("build", [noise.checkout(), _step("Compile", "javac -d out src/App.java", out)])
    return Case("javac_error", "build_error", truth, [job], layout="folder")


@case("mvn")
def maven_offline_dependency(ctx: Ctx) -> Case:
    root = ctx.project(
        "maven_offline",
        {
            "pom.xml": '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
            "  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.example</groupId>\n"
            "  <artifactId>demo</artifactId>\n  <version>1.0</version>\n"
            "  <dependencies><dependency><groupId>com.example.nonexistent</groupId>"
            "<artifactId>missing-lib</artifactId><version>9.9.9</version></dependency>"
            "</dependencies>\n</project>\n",
            "src/main/java/demo/App.java": "package demo;\npublic class App {}\n",
        },
    )
    out = run(["mvn", "-o", "-B", "compile"], root)
    truth = find(out, "[ERROR] Failed to execute goal")
    job = Job("build", [noise.checkout(), _step("Build", "mvn -B compile", out)])
    return Case("maven_offline_dependency", "dependency_error", truth, [job])


_CARGO_TOML = '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n'


def _cargo(root: Path, ctx: Ctx, *args: str) -> Output:
    target = ctx.scratch / "cargo-target" / root.name
    return run(
        ["cargo", *args, "--offline", "--color", "never"],
        root,
        env={"CARGO_TARGET_DIR": str(target), "CARGO_TERM_COLOR": "never"},
    )


@case("cargo")
def cargo_build_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "cargo_build",
        {
            "Cargo.toml": _CARGO_TOML,
            "src/main.rs": "fn total(v: &[u32]) -> u32 {\n    v.iter().sum()\n}\n\n"
            'fn main() {\n    let n: u32 = "three";\n    println!("{}", total(&[n]));\n}\n',
        },
    )
    out = _cargo(root, ctx, "build")
    truth = find(out, "error[E0308]: mismatched types")
    job = Job("build", [noise.checkout(), _step("Build", "cargo build --locked", out)])
    return Case("cargo_build_error", "build_error", truth, [job])


@case("cargo")
def cargo_test_failure(ctx: Ctx) -> Case:
    tests = "".join(
        f"    #[test]\n    fn adds_{i}() {{ assert_eq!(add({i}, 1), {i + 1}); }}\n"
        for i in range(40)
    )
    root = ctx.project(
        "cargo_test",
        {
            "Cargo.toml": _CARGO_TOML,
            "src/lib.rs": "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\n"
            "pub fn halve(a: u32) -> u32 {\n    a / 3\n}\n\n#[cfg(test)]\nmod tests {\n"
            "    use super::*;\n"
            + tests
            + "    #[test]\n    fn halves() {\n        assert_eq!(halve(10), 5);\n    }\n}\n",
        },
    )
    out = _cargo(root, ctx, "test")
    truth = find(out, "test tests::halves ... FAILED")
    job = Job("test", [noise.checkout(), _step("Test", "cargo test --locked", out)])
    return Case("cargo_test_failure", "test_failure", truth, [job], layout="zip_jobs")


@case("cargo")
def cargo_missing_dependency(ctx: Ctx) -> Case:
    root = ctx.project(
        "cargo_dep",
        {
            "Cargo.toml": _CARGO_TOML + '\n[dependencies]\nserde_jsonx = "99.1"\n',
            "src/main.rs": "fn main() {}\n",
        },
    )
    out = _cargo(root, ctx, "build")
    truth = find(out, "serde_jsonx")
    job = Job("build", [noise.checkout(), _step("Build", "cargo build", out)])
    return Case("cargo_missing_dependency", "dependency_error", truth, [job], layout="job_text")


# --- JavaScript -------------------------------------------------------------------------------

_NODE_TESTS = textwrap.dedent("""\
    const test = require('node:test');
    const assert = require('node:assert');
    const { add, mul } = require('./calc');

    for (let i = 0; i < 60; i++) {
      test(`add is commutative ${i}`, () => assert.strictEqual(add(i, 2), add(2, i)));
    }
    test('multiplies numbers', () => {
      assert.strictEqual(mul(3, 4), 12);
    });
    """)
_NODE_CALC = "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a + b;\n"


@case("node")
def node_test_tap(ctx: Ctx) -> Case:
    root = ctx.project("node_tap", {"calc.test.js": _NODE_TESTS, "calc.js": _NODE_CALC})
    out = run(["node", "--test"], root)
    truth = find(out, "not ok 61 - multiplies numbers")
    job = Job("test", [noise.checkout(), noise.setup_node(), _step("Test", "node --test", out)])
    return Case("node_test_tap", "test_failure", truth, [job])


@case("node")
def node_test_spec(ctx: Ctx) -> Case:
    root = ctx.project("node_spec", {"calc.test.js": _NODE_TESTS, "calc.js": _NODE_CALC})
    out = run(["node", "--test", "--test-reporter=spec"], root)
    truth = find(out, "✖ multiplies numbers")
    job = Job(
        "test",
        [
            noise.checkout(),
            noise.setup_node(),
            _step("Test", "node --test --test-reporter=spec", out),
        ],
    )
    return Case("node_test_spec", "test_failure", truth, [job], layout="job_text")


@case("node")
def node_syntax_error(ctx: Ctx) -> Case:
    root = ctx.project(
        "node_syntax",
        {"server.js": "const port = 3000;\nfunction start( {\n  console.log(port);\n}\nstart();\n"},
    )
    out = run(["node", "server.js"], root)
    truth = find(out, "SyntaxError:")
    job = Job(
        "smoke", [noise.checkout(), noise.setup_node(), _step("Smoke", "node server.js", out)]
    )
    return Case("node_syntax_error", "build_error", truth, [job], layout="folder")


@case("node")
def node_missing_module(ctx: Ctx) -> Case:
    root = ctx.project(
        "node_module",
        {"index.js": "const pad = require('left-padder');\nconsole.log(pad('x', 3));\n"},
    )
    out = run(["node", "index.js"], root)
    truth = find(out, "Cannot find module 'left-padder'")
    job = Job("build", [noise.checkout(), noise.setup_node(), _step("Run", "node index.js", out)])
    return Case("node_missing_module", "dependency_error", truth, [job], layout="zip_jobs")


# --- several jobs -----------------------------------------------------------------------------


@case()
def matrix_same_failure(ctx: Ctx) -> Case:
    root = ctx.project("matrix", python_project(tests=100, failing=_ASSERT_TEST))
    out = _pytest(root, "-v", "tests")
    truth = find(out, "FAILED tests/test_failing.py::test_add_small")
    jobs = [
        _py_job(f"test ({version})", _step("Run tests", "python -m pytest -v tests", out))
        for version in ("3.10", "3.11", "3.12")
    ]
    return Case("matrix_same_failure", "test_failure", truth, jobs)


@case()
def fail_fast_sibling_cancelled(ctx: Ctx) -> Case:
    root = ctx.project("fail_fast", {"src/app.py": "def f(x: int) -> str:\n    return x\n"})
    out = _mypy(root, ctx, "src")
    truth = find(out, "src/app.py:2: error:")
    failed = _py_job("typecheck", _step("Type check", "mypy src", out))
    step = ctx.noise.passing_tests
    partial = b"\n".join(step.output.splitlines()[:150]) + b"\n"
    cancelled = _py_job(
        "test",
        Step(
            step.name, run=step.run, output=partial, runner_errors=("The operation was canceled.",)
        ),
    )
    cancelled.conclusion = "cancelled"
    return Case("fail_fast_sibling_cancelled", "type_error", truth, [cancelled, failed])


@case()
def lint_fails_tests_pass(ctx: Ctx) -> Case:
    root = ctx.project(
        "lint_and_test", {"src/app.py": _LINT_SOURCE, "pyproject.toml": "[tool.ruff]\n"}
    )
    out = run([PYTHON, "-m", "ruff", "check", "--no-cache", "src"], root)
    truth = find(out, "F401 [*] `sys` imported but unused")
    tests = _py_job("test", ctx.noise.passing_tests)
    tests.conclusion = "success"
    lint = _py_job("lint", _step("Lint", "ruff check src", out))
    return Case("lint_fails_tests_pass", "lint_error", truth, [tests, lint], layout="zip_jobs")


# --- tools from the toolbox (npm, PyPI) -------------------------------------------------------


def _node_project(ctx: Ctx, name: str, files: dict[str, str]) -> Path:
    root = ctx.project(name, {"package.json": '{"name": "web", "version": "1.0.0"}\n', **files})
    modules = ctx.toolbox.root / "node" / "node_modules"
    (root / "node_modules").symlink_to(modules.resolve(), target_is_directory=True)
    return root


@case("tool:tsc")
def tsc_type_error(ctx: Ctx) -> Case:
    root = _node_project(
        ctx,
        "tsc",
        {
            "tsconfig.json": '{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2022",'
            ' "types": [], "skipLibCheck": true}, "include": ["src"]}\n',
            "src/user.ts": "export interface User { id: number; name: string }\n\n"
            "export function label(user: User): string {\n  return user.id;\n}\n",
            "src/index.ts": "import { label } from './user';\n\nconsole.log(label({ id: 1, name: 'a' }));\n",
        },
    )
    out = run([ctx.tool("tsc"), "-p", "."], root)
    truth = find(out, "src/user.ts(4,3): error TS2322")
    job = Job(
        "typecheck",
        [noise.checkout(), noise.setup_node(), _step("Type check", "npx tsc -p .", out)],
    )
    return Case("tsc_type_error", "type_error", truth, [job])


@case("tool:eslint")
def eslint_error(ctx: Ctx) -> Case:
    root = _node_project(
        ctx,
        "eslint",
        {
            "eslint.config.mjs": 'export default [{ rules: { "no-unused-vars": "error", '
            '"no-undef": "error" }, languageOptions: { sourceType: "module" } }];\n',
            "src/app.js": "const unused = 1;\n\nexport function total(items) {\n"
            "  return items.reduce((sum, item) => sum + item.price, 0) + taxRate;\n}\n",
        },
    )
    out = run([ctx.tool("eslint"), "src"], root)
    truth = find(out, "'taxRate' is not defined")
    job = Job("lint", [noise.checkout(), noise.setup_node(), _step("Lint", "npx eslint src", out)])
    return Case("eslint_error", "lint_error", truth, [job], layout="job_text")


_JS_CALC = "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a + b;\n"
_JEST_TESTS = "".join(
    f"test('adds {i}', () => {{ expect(add({i}, 1)).toBe({i + 1}); }});\n" for i in range(50)
)


@case("tool:jest")
def jest_failure(ctx: Ctx) -> Case:
    root = _node_project(
        ctx,
        "jest",
        {
            "src/calc.js": _JS_CALC,
            "src/calc.test.js": "const { add, mul } = require('./calc');\n\ndescribe('calc', () => {\n"
            + _JEST_TESTS
            + "  test('multiplies numbers', () => {\n    expect(mul(3, 4)).toBe(12);\n"
            "  });\n});\n",
        },
    )
    out = run([ctx.tool("jest"), "--ci"], root, env={"CI": "true"})
    truth = find(out, "● calc › multiplies numbers")
    job = Job("test", [noise.checkout(), noise.setup_node(), _step("Test", "npx jest --ci", out)])
    return Case("jest_failure", "test_failure", truth, [job], layout="zip_jobs")


@case("tool:vitest")
def vitest_failure(ctx: Ctx) -> Case:
    root = _node_project(
        ctx,
        "vitest",
        {
            "src/calc.mjs": "export const add = (a, b) => a + b;\nexport const mul = (a, b) => a + b;\n",
            "src/calc.test.mjs": "import { describe, test, expect } from 'vitest';\n"
            "import { add, mul } from './calc.mjs';\n\ndescribe('calc', () => {\n"
            + _JEST_TESTS
            + "  test('multiplies numbers', () => {\n    expect(mul(3, 4)).toBe(12);\n"
            "  });\n});\n",
        },
    )
    out = run([ctx.tool("vitest"), "run"], root, env={"CI": "true"})
    truth = find(out, "AssertionError: expected 7 to be 12")
    job = Job("test", [noise.checkout(), noise.setup_node(), _step("Test", "npx vitest run", out)])
    return Case("vitest_failure", "test_failure", truth, [job], layout="folder")


@case("tool:flake8")
def flake8_lint(ctx: Ctx) -> Case:
    root = ctx.project("flake8", {"src/app.py": _LINT_SOURCE})
    out = run([ctx.tool("flake8"), "src"], root)
    truth = find(out, "src/app.py:1:1: F401 'os' imported but unused")
    job = _py_job("lint", ctx.noise.passing_tests, _step("Lint", "flake8 src", out))
    return Case("flake8_lint", "lint_error", truth, [job])


@case("tool:black")
def black_check(ctx: Ctx) -> Case:
    root = ctx.project("black", {"src/app.py": "def f( a,b ):\n  return {'a':a,'b':b}\n"})
    out = run([ctx.tool("black"), "--check", "src"], root)
    truth = find(out, "would reformat")
    job = _py_job("format", _step("Check formatting", "black --check src", out))
    return Case("black_check", "lint_error", truth, [job], layout="zip_jobs")


@case("tool:isort")
def isort_check(ctx: Ctx) -> Case:
    root = ctx.project("isort", {"src/app.py": "import sys\nimport os\n\nprint(os, sys)\n"})
    out = run([ctx.tool("isort"), "--check-only", "src"], root)
    truth = find(out, "Imports are incorrectly sorted")
    job = _py_job("lint", _step("Sort imports", "isort --check-only src", out))
    return Case("isort_check", "lint_error", truth, [job], layout="job_text")


@case("tool:pylint")
def pylint_lint(ctx: Ctx) -> Case:
    root = ctx.project("pylint", {"src/app.py": _LINT_SOURCE})
    out = run([ctx.tool("pylint"), "src/app.py"], root)
    truth = find(out, "W0611: Unused import os")
    job = _py_job("lint", _step("Pylint", "pylint src/app.py", out))
    return Case("pylint_lint", "lint_error", truth, [job], layout="folder")


@case("tool:yamllint")
def yamllint_lint(ctx: Ctx) -> Case:
    root = ctx.project(
        "yamllint",
        {
            "deploy/values.yml": "---\nreplicas: 3\nimage:\n    repository: registry/api\n"
            "    tag: 1.2.0\nresources:\n  limits:\n      cpu: 500m\n",
        },
    )
    out = run([ctx.tool("yamllint"), "deploy"], root)
    truth = find(out, "wrong indentation")
    job = _py_job("lint", _step("Lint YAML", "yamllint deploy", out))
    return Case("yamllint_lint", "lint_error", truth, [job])


# --- errors far from the end of the log -------------------------------------------------------


@case("gcc")
def gcc_error_then_warnings(ctx: Ctx) -> Case:
    unused = "".join(f"    int unused_{i} = {i};\n" for i in range(40))
    root = ctx.project(
        "gcc_warnings",
        {
            "engine.c": "#include <stdio.h>\n\nint run(int steps) {\n    return stepz * 2;\n}\n\n"
            "int main(void) {\n" + unused + "    return run(3);\n}\n",
        },
    )
    out = run(["gcc", "-Wall", "-c", "engine.c"], root)
    truth = find(out, "'stepz' undeclared" if "'stepz'" in out.text.decode() else "undeclared")
    job = Job("build", [noise.checkout(), _step("Compile", "gcc -Wall -c engine.c", out)])
    return Case("gcc_error_then_warnings", "build_error", truth, [job], layout="zip_jobs")


@case("cargo")
def cargo_error_then_warnings(ctx: Ctx) -> Case:
    unused = "".join(f"    let unused_{i} = {i};\n" for i in range(30))
    root = ctx.project(
        "cargo_warnings",
        {
            "Cargo.toml": _CARGO_TOML,
            "src/main.rs": "fn parse(s: &str) -> u32 {\n    s.len()\n}\n\nfn main() {\n"
            + unused
            + '    println!("{}", parse("x"));\n}\n',
        },
    )
    out = _cargo(root, ctx, "build")
    truth = find(out, "error[E0308]: mismatched types")
    job = Job("build", [noise.checkout(), _step("Build", "cargo build", out)])
    return Case("cargo_error_then_warnings", "build_error", truth, [job], layout="job_text")


@case()
def pytest_long_warnings_summary(ctx: Ctx) -> Case:
    warn = "".join(
        f"def test_legacy_{i}():\n    import warnings\n"
        f"    warnings.warn('option_{i} is deprecated and will be removed in 3.0', "
        "DeprecationWarning)\n\n\n"
        for i in range(60)
    )
    failing = _ASSERT_TEST + "\n\n" + warn
    root = ctx.project("pytest_warnings", python_project(tests=80, failing=failing))
    out = _pytest(root, "tests")
    truth = find(out, "E       assert 5 == 6", "FAILED tests/test_failing.py::test_add_small")
    return Case(
        "pytest_long_warnings_summary",
        "test_failure",
        truth,
        [_py_job("test", _step("Run tests", "pytest tests", out))],
    )


@case()
def failure_then_always_steps(ctx: Ctx) -> Case:
    root = ctx.project("always", python_project(tests=120, failing=_ASSERT_TEST))
    out = _pytest(root, "-v", "tests")
    truth = find(out, "E       assert 5 == 6", "FAILED tests/test_failing.py::test_add_small")
    service_log = "".join(
        f"2024-05-14 09:1{i % 10}:0{i % 6}.123 INFO  [api] GET /v1/items/{i} 200 {i % 37} ms\n"
        + (
            "2024-05-14 09:13:00.001 ERROR [db] connection pool exhausted, retrying in 1s\n"
            if i == 40
            else ""
        )
        for i in range(160)
    )
    (root / "service.log").write_text(service_log)
    dump = run(["cat", "service.log"], root)
    packages = run([PYTHON, "-m", "pip", "list", "--disable-pip-version-check"], root)
    job = _py_job(
        "e2e",
        _step("Run tests", "python -m pytest -v tests", out),
        Step("Dump service logs", run="cat service.log", output=dump.text, always=True),
        Step("List packages", run="pip list", output=packages.text, always=True),
    )
    return Case("failure_then_always_steps", "test_failure", truth, [job])


@case("make")
def make_recipe_command_missing(ctx: Ctx) -> Case:
    root = ctx.project(
        "make_missing",
        {
            "Makefile": "test:\n\t@echo 'running checks'\n\tpyhton -m pytest tests\n",
        },
    )
    out = run(["make", "test"], root)
    truth = find(out, "pyhton")
    job = _py_job("test", _step("Test", "make test", out))
    return Case("make_recipe_command_missing", "config_error", truth, [job], layout="folder")


@case()
def mypy_long_report(ctx: Ctx) -> Case:
    body = "".join(f"def f{i}(x: int) -> str:\n    return x + {i}\n\n\n" for i in range(150))
    root = ctx.project("mypy_long", {"src/legacy.py": body})
    out = _mypy(root, ctx, "src")
    truth = find(out, "src/legacy.py:2: error:")
    job = _py_job("typecheck", _step("Type check", "mypy src", out))
    return Case("mypy_long_report", "type_error", truth, [job])
