"""Red team (a mode stalled by hostile text): two patterns read every line of a pull request's
hunks with quantifiers that can take the same whitespace, so a line of spaces costs cubic time.

- ``analysis.authz._FUNCTION`` (``(?:public|…|\\s)+[\\w<>\\[\\],\\s]*?\\b(\\w+)\\s*\\(``), asked for
  the function around an added ``return True``, in review and in deploy-gate: a line of a few
  thousand spaces stalled the run, a 20 KB line for hours.
- ``analysis.definitions.DEFINITION`` (``^\\s*…[\\w<>\\[\\],.*&\\s]+\\s+\\**\\w+\\s*\\(``), asked
  for the definition each changed line is in by ``--describe``: the same lines stalled it.

Each run below took hours before the patterns were made linear; it is given a deadline many
times what a review of a small change takes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.git_builder import GitRepoBuilder

SPACES = " " * 20_000


def _review_ends(tmp_path: Path, files: dict[str, str], *extra: str) -> None:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial", {"app.py": "VALUE = 1\n"})
    head = repo.commit("Change", files)
    argv = ["review", "--repo", str(repo.path), "--base", base, "--head", head,
            "--provider", "none", "--sarif-file", str(tmp_path / "r.sarif"), *extra]  # fmt: skip
    script = "import sys\nfrom cicd_agent.cli import main\nsys.exit(main(sys.argv[1:], environ={}))"
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=15,
        check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_line_of_spaces_before_an_added_return_true_does_not_stall_review(
    tmp_path: Path,
) -> None:
    _review_ends(tmp_path, {"app.py": f"VALUE = 1\n{SPACES}x\ndef allowed():\n    return True\n"})


def test_a_line_of_spaces_does_not_stall_the_description(tmp_path: Path) -> None:
    _review_ends(tmp_path, {"app.py": f"VALUE = 2\n{SPACES}x\n"}, "--describe")
