"""Nothing is written into the user's repository or left in the temporary folder unless asked.

Run in a developer's terminal (no runner), review used to leave its SARIF log and
analyse-failure its log excerpt in the system temp folder on every run; both are files only a
later step of a job reads, so off a runner they are written only where the user names them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.failed_run import failed_run

CLI = Path(sys.executable).parent / "cicd-agent"


def _terminal(argv: list[str], tmp_path: Path) -> tuple[dict[str, object], Path]:
    """The console script as a developer runs it (no runner variables), with a system temp
    folder of its own that starts empty; its JSON document and that folder after it exited."""
    temp = tmp_path / "system-temp"
    temp.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TMPDIR": str(temp)}
    done = subprocess.run([str(CLI), *argv], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), temp


def _repo(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    base = repo.commit("base", {"src/calc.py": "def add(a, b):\n    return a + b\n"})
    head = repo.commit("debug", {"src/calc.py": "import pdb\n\ndef add(a, b):\n    return a - b\n"})
    return repo, base, head


def test_review_off_a_runner_leaves_no_sarif_unless_asked(tmp_path: Path) -> None:
    repo, base, head = _repo(tmp_path)
    argv = ["review", "--provider", "none", "--repo", str(repo.path), "--base", base,
            "--head", head, "--json"]  # fmt: skip
    document, temp = _terminal(argv, tmp_path)
    assert document["findings_count"] and "sarif_file" not in document
    assert list(temp.iterdir()) == [] and repo.git("status", "--porcelain") == ""
    asked = tmp_path / "kept.sarif"
    run_cli([*argv, "--sarif-file", str(asked)], tmp_path, {}, on_runner=False)
    assert json.loads(asked.read_text())["version"] == "2.1.0"


def test_analyse_failure_off_a_runner_leaves_no_excerpt(tmp_path: Path) -> None:
    repo, _, _ = _repo(tmp_path)
    argv = ["analyse-failure", "--provider", "none", "--repo", str(repo.path), "--logs",
            str(failed_run().zip_path), "--json"]  # fmt: skip
    document, temp = _terminal(argv, tmp_path)
    assert document["root_cause"] and "excerpt_file" not in document
    assert list(temp.iterdir()) == [] and repo.git("status", "--porcelain") == ""
    on_runner = run_cli(argv, tmp_path)  # RUNNER_TEMP is tmp_path/runner_temp
    assert Path(on_runner.outputs["excerpt_file"]).is_relative_to(tmp_path / "runner_temp")
