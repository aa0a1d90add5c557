"""A change of three commits (a bug fix to a source file that breaks a test, a new function in
the same file, a dependency bump in ``pyproject.toml``) and pytest's own failing output: the
bump was named first as likely responsible and its commit as the likely one, because the
failing test names no source and the manifest sorted first. The source file the tests run
leads, the commit that wrote its line is the likely one, and a manifest is named only where
the log shows a dependency going wrong."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.gen_tests import PROJECT_PYTHON

CALC = "def clamp(value, low, high):\n    return max(low, min(value, high))\n"
FIXED = "def clamp(value, low, high):\n    return max(low, min(value, high - 1))\n"
NEW = FIXED + "\n\ndef double(value):\n    return value * 2\n"
TEST = "from calc import clamp\n\n\ndef test_clamp():\n    assert clamp(5, 0, 3) == 3\n"
PYPROJECT = '[project]\nname = "calc"\ndependencies = ["attrs>={}"]\n'


def test_the_source_the_tests_run_outranks_a_dependency_bump(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"calc.py": CALC, "tests/test_calc.py": TEST,
                                "pyproject.toml": PYPROJECT.format("22")})  # fmt: skip
    fix = repo.commit("clamp below the top", {"calc.py": FIXED})
    repo.commit("add double", {"calc.py": NEW})
    head = repo.commit("bump attrs", {"pyproject.toml": PYPROJECT.format("23")})
    ran = subprocess.run([PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "no:randomly", "tests"], cwd=repo.path, capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": "."})  # fmt: skip
    assert ran.returncode == 1, ran.stdout
    log = tmp_path / "job.txt"
    log.write_text(ran.stdout, encoding="utf-8")
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log), "--repo",
                    str(repo.path), "--base", base, "--head", head, "--json"], tmp_path,
                   {"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.code == 0, done.stderr
    said = json.loads(done.stdout)
    assert [item["path"] for item in said["responsible_files"]] == ["calc.py", "tests/test_calc.py"]
    assert said["responsible_commit"] == fix, said
    # a log that shows a module gone is evidence a manifest may be behind it: named, after code
    log.write_text(ran.stdout + "E   ModuleNotFoundError: No module named 'attr'\n", "utf-8")
    done = run_cli(["analyse-failure", "--provider", "none", "--logs", str(log), "--repo",
                    str(repo.path), "--base", base, "--head", head, "--json"], tmp_path,
                   {"PATH": "/usr/bin:/bin"})  # fmt: skip
    files = [item["path"] for item in json.loads(done.stdout)["responsible_files"]]
    assert files[:2] == ["calc.py", "pyproject.toml"], files
