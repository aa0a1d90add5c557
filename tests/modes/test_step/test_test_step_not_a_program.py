"""A test command that is no program the step can start gets one line naming why and what
to give instead (exit 2), before anything runs: a shell builtin (``exit 3``, ``cd x``) showed
the sandbox shell's own "not found", and ``./nosuch`` was said missing "on the PATH", which no
path is looked up on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli


def _step(tmp_path: Path, *command: str) -> tuple[int, str]:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("start", {"run-tests": "#!/bin/sh\nexit 0\n"})
    argv = ["test-step", "--provider", "none", "--repo", str(repo.path), "--", *command]
    done = run_cli(argv, tmp_path, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")})
    return done.code, done.stdout + done.stderr


@pytest.mark.parametrize(("command", "given"), [
    (("exit", "3"), "`bash -c 'exit 3'`"), (("cd", "sub"), "`bash -c 'cd sub'`"),
])  # fmt: skip
def test_a_shell_builtin_is_said_to_be_one_with_the_command_to_give(
    tmp_path: Path, command: tuple[str, ...], given: str
) -> None:
    code, said = _step(tmp_path, *command)
    assert code == 2
    assert f"`{command[0]}` is a shell builtin, not a program" in said, said
    assert given in said and "not found" not in said


def test_a_path_that_names_no_file_is_said_so_not_missing_on_the_path(tmp_path: Path) -> None:
    code, said = _step(tmp_path, "./nosuch")
    assert code == 2
    assert "The test command's program ./nosuch is no file (looked for " in said, said
    assert "(on the PATH)" not in said
