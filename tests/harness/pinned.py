"""The cicd-agent the example workflows pin, as a tree the runner-faithful driver can run.

This repository's history is the action's: ``uses: org/cicd-agent@SHA`` names a commit of it. A
user who copies an example runs that commit's ``action.yml`` and package, not the working tree,
so the examples are tested against the tree they pin: exported from git history into a folder,
or the working tree itself when its action files are the pinned commit's.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

from tests.harness.workflows import Workflow, all_examples

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^org/cicd-agent@([0-9a-f]{40})$")


class PinError(AssertionError):
    """An example pins something that is not a commit of this repository's history."""


def pins(workflows: list[Workflow] | None = None) -> dict[str, str]:
    """``"workflow.yml job"`` → the commit its cicd-agent step pins."""
    found: dict[str, str] = {}
    for workflow in all_examples() if workflows is None else workflows:
        for step in workflow.agent_steps():
            match = PIN.match(str(step.step["uses"]))
            if match is None:
                raise PinError(f"{workflow.path.name} {step.job_id}: not pinned by full SHA")
            found[f"{workflow.path.name} {step.job_id}"] = match.group(1)
    return found


def the_pin() -> str:
    """The one commit every example pins (the fork-safe pair must run the same version)."""
    shas = set(pins().values())
    if len(shas) != 1:
        raise PinError(f"the examples pin different commits: {sorted(shas)}")
    return shas.pop()


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False)


def is_commit(sha: str) -> bool:
    return _git("cat-file", "-e", f"{sha}^{{commit}}").returncode == 0


ACTION_FILES = ("action.yml", "pyproject.toml", "uv.lock", "install", "src")
"""What a user of the action runs: its steps, its package and what installs it."""


def is_working_tree(sha: str) -> bool:
    """The working tree's action files are commit ``sha``'s, byte for byte (nothing changed,
    none added): the pin runs what is here. The usual pin is the commit before the one that
    wrote it into the examples, and exporting it would install the same action a second time
    (a cold install, about a minute)."""
    same = _git("diff", "--quiet", sha, "--", *ACTION_FILES).returncode == 0
    added = _git("ls-files", "--others", "--exclude-standard", "--", *ACTION_FILES).stdout
    return same and not added.strip()


def action_tree(sha: str, dest: Path) -> Path:
    """The action as commit ``sha`` has it: the working tree when its action files are that
    commit's, else the commit exported from history into ``dest``."""
    if not is_commit(sha):
        raise PinError(
            f"{sha} is not a commit of this repository (a shallow clone? fetch the full history)"
        )
    if is_working_tree(sha):
        return ROOT
    archive = _git("archive", "--format=tar", sha)
    if archive.returncode != 0:
        raise PinError(archive.stderr.decode())
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def mode_help(tree: Path, mode: str) -> subprocess.CompletedProcess[str]:
    """``cicd-agent MODE --help`` of the package in ``tree`` (its own source first on the path,
    this environment's dependencies): exit 0 when that tree has the mode."""
    code = "import sys; from cicd_agent.cli import main; raise SystemExit(main(sys.argv[1:]))"
    environ = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [sys.executable, "-c", code, mode, "--help"],
        capture_output=True, text=True, cwd=tree, timeout=120, env=environ,
    )  # fmt: skip
