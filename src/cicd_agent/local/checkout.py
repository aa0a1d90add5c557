"""The run's checkout as the modes read it: the diff of a range, blobs, attributes and commit
messages, with refs resolved before any use.

:class:`GitCheckout` is what a mode holds (``ctx.checkout``, opened once per run);
:class:`~cicd_agent.local.gitrepo.GitRepo` underneath is the git commands themselves with their
one error policy, which the risk model's history mining also uses (``GitCheckout.git``).

Kept apart from ``analysis.diff``, which only parses text: this module starts processes (through
``local.gitrepo.GitRepo``), the parsing never does, so the analysis can be tested and
reasoned about without git, and a layering rule can keep process-running code out of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from cicd_agent.analysis.diff import Diff, FileDiff, clean_text, parse_diff
from cicd_agent.local.gitrepo import UNSHOWN_LIMIT, GitRepo, binary_lines, lines_added
from cicd_agent.runner.errors import UsageError


class GitCheckout:
    """A checkout, read through its :class:`GitRepo` (refs resolved before any use)."""

    def __init__(self, root: Path) -> None:
        self.git = GitRepo.open(root)
        self.root = self.git.path
        self._merge_bases: dict[tuple[str, str], str] = {}

    def resolve(self, ref: str, label: str = "commit") -> str:
        """The commit SHA ``ref`` names; a usage error when this checkout does not have it."""
        return self.git.resolve_commit(ref, label)

    def has_commit(self, ref: str) -> bool:
        """Whether ``ref`` resolves here (a shallow clone may lack the base)."""
        try:
            self.resolve(ref)
        except UsageError:
            return False
        return True

    def merge_base(self, base: str, head: str) -> str:
        key = (self.resolve(base, "base"), self.resolve(head, "head"))
        if key not in self._merge_bases:
            self._merge_bases[key] = self.git.run("merge-base", *key).strip()
        return self._merge_bases[key]

    def is_ancestor(self, older: str, newer: str) -> bool:
        """Whether ``older`` is in ``newer``'s history (False after a force-push rewrote it)."""
        try:
            self.git.run("merge-base", "--is-ancestor", self.resolve(older), self.resolve(newer))
        except UsageError:
            return False
        return True

    def diff_text(
        self, base: str, head: str, *, three_dot: bool = True, as_text: Sequence[str] = ()
    ) -> str:
        """git's diff of ``base...head`` (what GitHub shows for a pull request) or ``base..head``;
        with ``as_text``, of those paths alone, each read as text whatever its bytes."""
        old = self.merge_base(base, head) if three_dot else self.resolve(base)
        raw = self.git.run_bytes(
            "diff",
            "--no-color",
            "--find-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--unified=3",
            *(("--text",) if as_text else ()),
            old,
            self.resolve(head),
            "--",
            *as_text,
        )
        # Decoded once, bytes that are not UTF-8 replaced (what clean_text does to a string).
        return raw.decode("utf-8", "replace")

    def diff(self, base: str, head: str, *, three_dot: bool = True) -> Diff:
        """The parsed diff with head sizes of binary files, and the base's attributes applied:
        ``linguist-generated``, and ``-diff`` (or ``binary``), which makes a file binary as it
        did when git read the attributes itself. git reads none of the checkout's
        (:mod:`cicd_agent.local.git`), so the change under review cannot mark its own files."""
        head_sha = self.resolve(head, "head")
        base_sha = self.resolve(base, "base")
        parsed = parse_diff(
            self.diff_text(base, head, three_dot=three_dot), base=base_sha, head=head_sha
        )
        generated, binary = self.base_attributes(
            base_sha, [f.path for f in parsed.files if not f.lockfile]
        )
        files = tuple(
            replace(f, is_binary=True, added=0, removed=0, patch=())
            if f.path in binary and not f.submodule
            else f
            for f in parsed.files
        )
        files = self._text_with_nul(base, head, head_sha, files, binary, three_dot=three_dot)
        old = self.merge_base(base, head) if three_dot else base_sha
        files = self._with_unshown(old, head_sha, files)
        binaries = [f.path for f in files if f.is_binary and f.status != "deleted"]
        sizes = {p: size for p, (_, size) in self.git.blob_ids(head_sha, binaries).items()}
        files = tuple(
            replace(
                f,
                size=sizes.get(f.path, f.size),
                generated=f.generated or f.path in generated,
            )
            if f.path in sizes or f.path in generated
            else f
            for f in files
        )
        return replace(parsed, files=files)

    def _text_with_nul(
        self,
        base: str,
        head: str,
        head_sha: str,
        files: tuple[FileDiff, ...],
        marked: set[str],
        *,
        three_dot: bool,
    ) -> tuple[FileDiff, ...]:
        """``files`` with each text file git called binary for a NUL byte read as text again.
        git decides by bytes when no attribute does, and one NUL in the first 8,000 makes a
        shell script, a workflow or a key file "Binary files differ": the pull request would
        choose which of its files no rule and no model reads. What the base's ``-diff`` marks
        stays binary (``marked``): that is the base's view, as GitHub shows it."""
        candidates = [
            f for f in files
            if f.is_binary and f.path not in marked and not f.submodule and f.status != "deleted"
        ]  # fmt: skip
        found = self.git.text_with_nul(head_sha, [f.path for f in candidates])
        if not found:
            return files
        paths = sorted(
            {p for f in candidates if f.path in found for p in (f.path, f.old_path) if p}
        )
        again = {
            f.path: f
            for f in parse_diff(
                self.diff_text(base, head, three_dot=three_dot, as_text=paths)
            ).files
            if f.path in found
        }
        return tuple(again.get(f.path, f) for f in files)

    def _with_unshown(
        self, old: str, head: str, files: tuple[FileDiff, ...]
    ) -> tuple[FileDiff, ...]:
        """``files`` with each file still shown as binary given the text lines it adds
        (:attr:`FileDiff.unshown`), read from its blobs at ``old`` and ``head``: the base's
        ``-diff`` or git's probe decide what the diff shows, never what the secret rules read."""
        shown = [f for f in files if f.is_binary and not f.submodule and f.status != "deleted"]
        if not shown:
            return files
        # One batch of bytes at a time, kept as lines: a pull request adding hundreds of
        # images never has them all in memory at once.
        added: dict[str, tuple[tuple[int, str], ...]] = {}
        for path, data in self.read_blobs(head, [f.path for f in shown]):
            lines = binary_lines(data)
            if lines:
                added[path] = tuple(lines)
        was = {
            f.old_path or f.path: f.path for f in shown if f.status != "added" and f.path in added
        }
        for path, data in self.read_blobs(old, list(was)):
            added[was[path]] = lines_added(binary_lines(data), list(added[was[path]]))
        return tuple(replace(f, unshown=added[f.path]) if added.get(f.path) else f for f in files)

    def read_blobs(self, rev: str, paths: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """``(path, bytes)`` of each ``path`` at commit ``rev`` (a SHA) up to :data:`UNSHOWN_LIMIT` a file
        (paths that are not files there, or larger, are left out), by ``git cat-file --batch``
        calls that each hold at most that much: one call's output alive at a time."""
        blobs = self.git.blob_ids(rev, paths, UNSHOWN_LIMIT)
        order = list(blobs)
        batch: dict[str, tuple[str, int]] = {}
        held = 0
        for index, path in enumerate(order):
            batch[path] = blobs[path]
            held += blobs[path][1]
            following = order[index + 1] if index + 1 < len(order) else None
            if following is not None and held + blobs[following][1] <= UNSHOWN_LIMIT:
                continue
            yield from self.git.blobs(batch)
            batch, held = {}, 0

    def read_texts(
        self, rev: str, paths: Sequence[str], max_bytes: int | None = None
    ) -> dict[str, str]:
        """The text of each ``path`` at ``rev``, read by one ``git cat-file --batch`` (paths
        that are not files there, or larger than ``max_bytes``, are left out)."""
        blobs = self.git.blob_ids(self.resolve(rev), paths, max_bytes)
        return {path: data.decode("utf-8", "replace") for path, data in self.git.blobs(blobs)}

    def base_attributes(self, base: str, paths: Sequence[str]) -> tuple[set[str], set[str]]:
        """Of ``paths``, those the ``.gitattributes`` of the ``base`` commit mark
        ``linguist-generated``, and those it marks ``-diff`` (``binary`` sets it), in one
        ``git check-attr``: the change under review does not get to say which of its own files
        the model skips or the rules cannot read."""
        if not paths:
            return set(), set()
        out = self.git.attributes_at(
            base, "".join(f"{path}\0" for path in paths), "linguist-generated", "diff"
        )
        fields = out.split("\0")
        generated: set[str] = set()
        binary: set[str] = set()
        for index in range(0, len(fields) - 2, 3):
            path, attribute, value = fields[index : index + 3]
            if attribute == "linguist-generated" and value in ("set", "true"):
                generated.add(path)
            elif attribute == "diff" and value == "unset":
                binary.add(path)
        return generated, binary

    def commit_messages(self, base: str, head: str, limit: int = 50) -> list[str]:
        """Messages of the commits in ``base..head``, newest first (untrusted text)."""
        out = self.git.run(
            "log",
            f"--max-count={limit}",
            "--format=%B%x00",
            f"{self.resolve(base, 'base')}..{self.resolve(head, 'head')}",
        )
        return [clean_text(m).strip() for m in out.split("\0") if m.strip()]
