"""What risk scoring reads about the past, as plain values: a mined commit, a change's file and
author history, and the words of a message that mark a fix or a revert. Pure (no git, no file,
no process): :mod:`store` and :mod:`checkout` fill these from git; the scoring modules
(:mod:`score`, :mod:`jit`, :mod:`model`, :mod:`floors`) only read them, which
``tests/project/test_layers.py`` keeps so."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import PurePosixPath

from cicd_agent.analysis.changes import ChangedFile, ChangeSet, CommitInfo

CACHE_VERSION = 3
"""The mining cache's record version (:mod:`store`): raised whenever a record's meaning changes,
so a cache of older records is read again."""
ROOT_SUBSYSTEM = "(root)"
# Folders that only contain the real subsystems (``src/api``, ``packages/web``).
_CONTAINERS = frozenset(
    {
        "src",
        "lib",
        "libs",
        "app",
        "apps",
        "pkg",
        "packages",
        "internal",
        "cmd",
        "source",
        "sources",
        "modules",
        "services",
        "components",
        "main",
        "python",
        "go",
        "java",
    }
)

FIX_WORDS = re.compile(
    r"\b(fix(e[sd]|ing)?|bug(s|fix)?|defect|hotfix|crash(es|ed)?|regression|fault|"
    r"broken|fail(s|ed|ure)?|patch(ed)?)\b",
    re.IGNORECASE,
)
REVERT_SUBJECT = re.compile(r"^\s*(revert\b|reapply\b|back\s*out\b|rollback\b)", re.IGNORECASE)


def churn_entropy(files: Sequence[ChangedFile]) -> float:
    """Shannon entropy of the modified lines across files, normalised by log2(files): how
    evenly a change spreads (the same measure for the change scored and each past row)."""
    churns = [changed.churn for changed in files if changed.churn > 0]
    total = sum(churns)
    if len(churns) < 2 or total == 0:
        return 0.0
    raw = -sum((churn / total) * math.log2(churn / total) for churn in churns)
    return raw / math.log2(len(churns))


_METADATA = re.compile(r"^---$.*?^\.\.\.$", re.MULTILINE | re.DOTALL)
"""A YAML document a bot writes into its message (dependabot's ``updated-dependencies``, whose
``update-type: version-update:semver-patch`` is no one saying "patch")."""


@lru_cache(maxsize=64)
def is_fix(message: str) -> bool:
    """The change says it fixes something (the FIX feature of JIT defect prediction), in the
    author's words: not in the metadata a bot appends. Remembered: a past commit's subject is
    asked once for each file it touched (5,000 times for one commit of a 5,000-file change),
    one after another, so a few answers held suffice."""
    return bool(FIX_WORDS.search(_METADATA.sub("", message)))


def is_revert(subject: str) -> bool:
    """The commit undoes another (``git revert`` writes ``Revert "…"``)."""
    return bool(REVERT_SUBJECT.match(subject))


def subsystem_of(path: str) -> str:
    """A file's subsystem: its top-level folder (``src/api`` in a src layout), or ``(root)``."""
    parts = path.split("/")
    if len(parts) == 1:
        return ROOT_SUBSYSTEM
    if parts[0].lower() in _CONTAINERS and len(parts) > 2:
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


@dataclass
class FileHistory:
    """The past of one touched file within the window."""

    path: str
    changes: int = 0
    fixes: int = 0
    reverts: int = 0
    last_change: int | None = None
    authors: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class HistoryFeatures:
    """History and experience features of a change (names follow Kamei et al. 2013)."""

    files: dict[str, FileHistory]
    unique_changes: int  # NUC: distinct past commits touching any of the files
    developers: int  # NDEV: distinct past authors of the files
    mean_age_days: float | None  # AGE: mean days since each touched file last changed
    past_fixes: int  # distinct past fix commits touching the files
    past_reverts: int  # distinct past revert commits touching the files
    revert_evidence: tuple[str, ...]  # short SHA and subject of those reverts (up to 5)
    authors: tuple[str, ...]  # authors of the change
    experience: int  # EXP: fewest past commits of any author of the change
    recent_experience: float  # REXP: that author's commits weighted 1/(1 + years ago)
    subsystem_experience: int  # SEXP: fewest past commits of an author in the subsystems

    @classmethod
    def empty(cls, authors: tuple[str, ...] = ()) -> HistoryFeatures:
        """A change with no past (a root commit)."""
        return cls({}, 0, 0, None, 0, 0, (), authors, 0, 0.0, 0)


_REVERTS_SHA = re.compile(r"\bThis reverts commit ([0-9a-f]{7,64})\b", re.IGNORECASE)
_REVERT_TITLE = re.compile(r'^\s*Revert\s+"(.+)"(?:\s*\((?:#\d+|[0-9a-f]{7,40})\))*\s*$')
"""``Revert "<subject>"``, also with the pull request or commit a squash merge appends
(``Revert "Add X (#12)" (#15)``): 88 reverts in the 39 histories of the evaluation carried
only that title, and their reverted commits went unlabelled."""


