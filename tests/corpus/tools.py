"""Run real tools on small projects written to temporary folders.

Every tool's output in the corpus comes from running it here: pytest, unittest, mypy, ruff,
pip, gcc, javac, cargo, node, npm, bash, coreutils. Paths of the temporary project are
rewritten to the runner's checkout path (``/home/runner/work/app/app``), the one thing a real
runner would print differently.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.corpus.runner_log import WORKSPACE

PYTHON = sys.executable
_INNER = Path(__file__).resolve().parents[2] / ".harness" / "inner" / "bin" / "python"
PYTEST_PYTHON = str(_INNER) if _INNER.exists() else PYTHON
"""What the jobs' pytest and coverage run with: the projects' own interpreter of the harness
(tests/harness/setup.sh: pytest, coverage and their plugins only) when set up, whose pytest
starts in half the CPU of the dev environment's with all its plugins."""
TOOLS_DIR = Path(__file__).resolve().parents[2] / ".harness" / "corpus-tools"
TOOL_TIMEOUT = 120
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


@dataclass(frozen=True)
class Output:
    """What a command printed (stdout and stderr interleaved) and how it exited."""

    text: bytes
    exit_code: int

    def lines(self) -> list[str]:
        """Output lines as a reader sees them: decoded, without colour codes."""
        return _ANSI.sub("", self.text.decode("utf-8", errors="replace")).splitlines()


def available(tool: str) -> bool:
    return shutil.which(tool) is not None


