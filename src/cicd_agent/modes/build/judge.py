"""Whether a built change to the Dockerfile kept what the image does: the head's final files
against the changed image's, judged by the candidate's ``check`` (:mod:`rules`). Pure: two
built images in, a verdict out."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cicd_agent.modes.build import records
from cicd_agent.modes.build.layers import Built, entries_differing, rows
from cicd_agent.modes.build.rules import Candidate
from cicd_agent.modes.build.tree import FILE, Entry

ALLOWED = (
    "var/lib/apt/lists/",
    "var/cache/apt/",
    "var/cache/debconf/",
    "var/log/",
    "tmp/",
    "root/.cache/",
    "root/.npm/",
    "var/cache/apk/",
    "var/cache/ldconfig/",
)
"""Where a proven change may leave different files: lists, caches, logs and /tmp (ldconfig's
``aux-cache`` holds the times of the libraries it read: two builds of the same files differ
there)."""
RECORDS = ("var/lib/dpkg/", "etc/ld.so.cache")
"""What the package manager rewrites when fewer packages are installed (its own records)."""
SONAME = re.compile(r"lib[^/]*\.so\.[0-9][0-9.]*$")
"""A shared library's versioned name, as a program's needed list names it."""
ELF = b"\x7fELF"
MOST_PROGRAMS = 200
PROGRAM_BYTES = 64 * 1024 * 1024
"""The programs a check reads for the libraries they need, and the largest one read."""


@dataclass(frozen=True)
class Judged:
    """What comparing two images found. The verdict, the words and the JSON's ``same_files``
    are all read from these fields, so a verdict cannot say the files are the same while its
    JSON says they differ."""

    differing: tuple[str, ...] = ()
    """Files the changed image keeps, writes or lost that the change does not mean to drop
    (outside what may differ)."""
    first: str = ""
    """Said of the first differing file, after its name."""
    objection: str = ""
    """Why the change fails its check though the files are the same ("": it passes)."""
    dropped: str = ""
    """What the change means to leave out, said before the claim that every other file is the
    same ("": it leaves out nothing)."""
    also: str = ""
    """What the check proved besides the files, said after that claim."""

    @property
    def same_files(self) -> bool:
        """Whether every file but those the change means to drop is the head's."""
        return not self.differing

    @property
    def ok(self) -> bool:
        return self.same_files and not self.objection

    @property
    def why(self) -> str:
        if self.differing:
            many = len(self.differing) != 1
            return f"{_count(len(self.differing), 'file')} differ{'' if many else 's'}, " + (
                f"the first {self.differing[0]}{self.first}"
            )
        if self.objection:
            return self.objection
        if not self.dropped:
            return "it builds the same files" + self.also
        return f"{self.dropped}; every other file is the same{self.also}"


def judge(head: Built, after: Built, candidate: Candidate) -> Judged:
    """``after`` (the head built with ``candidate``) against ``head``."""
    if candidate.check in ("same", "pinned"):
        return Judged(tuple(entries_differing(head.tree.files, after.tree.files, ALLOWED)))
    allowed = (*ALLOWED, *RECORDS)
    changed, removed = _changes(head.tree.files, after.tree.files, allowed)
    if changed:
        return Judged(tuple(changed))
    if candidate.check == "fewer":
        return _fewer(head, after, candidate.packages, removed)
    if candidate.check == "packages":
        return _packages(head, after, removed)
    if candidate.check == "ignored":
        return _ignored(removed, list(candidate.context_files.get(".dockerignore", "").split()))
    return Judged(objection=f"no check named {candidate.check}")


def _changes(
    before: Mapping[str, Entry], after: Mapping[str, Entry], allowed: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Files outside ``allowed`` that are new or different in ``after``, and those it lacks."""
    removed = [path for path in entries_differing(before, after, allowed) if path not in after]
    gone = set(removed)
    changed = [p for p in entries_differing(before, after, allowed) if p not in gone]
    return changed, removed


def installed(built: Built) -> dict[str, str]:
    """Package name → version, from the image's dpkg status (empty: none)."""
    data = built.tree.read("var/lib/dpkg/status")
    return {e.name: e.version for e in records.dpkg(data).entries} if data else {}


def _fewer(head: Built, after: Built, named: Sequence[str], removed: list[str]) -> Judged:
    before, now = installed(head), installed(after)
    missing = [name for name in named if name in before and name not in now]
    if missing:
        return Judged(objection=f"the package {missing[0]} the Dockerfile names is gone")
    different = [name for name, version in now.items() if before.get(name) != version]
    if different:
        return Judged(objection=f"the package {different[0]} differs from the head's")
    dropped = sorted(set(before) - set(now))
    return Judged(
        dropped=f"{_count(len(removed), 'file')} of {_count(len(dropped), 'package')} nobody "
        f"named {'is' if len(removed) == 1 else 'are'} dropped ({_first_five(dropped)})",
        also=" and every package named is installed",
    )


def _packages(head: Built, after: Built, removed: list[str]) -> Judged:
    before, now = installed(head), installed(after)
    different = [name for name, version in now.items() if before.get(name) != version]
    if different:
        return Judged(objection=f"the package {different[0]} differs from the head's")
    dropped = sorted(set(before) - set(now))
    from_packages = _written_by_package_installs(head)
    strays = [path for path in removed if path not in from_packages]
    if strays:
        return Judged(tuple(strays), " (gone, and no package install wrote it)")
    needed = _libraries_needed(
        after, {path.rsplit("/", 1)[-1] for path in removed if SONAME.search(path)}
    )
    if needed:
        return Judged(objection=f"a program kept needs {needed[0]}, which went")
    return Judged(
        dropped=f"{len(removed)} files of {len(dropped)} build packages are dropped "
        f"({_first_five(dropped)})",
        also=" and no program kept names a library that went",
    )


def _written_by_package_installs(head: Built) -> set[str]:
    """Paths the head's apt installs wrote (the layers of RUN lines that call apt)."""
    written: set[str] = set()
    for row in rows(head):
        if (
            row.layer is not None
            and row.instruction.keyword == "RUN"
            and "apt" in row.instruction.text
        ):
            written.update(head.tree.layers[row.layer].entries)
    return written


def _libraries_needed(after: Built, sonames: set[str]) -> list[str]:
    """Of ``sonames``, those a program the change's own copies brought names (their bytes hold
    the library's name, as an ELF's needed list does)."""
    if not sonames:
        return []
    copied = {
        row.layer
        for row in rows(after)
        if row.layer is not None and "--from=" in row.instruction.text
    }
    names = sorted(sonames)
    found: list[str] = []
    read = 0
    for entry in after.tree.files.values():
        if entry.layer not in copied or entry.kind != FILE or entry.size > PROGRAM_BYTES:
            continue
        read += 1
        if read > MOST_PROGRAMS:
            return ["(more programs than were read)"]
        data = entry.read()
        if data.startswith(ELF):
            found += [name for name in names if name.encode() in data and name not in found]
    return found


def _first_five(names: Sequence[str]) -> str:
    return ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def _ignored(removed: list[str], patterns: list[str]) -> Judged:
    strays = [
        path
        for path in removed
        if not any(
            fnmatch.fnmatch(part, pattern) for part in path.split("/") for pattern in patterns
        )
    ]
    if strays:
        return Judged(tuple(strays), " (gone, and the .dockerignore does not name it)")
    if not removed:
        return Judged(objection="the .dockerignore leaves out nothing the image had")
    left = (
        "only the file the .dockerignore names is left out"
        if len(removed) == 1
        else f"only the {len(removed)} files the .dockerignore names are left out"
    )
    return Judged(dropped=left)
