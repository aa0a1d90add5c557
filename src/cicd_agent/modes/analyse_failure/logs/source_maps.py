"""Frames of compiled JavaScript placed in the source they were compiled from.

A failure in code built before its tests ran (``tsc`` into ``dist/``, a bundler into ``lib/``)
prints frames of the built file (``at mean (dist/calc.js:7:15)``), which is no file of the
repository. Where the checkout holds that file and its source map (the ``//#
sourceMappingURL=`` comment at its end: a file beside it or an inline ``data:`` map; without
a comment, ``calc.js.map`` beside it), the frame names the original source and line
(``src/calc.ts:8``), as node's ``--enable-source-maps`` would have printed it.

Every part of it is the pull request's: the built file, the map, its ``sources`` and
``sourceRoot``. So a map is read only through :mod:`cicd_agent.local.checkout_files` (no link
followed, never ``.git``, bounded), a URL with a scheme or an absolute path is never followed
(a ``webpack://`` source names a path relative to the folder webpack ran in: the one file it
names from the map's folder or a folder above it), a source counts only where it is a regular
file inside the checkout, and a map past
:data:`MAX_MAP_BYTES`, or past what is left of the run's :data:`MAX_RUN_MAP_BYTES` or
:data:`MAX_SEGMENTS`, or one that is not a version 3 map (index maps with ``sections``
included), places nothing: the frame stays as printed.

No kept decoder is on PyPI (``sourcemap``, ``libsourcemap`` and ``python-sourcemaps`` had
their last release in 2017 or before); the base64 VLQ of the mappings is decoded here.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.local.checkout_files import CheckoutFileError, checked_path, is_file, read_bytes

MAX_SCRIPT_BYTES = 8 << 20
"""A built file read for its map's comment at most (an inline map makes it large)."""
MAX_MAP_BYTES = 8 << 20
MAX_SEGMENTS = 500_000
"""Mappings decoded and sources kept in one run at most, all maps together (about 1.5 CPU
seconds, tens of MB): a map past what is left places nothing."""
MAX_MAPS = 16
"""Built files looked at in one run: the frames of others stay as printed."""
MAX_RUN_MAP_BYTES = 24 << 20
"""Bytes of maps parsed in one run at most, all maps together (JSON parsing is about a CPU
second for 8 MB): a map past what is left places nothing."""
MAX_SOURCES_PLACED = 2_000
"""A map's sources looked for in the checkout in one run at most, all maps together (a map
can name 500,000, a log every one): frames of others stay as printed."""
MAX_CLIMB = 6
"""Folders above the map's a ``webpack://`` source is looked for from at most (the folder
webpack ran in: ``build/static/js`` is three below it)."""
COMPILED = (".js", ".mjs", ".cjs")
_COMMENT = re.compile(rb"^[ \t]*//[#@][ \t]*sourceMappingURL=(\S+)[ \t]*\r?$", re.MULTILINE)
_INLINE = re.compile(r"data:application/json(?:;charset=[\w-]+)?(;base64)?,(.*)", re.DOTALL)
_WEBPACK = re.compile(r"webpack://(?:/|(?![./])[^/]*/)?(.*)", re.DOTALL)
"""A webpack source URL, ``webpack://<namespace>/<path>`` (webpack 5) or ``webpack:///<path>``
(webpack 4), its path relative to the folder webpack ran in (group 1)."""
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^[/\\]")
_PAST = sys.maxsize
_DIGITS = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


class _Malformed(ValueError):
    """The mappings are not base64 VLQ of 1, 4 or 5 fields a segment."""


@dataclass(frozen=True)
class _Map:
    """One decoded map: per generated line, its segments ``(column, source, line)`` (all
    0-based) that name a source; its ``sources`` as named (under ``sourceRoot``), relative to
    ``folder``, the map's own."""

    lines: tuple[tuple[tuple[int, int, int], ...], ...]
    sources: tuple[object, ...]
    folder: str


