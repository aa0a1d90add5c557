"""Each path that reads a checkout through git, on a repository that tries to steer git.

The pull request controls every file of the checkout (``.gitattributes``, ``.mailmap``), and in
analyse-failure the failed job ran the pull request's code in the same checkout, so even
``.git/config`` and its hooks may be hostile. Planted here: attributes that make every file
binary or name a diff driver, textconv, external diff and filters (in the tree, in the user's
attributes file and in ``.git/info/attributes``, git-lfs's driver pointed elsewhere); a mailmap
in the tree and in the config; hooks, an fsmonitor and a pager that each leave a mark when git
runs them. Every path must read what the commits hold and run none of them.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from cicd_agent.job.repo_config import load
from cicd_agent.local import git
from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.local.local_repo import LocalRepo
from cicd_agent.modes.analyse_failure.fix.linked_settings import linked_targets
from cicd_agent.modes.analyse_failure.fix.tools import Checkout
from cicd_agent.modes.analyse_failure.fix.verify import checkout_head, checkout_problem
from cicd_agent.risk.history import read_history
from tests.git_builder import GitRepoBuilder

SENIOR = "Senior Dev <senior@corp.example>"
NEWCOMER = "New Comer <newcomer@elsewhere.example>"
MAILMAP = "Senior Dev <senior@corp.example> <newcomer@elsewhere.example>\n"
HOOKS = ("post-index-change", "reference-transaction", "pre-push", "post-checkout", "pre-commit")


@dataclass
class Hostile:
    builder: GitRepoBuilder
    base: str
    head: str
    marker: Path

    def assert_nothing_ran(self) -> None:
        assert not self.marker.exists(), self.marker.read_text()


def _script(path: Path, marker: Path, what: str) -> str:
    path.write_text(f"#!/bin/sh\necho {what} >> '{marker}'\ncat >/dev/null 2>&1\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def hostile(tmp_path: Path) -> Hostile:
    builder = GitRepoBuilder(tmp_path / "repo")
    for n in range(3):
        builder.commit(f"senior work {n}", {"src/app.py": f"a = {n}\n"}, author=SENIOR)
    settings = "review:\n  paths-ignore: ['docs/**']\n"
    base = builder.commit(
        "settings and a linked conftest",
        {".github/cicd-agent.yml": settings, "qa/hooks.py": "X = 1\n"},
        author=SENIOR,
    )
    os.symlink("qa/hooks.py", builder.path / "conftest.py")
    builder.commit("link", author=SENIOR)
    base = builder.head()
    head = builder.commit(
        "newcomer's change",
        {
            ".gitattributes": "* binary\n* -diff diff=hide filter=evil\nsrc/** filter=lfs\n",
            ".mailmap": MAILMAP,
            "src/app.py": "a = 9\nsecret = 'AKIA'\n",
        },
        author=NEWCOMER,
    )
    marker = tmp_path / "ran.txt"
    tools = tmp_path / "tools"
    hooks = tmp_path / "hooks"
    tools.mkdir()
    hooks.mkdir()
    for hook in HOOKS:
        _script(hooks / hook, marker, hook)
    (tmp_path / "attributes").write_text("* binary\n")
    (builder.path / ".git" / "info").mkdir(exist_ok=True)
    (builder.path / ".git" / "info" / "attributes").write_text("* -diff\n")
    (tmp_path / "mailmap").write_text(MAILMAP)
    # Planted after the commits: the builder's own git would run them too.
    for key, value in {
        "core.hooksPath": str(hooks),
        "core.fsmonitor": _script(tools / "fsmonitor", marker, "fsmonitor"),
        "core.pager": _script(tools / "pager", marker, "pager"),
        "core.attributesFile": str(tmp_path / "attributes"),
        "diff.external": _script(tools / "external", marker, "external-diff"),
        "diff.hide.textconv": _script(tools / "textconv", marker, "textconv"),
        "diff.hide.binary": "true",
        "filter.evil.clean": _script(tools / "clean", marker, "clean-filter"),
        "filter.evil.smudge": _script(tools / "smudge", marker, "smudge-filter"),
        "filter.evil.process": _script(tools / "process", marker, "process-filter"),
        "filter.evil.required": "true",
        # git-lfs's driver is kept only as `git lfs install` writes it, not pointed elsewhere.
        "filter.lfs.clean": _script(tools / "lfs-clean", marker, "lfs-clean"),
        "filter.lfs.process": _script(tools / "lfs-process", marker, "lfs-process"),
        "mailmap.file": str(tmp_path / "mailmap"),
        "log.mailmap": "true",
    }.items():
        builder.git("config", key, value)
    return Hostile(builder, base, head, marker)


def test_review_diff_reads_text_and_runs_nothing(hostile: Hostile) -> None:
    diff = LocalRepo(hostile.builder.path).diff(hostile.base, hostile.head)
    app = next(f for f in diff.files if f.path == "src/app.py")
    assert not app.is_binary
    assert any("AKIA" in text for _, text in app.added_lines())
    assert not any(f.is_binary for f in diff.files)
    hostile.assert_nothing_ran()


def test_change_set_and_history_see_the_real_author(hostile: Hostile) -> None:
    """deploy-gate: a newcomer's ``.mailmap`` must not make them the senior author."""
    repo = GitRepo.open(hostile.builder.path)
    change = read_change_set(repo, hostile.head, hostile.base)
    assert [c.author_email for c in change.commits] == ["newcomer@elsewhere.example"]
    assert [c.author_name for c in change.commits] == ["New Comer"]
    assert not next(c for c in change.files if c.path == "src/app.py").binary
    history = read_history(repo, change)
    assert history.authors == ("newcomer@elsewhere.example",)
    assert history.experience == 0
    hostile.assert_nothing_ran()


