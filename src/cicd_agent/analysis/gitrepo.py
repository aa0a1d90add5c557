"""The few git commands the change analysis runs, through GitPython, with one error policy.

Why a wrapper: every caller needs the same three guarantees. Refs and paths come from events
and users, so a ref may never be read as an option and a path never as a pathspec pattern
(``GIT_LITERAL_PATHSPECS``); a missing commit is a usage error that says how to fix it (a
shallow clone is the usual cause); and output is decoded the same way everywhere (file names
with invalid UTF-8 survive as surrogate escapes instead of crashing).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.errors import UsageError

if TYPE_CHECKING:
    import git

EMPTY_TREE_MARKER = "(empty tree)"
"""How a root commit's base is shown to people; git itself gets the empty tree's object id."""

_SHALLOW_HINT = (
    "If this is a shallow clone, fetch the history first (actions/checkout with `fetch-depth: 0`)."
)
_ZERO_SHA = re.compile(r"^0+$")


def is_null_sha(ref: str | None) -> bool:
    """True for GitHub's all-zeros SHA (``before`` of a push that created a branch)."""
    return bool(ref) and bool(_ZERO_SHA.match(ref or ""))


@dataclass
class GitRepo:
    """An opened repository; build with :meth:`open`."""

    path: Path
    _git: git.Git
    _empty_tree: str | None = None

    @classmethod
    def open(cls, path: Path) -> GitRepo:
        import git

        if not path.exists():
            raise UsageError(
                f"{path} does not exist.",
                hint="Point --repo (or GITHUB_WORKSPACE) at a checkout with history.",
            )
        try:
            repo = git.Repo(path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise UsageError(
                f"{path} is not a git repository.",
                hint="Point --repo (or GITHUB_WORKSPACE) at a checkout with history.",
            ) from exc
        handle = repo.git
        handle.update_environment(GIT_LITERAL_PATHSPECS="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
        return cls(Path(repo.working_tree_dir or path), handle)

    def run(self, *args: str) -> str:
        """Run ``git ARGS`` and return stdout; a failure becomes a usage error naming the command."""
        import git

        try:
            output: str = self._git.execute(["git", *args], strip_newline_in_stdout=False)
        except git.GitCommandError as exc:
            detail = str(exc.stderr or "").strip().splitlines()
            raise UsageError(
                f"git {args[0]} failed in {self.path}: {detail[-1] if detail else exc}.",
                hint=_SHALLOW_HINT,
            ) from exc
        return output

    def run_partial(self, stdin: str, *args: str) -> tuple[str, bool]:
        """Run ``git ARGS`` with ``stdin``; stdout and whether git failed part-way (a
        ``log --stdin`` that met a missing object has still printed the commits before it)."""
        env = {
            **os.environ,
            "GIT_LITERAL_PATHSPECS": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
        completed = subprocess.run(
            ["git", *args],
            input=stdin.encode(),
            capture_output=True,
            cwd=self.path,
            env=env,
            check=False,
        )
        text = completed.stdout.decode("utf-8", errors="surrogateescape")
        return text, completed.returncode != 0

    def run_input(self, stdin: str, *args: str) -> str:
        """Run ``git ARGS`` with ``stdin``; a failure becomes a usage error naming the command."""
        text, failed = self.run_partial(stdin, *args)
        if failed:
            raise UsageError(f"git {args[0]} failed in {self.path}.", hint=_SHALLOW_HINT)
        return text

    def is_empty_tree(self, ref: str | None) -> bool:
        """True when ``ref`` names the empty tree (``4b825dc…``, what scripts pass for
        "everything"): a valid base that is not a commit."""
        if not ref or not re.fullmatch(r"[0-9a-fA-F]{7,64}", ref):
            return False
        return self.empty_tree().startswith(ref.lower())

    def resolve_commit(self, ref: str, label: str) -> str:
        """The full SHA of commit ``ref``; a usage error when the repository does not have it."""
        import git

        if not ref or ref.startswith("-") or any(ch.isspace() or ch == "\0" for ch in ref):
            raise UsageError(f"{label} {ref!r} is not a valid commit reference.")
        try:
            sha: str = self._git.execute(
                ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]
            )
        except git.GitCommandError as exc:
            raise UsageError(
                f"The {label} commit {ref!r} is not in the repository at {self.path}.",
                hint=_SHALLOW_HINT,
            ) from exc
        return sha.strip()

    def parents(self, sha: str) -> tuple[str, ...]:
        line = self.run("rev-list", "--parents", "--max-count=1", sha).split()
        return tuple(line[1:])

    def merge_base(self, first: str, second: str) -> str:
        """Where two lines of history meet (a pull request's diff starts there); ``first``
        itself when git cannot tell (e.g. a shallow clone)."""
        import git

        try:
            found: str = self._git.execute(["git", "merge-base", first, second])
        except git.GitCommandError:
            return first
        return found.strip() or first

    def commit_time(self, sha: str) -> int:
        """Committer time of ``sha`` (unix seconds): the clock history windows count from."""
        return int(self.run("log", "-1", "--format=%ct", sha).strip() or 0)

    def empty_tree(self) -> str:
        """The empty tree's id in this repository's hash (SHA-1 or SHA-256)."""
        if self._empty_tree is None:
            tree: str = self._git.execute(
                ["git", "hash-object", "-t", "tree", "--stdin"], istream=subprocess.DEVNULL
            )
            self._empty_tree = tree.strip()
        return self._empty_tree

    def diff_raw_numstat(self, base: str | None, head: str) -> str:
        """``git diff --raw --numstat -z -M`` between two commits (base None: the empty tree)."""
        return self.run(
            "diff",
            "--raw",
            "--numstat",
            "-z",
            "-M",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--ignore-submodules=none",
            base or self.empty_tree(),
            head,
        )

    def diff_text(self, base: str | None, head: str, paths: list[str], max_bytes: int) -> str:
        """The unified diff of ``paths``, cut at ``max_bytes`` (for evidence and prompts)."""
        if not paths:
            return ""
        text = self.run(
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            base or self.empty_tree(),
            head,
            "--",
            *paths,
        )
        return text[:max_bytes]

    def tracked_files(self, commit: str) -> list[str]:
        """Every file path in ``commit``'s tree (to find the tests related to a change)."""
        return [
            path
            for path in self.run("ls-tree", "-r", "-z", "--name-only", commit).split("\0")
            if path
        ]

    def git_dir(self) -> Path:
        """The repository's common git directory (outside the working tree's tracked files)."""
        common = self.run("rev-parse", "--git-common-dir").strip()
        path = Path(common)
        return path if path.is_absolute() else self.path / path
