"""What runs in each changed text file and which dependency entries each manifest moves, read from
both sides' blobs of a change (bounded): the part of the risk's evidence that reads file
contents, not the diff alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.analysis.changes import ChangedFile, ChangeSet
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk import dependencies, runs
from cicd_agent.risk.evidence import MAX_DIFF_BYTES
from cicd_agent.risk.floors import DEPENDENCY_TYPES
from cicd_agent.risk.runs import split_diff

MAX_WHAT_FILES = 200
"""Most changed files tokenised or read for dependency entries (the rest count as git does)."""


def read_what_changed(
    repo: GitRepo, change: ChangeSet, diff_text: Callable[[Sequence[str], int], str]
) -> tuple[dict[str, runs.Lines], dict[str, tuple[str, ...]]]:
    """What runs in each changed text file (:mod:`runs`) and the dependency entries each
    manifest or lock file moves (:mod:`dependencies`; left out where it could not be read),
    from both sides' blobs, bounded (:data:`runs.MAX_FILE_BYTES`, :data:`MAX_WHAT_FILES`)."""
    lexed = [
        c
        for c in change.files
        if not c.binary
        and not c.submodule
        and c.status != "D"
        and not c.types & {ChangeType.DOCS, ChangeType.GENERATED, ChangeType.LOCKFILE}
    ][:MAX_WHAT_FILES]
    manifests = [
        c
        for c in change.files
        if not c.binary
        and c.types & set(DEPENDENCY_TYPES)
        and (c.named_by or dependencies.reader_for(c.path))
    ][:MAX_WHAT_FILES]
    lexed_paths = {c.path for c in lexed}
    wanted = lexed + [c for c in manifests if c.path not in lexed_paths]
    if not wanted:
        return {}, {}
    limit = max(runs.MAX_FILE_BYTES, dependencies.MAX_BYTES)
    old_names = {c.path: c.old_path or c.path for c in wanted}
    named = [(change.base, old_names[c.path]) for c in wanted if change.base]
    texts = _texts(repo, [*named, *((change.head, c.path) for c in wanted)], limit)
    before = {path: texts[rev, path] for rev, path in named if (rev, path) in texts}
    after = {c.path: texts[change.head, c.path] for c in wanted if (change.head, c.path) in texts}
    sides = {c.path: (before.get(old_names[c.path]), after.get(c.path)) for c in wanted}
    diffs = split_diff(diff_text([c.path for c in lexed], MAX_DIFF_BYTES), lexed_paths)
    whole = [
        c
        for c in lexed
        if sides[c.path][1] is not None and (c.status == "A" or sides[c.path][0] is not None)
    ]
    found = runs.what_runs({c.path: sides[c.path] for c in whole}, diffs)
    # A diff cut short would under-count: only a file whose lines all came through is read.
    lines = {
        c.path: found[c.path]
        for c in whole
        if c.path in found and (found[c.path].quiet or found[c.path].raw == c.added + c.deleted)
    }

    def changed_entries(c: ChangedFile) -> tuple[str, ...] | None:
        # Read as a requirements list only a file that is no manifest or lock file by its
        # path: a lock file of a format no reader knows lists nothing so, and would read as
        # unchanged where unread it counts as changed.
        own = classify_path(c.path) & set(DEPENDENCY_TYPES)
        named = bool(c.named_by) and not own
        return dependencies.changed_entries(c.path, *sides[c.path], named=named)

    moved = {
        c.path: entries
        for c in manifests
        # both sides that exist came through (a file over the bound is not read as absent)
        if (c.status == "A" or sides[c.path][0] is not None)
        and (c.status == "D" or sides[c.path][1] is not None)
        and (entries := changed_entries(c)) is not None
    }
    return lines, moved


def _texts(repo: GitRepo, wanted: list[tuple[str, str]], limit: int) -> dict[tuple[str, str], str]:
    """The text of each ``(commit, path)`` that is a blob of at most ``limit`` bytes: one
    ``cat-file --batch-check`` for the sizes and one ``--batch`` for the contents."""
    asked = [(rev, path) for rev, path in wanted if "\n" not in path]
    if not asked:
        return {}
    checked = repo.run_input(
        "".join(f"{rev}:{path}\n" for rev, path in asked), "cat-file", "--batch-check"
    )
    ids: dict[str, tuple[str, int]] = {}
    keys: dict[str, tuple[str, str]] = {}
    for key, line in zip(asked, checked.splitlines(), strict=False):
        fields = line.split()
        if (
            len(fields) == 3
            and fields[1] == "blob"
            and fields[2].isdigit()
            and int(fields[2]) <= limit
        ):
            ids[f"{key[0]}:{key[1]}"] = (fields[0], int(fields[2]))
            keys[f"{key[0]}:{key[1]}"] = key
    return {keys[name]: data.decode("utf-8", "replace") for name, data in repo.blobs(ids)}
