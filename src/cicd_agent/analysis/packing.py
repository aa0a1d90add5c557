"""Fit a pull request's diff into a token budget, across at most ``max_calls`` model calls.

What matters most gets the budget first: source before tests before docs, riskier change types
first within each (:func:`classify_path`, as deploy-gate). Hunks carry real new-file line
numbers, so the model cites file lines. Binary, generated and lockfiles are named, never
rendered; a removal-only hunk is one line; a hunk shows its enclosing function's signature, and
the whole head when room is left. A file that fits nowhere is named in every call's footer and
the summary, never dropped silently."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cicd_agent.analysis.change_types import ChangeType, classify_path
from cicd_agent.analysis.definitions import starts_definition
from cicd_agent.analysis.diff import Diff, FileDiff, Hunk
from cicd_agent.analysis.file_names import escaped

Counter = Callable[[str], int]
Prepare = Callable[[str], str]
SourceReader = Callable[[Sequence[str]], Mapping[str, str]]

JOIN_MARGIN = 2
"""Tokens added per file for the newline between files (counts are not exactly additive)."""
FOOTER_TOKENS = 600
"""Tokens every call keeps for the footer naming the files it does not show."""
MIN_USEFUL_ROOM = 200
"""Once every call is open and none has this many tokens left, later files are not tried."""
MAX_MISSES = 25
"""Once every call is open, this many files in a row that did not fit end the search."""
MAX_FUNCTION_HEAD = 60
"""Lines of a function shown above a hunk at most; longer heads show the signature alone."""
MAX_SIGNATURE_SEARCH = 400
"""Lines searched upwards for the enclosing definition."""

_RISK_ORDER: tuple[ChangeType, ...] = (
    ChangeType.SECURITY,
    ChangeType.MIGRATION,
    ChangeType.CI,
    ChangeType.INFRASTRUCTURE,
    ChangeType.API_CONTRACT,
    ChangeType.DEPENDENCIES,
    ChangeType.BUILD,
    ChangeType.CONFIG,
    ChangeType.SOURCE,
    ChangeType.OTHER,
    ChangeType.TESTS,
    ChangeType.DOCS,
)


def file_rank(changed: FileDiff) -> tuple[int, int, str]:
    """Sort key: source-like before tests before docs, riskier change types first."""
    types = classify_path(changed.path)
    group = 2 if ChangeType.DOCS in types else 1 if ChangeType.TESTS in types else 0
    risk = min((_RISK_ORDER.index(t) for t in types if t in _RISK_ORDER), default=len(_RISK_ORDER))
    return group, risk, changed.path


@dataclass
class PackedFile:
    """A file as a call shows it: its hunks and any function heads above them. Once placed, its
    ``text`` is redacted and counted again, so it is exactly what is sent."""

    changed: FileDiff
    hunks: tuple[Hunk, ...]
    hunks_left_out: int = 0
    heads: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    text: str = ""
    tokens: int = 0

    def measure(self, count: Counter) -> int:
        before = self.tokens
        self.text = render_file(self.changed, self.hunks, self.heads, self.hunks_left_out)
        self.tokens = count(self.text) + JOIN_MARGIN
        return self.tokens - before


@dataclass
class PromptPart:
    """The files one model call reviews, and the tokens they take."""

    files: list[PackedFile] = field(default_factory=list)
    tokens: int = 0

    @property
    def paths(self) -> list[str]:
        return [f.changed.path for f in self.files]


@dataclass(frozen=True)
class LeftOut:
    """A file no call shows, and why (``over budget``, ``binary``, ``lockfile``…)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Packing:
    """The calls to make, and every file they do not show."""

    parts: tuple[PromptPart, ...]
    listed: tuple[LeftOut, ...]
    """Binary, generated and lockfiles: named, by design never sent."""
    over_budget: tuple[LeftOut, ...]
    """Reviewable files that did not fit in ``max_calls`` calls."""
    partial: tuple[str, ...] = ()
    """Files shown with some of their hunks left out."""

    @property
    def tokens(self) -> int:
        return sum(part.tokens for part in self.parts)

    @property
    def complete(self) -> bool:
        """Every reviewable line was shown to the model."""
        return not self.over_budget and not self.partial

    def diff_text(self, index: int, count: Counter) -> str:
        """The diff section of call ``index``: its files, then a footer naming the rest."""
        part = self.parts[index]
        shown = "\n".join(f.text for f in part.files)
        elsewhere = [p for i, other in enumerate(self.parts) if i != index for p in other.paths]
        footer = render_footer(
            [*self.over_budget, *self.listed]
            + [LeftOut(p, "reviewed in another call") for p in elsewhere],
            count,
        )
        return f"{shown}\n{footer}".strip() + "\n"


