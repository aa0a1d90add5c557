"""One streaming pass over a job's log: steps, runner verdicts, signature hits and step tails.

Logs can be gigabytes, so nothing here looks at every line in Python. The log is read in
4 MiB chunks; one Aho-Corasick pass per chunk (see ``signatures.Matcher``) finds the few lines
that hold a needle, and only those are decoded, cleaned and matched. Newlines are counted with
``bytes.count`` so every hit still knows its line number. Memory stays bounded: a 256 KiB ring
of the bytes just read (so a step's tail can be cut out when the step closes), at most
``MAX_HITS_PER_STEP`` hits per step (the weightiest, earliest first), and tails only for the
steps that failed plus the last one.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from cicd_agent.modes.analyse_failure.logs.runner_format import MarkerKind, clean_line, parse_marker
from cicd_agent.modes.analyse_failure.logs.signatures import Matcher, SignatureHit
from cicd_agent.modes.analyse_failure.logs.sources import MAX_LINE_BYTES

TAIL_BYTES = 1 << 18
TAIL_LINES = 2000
MAX_HITS_PER_STEP = 300
MAX_FAILED_TAILS = 8
RECENT_TAILS = 3
MAX_STEPS = 500
MAX_ERROR_MARKERS = 50
MAX_HITS_AFTER_CLOSE = 20
MAX_LINE_KEPT = 8192
HEADER_MAX_LINES = 400

Line = tuple[int, str]
_DELIMITER = re.compile(rb"[\s,;\"'()<>\[\]{}]")
"""Bytes no secret shape contains: a long line is cut next to one, never inside a token."""
_DELIMITER_BYTES = tuple(bytes([b]) for b in b" \t\r\f\v,;\"'()<>[]{}")


def _kept(buf: bytes, start: int, end: int) -> bytes:
    """Line ``buf[start:end]``, at most ``MAX_LINE_KEPT`` bytes. A longer line is cut at a
    delimiter: redaction comes later, and half a token is no longer token-shaped."""
    cut = start + MAX_LINE_KEPT
    if end <= cut:
        return buf[start:end]
    if _DELIMITER.match(buf, cut) is None:
        cut = max((m.end() for m in _DELIMITER.finditer(buf, start, cut)), default=start)
    return buf[start:cut]


SAFE_CUT_WINDOW = 1 << 16
"""How far back an over-long line looks for its last delimiter."""


@dataclass
class Hit:
    """A line a signature matched, with the lines around it as read."""

    line: int
    text: str
    match: SignatureHit
    context: tuple[Line, ...] = ()

    @property
    def weight(self) -> int:
        return self.match.signature.weight


@dataclass
class StepScan:
    """What one pass learned about one step of a job."""

    name: str
    start_line: int
    start_offset: int
    end_line: int = 0
    header_end: int = 0
    exit_code: int | None = None
    error_lines: list[int] = field(default_factory=list)
    signature_counts: Counter[str] = field(default_factory=Counter)
    tail_raw: bytes = field(default=b"", repr=False)
    """The step's last bytes, whole lines only; decoded by ``tail`` when someone asks."""
    header_raw: bytes = field(default=b"", repr=False)
    """The step's ``##[group]Run …`` header up to its ``##[endgroup]`` line, as read
    (timestamps and colours kept: the fix step reads the command from it). Kept while the
    step is open and, like ``tail_raw``, for the failed steps whose tails are kept; empty for
    a header longer than ``TAIL_BYTES``."""
    _heap: list[tuple[int, int, int, Hit]] = field(default_factory=list, repr=False)

    @cached_property
    def tail(self) -> list[Line]:
        """The step's last lines (at most ``TAIL_LINES``), cleaned, with their line numbers."""
        if not self.tail_raw:
            return []
        raw_lines = self.tail_raw.split(b"\n")[-TAIL_LINES:]
        first = self.end_line - len(raw_lines) + 1
        return [(first + i, clean_line(_kept(raw, 0, len(raw)))) for i, raw in enumerate(raw_lines)]

    @property
    def failed(self) -> bool:
        """The runner wrote an ``##[error]`` in this step: its exit code, a timeout, a cancel."""
        return bool(self.error_lines)

    @property
    def hits(self) -> list[Hit]:
        """The kept hits in log order."""
        return sorted((entry[3] for entry in self._heap), key=lambda hit: hit.line)

    def trim_hits(self, keep: int) -> None:
        """Keep only the ``keep`` weightiest hits (a step whose details no longer matter)."""
        if len(self._heap) > keep:
            self._heap = heapq.nlargest(keep, self._heap, key=lambda entry: entry[:3])
            heapq.heapify(self._heap)

    def add_hit(self, hit: Hit, order: int) -> None:
        """Keep ``hit`` if it is among the weightiest (then earliest) of this step."""
        self.signature_counts[hit.match.signature.name] += 1
        entry = (hit.weight, -hit.line, order, hit)
        if len(self._heap) < MAX_HITS_PER_STEP:
            heapq.heappush(self._heap, entry)
        elif entry[:3] > self._heap[0][:3]:
            heapq.heapreplace(self._heap, entry)


