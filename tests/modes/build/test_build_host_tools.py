"""build's hadolint is the job's own, never one the pull request's dependencies installed."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.unit.sandbox.test_host_tools_of_the_checkout import HOSTILE, MARK


def test_attack_a_hadolint_the_pull_requests_dependencies_install_never_runs_on_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cicd_agent.modes.build import lint

    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("a dependency with a bin", {".gitignore": "node_modules\n",
                                            "package.json": '{"dependencies": {"x": "1"}}\n'})  # fmt: skip
    installed = repo.path / "node_modules" / ".bin" / "hadolint"  # as npm ci puts it: untracked
    installed.parent.mkdir(parents=True)
    installed.write_text(HOSTILE.format(mark=MARK).replace("/../../", "/../../../"))
    installed.chmod(0o755)
    # the wheel's hadolint not beside this Python (a --user install)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python" / "bin" / "python3"))
    environ = {"PATH": f"{installed.parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)}
    found = lint.hadolint(environ)
    if isinstance(found, str):
        work = tmp_path / "work"
        work.mkdir()
        (work / "Dockerfile").write_text("FROM scratch\n")
        with contextlib.suppress(ValueError):
            lint.run_hadolint(found, work / "Dockerfile", work, environ, timeout=30)
    assert not (tmp_path / MARK).exists(), (found, (tmp_path / MARK).read_text())
