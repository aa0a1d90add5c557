"""The steps around a failure: checkout, toolchain setup, dependency installs, passing tests.

Checkout, setup-python and pip's download chatter are written as those actions print them
(they cannot run offline); passing test suites and compiler warnings come from the real tools.
Some noise is deliberately error-shaped without being the error: pip's resolver notice, a
retried download, deprecation warnings, ``##[warning]`` annotations.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from tests.corpus import tools
from tests.corpus.runner_log import WORKSPACE, Step

_PACKAGES = (
    ("requests", "2.32.3", "64"),
    ("urllib3", "2.2.2", "121"),
    ("idna", "3.7", "66"),
    ("certifi", "2024.7.4", "162"),
    ("charset-normalizer", "3.3.2", "142"),
    ("pydantic", "2.8.2", "423"),
    ("pydantic-core", "2.20.1", "2100"),
    ("typing-extensions", "4.12.2", "37"),
    ("annotated-types", "0.7.0", "13"),
    ("click", "8.1.7", "97"),
    ("rich", "13.7.1", "240"),
    ("markdown-it-py", "3.0.0", "87"),
    ("pygments", "2.18.0", "1200"),
    ("mdurl", "0.1.2", "10"),
    ("pluggy", "1.5.0", "20"),
    ("iniconfig", "2.0.0", "5"),
    ("packaging", "24.1", "53"),
    ("coverage", "7.6.0", "236"),
)


def checkout() -> Step:
    output = f"""Syncing repository: octo/app
##[group]Getting Git version info
Working directory is '{WORKSPACE}'
[command]/usr/bin/git version
git version 2.46.0
##[endgroup]
Temporarily overriding HOME='/home/runner/work/_temp/5c9d1e2a' before making global git config changes
Adding repository directory to the temporary git global config as a safe directory
[command]/usr/bin/git config --global --add safe.directory {WORKSPACE}
Deleting the contents of '{WORKSPACE}'
##[group]Initializing the repository
[command]/usr/bin/git init {WORKSPACE}
hint: Using 'master' as the name for the initial branch. This default branch name
hint: is subject to change. To configure the initial branch name to use in all
Initialized empty Git repository in {WORKSPACE}/.git/
[command]/usr/bin/git remote add origin https://github.com/octo/app
##[endgroup]
##[group]Fetching the repository
[command]/usr/bin/git -c protocol.version=2 fetch --no-tags --prune --no-recurse-submodules --depth=1 origin +9f1c2ab4e5d6:refs/remotes/pull/42/merge
remote: Enumerating objects: 57, done.
remote: Counting objects: 100% (57/57), done.
remote: Compressing objects: 100% (44/44), done.
remote: Total 57 (delta 8), reused 31 (delta 3), pack-reused 0 (from 0)
From https://github.com/octo/app
 * [new ref]         9f1c2ab4e5d6 -> pull/42/merge
##[endgroup]
##[group]Determining the checkout info
##[endgroup]
[command]/usr/bin/git sparse-checkout disable
[command]/usr/bin/git config --local --unset-all extensions.worktreeConfig
##[group]Checking out the ref
[command]/usr/bin/git checkout --progress --force refs/remotes/pull/42/merge
Note: switching to 'refs/remotes/pull/42/merge'.
HEAD is now at 9f1c2ab Merge 3e4f5a6 into 1a2b3c4
##[endgroup]
[command]/usr/bin/git log -1 --format='%H'
'9f1c2ab4e5d6f708192a3b4c5d6e7f8091a2b3c4'
"""  # noqa: E501
    return Step(
        "Run actions/checkout@v4",
        uses="actions/checkout@v4",
        with_={"repository": "octo/app", "token": "***", "ssh-strict": "true", "clean": "true"},
        output=output.encode(),
    )


def setup_python(version: str = "3.11") -> Step:
    output = f"""##[group]Installed versions
Successfully set up CPython ({version}.9)
##[endgroup]
##[group]Restore cache
Cache hit for: setup-python-Linux-python-{version}.9-pip-5b0e4f
Received 48234497 of 48234497 (100.0%), 61.8 MBs/sec
Cache Size: ~46 MB (48234497 B)
[command]/usr/bin/tar -xf /home/runner/work/_temp/83b2/cache.tzst -P -C {WORKSPACE} --use-compress-program unzstd
Cache restored successfully
##[endgroup]
"""  # noqa: E501
    return Step(
        "Set up Python",
        uses="actions/setup-python@v5",
        with_={"python-version": version, "cache": "pip", "check-latest": "false"},
        output=output.encode(),
    )


def setup_node() -> Step:
    output = """Found in cache @ /opt/hostedtoolcache/node/20.15.1/x64
