"""The run's checkout as the modes read it: a range's diff (the base's attributes applied, and the
text of what git shows as binary), blobs and commit messages, refs resolved before use.

:class:`GitCheckout` is what a mode holds (``ctx.checkout``);
:class:`~cicd_agent.local.gitrepo.GitRepo` underneath runs the git commands with one error
policy. Apart from ``analysis.diff``, which only parses text, so the analysis needs no git."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.analysis.diff import Diff, FileDiff, clean_text, parse_diff
from cicd_agent.local.gitrepo import GitRepo

UNSHOWN_LIMIT = 16 << 20
"""Bytes of a file shown as binary read to give the secret rules its text; past it the file
stays unread (it is a large binary finding then)."""

_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")


def binary_text(data: bytes) -> str | None:
    """The text of a file git shows as binary, or None for a real binary. UTF-16 and UTF-32
    (with a byte-order mark, or ASCII text with NULs between: PowerShell runs either) and
    UTF-8 whatever NULs it holds are text, a stray byte none of them reads aside: the diff's
    view of a file is git's probe of its first bytes or the base's ``-diff``, and neither may
    keep a committed key from the rules."""
    marks = {
        b"\xff\xfe\0\0": "utf-32-le",
        b"\0\0\xfe\xff": "utf-32-be",
        b"\xff\xfe": "utf-16-le",
        b"\xfe\xff": "utf-16-be",
    }
    codec = next((marks[mark] for mark in marks if data.startswith(mark)), None)
    nul = data.count(0)
    if codec is not None:
        data = data[len(next(mark for mark in marks if marks[mark] == codec)) :]
    elif nul * 4 > len(data) * 3 - 4:
        codec = "utf-32-le" if data[:1] != b"\0" else "utf-32-be"
    elif nul * 3 > len(data):
        codec = "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be"
    text = (
        data.decode(codec, "replace")
        if codec
        else data.replace(b"\0", b"").decode("utf-8", "replace")
    )
    return text if len(_CONTROL.findall(text)) <= 1 + len(text) // 100 else None


_RUNS = (
    ("latin-1", re.compile(rb"[\t\n\r\x20-\x7e]{8,}")),
    ("utf-16-le", re.compile(rb"(?:[\t\n\r\x20-\x7e]\x00){8,}")),
    ("utf-16-be", re.compile(rb"(?:\x00[\t\n\r\x20-\x7e]){8,}")),
)
"""Runs of printable ASCII a file holds as bytes, as UTF-16 either way round: a key is such a
run in whatever else the file holds (binary data, control bytes, text in another encoding)."""


def binary_lines(data: bytes) -> list[tuple[int, str]]:
    """``(line number, text)`` of what the secret rules read in a file git shows as binary:
    its lines when :func:`binary_text` reads it, and every run of eight or more printable
    ASCII characters in its bytes (one byte each, or UTF-16 either way round), each line once.
    A run is numbered by the newline bytes before it. Reading the runs too keeps a file from
    choosing its way out: a mix of encodings, control bytes past :func:`binary_text`'s share
    or a key inside real binary data leave the key's own characters in place."""
    text = binary_text(data)
    found = list(enumerate(text.split("\n"), 1)) if text is not None else []
    for codec, runs in _RUNS:
        number, counted = 1, 0
        for run in runs.finditer(data):
            number += data.count(b"\n", counted, run.start())
            counted = run.start()
            lines = run.group().decode(codec, "replace").split("\n")
            found.extend((number + index, line) for index, line in enumerate(lines))
    seen: set[str] = set()
    unique = []
    for number, raw in found:
        line = raw.rstrip("\r")
        if line and line not in seen:
            seen.add(line)
            unique.append((number, line))
    return unique


def lines_added(
    old: list[tuple[int, str]], new: list[tuple[int, str]]
) -> tuple[tuple[int, str], ...]:
    """The lines of ``new`` that ``old`` does not hold (both as :func:`binary_lines` gives
    them, each line once): a file's added lines without a diff, linear in both."""
    left = {line for _, line in old}
    return tuple((number, line) for number, line in new if line not in left)


