"""Read what changed between two commits from git: the files and the commits, as a ChangeSet.

git is asked once for the whole diff (``--raw --numstat -z``: robust to any byte in a file name)
and once for the commits; the pure parsing is :mod:`cicd_agent.analysis.changes`."""

from __future__ import annotations

import posixpath
from dataclasses import replace

from cicd_agent.analysis.change_types import ChangeType, version_only
from cicd_agent.analysis.changes import ChangedFile, ChangeSet, CommitInfo, parse_raw_numstat
from cicd_agent.analysis.diff import parse_diff
from cicd_agent.analysis.named_manifests import CONFIG_NAMES, named_files, one_line
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.local.gitrepo import GitRepo

MAX_RANGE_COMMITS = 250
"""Commits of ``base..head`` read for messages and authors; more only repeats the pattern."""

MAX_TEXT_DIFF_BYTES = 8 << 20
"""Diff text read to count the lines of files git called binary for a stray NUL byte."""

_COMMIT_FORMAT = "%H%x1f%P%x1f%aE%x1f%at%x1f%s%x1f%b%x1e"


def read_change_set(
    repo: GitRepo,
    head: str,
    base: str | None = None,
    *,
    files: tuple[ChangedFile, ...] | None = None,
) -> ChangeSet:
    """The change from ``base`` to ``head`` in ``repo``; ``base`` None means against ``head``'s
    first parent (or the empty tree), so a merge is judged by what it brings in. Raises
    :class:`~cicd_agent.actions.errors.UsageError` for a missing commit or a non-repository.
    ``files``: this range's diff, when the caller has read it already."""
    head_sha = repo.resolve_commit(head, "head")
    note = ""
    if base is None:
        parents = repo.parents(head_sha)
        base_sha = parents[0] if parents else None
        note = (
            f"base is the first parent of {head_sha[:12]}"
            if parents
            else f"{head_sha[:12]} is a root commit: compared with the empty tree"
        )
    elif repo.is_empty_tree(base):
        # git's empty tree (what scripts pass for "everything"): the whole tree is new and
        # every commit up to the head is part of the change.
        whole = _named_manifests(repo, None, head_sha, files or _read_files(repo, None, head_sha))
        commits, truncated = _read_commits(repo, None, head_sha, MAX_RANGE_COMMITS + 1)
        note = "base is the empty tree: the whole tree at the head is the change"
        return ChangeSet(head_sha, None, whole, commits[:MAX_RANGE_COMMITS], note, truncated)
    else:
        base_sha = repo.resolve_commit(base, "base")
    if files is None:
        files = _read_files(repo, base_sha, head_sha)
    files = _named_manifests(
        repo, base_sha, head_sha, _version_bumps(repo, base_sha, head_sha, files)
    )
    commits, truncated = _read_commits(repo, base_sha, head_sha)
    return ChangeSet(head_sha, base_sha, files, commits, note, truncated)


def _read_files(repo: GitRepo, base: str | None, head: str) -> tuple[ChangedFile, ...]:
    """The changed files; those git called binary for a stray NUL byte are text again
    (:meth:`GitRepo.text_with_nul`), counted from their ``--text`` diff (git's ``--numstat``
    ignores ``--text``), so the detectors read a migration whatever its bytes."""
    files = tuple(parse_raw_numstat(repo.diff_raw_numstat(base, head)))
    hidden = repo.text_with_nul(
        head, [f.path for f in files if f.binary and not f.submodule and f.status != "D"]
    )
    if not hidden:
        return files
    paths = sorted({p for f in files if f.path in hidden for p in (f.path, f.old_path) if p})
    counted = {
        f.path: (f.added, f.removed)
        for f in parse_diff(repo.diff_text(base, head, paths, MAX_TEXT_DIFF_BYTES)).files
        if f.path in hidden and not f.is_binary
    }
    return tuple(
        replace(f, binary=False, added=counted[f.path][0], deleted=counted[f.path][1])
        if f.path in counted
        else f
        for f in files
    )


MAX_BUMP_LINES = 8
"""A manifest changed in more lines than this is not read as a version bump."""
MAX_MANIFEST_BYTES = 1 << 20


def _version_bumps(
    repo: GitRepo, base: str | None, head: str, files: tuple[ChangedFile, ...]
) -> tuple[ChangedFile, ...]:
    """``files`` with a manifest whose only change is the project's own version no longer a
    dependency change (:func:`version_only`): a release bump brings no third-party code."""
    small = (f for f in files if f.status == "M" and f.churn <= MAX_BUMP_LINES)
    paths = [f.path for f in small if ChangeType.DEPENDENCIES in f.types]
    if not paths or base is None:
        return files
    checkout = GitCheckout(repo.path)
    before = checkout.read_texts(base, paths, MAX_MANIFEST_BYTES)
    after = checkout.read_texts(head, paths, MAX_MANIFEST_BYTES)
    bumps = {
        p for p in paths if p in before and p in after and version_only(p, before[p], after[p])
    }
    return tuple(
        replace(f, types=f.types - {ChangeType.DEPENDENCIES} or frozenset({ChangeType.BUILD}))
        if f.path in bumps
        else f
        for f in files
    )


