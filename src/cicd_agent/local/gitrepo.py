"""The few git commands the change analysis runs, with one error policy.

Refs and paths come from events and users, so a ref is never read as an option nor a path as a
pathspec pattern (``GIT_LITERAL_PATHSPECS``); a missing commit is a usage error that names the usual
cause (a shallow clone); and file names with invalid UTF-8 survive as surrogate escapes.

Not GitPython: we used only ``Git.execute`` and a ``cat-file --batch`` reader, and importing it
cost a fresh job about as much as the whole ``git diff`` of a large change."""

from __future__ import annotations

import base64
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.local import git
from cicd_agent.local.nul_text import NUL_TEXT_LIMIT, is_text_with_nul

_SHALLOW_HINT = (
    "If this is a shallow clone, fetch the history first (actions/checkout with `fetch-depth: 0`)."
)
_ZERO_SHA = re.compile(r"^0+$")
_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_EMPTY_TREES = (
    "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
)
"""The empty tree's id in SHA-1 and in SHA-256 repositories."""


DEEPEN_TIMEOUT = 180.0
"""Longest a shallow clone's history is fetched for (:meth:`GitRepo.deepen`)."""
_PATH_BATCH = 500
"""Paths per ``git ls-tree`` call: keeps an argument list far below the system's limit."""
_LINK_MODE = "120000"  # a symbolic link
_GITLINK_MODE = "160000"  # a submodule's commit
_WHOLE = sys.maxsize
"""A bound on output that no output reaches: read it all."""


def is_null_sha(ref: str | None) -> bool:
    """True for GitHub's all-zeros SHA (``before`` of a push that created a branch)."""
    return bool(ref) and bool(_ZERO_SHA.match(ref or ""))


class GitFailed(Exception):
    """git exited non-zero; ``stderr`` holds what it said."""

    def __init__(self, args: tuple[str, ...], stderr: str) -> None:
        super().__init__(f"git {' '.join(args[:1])} failed")
        self.stderr = stderr


def _execute(
    place: git.Place,
    args: tuple[str, ...],
    stdin: bytes | None = None,
    *,
    environ: dict[str, str] | None = None,
) -> bytes:
    """stdout of ``git ARGS`` at ``place``; :class:`GitFailed` on a non-zero exit."""
    try:
        done = git.run(place, args, stdin=stdin, environ=environ)
    except OSError as exc:  # no such folder, not a folder, git missing
        raise GitFailed(args, str(exc)) from exc
    return _stdout(args, done)


def _stdout(args: tuple[str, ...], done: git.GitResult) -> bytes:
    if not done.ok:
        raise GitFailed(args, done.stderr.decode("utf-8", "replace"))
    return done.stdout


def _read(place: git.Place, args: tuple[str, ...], limit: int) -> bytes:
    """:func:`_execute` keeping the first ``limit`` bytes of stdout (git stopped past them)."""
    try:
        done = git.read(place, args, limit)
    except OSError as exc:
        raise GitFailed(args, str(exc)) from exc
    return _stdout(args, done)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _git_dirs(place: git.Place, question: str) -> tuple[str, str, str, bool]:
    """``rev-parse``'s answer to ``question``, then the absolute git directory, the common one
    and whether the clone is shallow, asked in the same process (ValueError when it printed
    other than four lines)."""
    args = ("--absolute-git-dir", "--git-common-dir", "--is-shallow-repository")
    raw = _execute(place, ("rev-parse", "--path-format=absolute", question, *args))
    first, second, third, shallow = _decode(raw).rstrip("\n").split("\n")
    return first, second, third, shallow == "true"