@dataclass(frozen=True)
class MinedCommit:
    """One past commit: what it touched and what it says about other commits."""

    sha: str
    parents: tuple[str, ...]
    author: str
    time: int  # committer time: when the commit entered the history
    subject: str
    fix: bool
    # SHAs (maybe abbreviated) named by "This reverts commit"; a named merge of the commit's
    # own past stands as the commits it brought in (what ``git revert -m 1`` undoes)
    reverts: tuple[str, ...]
    files: tuple[ChangedFile, ...]

    @cached_property
    def reverted_subject(self) -> str:
        """The subject inside ``Revert "…"``, or "" (derived from the subject, not stored in
        the mining cache, so a better reading of titles applies to commits mined before it;
        kept on the object, as a replay asks it more than once per commit)."""
        title = _REVERT_TITLE.match(self.subject)
        return title.group(1) if title else ""

    @property
    def revert(self) -> bool:
        """Whether the message says it reverts something (title or a named SHA); whether it
        undoes a commit of *this* history is :meth:`RevertIndex.undoes`."""
        return bool(self.reverts or self.reverted_subject) or is_revert(self.subject)

    def to_json(self) -> dict[str, object]:
        return {
            "v": CACHE_VERSION,
            "sha": self.sha,
            "parents": list(self.parents),
            "author": self.author,
            "time": self.time,
            "subject": self.subject,
            "fix": self.fix,
            "reverts": list(self.reverts),
            "files": [
                [f.path, f.added, f.deleted, f.status, int(f.binary), int(f.submodule)]
                for f in self.files
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> MinedCommit:
        files = data["files"]
        assert isinstance(files, list)
        return cls(
            sha=str(data["sha"]),
            parents=tuple(str(p) for p in data["parents"]),  # type: ignore[attr-defined]
            author=str(data["author"]),
            time=int(data["time"]),  # type: ignore[call-overload]
            subject=str(data["subject"]),
            fix=bool(data["fix"]),
            reverts=tuple(str(s) for s in data["reverts"]),  # type: ignore[attr-defined]
            files=tuple(
                ChangedFile(
                    path=str(p),
                    added=int(a),
                    deleted=int(d),
                    status=str(s),
                    binary=bool(b),
                    submodule=bool(m),
                )
                for p, a, d, s, b, m in files
            ),
        )


def named_reverts(message: str) -> tuple[str, ...]:
    """The SHAs a message names in ``This reverts commit <sha>`` lines (lowercase, at most
    five)."""
    return tuple(dict.fromkeys(m.lower() for m in _REVERTS_SHA.findall(message)))[:5]


MAX_PATHSPECS = 64
"""Most pathspecs passed to git; a change spread wider is looked up by coarser folders."""


@dataclass
class FileScan:
    """What the file pass of :func:`~cicd_agent.risk.checkout.read_history` accumulates."""

    files: dict[str, FileHistory] = field(default_factory=dict)
    touching: set[str] = field(default_factory=set)
    fixes: set[str] = field(default_factory=set)
    reverts: dict[str, str] = field(default_factory=dict)
    subsystem_authors: Counter[str] = field(default_factory=Counter)


def record_touch(
    scan: FileScan, path: str, *, sha: str, subject: str, author: str, timestamp: int
) -> None:
    history = scan.files.setdefault(path, FileHistory(path))
    scan.touching.add(sha)
    history.changes += 1
    history.authors.add(author)
    history.last_change = max(history.last_change or 0, timestamp)
    if is_fix(subject):
        history.fixes += 1
        scan.fixes.add(sha)
    if is_revert(subject):
        history.reverts += 1
        scan.reverts.setdefault(sha, subject[:80])


def authors_of(commits: Iterable[CommitInfo]) -> tuple[str, ...]:
    """Authors of the change's own commits (merge commits only when there is nothing else)."""
    listed = list(commits)
    own = [c.author_email for c in listed if len(c.parents) <= 1 and c.author_email]
    chosen = own or [c.author_email for c in listed if c.author_email]
    return tuple(dict.fromkeys(chosen))


def history_keys(change: ChangeSet) -> dict[str, str]:
    """Past path → current path: a renamed file's history is its old name's history."""
    keys: dict[str, str] = {}
    for changed in change.files:
        if changed.status != "A":
            keys[changed.path] = changed.path
        if changed.old_path:
            keys[changed.old_path] = changed.path
    return keys


def pathspecs_for(paths: Iterable[str]) -> list[str]:
    """Pathspecs covering the subsystems of ``paths``: at most :data:`MAX_PATHSPECS`, coarser
    folders when the change is spread wider, none (the whole tree) as a last resort."""
    specs = sorted(
        {path if subsystem_of(path) == ROOT_SUBSYSTEM else subsystem_of(path) for path in paths}
    )
    if len(specs) <= MAX_PATHSPECS:
        return specs
    top = sorted({PurePosixPath(path).parts[0] for path in specs})
    return top if len(top) <= MAX_PATHSPECS else []
