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
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.repo_config import load
from cicd_agent.local import git
from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.checkout import read_evidence, read_history
from tests.git_builder import GitRepoBuilder

DAY = date(2026, 11, 26)  # the run's day, as resolve_run hands it over
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
    diff = GitCheckout(hostile.builder.path).diff(hostile.base, hostile.head)
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
    assert not next(c for c in change.files if c.path == "src/app.py").binary
    history = read_history(repo, change, now=repo.commit_time(change.head))
    assert history.authors == ("newcomer@elsewhere.example",)
    assert history.experience == 0
    hostile.assert_nothing_ran()


def test_repo_config_reads_the_commit(hostile: Hostile) -> None:
    config = load(hostile.builder.path, hostile.base, "review", DAY)
    assert config.source is not None
    assert not config.paths.selects("docs/readme.md") and config.paths.selects("src/app.py")
    hostile.assert_nothing_ran()


def test_every_command_line_carries_the_hardening() -> None:
    """The seam's own contract: what each call gets, whatever the caller passes."""
    argv = git.command(["diff", "a", "b"])
    assert argv[: 1 + len(git.HARDENING)] == ["git", *git.HARDENING]
    assert argv[-6:] == [
        "diff", "--no-ext-diff", "--no-textconv", "--ignore-submodules=none", "a", "b"
    ]  # fmt: skip
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
    assert linked.shared_dir == (main.path / ".git").resolve()
    bare = GitRepo.open(tmp_path / "bare.git")
    assert bare.resolve_commit("HEAD", "head") == hostile.head
    shallow = GitRepo.open(tmp_path / "shallow")
    assert shallow.parents(hostile.head) == ()
    # each layout's answer as the one rev-parse of the open gave it
    assert shallow.is_shallow() and not linked.is_shallow() and not bare.is_shallow()
    diff = GitCheckout(tmp_path / "shallow").diff_text(hostile.head, hostile.head)
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


# What a build step of the pull request (or the failed job, in analyse-failure) can write into
# ``.git`` beyond attributes and hooks: the repository's settings, an included settings file,
# replace refs, a partial-clone promisor, and the job's environment (``$GITHUB_ENV``).

KEY = "AKIA" + "QWERTYUIOPASDFGH"


def _plain(tmp_path: Path) -> tuple[GitRepoBuilder, str, str, Path]:
    builder = GitRepoBuilder(tmp_path / "plain")
    base = builder.commit("base", {"src/app.py": "a = 1\n", ".github/cicd-agent.yml": "x: 1\n"})
    head = builder.commit("head", {"src/app.py": f"a = 1\nkey = '{KEY}'\n"})
    return builder, base, head, tmp_path / "ran.txt"


def _sees_the_key(builder: GitRepoBuilder, base: str, head: str) -> bool:
    diff = GitCheckout(builder.path).diff(base, head)
    app = next(f for f in diff.files if f.path == "src/app.py")
    return not app.is_binary and any(KEY in text for _, text in app.added_lines())


def test_repository_settings_cannot_make_every_file_binary(tmp_path: Path) -> None:
    """``core.bigFileThreshold=1`` in ``.git/config`` (or a file it includes) makes git call
    every file binary: the rules would see no added line."""
    builder, base, head, _ = _plain(tmp_path)
    (tmp_path / "included").write_text("[core]\n\tbigFileThreshold = 1\n")
    builder.git("config", "include.path", str(tmp_path / "included"))
    assert _sees_the_key(builder, base, head)
    builder.git("config", "core.bigFileThreshold", "1")
    assert _sees_the_key(builder, base, head)


def test_replace_refs_do_not_change_what_a_commit_holds(tmp_path: Path) -> None:
    """``refs/replace/<blob>`` swaps the head's file for a harmless one in every read."""
    builder, base, head, _ = _plain(tmp_path)
    (tmp_path / "harmless.py").write_text("a = 1\n")
    harmless = builder.git("hash-object", "-w", str(tmp_path / "harmless.py"))
    builder.git("replace", builder.git("rev-parse", f"{head}:src/app.py"), harmless)
    assert _sees_the_key(builder, base, head)