@dataclass
class GitRepo:
    """An opened repository; build with :meth:`open`. Every command reads the object store
    alone (:func:`cicd_agent.local.git.objects_of`): what a commit holds, never what the
    checkout's ``.gitattributes`` or ``.mailmap`` say about it."""

    path: Path
    git_dir: Path
    shared_dir: Path
    """The common git directory (a linked worktree's ``git_dir`` is its own, this is shared)."""
    _empty_tree: str | None = None
    _commits: dict[str, str] = field(default_factory=dict)
    """Refs resolved so far: a run asks for the same few again and again (a git process each)."""
    _times: dict[str, int] = field(default_factory=dict)
    """Committer times of full SHAs read so far."""
    _shallow: bool | None = None
    """Whether the clone is shallow (None: not known, as after :meth:`deepen`'s fetch)."""

    @classmethod
    def open(cls, path: Path) -> GitRepo:
        """The repository at ``path`` itself: a folder inside one does not count (git's search
        stops at ``path``), as a bare repository does."""
        if not Path(path).exists():
            raise UsageError(
                f"{path} does not exist.",
                hint="Point --repo (or GITHUB_WORKSPACE) at a checkout with history.",
            )
        here = git.in_checkout(Path(path), ceiling=Path(path).absolute().parent)
        try:
            _, folder, common, shallow = _git_dirs(here, "--show-toplevel")
        except (GitFailed, ValueError) as exc:
            try:  # a bare repository has no working tree to show
                bare, folder, common, shallow = _git_dirs(here, "--is-bare-repository")
            except (GitFailed, ValueError):
                bare = ""
            if bare == "true":
                return cls(Path(path), Path(folder), Path(common), _shallow=shallow)
            if not git.installed():  # not "not a repository": the fix is another
                raise UsageError(
                    "git could not run: it is not installed.",
                    hint="Install git on the runner, on PATH.",
                ) from exc
            top = _enclosing_checkout(Path(path))
            if top is not None:
                raise UsageError(
                    f"{path} is a folder inside the repository at {top}.",
                    hint=f"Point --repo at {top}.",
                ) from exc
            raise UsageError(
                f"{path} is not a git repository.",
                hint="Point --repo (or GITHUB_WORKSPACE) at a checkout with history.",
            ) from exc
        # The folder asked for, never ``--show-toplevel``'s: ``core.worktree`` in the settings
        # (which the pull request's build may write) names any folder there, and a later open
        # of that folder would read its own repository.
        return cls(Path(path).resolve(), Path(folder), Path(common), _shallow=shallow)

    @property
    def _objects(self) -> git.Place:
        return git.objects_of(self.git_dir, self.shared_dir)

    def run_bytes(self, *args: str, stdin: str | None = None) -> bytes:
        """``git ARGS``' stdout as git wrote it (fed ``stdin``); a failure becomes a usage
        error naming it."""
        data = None if stdin is None else stdin.encode("utf-8", "surrogateescape")
        return self._asked(args, lambda: _execute(self._objects, args, data))

    def read_bytes(self, *args: str) -> bytes:
        """:meth:`run_bytes` for an output of megabytes (a large change's diff): read in long
        blocking reads, git's errors kept in a file, where a pipe per stream polled took a
        system call or two for every few kilobytes."""
        return self._asked(args, lambda: _read(self._objects, args, _WHOLE))

    def _asked(self, args: tuple[str, ...], execute: Callable[[], bytes]) -> bytes:
        """``execute()``'s stdout; its failure a usage error naming the command."""
        try:
            return execute()
        except GitFailed as exc:
            detail = exc.stderr.strip().splitlines()
            raise UsageError(
                f"git {args[0]} failed in {self.path}: {detail[-1] if detail else exc}.",
                hint=_SHALLOW_HINT,
            ) from exc

    def run(self, *args: str) -> str:
        """Run ``git ARGS`` and return stdout; a failure becomes a usage error naming the
        command."""
        return _decode(self.run_bytes(*args))

    def base_attributes(self, base: str, paths: Sequence[str]) -> tuple[set[str], set[str]]:
        """Of ``paths``, those the ``base`` commit's ``.gitattributes`` mark
        ``linguist-generated`` and ``-diff``, read from ``base``'s files alone: the change under
        review does not get to say which of its own files the model skips or the rules cannot
        read. git 2.39 has no ``check-attr --source``, so a throwaway index holds ``base``'s
        tree."""
        if not paths:
            return set(), set()
        listed = "".join(f"{path}\0" for path in paths).encode("utf-8", "surrogateescape")
        with tempfile.TemporaryDirectory(prefix="cicd-agent-attr-") as scratch:
            index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            try:
                _execute(self._objects, ("read-tree", base), environ=index)
                out = _execute(
                    self._objects,
                    ("check-attr", "--cached", "-z", "--stdin", "linguist-generated", "diff"),
                    listed,
                    environ=index,
                )
            except GitFailed as exc:
                raise UsageError(
                    f"git check-attr failed in {self.path}.", hint=_SHALLOW_HINT
                ) from exc
        fields = _decode(out).split("\0")
        generated: set[str] = set()
        binary: set[str] = set()
        for start in range(0, len(fields) - 2, 3):
            path, attribute, value = fields[start : start + 3]
            if attribute == "linguist-generated" and value in ("set", "true"):
                generated.add(path)
            elif attribute == "diff" and value == "unset":
                binary.add(path)
        return generated, binary

    def run_partial(self, stdin: str, *args: str) -> tuple[str, bool]:
        """Run ``git ARGS`` with ``stdin``; stdout and whether git failed part-way (a
        ``log --stdin`` that met a missing object has still printed the commits before it)."""
        try:
            done = git.run(self._objects, args, stdin=stdin.encode("utf-8", "surrogateescape"))
        except OSError as exc:
            raise UsageError(f"git {args[0]} could not start: {exc}.") from exc
        return done.stdout.decode("utf-8", errors="surrogateescape"), not done.ok

    def run_input_bytes(self, stdin: str, *args: str) -> bytes:
        return self.run_bytes(*args, stdin=stdin)

    def run_input(self, stdin: str, *args: str) -> str:
        return _decode(self.run_bytes(*args, stdin=stdin))

    def is_empty_tree(self, ref: str | None) -> bool:
        """True when ``ref`` names the empty tree (``4b825dc…``, what scripts pass for
        "everything"): a valid base that is not a commit."""
        if not ref or not re.fullmatch(r"[0-9a-fA-F]{7,64}", ref):
            return False
        if not any(tree.startswith(ref.lower()) for tree in _EMPTY_TREES):
            return False  # no need to ask git which hash this repository uses
        return self.empty_tree().startswith(ref.lower())

    def resolve_commit(self, ref: str, label: str) -> str:
        """The full SHA of commit ``ref``; a usage error when the repository does not have it."""
        if ref in self._commits:
            return self._commits[ref]
        if not ref or ref.startswith("-") or any(ch.isspace() or ch == "\0" for ch in ref):
            raise UsageError(f"{label} {ref!r} is not a valid commit reference.")
        try:
            sha = _execute(self._objects, ("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"))
        except GitFailed as exc:
            raise UsageError(
                f"The {label} commit {ref!r} is not in the repository at {self.path}.",
                hint=_SHALLOW_HINT,
            ) from exc
        self._commits[ref] = _decode(sha).strip()
        return self._commits[ref]

    def parents(self, sha: str) -> tuple[str, ...]:
        line = self.run("rev-list", "--parents", "--max-count=1", sha).split()
        return tuple(line[1:])

    def merge_base(self, first: str, second: str) -> str:
        """Where two lines of history meet (a pull request's diff starts there); ``first``
        itself when git cannot tell (e.g. a shallow clone)."""
        try:
            found = _decode(_execute(self._objects, ("merge-base", first, second))).strip()
        except GitFailed:
            return first
        return found or first

    def commit_time(self, sha: str) -> int:
        """Committer time of ``sha`` (unix seconds): the clock history windows count from. A
        full SHA names one commit for good, so its time is asked of git once a run."""
        if sha in self._times:
            return self._times[sha]
        time = int(self.run("log", "-1", "--format=%ct", sha).strip() or 0)
        if _FULL_SHA.fullmatch(sha):
            self._times[sha] = time
        return time

    def empty_tree(self) -> str:
        """The empty tree's id in this repository's hash (SHA-1 or SHA-256)."""
        if self._empty_tree is None:
            tree = self.run("hash-object", "-t", "tree", "--stdin")
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
            base or self.empty_tree(),
            head,
        )

    def text_with_nul(self, commit: str, paths: Sequence[str]) -> set[str]:
        """Of ``paths`` (files git called binary), those whose bytes at ``commit`` are text but
        for a stray NUL (:func:`.nul_text.is_text_with_nul`); files over ``NUL_TEXT_LIMIT`` stay
        binary. One ``ls-tree`` and one ``cat-file --batch``."""
        small = self.blob_ids(commit, paths, NUL_TEXT_LIMIT)
        return {path for path, data in self.blobs(small) if is_text_with_nul(data)}

    def blob_ids(
        self, commit: str, paths: Sequence[str], max_bytes: int | None = None
    ) -> dict[str, tuple[str, int]]:
        """``path -> (blob id, size)`` at ``commit`` from ``git ls-tree -l``; paths that are
        not files there, or larger than ``max_bytes``, are left out."""
        return {
            path: (blob, size)
            for _, blob, size, path in self._listed(commit, paths)
            if max_bytes is None or size <= max_bytes
        }

    def link_ids(self, commit: str, paths: Sequence[str]) -> dict[str, tuple[str, int]]:
        """``path -> (blob id, size)`` of the symbolic links among ``paths`` at ``commit``
        (only those paths are listed, never the whole tree)."""
        return {
            path: (blob, size)
            for mode, blob, size, path in self._listed(commit, paths)
            if mode == _LINK_MODE
        }

    def gitlinks(self, commit: str, paths: Sequence[str]) -> set[str]:
        """The submodules (a commit of another repository, mode 160000) among ``paths`` at
        ``commit``: they hold no blob, and their folder's contents are no file of this tree."""
        found: set[str] = set()
        for start in range(0, len(paths), _PATH_BATCH):
            out = self.run(
                "ls-tree", "-z", "--full-tree", commit, "--", *paths[start : start + _PATH_BATCH]
            )
            for record in out.split("\0"):
                meta, _, path = record.partition("\t")
                if meta.split()[:2] == [_GITLINK_MODE, "commit"]:
                    found.add(path)
        return found

    def _listed(self, commit: str, paths: Sequence[str]) -> Iterator[tuple[str, str, int, str]]:
        """``(mode, blob id, size, path)`` of each blob (a file or a link) among ``paths``
        at ``commit``, from ``git ls-tree -l`` in batches."""
        for start in range(0, len(paths), _PATH_BATCH):
            batch = paths[start : start + _PATH_BATCH]
            out = self.run("ls-tree", "-l", "-z", "--full-tree", commit, "--", *batch)
            for record in out.split("\0"):
                meta, _, path = record.partition("\t")
                fields = meta.split()
                if len(fields) == 4 and fields[1] == "blob" and fields[3].isdigit():
                    yield fields[0], fields[2], int(fields[3]), path

    def blobs(self, ids: Mapping[str, tuple[str, int]]) -> Iterator[tuple[str, bytes]]:
        """``(path, bytes)`` of each blob of ``ids`` (:meth:`blob_ids`), by one
        ``git cat-file --batch``."""
        if not ids:
            return
        listed = "".join(f"{blob}\n" for blob, _ in ids.values())
        out = self.run_input_bytes(listed, "cat-file", "--batch")
        position = 0
        for path, (_, size) in ids.items():
            start = out.index(b"\n", position) + 1  # after "<id> blob <size>"
            yield path, out[start : start + size]
            position = start + size + 1

    def diff_text(self, base: str | None, head: str, paths: list[str], max_bytes: int) -> str:
        """The unified diff of ``paths``, cut at ``max_bytes`` (for evidence and prompts)."""
        if not paths:
            return ""
        args = (
            "diff",
            "--no-color",
            "--text",  # callers pass the files the change set holds as text (text_with_nul)
            "-M",
            base or self.empty_tree(),
            head,
            "--",
            *paths,
        )
        # No character decodes from more than four bytes: git stops past those the cut keeps.
        raw = self._asked(args, lambda: _read(self._objects, args, 4 * max_bytes + 4))
        return _decode(raw)[:max_bytes]

    def tracked_files(self, commit: str) -> list[str]:
        """Every file path in ``commit``'s tree (to find the tests related to a change)."""
        return [
            path
            for path in self.run("ls-tree", "-r", "-z", "--name-only", commit).split("\0")
            if path
        ]

    def is_shallow(self) -> bool:
        """Whether the clone holds only part of its history (``actions/checkout``'s default)."""
        if self._shallow is None:
            self._shallow = self.run("rev-parse", "--is-shallow-repository").strip() == "true"
        return self._shallow

    def deepen(
        self,
        url: str,
        commits: Sequence[str],
        since: int | None,
        *,
        token: str | None = None,
        more: int = 0,
    ) -> bool:
        """Fetch ``commits``' (SHAs) history since ``since`` (unix seconds; None: all ``url``
        holds), or ``more`` deep from each, within :data:`DEEPEN_TIMEOUT`: whether it came.
        ``token`` goes in git's environment, not on a command line; no checkout setting is read."""
        scheme = url.partition("://")[0]
        if scheme not in ("https", "file"):
            return False
        environ = {"GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": scheme}
        if token:
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
            environ |= {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
            }
        if not commits or not all(_FULL_SHA.fullmatch(c) for c in commits):
            return False  # a SHA is never read as an option or a refspec with a destination
        depth = "--unshallow" if since is None else f"--shallow-since={since}"
        depth = f"--depth={more}" if more else depth
        args = ("fetch", "--quiet", "--no-tags", depth, "--", url, *commits)
        self._shallow = None  # the fetch may bring the whole history
        try:
            done = git.run(self._objects, args, environ=environ, timeout=DEEPEN_TIMEOUT)
        except (OSError, git.GitTimedOut):
            return False
        self._commits.clear()
        return done.ok


def _enclosing_checkout(path: Path) -> Path | None:
    """The nearest folder above ``path`` holding a ``.git``, the repository a user who named a
    folder inside it meant (only named in the error: nothing of it is read)."""
    for folder in path.absolute().parents:
        if (folder / ".git").exists():
            return folder
    return None
