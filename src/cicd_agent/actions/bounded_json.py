"""The one JSON reader for text from outside: what it returns holds only what every later step can
handle, and every failure is one :class:`JsonRefused` saying why.

``json.loads`` alone lets through what breaks code far from the read:

- a lone surrogate (``"\\ud800"``) raises ``UnicodeEncodeError`` wherever it is encoded later: here
  it is U+FFFD, replaced in the text before decoding (same length, so positions hold), never by
  walking the result (a few MB of ``{}`` is millions of objects);
- ``1e999`` is an infinite float ``int()`` refuses, and ``NaN`` is no JSON: both refused;
- bytes starting with a NUL are guessed as UTF-16 or UTF-32: here they must be UTF-8 (a BOM
  allowed);
- too many digits for ``int()``, or nesting past the recursion limit: refused by name."""

from __future__ import annotations

import json
import math
import re
from typing import Any

_LONE = re.compile("[\ud800-\udfff]")
_ESCAPED = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|[dD][89a-fA-F][0-9a-fA-F]{2})|\\)"
)
"""A surrogate's escape (``\\ud800``), a high one followed by a low one (a pair, one character) in
one match, or an escaped backslash, taken whole so that the ``\\u`` after it is no escape. Each
match starts with a backslash, which the regex engine finds fast: the text between escapes is
skipped, not tried at every character (as a look-behind for an even run of backslashes was)."""
_DECODER_CACHE: dict[bool, json.JSONDecoder] = {}


class JsonRefused(ValueError):
    """The text is not JSON this reader passes on; the message says why in a few words, to
    follow "is not valid JSON: "."""


def load(data: bytes | str, *, unique_keys: bool = False, first_value: bool = False) -> Any:
    """The JSON value in ``data``, with lone surrogates as U+FFFD; :class:`JsonRefused` when it
    is not UTF-8, not JSON, holds a number out of range, NaN or Infinity, nests too deeply, or
    (``unique_keys``) repeats a key in one object. ``first_value``: the first JSON value of the
    text, whatever follows it (a tool that prints more after its report)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JsonRefused("not UTF-8 text") from None
    text = _ESCAPED.sub(_lone_escape, _LONE.sub("\ufffd", data.removeprefix("\ufeff")))
    try:
        decoder = _decoder(unique_keys)
        value = decoder.raw_decode(text)[0] if first_value else decoder.decode(text)
    except JsonRefused:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise JsonRefused("nested too deeply") from None
    except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
        raise JsonRefused("a number too long to read") from None
    return value


def _decoder(unique_keys: bool) -> json.JSONDecoder:
    if unique_keys not in _DECODER_CACHE:
        _DECODER_CACHE[unique_keys] = json.JSONDecoder(
            parse_float=_finite,
            parse_constant=_constant,
            object_pairs_hook=_unique if unique_keys else None,
        )
    return _DECODER_CACHE[unique_keys]


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonRefused("a number out of range")
    return number


def _constant(name: str) -> float:
    raise JsonRefused(f"{name}, which is not JSON")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise JsonRefused("a key appears twice in one object")
    return found


def _lone_escape(match: re.Match[str]) -> str:
    """A pair's escapes and an escaped backslash as they are; a lone surrogate's as U+FFFD's
    (``\\ufffd``)."""
    escaped = match.group(1)
    return match.group(0) if escaped is None or len(escaped) > 4 else "\\ufffd"