def _signed(builder: GitRepoBuilder, commit: str) -> str:
    """``commit`` again with a (bogus) signature header: what makes git run ``gpg.program``."""
    header, _, message = builder.git("cat-file", "commit", commit).partition("\n\n")
    signature = "gpgsig -----BEGIN PGP SIGNATURE-----\n \n x\n -----END PGP SIGNATURE-----"
    done = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=builder.path, check=True,
        input=f"{header}\n{signature}\n\n{message}\n", capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_signature_setting_runs_no_program(tmp_path: Path) -> None:
    """``log.showSignature`` with ``gpg.program`` in the settings: every ``git log`` over a
    signed commit ran that program on the host (deploy-gate's change set, review's messages)."""
    builder, base, head, marker = _plain(tmp_path)
    signed = _signed(builder, head)
    builder.git("config", "log.showSignature", "true")
    builder.git("config", "gpg.program", _script(tmp_path / "gpg", marker, "gpg"))
    change = read_change_set(GitRepo.open(builder.path), signed, base)
    assert [c.author_email for c in change.commits] == ["author@example.com"]
    assert GitCheckout(builder.path).commit_messages(base, signed) == ["head"]
    assert not marker.exists(), marker.read_text()


def _promisor(builder: GitRepoBuilder, missing: str, tmp_path: Path, marker: Path) -> None:
    """Make ``missing`` (an object) absent and name a promisor remote whose upload-pack is a
    program: git runs it to fetch the object on demand."""
    obj = builder.path / ".git" / "objects" / missing[:2] / missing[2:]
    obj.chmod(0o644)
    obj.unlink()
    for key, value in {
        "core.repositoryformatversion": "1",
        "extensions.partialClone": "origin",
        "remote.origin.url": str(tmp_path / "elsewhere"),
        "remote.origin.promisor": "true",
        "remote.origin.uploadpack": _script(tmp_path / "upload-pack", marker, "upload-pack"),
    }.items():
        builder.git("config", key, value)


def test_a_promisor_remote_runs_no_program_when_reading_between_commits(tmp_path: Path) -> None:
    builder, base, head, marker = _plain(tmp_path)
    _promisor(builder, builder.git("rev-parse", f"{head}:src/app.py"), tmp_path, marker)
    with pytest.raises(UsageError):  # the object is not there: a usage error, nothing fetched
        GitCheckout(builder.path).diff(base, head)
    assert not marker.exists(), marker.read_text()


def test_a_promisor_remote_runs_no_program_when_reading_the_checkout(tmp_path: Path) -> None:
    """The same on the path that runs in the working tree: the repository's own settings file
    (read on every mode's start; the fix step's checks: its own tests)."""
    builder, base, _, marker = _plain(tmp_path)
    _promisor(builder, builder.git("rev-parse", f"{base}:.github/cicd-agent.yml"), tmp_path, marker)
    assert load(builder.path, base, "review", DAY).source is None
    assert not marker.exists(), marker.read_text()


