"""History features of a change, from git, in two bounded passes (no per-file subprocesses).

Just-in-time defect prediction (Kamei et al., TSE 2013; McIntosh & Kamei, TSE 2018) finds that
the past of the touched files and the experience of the author predict which changes break:
files many people changed, files with past fixes and reverts, and authors new to the code. We
compute those features as of the change's *base* (never using the change or anything after
it), so scoring an old commit of a long history gives the answer it would have given on the
day, which is also what keeps the revert-based evaluation in ``bench/`` honest.

The passes:

1. ``git log --name-only`` over the touched subsystems, within :data:`WINDOW_DAYS` of the base
   and at most :data:`FILE_WINDOW` commits: per-file changes, authors, age, fixes and reverts
   for the touched files, and the authors' experience in those subsystems;
2. ``git log --format=%aE%x1f%at`` over at most :data:`AUTHOR_WINDOW` commits (a rev-walk, no
   diffs): author experience overall and weighted by recency.

Line counts of past changes are not read: they need blob diffs, the slowest thing git does,
and none of the features use them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from cicd_agent.analysis.changes import ChangeSet, CommitInfo
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.risk.records import (
    ROOT_SUBSYSTEM,
    FileHistory,
    HistoryFeatures,
    is_fix,
    is_revert,
    subsystem_of,
)

WINDOW_DAYS = 730
"""File history and subsystem experience look back this far from the base (two years)."""
FILE_WINDOW = 5000
"""Most past commits of the touched subsystems read."""
AUTHOR_WINDOW = 200_000
"""Most past commits read for overall author experience (a 10,000-commit history is read whole)."""
MAX_PATHSPECS = 64
"""Most pathspecs passed to git; a change spread wider is looked up by coarser folders."""
SECONDS_PER_DAY = 86_400


@dataclass
class _Scan:
    """What the file pass accumulates."""

    files: dict[str, FileHistory] = field(default_factory=dict)
    touching: set[str] = field(default_factory=set)
    fixes: set[str] = field(default_factory=set)
    reverts: dict[str, str] = field(default_factory=dict)
    subsystem_authors: Counter[str] = field(default_factory=Counter)
    scanned: int = 0


def read_history(repo: GitRepo, change: ChangeSet) -> HistoryFeatures:
    """History features of ``change`` as of its base (see the module docstring)."""
    authors = _authors(change.commits)
    past = change.base
    if past is None:
        return HistoryFeatures.empty(authors)
    when = max((commit.timestamp for commit in change.commits), default=0)
    since = repo.commit_time(past) - WINDOW_DAYS * SECONDS_PER_DAY
    # The two passes are independent `git log` runs: run side by side, the slower one sets
    # the wall time (most of a cached deploy-gate run's, on a long history).
    with ThreadPoolExecutor(max_workers=2) as pool:
        files_pass = pool.submit(_file_pass, repo, past, change, since)
        author_pass = pool.submit(_experience, repo, past, authors, when)
        scan = files_pass.result()
        experience, recent, standing = author_pass.result()
    ages = [
        (when - history.last_change) / SECONDS_PER_DAY
        for history in scan.files.values()
        if history.last_change is not None
    ]
    developers: set[str] = set()
    for history in scan.files.values():
        developers |= history.authors
    return HistoryFeatures(
        files=scan.files,
        unique_changes=len(scan.touching),
        developers=len(developers),
        mean_age_days=sum(ages) / len(ages) if ages else None,
        past_fixes=len(scan.fixes),
        past_reverts=len(scan.reverts),
        revert_evidence=tuple(f"{sha[:12]} {subject}" for sha, subject in scan.reverts.items())[:5],
        authors=authors,
        experience=experience,
        recent_experience=recent,
        subsystem_experience=min((scan.subsystem_authors[a] for a in authors), default=0),
        scanned_commits=scan.scanned,
        repo_authors=standing[0],
        repo_commits=standing[1],
        more_experienced=standing[2],
    )


def _authors(commits: Iterable[CommitInfo]) -> tuple[str, ...]:
    """Authors of the change's own commits (merge commits only when there is nothing else)."""
    listed = list(commits)
    own = [c.author_email for c in listed if len(c.parents) <= 1 and c.author_email]
    chosen = own or [c.author_email for c in listed if c.author_email]
    return tuple(dict.fromkeys(chosen))


def _history_keys(change: ChangeSet) -> dict[str, str]:
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


def _file_pass(repo: GitRepo, past: str, change: ChangeSet, since: int) -> _Scan:
    """One ``git log --name-only`` over the touched subsystems (see the module docstring)."""
    scan = _Scan()
    keys = _history_keys(change)
    paths = [*change.paths, *(c.old_path for c in change.files if c.old_path)]
    if not paths:
        return scan
    # Git reads a small number as a day of the month, so no window before 2001.
    window = [f"--since={since}"] if since > 1_000_000_000 else []
    output = repo.run(
        "log",
        f"--max-count={FILE_WINDOW}",
        "--no-merges",
        "--no-renames",
        "-z",
        "--name-only",
        *window,
        "--format=%x1e%H%x1f%at%x1f%aE%x1f%s",
        past,
        "--",
        *pathspecs_for(paths),
    )
    sha, subject, timestamp, author = "", "", 0, ""
    for token in output.split("\0"):
        if token.startswith("\x1e"):
            header = token[1:].split("\x1f", 3)
            if len(header) != 4:
                continue
            sha, stamp, author, subject = header
            author = author.lower()
            timestamp = int(stamp) if stamp.isdigit() else 0
            scan.scanned += 1
            scan.subsystem_authors[author] += 1
            continue
        name = token.lstrip("\n")
        if name in keys:
            _record(scan, keys[name], sha=sha, subject=subject, author=author, timestamp=timestamp)
    return scan


def _record(scan: _Scan, path: str, *, sha: str, subject: str, author: str, timestamp: int) -> None:
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


def _experience(
    repo: GitRepo, past: str, authors: tuple[str, ...], when: int
) -> tuple[int, float, tuple[int, int, float]]:
    """Past commits of the least experienced author, plain and weighted by recency, and where
    that author stands: (authors, commits, share of the other authors with more commits).
    Experience only means something relative to the repository's other authors."""
    if not authors:
        return 0, 0.0, (0, 0, 0.0)
    output = repo.run(
        "log", f"--max-count={AUTHOR_WINDOW}", "--no-merges", "--format=%aE%x1f%at", past
    )
    counts: Counter[str] = Counter()
    recent: dict[str, float] = {}
    wanted = set(authors)
    year = 365.25 * SECONDS_PER_DAY
    everyone: Counter[str] = Counter()
    for line in output.splitlines():
        email, _, stamp = line.partition("\x1f")
        email = email.lower()
        everyone[email] += 1
        if email not in wanted:
            continue
        counts[email] += 1
        years = max(0.0, (when - int(stamp or 0)) / year)
        recent[email] = recent.get(email, 0.0) + 1.0 / (1.0 + years)
    least = min(authors, key=lambda author: counts[author])
    others = [n for email, n in everyone.items() if email != least]
    share = sum(1 for n in others if n > counts[least]) / len(others) if others else 0.0
    standing = (len(everyone), sum(everyone.values()), round(share, 3))
    return counts[least], round(recent.get(least, 0.0), 3), standing
