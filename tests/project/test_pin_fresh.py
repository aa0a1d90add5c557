"""The commit the README and the examples pin runs the code the docs describe.

The pin stayed 318 commits old, before ``docs/security.md`` and thousands of changed lines of
``src/``: a user copying an example ran older code than every page described. This fails once
more than ``MAX_BEHIND`` commits after the pin changed ``src/``, ``action.yml`` or ``docs/``;
``python tools/pin.py`` moves every pin at once. ``tools/pin.py`` itself is tested on a
repository of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tools import pin

from tests.git_builder import GitRepoBuilder

ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def test_the_readme_examples_and_docs_pin_one_recent_commit() -> None:
    found = pin.pins(ROOT)
    assert ROOT / "README.md" in found and len(found) >= 8, sorted(found)
    shas = set().union(*found.values())
    assert len(shas) == 1, f"different pins: {sorted(shas)}; run python tools/pin.py"
    (sha,) = shas
    if not _git("rev-parse", "--git-dir"):
        pytest.skip("not a git checkout: the pin's age needs the history")
    if not _git("cat-file", "-t", sha) and _git("rev-parse", "--is-shallow-repository") == "true":
        pytest.skip(f"a shallow clone without {sha[:12]}: git fetch --unshallow to check its age")
    assert _git("cat-file", "-t", sha) == "commit", f"{sha} is not a commit of this history"
    behind = pin.behind(ROOT, sha)
    assert behind <= pin.MAX_BEHIND, (
        f"the pin {sha[:12]} is {behind} commits behind what users run or read "
        f"({', '.join(pin.WATCHED)}): run python tools/pin.py on a recent main commit"
    )


def _project(tmp_path: Path) -> tuple[GitRepoBuilder, str, str]:
    repo = GitRepoBuilder(tmp_path / "action")
    old = repo.commit("First", {"src/app.py": "x = 1\n", "action.yml": "name: a\n"})
    use = "uses: org/cicd-agent@{sha} # main, before v0.1.0\n"
    files = {
        "README.md": "intro\n" + use.format(sha=old),
        "examples/workflows/a.yml": "steps:\n  - " + use.format(sha=old),
        "docs/guide.md": "pin with `" + use.format(sha=old).strip() + "`\n",
        "docs/other.txt": use.format(sha=old),  # not a page or a workflow: left alone
        "src/app.py": "x = 2\n",
    }
    new = repo.commit("Second", files)
    return repo, old, new


def test_the_tool_rewrites_every_pin_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    repo, old, new = _project(tmp_path)
    root = repo.path
    assert pin.main(["--root", str(root), "--check"]) == 0  # one commit behind: fresh enough
    assert pin.behind(root, old) == 1
    assert pin.main(["--root", str(root), "HEAD"]) == 0
    for name in ("README.md", "examples/workflows/a.yml", "docs/guide.md"):
        text = (root / name).read_text()
        assert f"org/cicd-agent@{new} # main, before v0.1.0" in text, name
        assert old not in text, name
    assert old in (root / "docs/other.txt").read_text()
    before = {path: path.read_text() for path in pin.pinned_files(root)}
    assert pin.main(["--root", str(root), new[:12]]) == 0
    assert {path: path.read_text() for path in pin.pinned_files(root)} == before


def test_the_tool_refuses_what_is_not_a_commit(tmp_path: Path) -> None:
    repo, old, _ = _project(tmp_path)
    with pytest.raises(SystemExit, match="git rev-parse"):
        pin.main(["--root", str(repo.path), "no-such-branch"])
    assert old in (repo.path / "README.md").read_text()


def test_the_check_fails_past_the_limit(tmp_path: Path) -> None:
    repo, old, _ = _project(tmp_path)
    for number in range(pin.MAX_BEHIND):
        repo.commit(f"Change {number}", {"src/app.py": f"x = {number + 3}\n"})
    assert pin.behind(repo.path, old) == pin.MAX_BEHIND + 1
    assert pin.main(["--root", str(repo.path), "--check"]) == 1


def test_the_tool_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "pin.py"), "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "tools/pin.py REV" not in done.stderr, done.stderr
    assert "the commit to pin" in done.stdout