@dataclass
class JobScan:
    """All steps of one job, in order."""

    name: str
    steps: list[StepScan]
    conclusion: str | None = None


class _Ring:
    """The last ``TAIL_BYTES`` bytes read before the current buffer."""

    def __init__(self) -> None:
        self.data = b""

    def push(self, buf: bytes, end: int) -> None:
        if end >= TAIL_BYTES:
            self.data = buf[end - TAIL_BYTES : end]
        else:
            self.data = (self.data + buf[:end])[-TAIL_BYTES:]


class JobScanner:
    """Scans the parts of one job (a whole-job log, or the per-step files of a zip) in order."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.steps: list[StepScan] = []
        self._order = itertools.count()
        self._named = False
        self._in_header = False
        self._header_limit = 0
        self._tails_kept = 0
        self._recent: list[StepScan] = []

    @property
    def _step(self) -> StepScan:
        return self.steps[-1]

    def scan_part(self, chunks: Iterable[bytes], step: str | None) -> None:
        """Read one file. ``step`` names it when it is a single step; None for a whole job."""
        self._named = step is not None
        self._open_step(step or "", line=1, offset=0)
        ring = _Ring()
        leftover = b""
        line_base = 0
        offset = 0
        in_token = False
        for raw in chunks:
            chunk = raw
            if in_token:  # the rest of a token too long to keep: never a line of its own
                end = _DELIMITER.search(chunk)
                in_token = end is None
                chunk = chunk[end.start() :] if end else b""
            buf = leftover + chunk if leftover else chunk
            cut = buf.rfind(b"\n") + 1
            if cut == 0:
                if len(buf) < MAX_LINE_BYTES:
                    leftover = buf
                    continue
                # A line this long is not text worth keeping whole. It ends at a delimiter, so
                # a token across the limit moves whole to the next line: half a token is no
                # longer token-shaped, and redaction would miss it. It ends after the last
                # delimiter in its last 64 KiB, or at its end when there is none (a blob that
                # long is dropped up to its next delimiter).
                low = max(len(buf) - SAFE_CUT_WINDOW, 0)
                last = max(buf.rfind(byte, low) for byte in _DELIMITER_BYTES)
                cut = last + 1 if last >= 0 else len(buf)
                in_token = cut == len(buf)
                buf = buf[:cut] + b"\n" + buf[cut:]
                cut += 1
            leftover = buf[cut:]
            line_base = self._scan_buffer(buf, cut, line_base, offset, ring)
            ring.push(buf, cut)
            offset += cut
        if leftover:
            buf = leftover + b"\n"
            line_base = self._scan_buffer(buf, len(buf), line_base, offset, ring)
            ring.push(buf, len(buf))
            offset += len(buf)
        self._close_step(line_base, b"", 0, offset, ring)

    def finish(self, name: str, conclusion: str | None = None) -> JobScan:
        """The job as scanned."""
        return JobScan(name, self.steps, conclusion)

    def _open_step(self, name: str, *, line: int, offset: int) -> None:
        if len(self.steps) >= 2 * MAX_STEPS:
            # Only a pathological log has this many steps; keep the failed and the latest ones.
            recent = self.steps[-MAX_STEPS:]
            self.steps = [s for s in self.steps[:-MAX_STEPS] if s.failed] + recent
        self.steps.append(StepScan(name, start_line=line, start_offset=offset))
        self._in_header = False

    def _close_step(self, last_line: int, buf: bytes, end: int, offset: int, ring: _Ring) -> None:
        """End the current step at ``last_line``: it stops at ``buf[end]``, stream ``offset``.

        Its tail is cut out now, while the bytes are at hand, if it failed (up to
        ``MAX_FAILED_TAILS`` of them) or if it is among the last ``RECENT_TAILS`` steps: a job
        that failed without a runner marker failed at its end, before the cleanup steps.
        """
        step = self._step
        step.end_line = last_line
        if step.failed:
            if self._tails_kept >= MAX_FAILED_TAILS:
                step.trim_hits(MAX_HITS_AFTER_CLOSE)
                step.header_raw = b""
                return
            self._tails_kept += 1
        else:
            step.trim_hits(MAX_HITS_AFTER_CLOSE)
            step.header_raw = b""
            self._recent.append(step)
            if len(self._recent) > RECENT_TAILS:
                self._recent.pop(0).tail_raw = b""
        size = offset - step.start_offset
        want = min(size, TAIL_BYTES)
        data = buf[end - want : end] if end >= want else (ring.data + buf[:end])[-want:]
        if data.endswith(b"\n"):
            data = data[:-1]
        if size > want:
            data = data[data.find(b"\n") + 1 :]  # the cut fell inside the first line
        step.tail_raw = data

    def _scan_buffer(self, buf: bytes, cut: int, line_base: int, offset: int, ring: _Ring) -> int:
        """Handle the candidate lines of ``buf[:cut]``; return the line count after it.

        An ``##[endgroup]`` anchor outside a step's header is passed over without a look: the
        line is then that marker, which :meth:`_candidate` would pass over, or another anchor
        later in it stands for the line (a line that a carriage return redraws over the marker
        with no anchor in what it shows is the one kind read differently). A long job repeats
        the runner's sections by the hundred thousand; decoding each such line was most of
        the time of a 1 GB log."""
        view = _Buffer(buf, cut, offset, ring)
        counted = 0
        lines_before = line_base
        line_end = -1
        endgroup = self.matcher.endgroup_anchor
        for anchor, start, _ in self.matcher.candidates(memoryview(buf)[:cut]):
            if start <= line_end or (anchor == endgroup and not self._in_header):
                continue
            line_start = buf.rfind(b"\n", 0, start) + 1
            line_end = buf.find(b"\n", start)
            # ``bytes.count`` (about 1 GB/s). numpy's vectorised compare is about twice as fast
            # on long spans, but numpy is in the ``deploy`` extra only: this runs on the core.
            lines_before += buf.count(b"\n", counted, line_start)
            counted = line_start
            self._candidate(view, line_start, line_end, lines_before + 1)
        return lines_before + buf.count(b"\n", counted, cut)

    def _candidate(self, view: _Buffer, start: int, end: int, number: int) -> None:
        """Look at line ``number`` (``view.buf[start:end]``), which holds a needle."""
        text = clean_line(_kept(view.buf, start, end))
        marker = parse_marker(text)
        if self._in_header and number > self._header_limit:
            self._in_header = False
        if marker is not None:
            if marker.kind is MarkerKind.STEP_START:
                if not self._named and self.steps[-1].start_line != number:
                    self._close_step(number - 1, view.buf, start, view.offset + start, view.ring)
                    self._open_step(marker.step or "", line=number, offset=view.offset + start)
                if text.startswith("##[group]"):
                    self._in_header = True
                    self._header_limit = number + HEADER_MAX_LINES
                return
            if marker.kind is MarkerKind.HEADER_END:
                if self._in_header:
                    self._in_header = False
                    self._step.header_end = number
                    self._step.header_raw = view.since(self._step.start_offset, end)
                return
            if marker.kind is MarkerKind.OTHER:
                return
            step = self._step
            if len(step.error_lines) < MAX_ERROR_MARKERS:
                step.error_lines.append(number)
            if marker.exit_code is not None:
                step.exit_code = marker.exit_code
        elif self._in_header:
            return
        match = self.matcher.match(text)
        if match is None:
            return
        signature = match.signature
        context = view.context(start, end, number, signature.before, signature.after)
        self._step.add_hit(Hit(number, text, match, context), next(self._order))


@dataclass(frozen=True)
class _Buffer:
    """The buffer being scanned: complete lines up to ``cut``, at stream ``offset``."""

    buf: bytes
    cut: int
    offset: int
    ring: _Ring

    def since(self, offset: int, end: int) -> bytes:
        """The bytes from stream ``offset`` up to ``buf[end]``; empty when they reach back
        further than this buffer and the ring behind it, or are longer than ``TAIL_BYTES``."""
        start = offset - self.offset
        if end - start > TAIL_BYTES:
            return b""
        if start >= 0:
            return self.buf[start:end]
        if -start > len(self.ring.data):
            return b""
        return self.ring.data[start:] + self.buf[:end]

    def context(
        self, start: int, end: int, number: int, before: int, after: int
    ) -> tuple[Line, ...]:
        """Up to ``before``/``after`` cleaned lines around a hit, as far as this buffer reaches."""
        buf = self.buf
        lines: list[Line] = []
        position = start
        for index in range(1, before + 1):
            if position == 0:
                break
            previous = buf.rfind(b"\n", 0, position - 1) + 1
            lines.append((number - index, clean_line(_kept(buf, previous, position - 1))))
            position = previous
        lines.reverse()
        position = end + 1
        for index in range(1, after + 1):
            following = buf.find(b"\n", position, self.cut)
            if following < 0:
                break
            lines.append((number + index, clean_line(_kept(buf, position, following))))
            position = following + 1
        return tuple(lines)
