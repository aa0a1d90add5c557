"""What changed between two commits: the files (each with its change types), the commits.

Reading them from git is ``local.change_set``'s; this module holds only the types and the pure
parts (``--raw --numstat`` parsing), so it runs on data without a repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cicd_agent.analysis.change_types import ChangeType, classify_path


@dataclass(frozen=True)
class ChangedFile:
    """One file of a change. ``old_path`` is set for renames and copies.

    ``binary`` files and submodules have no line counts (git reports none).
    """

    path: str
    added: int = 0
    deleted: int = 0
    status: str = "M"
    old_path: str | None = None
    binary: bool = False
    submodule: bool = False
    types: frozenset[ChangeType] = field(default=frozenset())
    named_by: str = ""
    """What makes a file a dependency manifest that its path does not (``setup.cfg's
    install_requires``: :mod:`~cicd_agent.analysis.named_manifests`)."""

    def __post_init__(self) -> None:
        if not self.types:
            object.__setattr__(self, "types", classify_path(self.path))

    @property
    def churn(self) -> int:
        return self.added + self.deleted


@dataclass(frozen=True)
class CommitInfo:
    """A commit of the change: who wrote it, when, and what it says it does."""

    sha: str
    author_email: str
    timestamp: int
    subject: str
    body: str = ""
    parents: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}".strip()


@dataclass(frozen=True)
class ChangeSet:
    """Everything git says about ``base..head``: files, commits, and where the range came from.

    ``base`` is None for a root commit (diffed against the empty tree).
    """

    head: str
    base: str | None
    files: tuple[ChangedFile, ...]
    commits: tuple[CommitInfo, ...]
    base_note: str = ""
    commits_truncated: bool = False

    @property
    def types(self) -> frozenset[ChangeType]:
        return frozenset(t for changed in self.files for t in changed.types)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(changed.path for changed in self.files)


def parse_raw_numstat(output: str) -> list[ChangedFile]:
    """Parse ``git diff --raw --numstat -z``: raw records (status, modes; 160000 is a submodule)
    first, then numstat (line counts, ``-`` for binary), in the same order."""
    tokens = output.split("\0")
    raws: list[tuple[str, str, str, str | None]] = []
    index = 0
    while index < len(tokens) and tokens[index].startswith(":"):
        fields = tokens[index][1:].split()
        old_mode, new_mode, status = fields[0], fields[1], fields[4]
        letter = status[:1]
        if letter in ("R", "C"):
            raws.append((letter, new_mode or old_mode, tokens[index + 2], tokens[index + 1]))
            index += 3
        else:
            mode = new_mode if letter != "D" else old_mode
            raws.append((letter, mode, tokens[index + 1], None))
            index += 2
    counts: list[tuple[str, str]] = []
    while index < len(tokens):
        token = tokens[index]
        if not token:
            index += 1
            continue
        added, deleted, path = token.split("\t", 2)
        counts.append((added, deleted))
        index += 3 if path == "" else 1
    return [_changed_file(raw, count) for raw, count in zip(raws, counts, strict=True)]


def _changed_file(raw: tuple[str, str, str, str | None], count: tuple[str, str]) -> ChangedFile:
    status, mode, path, old_path = raw
    submodule = mode == "160000"
    binary = count[0] == "-" and not submodule
    return ChangedFile(
        path=path,
        added=0 if binary or submodule else int(count[0]),
        deleted=0 if binary or submodule else int(count[1]),
        status=status,
        old_path=old_path,
        binary=binary,
        submodule=submodule,
    )


def only(files: Sequence[ChangedFile], kind: ChangeType) -> bool:
    """True when there is at least one file and every file is of ``kind`` alone."""
    return bool(files) and all(changed.types == {kind} for changed in files)