MAX_CONFIG_BYTES = 16 << 20
"""Most bytes of build configurations read per side for the requirement files they name. Only
configurations that exist count, so changed files in many folders push none of them out."""


def _named_manifests(
    repo: GitRepo, base: str | None, head: str, files: tuple[ChangedFile, ...]
) -> tuple[ChangedFile, ...]:
    """``files`` with each requirement file a ``setup.cfg`` or ``pyproject.toml`` names
    (:func:`named_files`; at the base or the head, in a folder holding the changed file or
    above it) a dependency change, saying what names it. The configurations are blobs git
    lists in one ``ls-tree`` and reads once per side (a link is its target's text, which names
    nothing), at most :data:`MAX_MANIFEST_BYTES` each and :data:`MAX_CONFIG_BYTES` in all; a
    file of no known type under one left unread counts as named, as it may be."""
    candidates = [f for f in files if not f.submodule]
    if not candidates:
        return files
    folders: dict[str, None] = {}
    for changed in candidates:
        for path in (changed.path, changed.old_path or changed.path):
            folder = posixpath.dirname(path)
            while folder:
                folders.setdefault(folder)
                folder = posixpath.dirname(folder)
    configs = [posixpath.join(d, n) for d in ["", *folders] for n in CONFIG_NAMES]
    named: dict[str, str] = {}
    unread: dict[str, str] = {}
    for rev in (head, base):
        if rev is None:
            continue
        found, held, kept = repo.blob_ids(rev, configs), 0, {}
        for config, blob in found.items():
            if blob[1] <= MAX_MANIFEST_BYTES and held + blob[1] <= MAX_CONFIG_BYTES:
                kept[config], held = blob, held + blob[1]
            else:
                unread.setdefault(posixpath.dirname(config), config)
        for config, data in repo.blobs(kept):
            for path, where in named_files(config, data.decode("utf-8", "replace")).items():
                named.setdefault(path, where)
    for rev in (head, base):
        if rev is not None and named:
            _through_links(repo, rev, named)
    for changed in candidates:
        if changed.path not in named and changed.types == {ChangeType.OTHER}:
            folder = posixpath.dirname(changed.path)
            while folder not in unread and folder:
                folder = posixpath.dirname(folder)
            if folder in unread:
                named[changed.path] = f"{unread[folder]}, too large to read, which may name it"
    return tuple(
        replace(
            f,
            types=(f.types - {ChangeType.OTHER}) | {ChangeType.DEPENDENCIES},
            named_by=named[f.path],
        )
        if not f.submodule and f.path in named
        else f
        for f in files
    )


MAX_LINK_HOPS = 8
"""Links followed from a named file, one after another."""
MAX_LINK_BYTES = 4096
"""A link's target longer than this (no system's path is) is not followed."""


def _through_links(repo: GitRepo, rev: str, named: dict[str, str]) -> None:
    """Adds to ``named`` the file each named path at ``rev`` reaches through a link, itself or
    a folder above it, inside the repository: setuptools opens a named file through links, so
    the file it reaches is the requirement file, whatever names the path. Only the named
    paths and their folders are listed (a whole tree's listing would be as large as the pull
    request makes it); only the links among them are read."""
    paths = list(named)
    for _ in range(MAX_LINK_HOPS):
        parts: dict[str, None] = {}
        for path in paths:
            part = path
            while part:
                parts.setdefault(part)
                part = posixpath.dirname(part)
        links = repo.link_ids(rev, list(parts))
        through: dict[str, list[str]] = {}  # each link a named path passes: the paths
        for path in paths:
            part = path
            while part:
                if part in links and links[part][1] <= MAX_LINK_BYTES:
                    through.setdefault(part, []).append(path)
                part = posixpath.dirname(part)
        paths = []
        for link, data in repo.blobs({link: links[link] for link in through}):
            folder = posixpath.join(posixpath.dirname(link), data.decode("utf-8", "replace"))
            for path in through[link]:
                target = posixpath.normpath(folder + path[len(link) :])
                if target.startswith(("/", "../")) or target in (".", "..") or target in named:
                    continue
                named[target] = one_line(f"{named[path]}, through the link {link}")
                paths.append(target)
        if not paths:
            return


def _read_commits(
    repo: GitRepo, base: str | None, head: str, root_limit: int = 1
) -> tuple[tuple[CommitInfo, ...], bool]:
    revision = [head] if base is None else [f"{base}..{head}"]
    limit = root_limit if base is None else MAX_RANGE_COMMITS + 1
    raw = repo.run("log", f"--max-count={limit}", f"--format={_COMMIT_FORMAT}", *revision)
    commits = [_commit(record) for record in raw.split("\x1e") if record.strip()]
    return tuple(commits[:MAX_RANGE_COMMITS]), len(commits) > MAX_RANGE_COMMITS


def _commit(record: str) -> CommitInfo:
    sha, parents, email, when, subject, body = record.strip("\n").split("\x1f", 5)
    return CommitInfo(
        sha=sha,
        author_email=email.lower(),
        timestamp=int(when or 0),
        subject=subject,
        body=body.strip(),
        parents=tuple(parents.split()),
    )


__all__ = ["MAX_RANGE_COMMITS", "read_change_set"]
