"""Who owns a file, by the repository's CODEOWNERS at the base (a flaky test's issue goes to them).

GitHub's rules: the last matching line wins, and a match with no owners leaves the file unowned.
Only owners shaped as GitHub names them are kept, so a line cannot smuggle markup or another word
into an assignment or a post."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINES = 2_000
"""Lines read (GitHub itself stops at a 3 MB file); the rest are ignored."""
_OWNER = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]{1,100})?")


@dataclass(frozen=True)
class Owners:
    """A file's owners as CODEOWNERS names them, each checked: ``@login`` or ``@org/team``."""

    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        bad = [name for name in self.names if not _OWNER.fullmatch(name)]
        if bad:
            raise ValueError(f"not a GitHub login or team: {bad[0][:60]!r}")

    @property
    def users(self) -> tuple[str, ...]:
        """The logins among them, without ``@`` (a team cannot be assigned an issue)."""
        return tuple(name[1:] for name in self.names if "/" not in name)

    @property
    def teams(self) -> tuple[str, ...]:
        """The teams among them, as written (``@org/team``)."""
        return tuple(name for name in self.names if "/" in name)


def owners_of(codeowners: str, path: str) -> Owners:
    """The owners CODEOWNERS gives ``path`` (``@login`` or ``@org/team``; e-mail addresses are
    left out: they assign nobody), from its last matching line; () when none matches."""
    import pathspec  # a costly import only where a CODEOWNERS is read

    owners = Owners()
    for line in codeowners.splitlines()[:MAX_LINES]:
        words = line.split("#", 1)[0].split()
        if not words or words[0].startswith("!"):
            continue  # a comment, a blank line, or a negation (which CODEOWNERS does not have)
        try:
            # RE2 matches in linear time: Python's re backtracks (``*a*a*a*b``: hours)
            spec = pathspec.GitIgnoreSpec.from_lines([words[0]], backend="re2")
        except ValueError:
            continue  # a pattern GitHub would also reject
        if spec.match_file(path):
            owners = Owners(tuple(dict.fromkeys(o for o in words[1:] if _OWNER.fullmatch(o))))
    return owners
