"""A pure deletion is a change of its size: a new user's pull request deleting 129 lines of
cachetools (a public class its tests import) scored 0.07, below a one-line edit's 0.086, since
size, two thirds of the score, read the lines added alone. Scored on cachetools' own history
(``tests/fixtures/risk/cachetools.json.gz``, the commits their clone held), as they ran it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers.real_history import build
from tests.unit.risk.test_common_sense import deploy_gate_json

MODULE = "src/cachetools/__init__.py"


def _git(repo: Path, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo.parent), "GIT_AUTHOR_NAME": "author-0",
           "GIT_AUTHOR_EMAIL": "author-0@example.org", "GIT_COMMITTER_NAME": "author-0",
           "GIT_COMMITTER_EMAIL": "author-0@example.org",
           "GIT_AUTHOR_DATE": "2026-11-18T10:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-11-18T10:00:00+00:00"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


def _changed(repo: Path, base: str, keep: slice, replace: dict[int, str], name: str) -> str:
    """A commit on ``base`` whose module keeps ``keep`` of its lines, some replaced."""
    _git(repo, "checkout", "-q", "--detach", base)
    path = repo / MODULE
    lines = path.read_text().splitlines(keepends=True)
    lines = [replace.get(number, line) for number, line in enumerate(lines)]
    path.write_text("".join(lines[keep]))
    _git(repo, "commit", "-q", "--no-verify", "-am", name)
    return _git(repo, "rev-parse", "HEAD")


def test_deleting_129_lines_never_scores_below_editing_one(tmp_path: Path) -> None:
    repo = tmp_path / "cachetools"
    base = build(repo, "cachetools.json.gz")
    assert len((repo / MODULE).read_text().splitlines()) > 129
    one = _changed(repo, base, slice(None), {3: "changed = 1\n"}, "dg 1")
    deleted = _changed(repo, base, slice(None, -129), {}, "remove TLRUCache")
    runs = tmp_path / "runs"
    runs.mkdir()
    scores = {
        head: deploy_gate_json(repo, base, head, tmp_path / "cache", runs)["risk_score"]
        for head in (one, deleted)
    }
    assert scores[deleted] >= scores[one], scores
