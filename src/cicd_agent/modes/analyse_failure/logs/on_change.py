"""Where each finding lies against the change: on a line it wrote, in a file it touched, or in
a file it did not touch.

A linter or compiler lists every problem of the files it checked, those that were there before
the change too (a rule newly turned on, a tool's new version). The change's own finding is the
one to fix first: among findings of equal weight and kind the one on a changed line leads,
then one in a changed file. A finding whose file the change did not touch is named as such; it
is never put first when one of the change's own stands beside it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from cicd_agent.modes.analyse_failure.logs.files import normalise_path
from cicd_agent.modes.analyse_failure.logs.region import LogFinding

_ARROW = "location.arrow"
"""ruff's and rustc's ``--> path:line:col`` line, printed right under its rule's line."""


class ChangePlaces:
    """The change's files and lines, to tell where a finding lies."""

    def __init__(
        self,
        changed_files: Sequence[str],
        changed_lines: Mapping[str, Collection[int]] | None = None,
        checkout: Path | None = None,
    ) -> None:
        # The checkout's folder as given and with its links resolved: a tool run on this
        # machine prints either. The log's path is only compared, never followed.
        self.roots = (
            tuple(dict.fromkeys((checkout.absolute().as_posix(), checkout.resolve().as_posix())))
            if checkout is not None
            else ()
        )
        self.files = {c for c in (normalise_path(p) for p in changed_files) if c}
        self.lines = {
            c: set(n) for p, n in (changed_lines or {}).items() if (c := normalise_path(p))
        }
        self.files |= set(self.lines)

    def known(self) -> bool:
        return bool(self.files)

    def place(
        self, finding: LogFinding, ranked: Sequence[LogFinding]
    ) -> tuple[str, int | None] | None:
        """The file and line a finding names: its own, or the arrow line just under it."""
        match = finding.hit.match
        if not match.path:
            arrow = next(
                (
                    f.hit.match
                    for f in ranked
                    if f.step_index == finding.step_index
                    and f.hit.line == finding.hit.line + 1
                    and f.hit.match.signature.name == _ARROW
                ),
                None,
            )
            if arrow is None or not arrow.path:
                return None
            match = arrow
        path = normalise_path(self._under_checkout(match.path or ""))
        return (path, match.source_line) if path else None

    def _under_checkout(self, path: str) -> str:
        """``path`` relative to the checkout where it is an absolute path inside it (``cicd-agent
        --repo ../app`` reading eslint's ``/home/me/app/index.js``), else as printed: one whose
        dots lead out of the checkout is not inside it."""
        if not path.startswith("/"):
            return path
        plain = posixpath.normpath(path)
        for root in self.roots:
            if plain.startswith(root.rstrip("/") + "/"):
                return plain[len(root.rstrip("/")) + 1 :]
        return path

    def distance(self, finding: LogFinding, ranked: Sequence[LogFinding]) -> int:
        """0 on a line the change wrote, 1 in a file it touched, 2 elsewhere or unknown."""
        place = self.place(finding, ranked)
        if place is None or place[0] not in self.files:
            return 2
        return 0 if place[1] is not None and place[1] in self.lines.get(place[0], ()) else 1

    def untouched(self, finding: LogFinding, ranked: Sequence[LogFinding]) -> bool:
        """Whether the finding names a file and the change, known, did not touch it."""
        place = self.place(finding, ranked)
        return self.known() and place is not None and place[0] not in self.files

    def first(self, ranked: Sequence[LogFinding]) -> list[LogFinding]:
        """``ranked`` with the findings of the top's weight, kind and step reordered, the
        change's own first (stable: the tool's order otherwise)."""
        if not ranked or not self.known():
            return list(ranked)
        top = ranked[0]
        kind = top.hit.match.signature.failure_type
        size = next(
            (
                i
                for i, f in enumerate(ranked)
                if (f.weight, f.step_index) != (top.weight, top.step_index)
                or f.hit.match.signature.failure_type != kind
            ),
            len(ranked),
        )
        head = sorted(ranked[:size], key=lambda f: self.distance(f, ranked))
        return head + list(ranked[size:])
