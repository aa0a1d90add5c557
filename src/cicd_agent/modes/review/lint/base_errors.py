"""Which of a checker's errors the change brought: those it does not also report at the base.

mypy run on the files that import a changed module reports what is wrong in them already, and
placing each such error on an added line that names a word of its message blamed a one-word
docstring fix for "the change does not build" on a project whose tests had 5 type errors at the
base. An error already there at the base is not the change's. So when the checker reports an
error on a line the change did not touch, it runs again, as before, in the sandbox, on the
base's side of the same files: a fresh copy of the checkout with each changed file put back as
the base has it (added ones taken away, renamed ones under their old name, so the base's own
configuration is the one read). An error at the head is the base's when the base reports one in
the same file (its head name), with the same code and the same words once line numbers are
left out, at the line the diff carries the base's to, or else anywhere in that file, each base
error matching one at the head at most: a second copy of an old error is new. A base error on a
line the change took away matches none: the change removed it, and an error of the same words
elsewhere (a new function written with the old mistake) is the change's; and an error on a
line the change wrote is the base's only at the line the diff carries a base error to, never
"anywhere" (the old error fixed on another line, the same words in new code). Where the base
cannot be checked, nothing is taken away and the note says why.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    create_file,
    create_folder,
    create_link,
    remove_entry,
)
from cicd_agent.modes.review.lint.build_errors import BuildError
from cicd_agent.modes.review.lint.callers import linked_packages
from cicd_agent.modes.review.lint.lint_command import LintCommand, run_lint

if TYPE_CHECKING:
    from pathlib import Path

    from cicd_agent.analysis.diff import Diff, FileDiff
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.sandbox.run import Sandbox


@dataclass(frozen=True)
class BaseSide:
    """The base a review compares with: its commit and the change from it."""

    repo: GitCheckout
    commit: str
    diff: Diff


_LINE_NUMBER = re.compile(r"(?<=:)\d+(?::\d+)?|\bline \d+")
"""A line number in a message (``version.py:644``, "defined on line 12"): the same error
moves when the change adds lines above it."""


def _key(path: str, error: BuildError) -> tuple[str, str, str]:
    words = _LINE_NUMBER.sub("", " ".join(error.message.split()))
    return path, error.code, words


def head_line(file: FileDiff, old: int) -> int | None:
    """The head's line that the base's line ``old`` of ``file`` became; None when the change
    removed it. Lines a hunk adds before its first old line are counted once an old line
    after them is passed (a hunk adding lines only can leave this a few lines off: the
    match falls back to the same error anywhere in the file)."""
    shift = pending = 0
    for hunk in file.hunks:
        for line in hunk.lines:
            if line.old is None:
                pending += 1
                continue
            if line.old == old:
                return line.new
            if line.old > old:
                return old + shift
            shift, pending = shift + pending - (line.kind == "-"), 0
    return old + shift + pending


def split_new(
    head: Sequence[BuildError], base: Sequence[BuildError], diff: Diff
) -> tuple[list[BuildError], int]:
    """The errors of ``head`` the base does not report, in their order, and how many it does."""
    renamed = {f.old_path: f.path for f in diff.files if f.old_path}
    files = diff.by_path
    lines: Counter[tuple[tuple[str, str, str], int | None]] = Counter()
    anywhere: Counter[tuple[str, str, str]] = Counter()
    for error in base:
        path = renamed.get(error.path, error.path)
        file = files.get(path)
        line = head_line(file, error.line) if file is not None else error.line
        if line is None:  # its line the change took away: gone, so no head error is it
            continue
        lines[_key(path, error), line] += 1
        anywhere[_key(path, error)] += 1
    written = {(f.path, n) for f in diff.files for n, _ in f.added_lines()}
    old = [False] * len(head)
    for first in (True, False):
        for index, error in enumerate(head):
            key = _key(error.path, error)
            exact = first or (error.path, error.line) in written
            if old[index] or anywhere[key] <= 0 or (exact and lines[key, error.line] <= 0):
                continue
            old[index] = True
            anywhere[key] -= 1
            if lines[key, error.line] > 0:
                lines[key, error.line] -= 1
    return [e for e, was in zip(head, old, strict=True) if not was], sum(old)


def put_back(repo: GitCheckout, commit: str, diff: Diff, root: Path) -> None:
    """Make the copy of the checkout at ``root`` the base's for every entry ``diff`` changes:
    the head's entries taken away first, whole (a folder the change made a link is gone before
    anything is written under its name; a submodule's checked-out tree is the head's, never
    the base's), then the base's written without following a link: a file as a file, a link
    as a link, a submodule as the empty folder git leaves one it did not check out. Raises
    CheckoutFileError where that cannot be done (a base file git would not read)."""
    before = [f.old_path or f.path for f in diff.files if f.status != "added"]
    resolved = repo.resolve(commit)
    texts = repo.read_texts(commit, before)
    links = repo.git.link_ids(resolved, before)
    submodules = repo.git.gitlinks(resolved, before)
    missing = [path for path in before if path not in texts and path not in submodules]
    if missing:
        raise CheckoutFileError(missing[0], "missing", "could not be read at the base")
    for file in diff.files:
        if file.status != "deleted":
            remove_entry(root, file.path)
        if file.old_path:
            remove_entry(root, file.old_path)
    for path in before:
        remove_entry(root, path)
        if path in submodules:
            create_folder(root, path)
        elif path in links:
            create_link(root, path, texts[path])
        else:
            create_file(root, path, texts[path])


def base_errors(
    sandbox: Sandbox,
    command: LintCommand,
    files: Sequence[str],
    side: BaseSide,
    timeout: float,
) -> list[BuildError] | str:
    """The errors ``command`` reports at the base on the base's names of ``files`` (those the
    base has) and the modules the change deletes, or why it could not run there."""
    from cicd_agent.sandbox.workspace import remove_tree

    renamed = {f.path: f.old_path for f in side.diff.files if f.old_path}
    added = {f.path for f in side.diff.files if f.status == "added"}
    before = [renamed.get(path) or path for path in files if path not in added]
    # a module the change deletes is named too: where only the files named find a package,
    # its importers' imports would fail at the base as at the head, and read as the base's
    before += [
        f.path
        for f in side.diff.files
        if f.status == "deleted" and f.path.endswith(command.suffixes) and f.path not in before
    ]
    # a changed link's package is named as the base has it: the head's taken out, the base's in
    names = {path for f in side.diff.files for path in (f.path, f.old_path) if path}
    linked = linked_packages(side.repo, side.commit, side.diff)
    before = [path for path in before if path.rpartition("/")[0] not in names]
    before += [path for path in linked if path.endswith(command.suffixes)]
    if not before:
        return []
    space = sandbox.workspace("lint-base")
    try:
        try:
            put_back(side.repo, side.commit, side.diff, space.repo)
        except CheckoutFileError as exc:
            return f"the base's files could not be put in place ({exc})"
        lint = run_lint(sandbox, space, command, before, timeout=timeout)
    finally:
        remove_tree(space.root)
    if lint.problem:
        return lint.problem
    # a build that stopped at the base's own errors names them: those are the base's; a report
    # cut short with none is no answer (the note says all are the change's)
    if lint.stopped and not any(h.compiles and h.path for h in lint.hits):
        return lint.stopped
    return [
        BuildError(h.path, h.line, h.code, h.message, h.related)
        for h in lint.hits
        if h.compiles and h.path
    ]


def only_new(
    sandbox: Sandbox,
    command: LintCommand,
    files: Sequence[str],
    side: BaseSide,
    errors: list[BuildError],
    *,
    timeout: float,
) -> tuple[list[BuildError], str, bool]:
    """``errors`` without those the base has too, a note on them ("" for none), and whether
    the base was checked. It is not when every error is on a line the change added (nothing
    can be blamed wrongly), nor when it cannot be (the note says why)."""
    added = {f.path: {n for n, _ in f.added_lines()} for f in side.diff.files}
    if all(error.line in added.get(error.path, ()) for error in errors):
        return errors, "", False
    tool = command.label
    found = base_errors(sandbox, command, files, side, timeout)
    if isinstance(found, str):
        return (
            errors,
            (
                f"{tool} could not be run on the base to tell its errors from this "
                f"change's ({found[:200]}), so every error it reports is placed as "
                "this change's."
            ),
            False,
        )
    new, old = split_new(errors, found, side.diff)
    if not old:
        return new, "", True
    return (
        new,
        (
            f"{tool}: {old} error(s) were already there at the base (the same check on "
            "the base's side of these files), so they are not this change's and none is "
            "placed on its lines."
        ),
        True,
    )
