"""Attacks on how the process seam finds a program: a ``PATH`` with an empty or relative entry
(``PATH=$PATH:`` is a common slip) names the folder a process starts in, and cicd-agent works
in the checkout: a ``git`` the pull request commits at its root would run on the host."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cicd_agent.local import git


def checkout_with_a_git_of_its_own(root: Path, marker: Path) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    program = root / "git"
    program.write_text(f"#!/bin/sh\ntouch {marker}\nexit 0\n")
    program.chmod(0o755)
    return root


@pytest.mark.parametrize("entry", ["", ".", "bin/.."])
def test_attack_a_relative_path_entry_never_runs_the_checkouts_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    marker = tmp_path / "ran-on-the-host"
    repo = checkout_with_a_git_of_its_own(tmp_path / "checkout", marker)
    (repo / "bin").mkdir()
    monkeypatch.chdir(repo)  # the action works in the checkout
    monkeypatch.setenv("PATH", f"{entry}{os.pathsep}{os.environ['PATH']}")
    git.run(git.in_checkout(repo), ["status", "--porcelain"])
    assert not marker.exists()


@pytest.mark.parametrize("entry", ["", "."])
def test_attack_a_relative_path_entry_never_finds_the_checkouts_bwrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    """The sandbox's own ``bwrap`` is looked up on the job's ``PATH``: a relative entry found
    the checkout's, which would then run on the host as the sandbox."""
    from cicd_agent.sandbox.isolation import find_bwrap

    program = tmp_path / "bwrap"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    found = find_bwrap({"PATH": f"{entry}{os.pathsep}/usr/bin:/bin"})
    assert found is None or (os.path.isabs(found) and not found.startswith(str(tmp_path)))