def pack(
    diff: Diff,
    *,
    count: Counter,
    budget: int,
    max_calls: int,
    read_sources: SourceReader | None = None,
    prepare: Prepare = str,
) -> Packing:
    """Spread ``diff`` over at most ``max_calls`` calls of ``budget`` tokens. ``prepare`` (the
    run's redactor, packing's slowest step) runs only on files placed, each counted again, so the
    budget holds for exactly what is sent."""
    room = budget - FOOTER_TOKENS
    if room <= 0 or max_calls <= 0:
        reviewable = [f for f in diff.files if not f.listed_only]
        return Packing(
            (),
            _listed(diff),
            tuple(LeftOut(f.path, "over budget") for f in reviewable),
        )
    ordered = sorted((f for f in diff.files if not f.listed_only), key=file_rank)
    parts: list[PromptPart] = []
    over: list[LeftOut] = []
    partial: list[str] = []
    misses = 0
    for changed in ordered:
        if len(parts) >= max_calls and not _may_fit(changed, room, parts, misses):
            over.append(LeftOut(changed.path, "over budget"))
            continue
        packed = _fit(changed, count, room, parts, max_calls)
        misses = misses + 1 if packed is None else 0
        if packed is None:
            over.append(LeftOut(changed.path, "over budget"))
        elif packed.hunks_left_out:
            partial.append(changed.path)
    if read_sources is not None:
        _add_function_heads(parts, count, room, read_sources)
    over += _prepare_packed(parts, count, prepare, room)
    return Packing(tuple(parts), _listed(diff), tuple(over), tuple(partial))


def _may_fit(changed: FileDiff, room: int, parts: Sequence[PromptPart], misses: int) -> bool:
    """Whether ``changed`` is worth trying once every call is open, judged without rendering
    it: a 5,000-file pull request must not render and count every file to fill the last few
    hundred tokens. An added line costs at least two tokens (its number and its text)."""
    free = max(room - part.tokens for part in parts)
    if free < MIN_USEFUL_ROOM or misses >= MAX_MISSES:
        return False
    return 2 * changed.added + 5 <= free


def _prepare_packed(
    parts: list[PromptPart], count: Counter, prepare: Prepare, room: int
) -> list[LeftOut]:
    """Prepare every packed file; a call pushed over its budget by it sheds its last files."""
    shed: list[LeftOut] = []
    for part in parts:
        for packed in part.files:
            prepared = prepare(packed.text)
            if prepared != packed.text:
                packed.text = prepared
                tokens = count(prepared) + JOIN_MARGIN
                part.tokens += tokens - packed.tokens
                packed.tokens = tokens
        while part.tokens > room and len(part.files) > 1:
            dropped = part.files.pop()
            part.tokens -= dropped.tokens
            shed.append(LeftOut(dropped.changed.path, "over budget"))
    return shed


def _listed(diff: Diff) -> tuple[LeftOut, ...]:
    return tuple(LeftOut(f.path, f.kind_note) for f in diff.files if f.listed_only)


