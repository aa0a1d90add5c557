"""Small real projects that fail in CI the way real ones do, committed with real git.

Each is a git repository whose head commit fails one command: a pytest assertion, a ruff lint
error, a black or isort formatting error. Tests verify fixes on them through the real sandbox
with the dev venv's real tools on ``PATH`` (``tests.helpers.gen_tests.path_env``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "PATH": "/usr/bin:/bin",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=_GIT_ENV
    )
    return done.stdout.strip()


def commit_project(root: Path, files: dict[str, str]) -> str:
    """Write ``files`` into a new repository at ``root``, commit them, return the head sha."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the change under test")
    return git(root, "rev-parse", "HEAD")


CALC = {
    "calc/__init__.py": "",
    "calc/ops.py": "def add(a: int, b: int) -> int:\n    return a - b\n",
    "tests/__init__.py": "",
    "tests/test_ops.py": (
        "from calc.ops import add\n\n\ndef test_add() -> None:\n    assert add(2, 3) == 5\n"
    ),
    "pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
}
"""A real pytest failure: ``add`` subtracts."""

CALC_FIX = (
    "diff --git a/calc/ops.py b/calc/ops.py\n"
    "--- a/calc/ops.py\n"
    "+++ b/calc/ops.py\n"
    "@@ -1,2 +1,2 @@\n"
    " def add(a: int, b: int) -> int:\n"
    "-    return a - b\n"
    "+    return a + b\n"
)
CALC_USELESS_FIX = CALC_FIX.replace("+    return a + b", "+    return a - b  # fixed")
"""A patch that applies and changes only a comment: the test still fails."""
CALC_EXIT_ZERO = (
    "diff --git a/calc/__init__.py b/calc/__init__.py\n"
    "--- a/calc/__init__.py\n"
    "+++ b/calc/__init__.py\n"
    "@@ -0,0 +1,2 @@\n"
    "+import os\n"
    "+os._exit(0)\n"
)
"""A patch that ends pytest's process with status 0 as ``calc`` is imported, before any test
reports: the bug is still there."""


LINT = {
    "app/__init__.py": "",
    "app/main.py": "import os\nimport sys\n\n\ndef main() -> int:\n    return len(sys.argv)\n",
    "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
}
"""A real ruff failure: ``os`` imported and unused (F401, fixable)."""

FORMAT = {
    "app/__init__.py": "",
    "app/main.py": "def main( ) -> int :\n    return  1\n",
    "pyproject.toml": "[tool.black]\nline-length = 100\n",
}
"""A real black / ``ruff format`` failure: spacing the formatter rewrites."""

IMPORTS = {
    "app/__init__.py": "",
    "app/main.py": "import sys\nimport os\n\nprint(os.sep, sys.argv)\n",
    "pyproject.toml": "[tool.isort]\nprofile = 'black'\n",
}
"""A real isort failure: imports out of order."""


def tool_output(repo: Path, command: str, path: str) -> tuple[int, bytes]:
    """Run a real tool of the dev venv over ``repo``: its exit code and its output."""
    done = subprocess.run(
        command.split(),
        cwd=repo,
        capture_output=True,
        check=False,
        env={"PATH": path, "HOME": str(repo.parent), "NO_COLOR": "1"},
    )
    return done.returncode, done.stdout + done.stderr


def lint_failure_log(repo: Path, path: str, script: str = "ruff check .") -> bytes:
    """The whole-job log of a CI job whose last ``run:`` line failed for real over ``repo``."""
    from tests.corpus import noise
    from tests.corpus.runner_log import Job, Step, render

    code, output = tool_output(repo, script.splitlines()[-1], path)
    assert code != 0, output.decode()
    job = Job(
        "lint",
        [
            noise.checkout(),
            noise.setup_python(),
            Step("Lint", run=script, output=output, exit_code=code),
        ],
    )
    return render(job)[0]
