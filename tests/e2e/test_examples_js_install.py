"""The JavaScript examples install with the project's own package manager: a new user copied
test-step-vitest.yml to unjs/destr, a pnpm project (``pnpm-lock.yaml`` alone), and its
``npm ci`` stopped the job ("can only install with an existing package-lock.json"). The step's
own shell text runs here in real bash, in a folder holding one lockfile (destr's own
``pnpm-lock.yaml`` among them), with no installer on PATH: the one it reaches for is the one
bash says it could not find. No registry is asked (the tests run offline)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness.workflows import ACTION, Workflow

INSTALLING = ["test-step-vitest.yml", "test-step-jest.yml"]
DESTR_LOCK = "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n"  # destr's, its head
LOCKFILES = {
    "pnpm-lock.yaml": "pnpm: command not found",
    "yarn.lock": "yarn: command not found",
    "package-lock.json": "npm: command not found",
}


def _install_step(name: str) -> str:
    """The run step just before the cicd-agent step of the example's first job."""
    (job,) = Workflow.load(name).jobs.values()
    steps = job["steps"]
    index = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith(ACTION))
    return str(steps[index - 1]["run"])


@pytest.mark.parametrize("name", INSTALLING)
@pytest.mark.parametrize("lockfile", sorted(LOCKFILES))
def test_the_install_step_reaches_for_the_lockfiles_own_installer(
    name: str, lockfile: str, tmp_path: Path
) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    tools = tmp_path / "bin"
    tools.mkdir()
    true = shutil.which("true")
    assert true is not None
    (tools / "corepack").symlink_to(true)  # node's own, which `corepack enable` only links
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "destr", "packageManager": "pnpm@10"}\n')
    (project / lockfile).write_text(DESTR_LOCK if lockfile == "pnpm-lock.yaml" else "{}\n")
    # GitHub runs a step's `run` as `bash -e {0}`
    done = subprocess.run(
        [bash, "-e", "-c", _install_step(name)],
        cwd=project,
        env={"PATH": str(tools)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 127, (done.returncode, done.stderr)
    assert LOCKFILES[lockfile] in done.stderr, done.stderr
