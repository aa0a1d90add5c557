"""Files of one commit, read from git's objects: the eval config and the ``file://`` files it
names. Nothing is checked out, so the head's files never land on the host's disk, and a path is
looked up in git's trees, which never follow a link: a link (or a path through one) is refused,
as is a path that climbs out of the repository."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from cicd_agent.local.checkout import GitCheckout

MAX_FILE_BYTES = 1024 * 1024
"""A config or a file it names: a real one is a few KB."""
FILE_MODES = ("100644", "100755")


class Unreadable(ValueError):
    """A file the config names that cannot be read; the message says why, in one line."""


def inside(folder: str, name: str) -> str:
    """``name`` (relative to ``folder``, both repository paths) as a repository path, or
    Unreadable when it is absolute or climbs out of the repository."""
    if not name or "\0" in name or name.startswith("/") or "\\" in name:
        raise Unreadable(f"{name!r} is not a relative path inside the repository")
    joined = posixpath.normpath(posixpath.join(folder, name))
    if joined == ".." or joined.startswith("../") or joined in ("", "."):
        raise Unreadable(f"{name!r} leads out of the repository")
    return joined


@dataclass(frozen=True)
class Commit:
    """One side's files, at ``sha``."""

    checkout: GitCheckout
    sha: str

    def read(self, path: str) -> str:
        """The text of the regular file ``path`` at this commit (a repository path)."""
        listed = self.checkout.git.run("ls-tree", "-l", "-z", "--full-tree", self.sha, "--", path)
        for record in listed.split("\0"):
            meta, _, name = record.partition("\t")
            fields = meta.split()
            if name != path or len(fields) != 4:
                continue
            if fields[0] not in FILE_MODES:
                kind = "a link" if fields[0] == "120000" else "not a file"
                raise Unreadable(f"{path} is {kind} at {self.sha[:12]}; only files are read")
            if not fields[3].isdigit() or int(fields[3]) > MAX_FILE_BYTES:
                raise Unreadable(f"{path} is over {MAX_FILE_BYTES // 1024} KB")
            data = dict(self.checkout.git.blobs({path: (fields[2], int(fields[3]))}))[path]
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                raise Unreadable(f"{path} is not UTF-8 text") from None
        raise Unreadable(f"{path} is not a file at {self.sha[:12]} (a path through a link counts)")
