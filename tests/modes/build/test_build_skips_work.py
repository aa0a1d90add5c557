"""An application-only change skips the work its unchanged steps did: they come from the kept
cache of the trusted base, this run's and the runs before it, so ``build_strategy`` ``cached``
says what the builder did. The dependency step writes random bytes: had it run again, its file
would differ."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, git, needs_buildah
from tests.helpers.cli import CliRun, run_cli
from tests.modes.build.test_build_base_trust import event_file, sha

DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
COPY busybox /bin/sh
COPY requirements.txt /app/requirements.txt
RUN /bin/busybox dd if=/dev/urandom of=/deps bs=1048576 count=2
COPY app.py /app/app.py
"""


def commit_app(repo: Path, version: int) -> None:
    (repo / "app.py").write_text(f"print({version})\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"version {version}")


def pushed(repo: Path, tmp_path: Path, cache: Path) -> CliRun:
    """The run of a push of ``main`` (its ``before`` the trusted base, kept in ``cache``)."""
    push = event_file(
        tmp_path, "push",
        {"ref": "refs/heads/main", "before": sha(repo, "main~1"), "after": sha(repo, "main"),
         "commits": []},
    )  # fmt: skip
    argv = ["build", "--repo", str(repo), "--builder", "buildah", "--advice", "off", "--json",
            "--cache-dir", str(cache)]  # fmt: skip
    return run_cli(argv, tmp_path, {"PATH": os.environ["PATH"], **push})


def app_repo(tmp_path: Path, versions: int) -> Path:
    """A project of busybox, a requirements file and :data:`DOCKERFILE`, with ``versions``
    commits each changing only the application."""
    repo = tmp_path / "repo"
    repo.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, repo / "busybox")
    (repo / "requirements.txt").write_text("flask==3.0\n")
    (repo / "Dockerfile").write_text(DOCKERFILE)
    git(repo, "init", "-q", "-b", "main")
    for version in range(1, versions + 1):
        commit_app(repo, version)
    return repo


def deps(layout: Path) -> bytes | None:
    return read_tree(read_layout(layout).layers).read("deps")


@needs_buildah
def test_an_application_only_change_takes_its_unchanged_steps_from_the_kept_cache(
    tmp_path: Path,
) -> None:
    repo = app_repo(tmp_path, 2)
    cache = tmp_path / "cache"
    first = pushed(repo, tmp_path, cache)
    assert first.code == 0, first.stderr[-3000:]
    assert (cache / "base-image" / "index.json").is_file(), first.stderr[-3000:]
    written = deps(cache / "base-image")
    assert written is not None and len(written) == 2 * 1024 * 1024
    commit_app(repo, 3)  # the next push, with the same cache folder
    second = pushed(repo, tmp_path, cache)
    assert second.code == 0, second.stderr[-3000:]
    report = json.loads(second.stdout)
    assert report["build_strategy"] == "cached"
    rows = {row["line"]: row for row in report["instructions"]}
    assert [line for line, row in rows.items() if not row["cached"]] == [6]
    assert rows[5]["same_files"] is True
    # the random bytes the first run's base wrote: the step ran once, in the first run
    assert deps(cache / "base-image") == written
    assert deps(Path(report["image"])) == written
