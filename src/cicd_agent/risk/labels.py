"""Which past commits were later undone: the labels the risk model learns from.

A commit is *reverted* when a later commit of the same history names it (``This reverts commit
<sha>``, what ``git revert`` writes, possibly abbreviated) or is titled ``Revert "<subject>"``
for its subject; it is *fix-inducing* when a later fix changed a runtime file it was the last to
touch (:func:`fix_inducing`, file-level SZZ). :class:`RevertIndex` keeps what a replay needs to
tell, commit by commit and in order, which earlier commits a revert undoes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cicd_agent.analysis.change_types import ChangeType
from cicd_agent.risk.records import MinedCommit, is_revert

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
    history never held. In the 39 evaluation histories 261 ordinary changes were read as
    reverts that way (the feature with the largest weight, and a false reason shown)."""
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
    """SHAs of commits that a later fix commit in ``commits`` (oldest first) repaired, by a
    file-level SZZ: the last earlier change to each non-test, non-doc file the fix touched.

    Line-level SZZ blames each line a fix deleted; that costs one ``git blame`` per fixed
    file (slow on a long history), while the file level needs nothing beyond the
    mined records. It is noisier, so it only adds training positives: evaluation labels are
    reverts alone."""
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