class SourceMaps:
    """The checkout's source maps, each read once, on the first frame of its built file."""

    def __init__(self, checkout: Path | None) -> None:
        self.checkout = checkout
        self.maps: dict[str, _Map | None] = {}
        self.budget = MAX_SEGMENTS
        self.bytes_left = MAX_RUN_MAP_BYTES
        """The segments the run may still decode and sources it may still keep."""
        self.placed: dict[tuple[str, int], str | None] = {}
        """Each source of a built file's map as :func:`_source` placed it."""

    def original(self, path: str, line: int, column: int | None) -> tuple[str, int] | None:
        """The repository file and line (1-based) a frame of the built file ``path`` at
        ``line`` and ``column`` (1-based, as node prints them; None: the line's first mapping)
        was compiled from; None where no map of the checkout says so."""
        if self.checkout is None or not path.endswith(COMPILED) or line < 1:
            return None
        if path not in self.maps:
            if len(self.maps) >= MAX_MAPS:
                return None
            self.maps[path] = self._read(self.checkout, path)
        found = self.maps[path]
        if found is None or line > len(found.lines):
            return None
        segments = found.lines[line - 1]  # sorted: the last one at or before the column
        last = (column - 1, _PAST, _PAST) if column is not None else None
        at = bisect_right(segments, last) if last is not None else min(len(segments), 1)
        if not at:
            return None
        _, source, original = segments[at - 1]
        if source >= len(found.sources):
            return None
        if (path, source) not in self.placed:  # a log can name one line millions of times
            if len(self.placed) >= MAX_SOURCES_PLACED:
                return None
            self.placed[path, source] = _source(self.checkout, found.folder, found.sources[source])
        named = self.placed[path, source]
        return (named, original + 1) if named is not None else None

    def _read(self, checkout: Path, script: str) -> _Map | None:
        """The map of the built file ``script``, decoded within what is left of the budget;
        None where there is none to trust."""
        value, where, size = _map_value(checkout, script, min(MAX_MAP_BYTES, self.bytes_left))
        self.bytes_left -= size
        if not isinstance(value, dict) or value.get("version") != 3 or "sections" in value:
            return None
        mappings, sources = value.get("mappings"), value.get("sources")
        if not isinstance(mappings, str) or not isinstance(sources, list):
            return None
        # each source is kept for the run: a map of millions of them holds gigabytes
        cost = mappings.count(",") + mappings.count(";") + 1 + len(sources)
        if cost > self.budget:
            return None
        self.budget -= cost
        try:
            lines = _decode(mappings)
        except _Malformed:
            return None
        given = value.get("sourceRoot")
        root = given if isinstance(given, str) else ""
        root += "/" if root and not root.endswith("/") else ""
        named = tuple(root + s if isinstance(s, str) and s else None for s in sources)
        return _Map(lines, named, where)


def _map_value(checkout: Path, script: str, limit: int) -> tuple[object, str, int]:
    """The JSON value of the built file ``script``'s map (None: none read, or one past
    ``limit`` bytes), the folder its sources are relative to, and the map's bytes parsed."""
    try:
        data = read_bytes(checkout, script, MAX_SCRIPT_BYTES)
        comments = _COMMENT.findall(data)
        named = posixpath.basename(script) + ".map"
        url = comments[-1].decode("utf-8", "replace") if comments else named
        text, where = _map_text(checkout, script, url, limit)
    except (CheckoutFileError, ValueError, binascii.Error):
        return None, "", 0
    try:
        return load_json(text), where, len(text)
    except JsonRefused:
        return None, "", len(text)