##[group]Environment details
node: v20.15.1
npm: 10.7.0
yarn: 1.22.22
##[endgroup]
##[warning]The `set-output` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.
"""  # noqa: E501
    return Step(
        "Set up Node",
        uses="actions/setup-node@v4",
        with_={"node-version": "20"},
        output=output.encode(),
    )


def pip_install(*, resolver_notice: bool = False, retry: bool = False) -> Step:
    lines = [
        "Requirement already satisfied: pip in /opt/hostedtoolcache/Python/3.11.9/x64/"
        "lib/python3.11/site-packages (24.0)"
    ]
    for name, version, size in _PACKAGES:
        lines.append(f"Collecting {name}=={version} (from -r requirements.txt (line 3))")
        if retry and name == "pydantic":
            lines.append(
                "  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, "
                "status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool"
                "(host='files.pythonhosted.org', port=443): Read timed out. (read timeout=15)\")':"
                f" /packages/{name}-{version}-py3-none-any.whl"
            )
        lines.append(
            f"  Downloading {name.replace('-', '_')}-{version}-py3-none-any.whl ({size} kB)"
        )
        lines.append(
            "     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ "
            f"{size}.0/{size}.0 kB 12.3 MB/s eta 0:00:00"
        )
    names = " ".join(f"{name}-{version}" for name, version, _ in _PACKAGES)
    lines.append("Installing collected packages: " + ", ".join(n for n, _, _ in _PACKAGES))
    if resolver_notice:
        lines += [
            "ERROR: pip's dependency resolver does not currently take into account all the "
            "packages that are installed. This behaviour is the source of the following "
            "dependency conflicts.",
            "sphinx 7.3.7 requires docutils<0.22,>=0.18.1, but you have docutils 0.17 which is "
            "incompatible.",
        ]
    lines.append(f"Successfully installed {names}")
    return Step(
        "Install dependencies",
        run="python -m pip install -r requirements.txt",
        output=("\n".join(lines) + "\n").encode(),
    )


class Noise:
    """Real passing runs, made once per corpus build and reused by the cases."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch

    @cached_property
    def passing_tests(self) -> Step:
        root = self.scratch / "noise-pytest"
        tools.write(root, python_project(tests=220, failing=""))
        output = tools.run(
            [tools.PYTEST_PYTHON, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests"], root
        )
        assert output.exit_code == 0, output.text.decode(errors="replace")[-2000:]
        return Step("Run unit tests", run="python -m pytest -v tests", output=output.text)

    @cached_property
    def mypy_cache(self) -> Path:
        root = tools.write(self.scratch / "mypy-warm", {"warm.py": "import os\nX: int = 1\n"})
        cache = self.scratch / "mypy-warm-cache"
        for strict in ((), ("--strict",)):
            tools.run(
                [tools.PYTHON, "-m", "mypy", "--cache-dir", str(cache), *strict, "warm.py"], root
            )
        return cache

    @cached_property
    def compile_warnings(self) -> Step:
        root = self.scratch / "noise-gcc"
        tools.write(root, {"util.c": "int helper(int x) { int unused = 0; return x * 2; }\n"})
        output = tools.run(["gcc", "-Wall", "-c", "util.c", "-o", "util.o"], root)
        assert output.exit_code == 0
        return Step("Build helpers", run="gcc -Wall -c util.c -o util.o", output=output.text)


def python_project(
    *, tests: int, failing: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """A small package with ``tests`` passing parametrised tests and ``failing`` test code."""
    files = {
        "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n'
        'filterwarnings = ["default"]\n',
        "src/calc.py": "import warnings\n\n\n"
        "def add(a, b):\n    return a + b\n\n\n"
        "def sub(a, b):\n    return a - b\n\n\n"
        "def div(a, b):\n    return a / b\n\n\n"
        "def legacy_mean(values):\n"
        '    warnings.warn("legacy_mean is deprecated, use statistics.mean", DeprecationWarning)\n'
        "    return sum(values) / len(values)\n",
        "tests/test_ops.py": "import pytest\n\nfrom calc import add, legacy_mean, sub\n\n\n"
        f"@pytest.mark.parametrize('n', range({tests}))\n"
        "def test_add_is_commutative(n):\n    assert add(n, 3) == add(3, n)\n\n\n"
        "@pytest.mark.parametrize('n', range(10))\n"
        "def test_sub_inverts_add(n):\n    assert sub(add(n, 5), 5) == n\n\n\n"
        "def test_legacy_mean():\n    assert legacy_mean([1, 2, 3]) == 2\n",
    }
    if failing:
        files["tests/test_failing.py"] = failing
    files.update(extra or {})
    return files