class GitCheckout:
    """A checkout, read through its :class:`GitRepo` (refs resolved before any use)."""

    def __init__(self, root: Path) -> None:
        self.git = GitRepo.open(root)
        self.root = self.git.path
        self._merge_bases: dict[tuple[str, str], str] = {}

    def resolve(self, ref: str, label: str = "commit") -> str:
        """The commit SHA ``ref`` names; a usage error when this checkout does not have it."""
        return self.git.resolve_commit(ref, label)

    def holds(self, path: Path) -> bool:
        """Whether ``path``, as named or where its links lead, is in this checkout: a folder
        there is the pull request's to fill with its commit's files (or a link onward), so a
        file the team names or a folder kept between runs never is."""
        named, reached = Path(os.path.abspath(path)), path.resolve()
        return named.is_relative_to(self.root.absolute()) or reached.is_relative_to(
            self.root.resolve()
        )

    def at(self, head: str) -> bool:
        """Whether the files checked out are commit ``head``'s: HEAD is ``head``, or a merge of
        it (actions/checkout's default for a pull request, the head its second parent). A mode
        that reads the checkout's files for the head (linters' settings, coverage) asks first."""
        held, head = self.resolve("HEAD"), self.resolve(head)
        return held == head or (self.has_commit("HEAD^2") and self.resolve("HEAD^2") == head)

    def holding(self, head: str) -> str:
        """`` (its HEAD is <commit>)`` where HEAD is another commit than ``head``, else "" (the
        files were changed in the work tree): said where :meth:`at` is False."""
        held = self.resolve("HEAD")
        return "" if held == self.resolve(head) else f" (its HEAD is {held[:12]})"

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
        raw = self.git.read_bytes(
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
        generated, binary = self.git.base_attributes(
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
            f
            for f in files
            if f.is_binary and f.path not in marked and not f.submodule and f.status != "deleted"
        ]
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
        """``(path, bytes)`` of each ``path`` at commit ``rev`` (a SHA) up to
        :data:`UNSHOWN_LIMIT` a file (paths that are not files there, or larger, are left out),
        by ``git cat-file --batch`` calls that each hold at most that much: one call's output
        alive at a time."""
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

    def commit_messages(self, base: str, head: str, limit: int = 50) -> list[str]:
        """Messages of the commits in ``base..head``, newest first (untrusted text)."""
        out = self.git.run(
            "log",
            f"--max-count={limit}",
            "--format=%B%x00",
            f"{self.resolve(base, 'base')}..{self.resolve(head, 'head')}",
        )
        return [clean_text(m).strip() for m in out.split("\0") if m.strip()]

    def export(self, rev: str, folder: Path) -> list[str]:
        """The files of commit ``rev`` written under ``folder`` (``git archive``: the commit's
        tree, no hook, filter or setting of the checkout applied), for a process that needs them
        as files (a container build of the base). Links that point out of ``folder`` (absolute,
        or climbing above it) are left out and returned, so a caller can refuse what needs them;
        nothing is written outside ``folder``."""
        import tarfile  # here: only a build exports a tree; every other run is spared its import

        data = self.git.run_bytes("archive", "--format=tar", self.resolve(rev))
        left_out: list[str] = []

        def inside(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
            try:
                return tarfile.data_filter(member, path)
            except tarfile.FilterError:
                left_out.append(member.name)
                return None

        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            archive.extractall(folder, filter=inside)  # noqa: S202 - every member through data_filter
        return left_out


def check_out_head(head: str, workflow: bool, *, commit: str, mode: str) -> str:
    """The fix where the checkout is not ``head`` (``commit``: how ``mode`` names it): in a
    workflow, actions/checkout's input (its default for a pull request is the merge commit); in
    a terminal, git's command."""
    if workflow:
        return (
            "check out the pull request's head: `ref: "
            "${{ github.event.pull_request.head.sha }}` on actions/checkout"
        )
    return f"check out {commit} (`git checkout {head[:12]}`) and run {mode} again"
