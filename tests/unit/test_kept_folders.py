"""A folder a mode keeps between runs is never in the checkout. What is kept there is read as
the team's own by later runs: the build's storage (the trusted base's cached steps), and
deploy-gate's mined history and fitted risk model. In the checkout, a pull request fills it
with its own commit's files (a fitted model that scores its change low, a storage of its own
answers) or a link to anywhere the runner can write. ``--vuln-db`` and ``--base-image`` were
refused there already; ``cache-dir`` was not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli


def repository(tmp_path: Path) -> Path:
    project = GitRepoBuilder(tmp_path / "repo")
    project.commit("Initial", {"app.py": "a = 1\n", "Dockerfile": "FROM scratch\n"})
    project.commit("Change", {"app.py": "a = 2\n", "Dockerfile": "FROM scratch\n"})
    return project.path


@pytest.mark.parametrize("mode", ["build", "deploy-gate"])
@pytest.mark.parametrize("where", [".cache/kept", "link-out/kept"])
def test_attack_a_cache_dir_in_the_checkout_is_refused(
    tmp_path: Path, mode: str, where: str
) -> None:
    """Before: deploy-gate wrote and read its fitted model at ``.cache/kept`` in the checkout
    (``risk-model-v17-….json.gz``, a name a pull request can compute and commit), and the
    build kept its storage there; a link in the checkout took either anywhere."""
    repo = repository(tmp_path)
    (repo / "link-out").symlink_to(tmp_path / "elsewhere")
    offline = ["--provider", "none"] if mode == "deploy-gate" else ["--builder", "buildah"]
    done = run_cli(
        [mode, "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD", *offline,
         "--cache-dir", str(repo / where), "--json"],
        tmp_path, {"PATH": os.environ["PATH"]},
    )  # fmt: skip
    assert done.code == 2, done.stderr[-2000:]
    assert "--cache-dir" in done.stderr and "is in the checkout" in done.stderr
    assert not (repo / ".cache").exists() and not (tmp_path / "elsewhere").exists()
