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