def _fit(
    changed: FileDiff, count: Counter, room: int, parts: list[PromptPart], max_calls: int
) -> PackedFile | None:
    """Place one file in the first call with room, opening calls as allowed; one larger than a
    whole call goes alone with the hunks that fit. A file whose lower bound exceeds a call is
    never counted whole: counting 5 MB takes tiktoken seconds."""
    if _one_hunk_over(changed, room):
        return None
    packed = PackedFile(changed, changed.hunks)
    oversized = sum(least_tokens(hunk) for hunk in changed.hunks) > room
    if not oversized:
        packed.measure(count)
        for part in parts:
            if part.tokens + packed.tokens <= room:
                part.files.append(packed)
                part.tokens += packed.tokens
                return packed
    if len(parts) >= max_calls:
        return None
    if oversized or packed.tokens > room:
        trimmed = _trim(changed, count, room)
        if trimmed is None:
            return None
        packed = trimmed
    parts.append(PromptPart([packed], packed.tokens))
    return packed


def _trim(changed: FileDiff, count: Counter, room: int) -> PackedFile | None:
    """The longest run of leading hunks that fits in ``room`` (None when not even one does)."""
    kept: list[Hunk] = []
    tokens = count(render_file(changed, (), {}, len(changed.hunks))) + JOIN_MARGIN
    for hunk in changed.hunks:
        if tokens + least_tokens(hunk) + 1 > room:
            break
        cost = count(render_hunk(hunk, [])) + 1
        if tokens + cost > room:
            break
        kept.append(hunk)
        tokens += cost
    while kept:  # per-hunk counts are not exactly additive: check the whole and shrink
        packed = PackedFile(changed, tuple(kept), len(changed.hunks) - len(kept))
        packed.measure(count)
        if packed.tokens <= room:
            return packed
        kept.pop()
    return None


def _one_hunk_over(changed: FileDiff, room: int) -> bool:
    """Whether ``changed`` is one whole hunk that adds lines and whose :func:`least_tokens`
    exceeds ``room``, told from its text by C-speed counts: parsing a large file into lines
    only to leave it out costs CPU seconds."""
    text = changed.patch if isinstance(changed.patch, str) else ""
    at = text.find("\n@@ ") + 1  # a header first: git's text, not the API's bare hunks
    head = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@.*").match(text, at) if at else None
    if head is None or text.find("\n@@ ", head.end()) >= 0:
        return False
    kept, added, removed = (text.count(f"\n{kind}", head.end()) for kind in " +-")
    old, new = (int(n) if n is not None else 1 for n in head.groups())
    return added > 0 and (kept + removed, kept + added) == (old, new) and 2 * new > room


def least_tokens(hunk: Hunk) -> int:
    """A lower bound of the rendered ``hunk``'s tokens, without rendering it: tiktoken's
    encodings never join a line's leading number with what follows, so each numbered line costs
    at least two."""
    if hunk.is_deletion_only:
        return 0
    return 2 * sum(1 for line in hunk.lines if line.new is not None)


def _add_function_heads(
    parts: list[PromptPart], count: Counter, room: int, read_sources: SourceReader
) -> None:
    """Spend what each call has left on the code above each hunk, most important file first."""
    files = sorted(
        (f for part in parts for f in part.files if f.changed.status != "deleted"),
        key=lambda f: file_rank(f.changed),
    )
    if not files:
        return
    sources = read_sources([f.changed.path for f in files])
    owner = {id(f): part for part in parts for f in part.files}
    for packed in files:
        text = sources.get(packed.changed.path)
        if text is None:
            continue
        lines = text.splitlines()
        part = owner[id(packed)]
        previous_end = 0
        for hunk in packed.hunks:
            head = function_head(hunk, lines, previous_end)
            previous_end = hunk.new_start + hunk.new_length - 1
            if not head or hunk.is_deletion_only:
                continue
            packed.heads[hunk.new_start] = head
            grown = packed.measure(count)
            if part.tokens + grown > room:
                del packed.heads[hunk.new_start]
                packed.measure(count)
                continue
            part.tokens += grown