def test_repo_config_reads_the_commit(hostile: Hostile) -> None:
    config = load(hostile.builder.path, hostile.base, "review")
    assert config.source is not None
    assert not config.paths.selects("docs/readme.md") and config.paths.selects("src/app.py")
    hostile.assert_nothing_ran()


def test_fix_checkout_checks_and_linked_settings(hostile: Hostile) -> None:
    checkout = hostile.builder.path
    assert checkout_head(checkout) == hostile.head
    assert checkout_problem(checkout, hostile.head) == ""
    assert linked_targets(checkout, lambda name: name == "conftest.py") == {
        "qa/hooks.py": "conftest.py"
    }
    hostile.assert_nothing_ran()


def test_fix_tools_search_log_and_blame(hostile: Hostile) -> None:
    """``git grep -I`` skipped every file the checkout's attributes call binary."""
    tools = Checkout(hostile.builder.path)
    assert "src/app.py:2:secret = 'AKIA'" in tools.search("AKIA")
    log = tools.git_log("src/app.py")
    assert "New Comer: newcomer's change" in log and "Senior Dev: newcomer" not in log
    assert "AKIA" in tools.git_blame("src/app.py")
    hostile.assert_nothing_ran()


def test_every_command_line_carries_the_hardening() -> None:
    """The seam's own contract: what each call gets, whatever the caller passes."""
    argv = git.command(["diff", "a", "b"])
    assert argv[: 1 + len(git.HARDENING)] == ["git", *git.HARDENING]
    assert argv[-5:] == ["diff", "--no-ext-diff", "--no-textconv", "a", "b"]
    assert "--no-mailmap" in git.command(["log"])
    env = git.environment(git.in_checkout(Path(".")), {"GIT_DIR": "/elsewhere", "HOME": "/h"})
    assert "GIT_DIR" not in env and env["HOME"] == "/h" and env["GIT_LITERAL_PATHSPECS"] == "1"
    assert git.environment(git.nowhere(), {"HOME": "/h"})["HOME"] != "/h"


def test_linked_worktree_bare_and_shallow_repositories_read_through_the_shadow(
    hostile: Hostile, tmp_path: Path
) -> None:
    """The reads run in a shadow git directory: refs, HEAD, the shallow list and the objects
    must still be the real repository's, whatever its layout."""
    main = hostile.builder
    main.git("worktree", "add", "-q", "--detach", str(tmp_path / "linked"), hostile.base)
    main.git("clone", "-q", "--bare", str(main.path), str(tmp_path / "bare.git"))
    main.git("clone", "-q", "--depth", "1", f"file://{main.path}", str(tmp_path / "shallow"))
    hostile.marker.unlink()  # the builder's own git ran the planted hooks; the seam must not
    linked = GitRepo.open(tmp_path / "linked")
    assert linked.resolve_commit("HEAD", "head") == hostile.base
    assert linked.resolve_commit("main", "head") == hostile.head
    assert linked.common_dir() == (main.path / ".git").resolve()
    bare = GitRepo.open(tmp_path / "bare.git")
    assert bare.resolve_commit("HEAD", "head") == hostile.head
    shallow = GitRepo.open(tmp_path / "shallow")
    assert shallow.parents(hostile.head) == ()
    diff = LocalRepo(tmp_path / "shallow").diff_text(hostile.head, hostile.head)
    assert diff == ""
    hostile.assert_nothing_ran()


def test_the_shadow_follows_a_head_that_moved(hostile: Hostile) -> None:
    """One process may open the same checkout before and after it moved (a test, a long run):
    the shadow's copy of ``HEAD`` is renewed, never stale."""
    assert GitRepo.open(hostile.builder.path).resolve_commit("HEAD", "head") == hostile.head
    hostile.builder.git(
        "-c", "core.hooksPath=/dev/null", "update-ref", "--no-deref", "HEAD", hostile.base
    )
    assert GitRepo.open(hostile.builder.path).resolve_commit("HEAD", "head") == hostile.base


def test_a_fresh_checkout_with_line_ending_attributes_is_the_commit(tmp_path: Path) -> None:
    """Filters off must not make a checkout differ: ``eol`` and ``text`` are no filters, and a
    fresh clone's files (written in the second its index was) are compared by content."""
    origin = GitRepoBuilder(tmp_path / "origin")
    attributes = "* text=auto eol=lf\n*.bat text eol=crlf\n*.json -diff\n"
    files = {".gitattributes": attributes, "run.bat": "echo 1\n", "a.json": "{}\n"}
    head = origin.commit("files", {**files, "src/app.py": "a = 1\n"})
    origin.git("clone", "-q", str(origin.path), str(tmp_path / "clone"))
    assert (tmp_path / "clone" / "run.bat").read_bytes() == b"echo 1\r\n"
    assert checkout_problem(tmp_path / "clone", head) == ""
    (tmp_path / "clone" / "run.bat").write_bytes(b"echo 2\r\n")
    assert checkout_problem(tmp_path / "clone", head) == (
        "tracked files in the checkout differ from the failed commit"
    )