@contextlib.contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock (a file beside it) while checking and building it. The test
    workers (pytest-xdist) share ``.harness/``: two that found the corpus or the toolbox missing
    at once would each delete what the other was writing. The lock is released when its holder
    exits, however it exits."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".{folder.name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def run(
    args: list[str],
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = TOOL_TIMEOUT,
) -> Output:
    """Run ``args`` in ``cwd`` as a CI step would, with the project path made the runner's."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "CI": "true",
        # A runner has no pip configuration; this machine's extra wheel folders must not leak in.
        "PIP_CONFIG_FILE": os.devnull,
    }
    for name in ("CARGO_HOME", "RUSTUP_HOME", "JAVA_HOME", "MAVEN_HOME", "TMPDIR"):
        if name in os.environ:
            base[name] = os.environ[name]
    completed = subprocess.run(
        args,
        cwd=cwd,
        env={**base, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
    )
    text = completed.stdout.replace(str(cwd.resolve()).encode(), WORKSPACE.encode())
    text = text.replace(str(cwd).encode(), WORKSPACE.encode())
    return Output(text, completed.returncode)


def bash(script: str, cwd: Path, **kwargs: object) -> Output:
    """Run ``script`` the way a ``run:`` step does: ``bash -e`` on a file under ``_temp``."""
    temp = cwd / "_temp"
    temp.mkdir(exist_ok=True)
    name = hashlib.sha1(script.encode()).hexdigest()[:8] + "-4c1e-9a2b-1f0c2d3e4f5a.sh"
    (temp / name).write_text(script)
    output = run(["bash", "-e", str(temp / name)], cwd, **kwargs)  # type: ignore[arg-type]
    fixed = output.text.replace(f"{WORKSPACE}/_temp/".encode(), b"/home/runner/work/_temp/")
    return Output(fixed, output.exit_code)


def wheel(dest: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """A minimal, valid pure-Python wheel, so pip's resolver can be run with --no-index."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n",
        f"{dist_info}/METADATA": "Metadata-Version: 2.1\n"
        f"Name: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {req}\n" for req in requires),
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: corpus\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for member, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content.encode()).digest())
        record.append(f"{member},sha256={digest.decode().rstrip('=')},{len(content)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name_in_zip, content in files.items():
            archive.writestr(name_in_zip, content)
    return path


def find(output: Output, *needles: str) -> list[str]:
    """The first output line containing each needle: the case's true error lines.

    Raises if the tool did not fail or its output no longer holds what the case expects, so a
    changed tool is noticed instead of silently producing a case without its error.
    """
    lines = output.lines()
    if output.exit_code == 0:
        raise AssertionError(f"the tool succeeded:\n{output.text.decode(errors='replace')[-2000:]}")
    found = []
    for needle in needles:
        line = next((line for line in lines if needle in line), None)
        if line is None:
            text = output.text.decode(errors="replace")[-3000:]
            raise AssertionError(f"no line with {needle!r} in tool output:\n{text}")
        found.append(line.strip())
    return found


NODE_PACKAGES = ("typescript@5", "eslint@9", "vitest@2", "@vitest/coverage-v8@2", "jest@29", "ts-jest@29",
                 "@biomejs/biome@2")
OLD_VITEST_PACKAGES = ("vitest@0.34.6", "@vitest/coverage-v8@0.34.6")
"""vitest before 1.3 (no ``--no-cache``), in a folder of its own (``vitest0``, 33 MB): a real
vitest 0.34 project's runner (blakeembrey/sql-template-tag's, from set 4 of the gen-tests runs)."""
JS_RUNNER_PACKAGES = ("mocha@10", "ava@6", "uvu@0.5")
"""The JavaScript runners the test step reads beside jest and vitest, in a folder of their own
(``jsrunners``): their tests run each on a project of its own."""
OLD_ESLINT_PACKAGES = ("eslint@6.0.1",)
"""eslint before 6.8 (no ``--no-error-on-unmatched-pattern``), in a folder of its own
(``eslint6``): jshttp/range-parser's pin, met by a new user."""
ESLINT7_PACKAGES = ("eslint@7.14.0", "eslint-plugin-import@2.22.0")
"""vary's pins, in a folder of their own (``eslint7``): eslint 7 loads v8-compile-cache, which
throws on an ES module the plugin's dependencies require (``async-function/require.mjs``)."""
PYRIGHT_PACKAGES = ("pyright@1.1.414",)
"""pyright, in a folder of its own (``pyright``, 38 MB, one package with no dependencies):
review's type check of a project that declares it; apart, so adding it reinstalled nothing."""
PYTHON_PACKAGES = ("flake8", "black", "isort", "pylint", "yamllint")


class Toolbox:
    """Linters and test runners installed once from npm and PyPI into a cache folder.

    The machine has node and Python but not these; the corpus installs them through the
    ordinary clients (the registries are reachable here and in CI) and reuses the folder while
    the package list is unchanged. A tool that cannot be installed makes its cases skipped.
    ``tests/harness/setup.sh`` installs it before pytest starts (``python -m tests.corpus.tools``),
    so in a test ``prepare()`` only finds the stamps.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def prepare(self, halves: tuple[str, ...] = ("node", "venv")) -> bool:
        """Install what is missing of ``halves``; whether they all are installed."""
        how = {"node": (NODE_PACKAGES, self._install_node),
               "vitest0": (OLD_VITEST_PACKAGES, self._install_node),
               "jsrunners": (JS_RUNNER_PACKAGES, self._install_node),
               "eslint6": (OLD_ESLINT_PACKAGES, self._install_node),
               "eslint7": (ESLINT7_PACKAGES, self._install_node),
               "pyright": (PYRIGHT_PACKAGES, self._install_node)}
        how["venv"] = (PYTHON_PACKAGES, self._install_python)
        return all([self._install(half, *how[half]) for half in halves])

    def bin(self, name: str) -> Path | None:
        for candidate in (
            self.root / "node" / "node_modules" / ".bin" / name,
            self.root / "venv" / "bin" / name,
        ):
            if candidate.exists():
                return candidate
        return None

    def _install(
        self, kind: str, packages: tuple[str, ...], how: Callable[[Path, tuple[str, ...]], bool]
    ) -> bool:
        folder = self.root / kind
        stamp = folder / ".installed"
        wanted = "\n".join(packages)
        with exclusive(folder):
            if stamp.exists() and stamp.read_text() == wanted:
                return True
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            if not how(folder, packages):
                return False
            stamp.write_text(wanted)
            return True

    def _install_node(self, folder: Path, packages: tuple[str, ...]) -> bool:
        if not available("npm"):
            return False
        done = subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                "--prefer-offline",  # what npm's cache holds is not asked again: a slow registry
                "--prefix",
                str(folder),
                *packages,
            ],
            capture_output=True,
            timeout=600,  # a cold cache under load took past 300 s once
            check=False,
        )
        return done.returncode == 0

    def _install_python(self, folder: Path, packages: tuple[str, ...]) -> bool:
        made = subprocess.run([PYTHON, "-m", "venv", str(folder)], capture_output=True, check=False)
        if made.returncode != 0:
            return False
        done = subprocess.run(
            [
                str(folder / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *packages,
            ],
            capture_output=True,
            timeout=300,
            check=False,
        )
        return done.returncode == 0


if __name__ == "__main__":
    # setup.sh's lanes (``node``, ``venv``): on a fresh clone the first test that needed the
    # toolbox installed it inside pytest while the other workers' tests waited on its lock;
    # there each half installs beside the other downloads, before pytest starts.
    if not Toolbox(TOOLS_DIR).prepare(tuple(sys.argv[1:]) or ("node", "venv")):
        sys.exit(f"the corpus toolbox could not be installed into {TOOLS_DIR} ({sys.argv[1:]})")