def test_git_variables_of_the_job_do_not_reach_git(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A step before ours can write ``$GITHUB_ENV``: ``GIT_CONFIG_COUNT``/``KEY``/``VALUE``
    and ``GIT_CONFIG_PARAMETERS`` set any setting, ``GIT_REPLACE_REF_BASE`` and
    ``GIT_GRAFT_FILE`` rewrite history, ``GIT_TRACE`` writes files."""
    builder = hostile.builder
    (tmp_path / "grafts").write_text(f"{hostile.head}\n")  # the head as a root commit
    for name, value in {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "core.bigFileThreshold",
        "GIT_CONFIG_VALUE_0": "1",
        "GIT_CONFIG_PARAMETERS": "'core.bigfilethreshold'='1'",
        "GIT_GRAFT_FILE": str(tmp_path / "grafts"),
        "GIT_TRACE": str(tmp_path / "trace"),
    }.items():
        monkeypatch.setenv(name, value)
    repo = GitRepo.open(builder.path)
    assert repo.parents(hostile.head) == (hostile.base,)
    app = next(f for f in GitCheckout(builder.path).diff(hostile.base, hostile.head).files
               if f.path == "src/app.py")  # fmt: skip
    assert not app.is_binary
    assert not (tmp_path / "trace").exists()


def test_the_heads_gitmodules_cannot_hide_a_submodule_bump(tmp_path: Path) -> None:
    """``ignore = all`` in the pull request's ``.gitmodules``: git read it from ``HEAD`` and
    left the submodule's new commit out of the review's diff."""
    lib = GitRepoBuilder(tmp_path / "lib")
    first, second = lib.commit("one", {"x": "1\n"}), lib.commit("two", {"x": "2\n"})
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit("init", {"a.py": "x = 1\n"})
    builder.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib.path), "lib")
    builder.git("-C", "lib", "checkout", "-q", first)
    base = builder.commit("lib at one")
    builder.git("-C", "lib", "checkout", "-q", second)
    modules = f'[submodule "lib"]\n\tpath = lib\n\turl = {lib.path}\n\tignore = all\n'
    head = builder.commit("bump lib", {".gitmodules": modules})
    files = GitCheckout(builder.path).diff(base, head).files
    assert [(f.path, f.submodule) for f in files] == [(".gitmodules", False), ("lib", True)]
    assert [f.path for f in read_change_set(GitRepo.open(builder.path), head, base).files] == [
        ".gitmodules", "lib"
    ]  # fmt: skip


def test_a_nul_byte_does_not_hide_a_migration_from_deploy_gate(tmp_path: Path) -> None:
    """deploy-gate reads the diff through the change set: one NUL byte made a migration
    "binary", and its ``DROP TABLE`` never reached the destructive-statement detector."""
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {"db/migrations/0001_init.sql": "CREATE TABLE users (id int);\n"})
    drop = "-- cleanup\0\nDROP TABLE users;\n"
    head = builder.commit("drop", {"db/migrations/0002_drop.sql": drop, "logo.png": b"\x89\0\1"})
    repo = GitRepo.open(builder.path)
    change = read_change_set(repo, head, base)
    files = {f.path: (f.binary, f.added) for f in change.files}
    assert files == {"db/migrations/0002_drop.sql": (False, 2), "logo.png": (True, 0)}
    assert read_evidence(repo, change, with_security=False).destructive


def test_core_worktree_cannot_point_the_reads_at_another_repository(tmp_path: Path) -> None:
    """``core.worktree`` in ``.git/config`` made ``--show-toplevel`` name another folder, and
    every later open of "the checkout" (review's risk level, deploy-gate's security rules)
    read that folder's own repository instead."""
    builder, base, head, _ = _plain(tmp_path)
    other = GitRepoBuilder(tmp_path / "other")
    other.commit("unrelated", {"src/app.py": "a = 2\n"})
    builder.git("config", "core.worktree", str(other.path))
    repo = GitRepo.open(builder.path)
    assert repo.path == builder.path
    assert GitRepo.open(repo.path).resolve_commit("HEAD", "head") == head
    assert _sees_the_key(builder, base, head) and GitCheckout(builder.path).root == builder.path


def test_a_sha256_repository_reads_through_the_shadows_own_settings(tmp_path: Path) -> None:
    """The shadow's settings file keeps the repository's hash: without it git would read a
    SHA-256 repository's objects as SHA-1 ones."""
    subprocess.run(
        ["git", "init", "-q", "--object-format=sha256", str(tmp_path / "repo")], check=True
    )
    builder = GitRepoBuilder(tmp_path / "repo")
    base = builder.commit("base", {"src/app.py": "a = 1\n"})
    head = builder.commit("head", {"src/app.py": f"a = 1\nkey = '{KEY}'\n"})
    assert len(head) == 64 and _sees_the_key(builder, base, head)
