"""History features of a change, from git, in three bounded passes (no per-file subprocesses).

Just-in-time defect prediction (Kamei et al., TSE 2013; McIntosh & Kamei, TSE 2018) finds that
the past of the touched files and the experience of the author predict which changes break:
files many people changed recently, files with past fixes and reverts, and authors new to the
code. We compute those features as of the change's *base* (never using the change or anything
after it), so scoring an old commit of a long history gives the same answer it would have given
on the day, which is also what makes the revert-based evaluation in ``bench/`` honest.

The passes:

1. ``git log --numstat`` over the touched paths (or their directories, for a very large change),
   at most :data:`FILE_WINDOW` commits back: per-file changes, authors, churn, age, fixes,
   reverts;
2. ``git log --format=%aE%x1f%at`` over at most :data:`AUTHOR_WINDOW` commits: author
   experience overall and weighted by recency;
3. the same limited to the touched subsystems (top-level folders): subsystem experience.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from cicd_agent.analysis.changes import ChangeSet, CommitInfo
from cicd_agent.analysis.gitrepo import GitRepo

FILE_WINDOW = 5000
"""Most past commits of the touched files read; beyond this the file is "old and busy" anyway."""
AUTHOR_WINDOW = 200_000
"""Most past commits read for author experience (a 10,000-commit history is read whole)."""
MAX_PATHSPECS = 200
"""Above this many touched paths the file pass is limited to their folders instead."""
MAX_FOLDERS = 64
SECONDS_PER_DAY = 86_400.0

FIX_WORDS = re.compile(
    r"\b(fix(e[sd]|ing)?|bug(s|fix)?|defect|hotfix|crash(es|ed)?|regression|fault|"
    r"broken|fail(s|ed|ure)?|patch(ed)?)\b",
    re.IGNORECASE,
)
REVERT_SUBJECT = re.compile(r'^\s*(revert\b|reapply\b|back\s*out\b|rollback\b)', re.IGNORECASE)


def is_fix(message: str) -> bool:
    """The change says it fixes something (the FIX feature of JIT defect prediction)."""
    return bool(FIX_WORDS.search(message))


def is_revert(subject: str) -> bool:
    """The commit undoes another (``git revert`` writes ``Revert "…"``)."""
    return bool(REVERT_SUBJECT.match(subject))


@dataclass
class FileHistory:
    """The past of one touched file within the window."""

    path: str
    changes: int = 0
    churn: int = 0
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
    subsystem_experience: int  # SEXP: that author's past commits in the touched subsystems
    scanned_commits: int  # commits the file pass read
    file_window_full: bool  # the file pass stopped at FILE_WINDOW

    @classmethod
    def empty(cls, authors: tuple[str, ...] = ()) -> HistoryFeatures:
        """A change with no past (a root commit)."""
        return cls({}, 0, 0, None, 0, 0, (), authors, 0, 0.0, 0, 0, False)


def read_history(repo: GitRepo, change: ChangeSet) -> HistoryFeatures:
    """History features of ``change`` as of its base (see the module docstring)."""
    authors = _authors(change.commits)
    past = change.base
    if past is None:
        return HistoryFeatures.empty(authors)
    when = max((commit.timestamp for commit in change.commits), default=0)
    keys = _history_keys(change)
    files, scanned, touching, fix_shas, revert_shas, revert_notes = _file_pass(repo, past, keys)
    ages = [
        (when - history.last_change) / SECONDS_PER_DAY
        for history in files.values()
        if history.last_change is not None
    ]
    experience, recent = _experience(repo, past, authors, when)
    subsystem = _subsystem_experience(repo, past, authors, change)
    developers = set().union(*(history.authors for history in files.values())) if files else set()
    return HistoryFeatures(
        files=files,
        unique_changes=len(touching),
        developers=len(developers),
        mean_age_days=sum(ages) / len(ages) if ages else None,
        past_fixes=len(fix_shas),
        past_reverts=len(revert_shas),
        revert_evidence=tuple(revert_notes[:5]),
        authors=authors,
        experience=experience,
        recent_experience=recent,
        subsystem_experience=subsystem,
        scanned_commits=scanned,
        file_window_full=scanned >= FILE_WINDOW,
    )


def _authors(commits: Iterable[CommitInfo]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for commit in commits:
        if len(commit.parents) <= 1 and commit.author_email:
            seen.setdefault(commit.author_email, None)
    if not seen:
        for commit in commits:
            seen.setdefault(commit.author_email, None)
    return tuple(seen)


def _history_keys(change: ChangeSet) -> dict[str, str]:
    """Past path → current path: a renamed file's history is its old name's history."""
    keys: dict[str, str] = {}
    for changed in change.files:
        if changed.status != "A":
            keys[changed.path] = changed.path
        if changed.old_path:
            keys[changed.old_path] = changed.path
    return keys


def _pathspecs(paths: Iterable[str]) -> list[str]:
    """The touched paths, or for a very large change the fewest folders that hold them."""
    unique = sorted(set(paths))
    if len(unique) <= MAX_PATHSPECS:
        return unique
    depth = max(len(PurePosixPath(path).parts) for path in unique)
    while depth > 0:
        folders = sorted({_prefix(path, depth) for path in unique})
        if len(folders) <= MAX_FOLDERS:
            return folders
        depth -= 1
    return []


def _prefix(path: str, depth: int) -> str:
    parts = PurePosixPath(path).parts
    return "/".join(parts[: min(depth, len(parts) - 1)]) or path


def _file_pass(
    repo: GitRepo, past: str, keys: dict[str, str]
) -> tuple[dict[str, FileHistory], int, set[str], set[str], set[str], list[str]]:
    """One ``git log --numstat`` over the touched paths: per-file history within the window."""
    files: dict[str, FileHistory] = {}
    touching: set[str] = set()
    fix_shas: set[str] = set()
    revert_shas: set[str] = set()
    revert_notes: list[str] = []
    if not keys:
        return files, 0, touching, fix_shas, revert_shas, revert_notes
    output = repo.run(
        "log",
        f"--max-count={FILE_WINDOW}",
        "--no-merges",
        "--no-renames",
        "-z",
        "--numstat",
        "--format=%x1e%H%x1f%at%x1f%aE%x1f%s",
        past,
        "--",
        *_pathspecs(keys),
    )
    scanned = 0
    sha, subject, timestamp, author, fix, revert = "", "", 0, "", False, False
    for token in output.split("\0"):
        if token.startswith("\x1e"):
            header = token[1:].split("\x1f", 3)
            if len(header) != 4:
                continue
            sha, stamp, author, subject = header
            timestamp = int(stamp) if stamp.isdigit() else 0
            fix, revert = is_fix(subject), is_revert(subject)
            scanned += 1
            continue
        entry = token.lstrip("\n").split("\t", 2)
        if len(entry) != 3 or entry[2] not in keys:
            continue
        history = files.setdefault(keys[entry[2]], FileHistory(keys[entry[2]]))
        touching.add(sha)
        history.changes += 1
        history.churn += _count(entry[0]) + _count(entry[1])
        history.authors.add(author.lower())
        history.last_change = max(history.last_change or 0, timestamp)
        if fix:
            history.fixes += 1
            fix_shas.add(sha)
        if revert:
            history.reverts += 1
            if sha not in revert_shas:
                revert_notes.append(f"{sha[:12]} {subject[:80]}")
            revert_shas.add(sha)
    return files, scanned, touching, fix_shas, revert_shas, revert_notes


def _count(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _experience(
    repo: GitRepo, past: str, authors: tuple[str, ...], when: int
) -> tuple[int, float]:
    """Past commits of the least experienced author, plain and weighted by recency."""
    if not authors:
        return 0, 0.0
    output = repo.run(
        "log", f"--max-count={AUTHOR_WINDOW}", "--no-merges", "--format=%aE%x1f%at", past
    )
    counts: Counter[str] = Counter()
    recent: Counter[str] = Counter()
    wanted = set(authors)
    for line in output.splitlines():
        email, _, stamp = line.partition("\x1f")
        email = email.lower()
        if email not in wanted:
            continue
        counts[email] += 1
        years = max(0.0, (when - int(stamp or 0)) / (365.25 * SECONDS_PER_DAY))
        recent[email] += 1.0 / (1.0 + years)
    least = min(authors, key=lambda author: counts[author])
    return counts[least], round(recent[least], 3)


def _subsystem_experience(
    repo: GitRepo, past: str, authors: tuple[str, ...], change: ChangeSet
) -> int:
    """Past commits of the least experienced author inside the touched subsystems."""
    subsystems = sorted({subsystem_of(path) for path in change.paths})
    if not authors or not subsystems or len(subsystems) > MAX_FOLDERS:
        return 0
    output = repo.run(
        "log",
        f"--max-count={AUTHOR_WINDOW}",
        "--no-merges",
        "--format=%aE",
        past,
        "--",
        *subsystems,
    )
    counts = Counter(line.lower() for line in output.splitlines())
    return min(counts[author] for author in authors)


def subsystem_of(path: str) -> str:
    """A file's subsystem: its top-level folder (or itself, for a file at the root)."""
    return path.split("/", 1)[0]