def function_head(hunk: Hunk, lines: Sequence[str], floor: int) -> list[tuple[int, str]]:
    """Lines above ``hunk`` from its enclosing definition (1-based numbers), or []: the whole
    head when it is short, else only the signature line. ``floor`` is the last line already
    shown by the previous hunk; nothing at or above it is repeated."""
    first_changed = next((ln for ln in hunk.lines if ln.kind != " "), None)
    start = hunk.new_start
    if first_changed is None or start <= 1:
        return []
    indent = _indent(first_changed.text) if first_changed.text.strip() else None
    lowest = max(floor, start - MAX_SIGNATURE_SEARCH, 0)
    for number in range(start - 1, lowest, -1):
        line = lines[number - 1] if number - 1 < len(lines) else ""
        if not line.strip():
            continue
        if indent is not None and _indent(line) >= indent:
            continue
        if starts_definition(line):
            if start - number <= MAX_FUNCTION_HEAD:
                return [(n, lines[n - 1]) for n in range(number, start)]
            return [(number, line)]
        if _indent(line) == 0:
            return []
        indent = _indent(line)
    return []


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


# ------------------------------------------------------------------------------- rendering


def render_file(
    changed: FileDiff,
    hunks: Sequence[Hunk],
    heads: Mapping[int, list[tuple[int, str]]],
    left_out: int,
) -> str:
    """A file for the prompt: a header, then each hunk with new-file line numbers."""
    moved = f" (renamed from {escaped(changed.old_path)})" if changed.old_path else ""
    header = (
        f"### {escaped(changed.path)}{moved} — {changed.status}, "
        f"+{changed.added} −{changed.removed}"
    )
    if changed.status == "deleted":
        first = next((ln.text for h in changed.hunks for ln in h.lines if ln.text.strip()), "")
        return f"{header}\n[whole file deleted; first line: `{first.strip()[:80]}`]\n"
    body = [render_hunk(hunk, heads.get(hunk.new_start, [])) for hunk in hunks]
    if left_out:
        body.append(f"[{left_out} more hunk(s) of this file did not fit the budget]\n")
    if not body:
        body.append(
            "[no line changes shown: a rename, a mode change, or a diff too large to show]\n"
        )
    return header + "\n" + "".join(body)


def render_hunk(hunk: Hunk, head: Sequence[tuple[int, str]]) -> str:
    section = f" {hunk.section}" if hunk.section else ""
    if hunk.is_deletion_only:
        removed = [ln.text for ln in hunk.lines if ln.kind == "-"]
        first = next((t.strip() for t in removed if t.strip()), "")
        after = hunk.new_start + hunk.new_length - 1 if hunk.new_length else hunk.new_start
        return (
            f"@@{section}\n[{len(removed)} line(s) removed after line {after}; "
            f"first: `{first[:80]}`]\n"
        )
    out = [f"@@ lines {hunk.new_start}-{hunk.new_start + hunk.new_length - 1}{section}\n"]
    if head:
        out += [f"{number:>5}   {text}\n" for number, text in head]
        if head[-1][0] + 1 < hunk.new_start:
            out.append("    ⋮\n")
    for line in hunk.lines:
        number = "" if line.new is None else str(line.new)
        out.append(f"{number:>5} {line.kind} {line.text}\n")
    return "".join(out)


def render_footer(left_out: Sequence[LeftOut], count: Counter) -> str:
    """Names of the files a call does not show, within :data:`FOOTER_TOKENS`."""
    if not left_out:
        return ""
    lines = ["Files of this pull request not shown here:"]
    used = count(lines[0]) + 20
    shown = 0
    for item in left_out:
        line = f"- {escaped(item.path)} ({item.reason})"
        cost = count(line) + 1
        if used + cost > FOOTER_TOKENS:
            break
        lines.append(line)
        used += cost
        shown += 1
    if shown < len(left_out):
        lines.append(f"- … and {len(left_out) - shown} more")
    return "\n".join(lines) + "\n"