def _map_text(checkout: Path, script: str, url: str, limit: int) -> tuple[bytes, str]:
    """The map's bytes and the folder its sources are relative to: an inline ``data:`` map's
    (the built file's folder), or the file ``url`` names relative to the built file; a URL
    with a scheme or an absolute path is refused (CheckoutFileError)."""
    folder = posixpath.dirname(script)
    inline = _INLINE.fullmatch(url)
    if inline:
        payload = inline[2]
        if len(payload) > limit * 4 // 3 + 4:
            raise CheckoutFileError(script, "too-large", "holds too large an inline map")
        text = base64.b64decode(payload, validate=True) if inline[1] else unquote(payload).encode()
        if len(text) > limit:
            raise CheckoutFileError(script, "too-large", "holds too large an inline map")
        return text, folder
    named = unquote(re.split(r"[#?]", url, maxsplit=1)[0])
    if _SCHEME.match(named):
        raise CheckoutFileError(named, "path", "is a URL or an absolute path, never followed")
    path = checked_path(posixpath.normpath(posixpath.join(folder, named)))
    return read_bytes(checkout, path, limit), posixpath.dirname(str(path))


def _source(checkout: Path, folder: str, source: object) -> str | None:
    """One of a map's ``sources`` as a regular file of the checkout (relative to the map's
    ``folder``; a ``webpack://`` URL by :func:`_webpack_source`), or None: another URL, an
    absolute path, a path out of the checkout or through a link, or no such file."""
    if not isinstance(source, str):
        return None
    named = unquote(source)
    webpack = _WEBPACK.fullmatch(named)
    if webpack:
        return _webpack_source(checkout, folder, re.split(r"[?#]", webpack[1], maxsplit=1)[0])
    if _SCHEME.match(named) or "\\" in named:
        return None
    return _held(checkout, folder, named)


def _held(checkout: Path, folder: str, named: str) -> str | None:
    """``named`` relative to ``folder`` where it is a regular file of the checkout reached
    without a link, else None (out of the checkout, through ``.git``, no such file)."""
    try:
        path = str(checked_path(posixpath.normpath(posixpath.join(folder, named))))
    except CheckoutFileError:
        return None
    return path if is_file(checkout, path) else None


def _webpack_source(checkout: Path, folder: str, named: str) -> str | None:
    """A webpack source's path (``./src/calc.js`` of ``webpack://shop-calc/./src/calc.js``),
    relative to the folder webpack ran in, which the map does not say: the one file it names
    from the map's ``folder`` or a folder up to :data:`MAX_CLIMB` above it, never above the
    checkout's root; None where no folder or two hold one, or the path is absolute or holds a
    backslash (a URL, a drive)."""
    if not named or _SCHEME.match(named) or "\\" in named:
        return None
    parts = folder.split("/") if folder else []
    found = {
        held
        for depth in range(len(parts), max(len(parts) - MAX_CLIMB, 0) - 1, -1)
        if (held := _held(checkout, "/".join(parts[:depth]), named))
    }
    return found.pop() if len(found) == 1 else None


def _decode(mappings: str) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    """The mappings' segments that name a source, per generated line (see :class:`_Map`)."""
    lines = []
    source = original = 0
    for text in mappings.split(";"):
        column = 0
        kept = []
        for segment in text.split(","):
            if not segment:
                continue
            fields = _vlq(segment)
            column += fields[0]
            if len(fields) == 1:
                continue
            if len(fields) not in (4, 5):
                raise _Malformed(segment[:40])
            source += fields[1]
            original += fields[2]
            if column >= 0 and source >= 0 and original >= 0:
                kept.append((column, source, original))
        kept.sort()
        lines.append(tuple(kept))
    return tuple(lines)


def _vlq(segment: str) -> list[int]:
    """The signed integers of one segment's base64 VLQ."""
    values, value, shift = [], 0, 0
    for char in segment:
        digit = _DIGITS.get(char)
        if digit is None:
            raise _Malformed(segment[:40])
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            if shift > 30:  # no line or column needs more than 32 bits
                raise _Malformed(segment[:40])
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            value = shift = 0
            if len(values) > 5:  # the budget counts segments: none may cost more than five fields
                raise _Malformed(segment[:40])
    if shift:
        raise _Malformed(segment[:40])
    return values
