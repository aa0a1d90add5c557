"""Just-in-time features of every past commit, replayed in one pass over the mined history, and the
labels the model learns from them.

The features are :func:`cicd_agent.risk.score.measure`'s (Kamei et al. 2013), plus four a
leave-one-repository-out evaluation kept (BENCHMARKS.md): the change undoes a past commit line for
line, the share of the author's past commits reverted, the days since the last revert (reverts
cluster), and whether the author is new to a touched file. Each row is taken before its commit joins
the state, so it sees only its own past; the scored change gets its row through the same code.

Unlike :mod:`checkout`'s history, the replay has no two-year window, counts file-touches, and decays
recent experience exponentially (a year's time constant) so it updates in O(1).

A commit is reverted when a later one names it (``This reverts commit <sha>``) or is titled
``Revert "<subject>"``; fix-inducing when a later fix changed a runtime file it last touched
(:func:`fix_inducing`, file-level SZZ)."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.analysis.changes import ChangedFile
from cicd_agent.risk.records import MinedCommit, churn_entropy, is_revert, subsystem_of

MAX_FIX_FILES = 10
"""A "fix" touching more runtime files than this is a refactor: it labels no culprit."""
_NOT_RUNTIME = frozenset({ChangeType.TESTS, ChangeType.DOCS})
_PULL_SUFFIX = re.compile(r"(?:\s*\(#\d+\))+\s*$")


@dataclass(frozen=True)
class Reverting:
    """What one commit reverts in a history, found in one lookup of the SHAs it names."""

    targets: tuple[str, ...]  # the earlier commits it undoes (labelled *reverted*)
    revert: bool  # whether it counts as a revert (a title alone may find no target)


@dataclass
class RevertIndex:
    """Which earlier commits a revert undoes, resolved as commits arrive oldest first: by the
    SHA ``git revert`` writes, else by ``Revert "<subject>"`` matched to the latest earlier
    commit with that subject (pull request numbers a squash merge appends left aside on both
    sides, so ``Revert "Add X"`` finds ``Add X (#12)``). Kept in the replayed state, so a
    cached fit extended by new commits resolves their reverts as a full replay would."""

    authors: dict[str, str] = field(default_factory=dict)  # SHA -> author
    latest: dict[str, str] = field(default_factory=dict)  # subject key -> SHA

    def reverting(self, commit: MinedCommit) -> Reverting:
        """The earlier commits ``commit`` reverts (the SHAs it names, else the latest commit
        with the subject of its ``Revert "…"`` title) and whether it is a revert."""
        held = self._held(commit.reverts, commit.sha)
        key = _subject_key(commit.reverted_subject)
        by_title = (self.latest[key],) if not commit.reverts and key and key in self.latest else ()
        return Reverting(held + by_title, _counts_as_revert(commit.subject, held))

    def _held(self, named: Sequence[str], own: str = "") -> tuple[str, ...]:
        """The commits of this history the SHAs ``named`` resolve to, whole or abbreviated
        (``own`` left out: no commit reverts itself)."""
        found = (
            sha if sha in self.authors else _by_abbreviation(sha, self.authors) for sha in named
        )
        return tuple(target for target in found if target and target != own)

    def add(self, commit: MinedCommit) -> None:
        self.authors[commit.sha] = commit.author
        self.latest[_subject_key(commit.subject)] = commit.sha

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"authors": self.authors, "latest": self.latest}

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, str]]) -> RevertIndex:
        return cls(
            {str(k): str(v) for k, v in data["authors"].items()},
            {str(k): str(v) for k, v in data["latest"].items()},
        )


def _counts_as_revert(subject: str, held: Sequence[str]) -> bool:
    """What counts as a revert: a commit whose title says so, or that names a SHA ``held``
    by this history (the named SHAs already resolved against it).

    A SHA alone is not enough: a squash merge's body quotes the ``This reverts commit``
    lines of reverts made and dropped *inside* the pull request, naming commits the
    history never held."""
    return is_revert(subject) or bool(held)


def _subject_key(subject: str) -> str:
    """A subject without the pull request numbers a squash merge appends ("" stays "")."""
    return _PULL_SUFFIX.sub("", subject).strip()


def reverted(commits: list[MinedCommit], until: int | None = None) -> set[str]:
    """SHAs of ``commits`` (oldest first) that a later commit in ``commits`` (dated before
    ``until`` when given) reverts."""
    index = RevertIndex()
    labelled: set[str] = set()
    for commit in commits:
        if until is None or commit.time < until:
            labelled.update(index.reverting(commit).targets)
        index.add(commit)
    return labelled


def fix_inducing(commits: list[MinedCommit]) -> set[str]:
    """SHAs of commits a later fix in ``commits`` repaired, by file-level SZZ: the last earlier
    change to each non-test, non-doc file the fix touched. Line-level SZZ costs a ``git blame``
    per fixed file; the file level is noisier, so it only adds training positives: evaluation
    labels are reverts alone."""
    last: dict[str, str] = {}
    found: set[str] = set()
    for commit in commits:
        runtime = [c for c in commit.files if not c.types & _NOT_RUNTIME]
        if commit.fix and not commit.revert and len(runtime) <= MAX_FIX_FILES:
            # As SZZ: only lines a fix changed or deleted point back at a culprit.
            for changed in runtime:
                earlier = last.get(changed.path)
                if earlier and changed.deleted:
                    found.add(earlier)
        for changed in commit.files:
            if changed.added:
                last[changed.path] = commit.sha
    return found


def _by_abbreviation(prefix: str, shas: Mapping[str, str]) -> str | None:
    if len(prefix) >= 40:
        return None
    matches = [sha for sha in shas if sha.startswith(prefix)]
    return matches[0] if len(matches) == 1 else None


YEAR = 365.25 * 86_400
TYPE_FEATURES = (
    ChangeType.MIGRATION,
    ChangeType.SECURITY,
    ChangeType.INFRASTRUCTURE,
    ChangeType.API_CONTRACT,
    ChangeType.DEPENDENCIES,
    ChangeType.LOCKFILE,
    ChangeType.CI,
    ChangeType.BUILD,
    ChangeType.CONFIG,
)
FEATURES: tuple[str, ...] = (
    "lines_added",
    "lines_deleted",
    "files",
    "directories",
    "subsystems",
    "entropy",
    "fix",
    "new_files",
    "deleted_files",
    "binary_files",
    "past_changes",
    "developers",
    "age_days",
    "past_fixes",
    "past_reverts",
    "author_experience",
    "recent_experience",
    "subsystem_experience",
    "docs_only",
    "tests_only",
    *(f"type_{kind.value}" for kind in TYPE_FEATURES),
    "revert",
    "author_reverted_share",
    "days_since_revert",
    "new_to_file",
)
"""Column names of a row (counts enter as log1p, so one huge commit does not dominate)."""


@dataclass
class _File:
    changes: int = 0
    fixes: int = 0
    reverts: int = 0
    last: int = 0
    authors: set[str] = field(default_factory=set)


@dataclass
class _Author:
    commits: int = 0
    recent: float = 0.0  # sum of exp(-(now - t) / YEAR), stored as of ``at``
    at: int = 0
    reverted: int = 0  # of their past commits, how many a later past commit reverted


@dataclass
class Replay:
    """The state of the history at one point: per-file and per-author counters."""

    files: dict[str, _File] = field(default_factory=dict)
    authors: dict[str, _Author] = field(default_factory=dict)
    subsystem_authors: Counter[tuple[str, str]] = field(default_factory=Counter)
    commits: int = 0
    last_revert: int = 0  # when the latest past revert entered the history
    reverts: RevertIndex = field(default_factory=RevertIndex)
    undo_keys: set[str] = field(default_factory=set)  # of each past commit's mirror image

    def undoes(self, files: Sequence[ChangedFile]) -> bool:
        """Whether ``files`` undo a past commit line for line: the same files, each with the
        lines that commit added deleted and those it deleted added (what ``git revert``
        makes). Read from the diff, never from the message: a change is a revert by what it
        does, whatever its author calls it."""
        return _undo_key(files, mirror=False) in self.undo_keys

    def row(
        self,
        files: Sequence[ChangedFile],
        authors: Sequence[str],
        time: int,
        *,
        fix: bool,
        revert: bool,
    ) -> list[float]:
        added = sum(f.added for f in files)
        deleted = sum(f.deleted for f in files)
        subsystems = {_subsystem(f.path) for f in files}
        pasts = [self.files[f.path] for f in files if f.path in self.files]
        developers: set[str] = set()
        for past in pasts:
            developers |= past.authors
        ages = [max(0.0, (time - past.last) / 86_400) for past in pasts if past.last]
        experience, recent, sub_experience = self._experience(authors, subsystems, time)
        types = {t for f in files for t in f.types}
        kinds = [f.types for f in files]
        return [
            _log(added),
            _log(deleted),
            _log(len(files)),
            _log(len({f.path.rpartition("/")[0] for f in files})),
            _log(len(subsystems)),
            churn_entropy(files),
            float(fix),
            _log(sum(1 for f in files if f.status == "A")),
            _log(sum(1 for f in files if f.status == "D")),
            _log(sum(1 for f in files if f.binary)),
            _log(sum(p.changes for p in pasts)),
            _log(len(developers)),
            _log(sum(ages) / len(ages)) if ages else 0.0,
            _log(sum(p.fixes for p in pasts)),
            _log(sum(p.reverts for p in pasts)),
            _log(experience),
            _log(recent),
            _log(sub_experience),
            float(bool(kinds) and all(k == {ChangeType.DOCS} for k in kinds)),
            float(bool(kinds) and all(k == {ChangeType.TESTS} for k in kinds)),
            *(float(kind in types) for kind in TYPE_FEATURES),
            float(revert),
            self._reverted_share(authors),
            _log((time - self.last_revert) / 86_400) if self.last_revert else NO_REVERT_YET,
            float(any(not (set(authors) & past.authors) for past in pasts)),
        ]

    def _reverted_share(self, authors: Sequence[str]) -> float:
        """The largest share of an author's past commits later reverted (smoothed by five
        commits, so a newcomer's one revert is not a 100 % rate)."""
        stats = [self.authors.get(author, _Author()) for author in authors]
        return max((a.reverted / (a.commits + 5) for a in stats), default=0.0)

    def _experience(
        self, authors: Sequence[str], subsystems: set[str], time: int
    ) -> tuple[int, float, int]:
        """The least experienced author's past commits, recency-weighted commits, and
        commits in the touched subsystems."""
        if not authors:
            return 0, 0.0, 0
        stats = [self.authors.get(author, _Author()) for author in authors]
        least = min(range(len(stats)), key=lambda i: stats[i].commits)
        chosen = stats[least]
        recent = chosen.recent * math.exp(-max(0, time - chosen.at) / YEAR) if chosen.at else 0.0
        sub = min(
            sum(self.subsystem_authors[(author, s)] for s in subsystems) for author in authors
        )
        return chosen.commits, recent, sub

    def add(self, commit: MinedCommit) -> None:
        found = self.reverts.reverting(commit)
        for target in found.targets:
            self.authors.setdefault(self.reverts.authors[target], _Author()).reverted += 1
        self.reverts.add(commit)
        key = _undo_key(commit.files, mirror=True)
        if key:
            self.undo_keys.add(key)
        if found.revert:
            self.last_revert = max(self.last_revert, commit.time)
        self.commits += 1
        stats = self.authors.setdefault(commit.author, _Author())
        if stats.at:
            stats.recent *= math.exp(-max(0, commit.time - stats.at) / YEAR)
        stats.recent += 1.0
        stats.at = commit.time
        stats.commits += 1
        for subsystem in {_subsystem(f.path) for f in commit.files}:
            self.subsystem_authors[(commit.author, subsystem)] += 1
        for changed in commit.files:
            past = self.files.setdefault(changed.path, _File())
            past.changes += 1
            past.fixes += int(commit.fix)
            past.reverts += int(found.revert)
            past.last = max(past.last, commit.time)
            if len(past.authors) < 500:
                past.authors.add(commit.author)

    def to_json(self) -> dict[str, object]:
        """The state as JSON (for the fit cache): no pickles, a cache file stays data."""
        return {
            "files": {
                path: [f.changes, f.fixes, f.reverts, f.last, sorted(f.authors)]
                for path, f in self.files.items()
            },
            "authors": {
                email: [a.commits, a.recent, a.at, a.reverted] for email, a in self.authors.items()
            },
            "subsystems": [[a, s, n] for (a, s), n in self.subsystem_authors.items()],
            "commits": self.commits,
            "last_revert": self.last_revert,
            "reverts": self.reverts.to_json(),
            "undo_keys": sorted(self.undo_keys),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Replay:
        state = cls(
            commits=int(data["commits"]),
            last_revert=int(data["last_revert"]),
            reverts=RevertIndex.from_json(data["reverts"]),
            undo_keys={str(key) for key in data["undo_keys"]},
        )
        for path, (changes, fixes, reverts, last, authors) in data["files"].items():
            state.files[str(path)] = _File(
                int(changes), int(fixes), int(reverts), int(last), {str(a) for a in authors}
            )
        for email, (commits, recent, at, reverted) in data["authors"].items():
            state.authors[str(email)] = _Author(int(commits), float(recent), int(at), int(reverted))
        for author, subsystem, count in data["subsystems"]:
            state.subsystem_authors[(str(author), str(subsystem))] = int(count)
        return state


EXPERIENCE = ("author_experience", "recent_experience", "subsystem_experience")


def as_newcomer(row: Sequence[float]) -> list[float]:
    """``row`` as if its author had no past here: what :meth:`Replay.row` gives a change whose
    author nobody vouches for (no experience; new to every touched file that has a past)."""
    out = list(row)
    for name in EXPERIENCE:
        out[FEATURES.index(name)] = 0.0
    out[FEATURES.index("new_to_file")] = float(row[FEATURES.index("past_changes")] > 0)
    return out


def replay(commits: Iterable[MinedCommit]) -> tuple[list[list[float]], Replay]:
    """Every commit's row (oldest first, each from its own past) and the final state."""
    state = Replay()
    rows = []
    for commit in commits:
        revert = state.undoes(commit.files)
        rows.append(
            state.row(commit.files, (commit.author,), commit.time, fix=commit.fix, revert=revert)
        )
        state.add(commit)
    return rows, state


def _undo_key(files: Sequence[ChangedFile], *, mirror: bool) -> str:
    """A digest of each file's path and line counts (``mirror``: added and deleted swapped),
    or "" where a change would match itself or nothing (only lines added as many as deleted in
    every file, such as a version bump; no line at all): no change undoes those by counts."""
    counts = sorted((f.path, f.added, f.deleted) for f in files)
    if all(added == deleted for _, added, deleted in counts):
        return ""
    if mirror:
        counts = sorted((path, deleted, added) for path, added, deleted in counts)
    text = "\n".join(f"{path}\t{added}\t{deleted}" for path, added, deleted in counts)
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()


NO_REVERT_YET = math.log1p(60 * 365.25)
"""``days_since_revert`` of a history without a revert: sixty years, longer than any."""

_subsystem = lru_cache(maxsize=200_000)(subsystem_of)


def _log(value: float) -> float:
    return math.log1p(max(0.0, value))
