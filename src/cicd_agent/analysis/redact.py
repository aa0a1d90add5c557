"""Find and redact secrets in untrusted text before it leaves the runner.

- The secret values this run holds are redacted wherever they appear, whatever their shape, and as
  base64 (any alignment), URL-encoded and hex copies, split across two lines, or cut short.
- Credential shapes catch secrets committed or printed into a log: gitleaks' rule set
  (``data/secret_rules.json``, from a pinned release by ``tools/gen_secret_rules.py``), plus ours
  for what a rule set made for files misses in logs and prompts (a cut private-key block, request
  credentials such as ``mysql -p…`` whatever the value unless it stands in for one, a secret-named
  key's value, the tokens a CI job most often holds, at any length).

Each rule runs only on text holding one of its keywords, found by one Aho-Corasick pass, so
megabytes cost one scan plus a few regexes. The shapes live in ``analysis/secrets/``; this module
holds the run's own values and :class:`Redactor`."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, quote_plus

import ahocorasick_rs

from cicd_agent.actions.masking import MIN_KNOWN_SECRET_LENGTH, is_secret_name, worth_hiding
from cicd_agent.analysis.secrets.matcher import SecretHit, find_secrets, keywords

__all__ = [
    "Redactor",
    "SecretHit",
    "find_secrets",
    "known_secrets_from_env",
]


class Redactor:
    """Replaces secrets with ``[REDACTED:<kind>]``; one instance per run, built from the run's
    secrets."""

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self.known = tuple(
            sorted(
                {value for value in known_secrets if len(value) >= MIN_KNOWN_SECRET_LENGTH},
                key=len,
                reverse=True,
            )
        )
        self._known = KnownValues(self.known) if self.known else None

    def redact(self, text: str) -> str:
        """``text`` with every known secret (and its copies) and every secret-shaped value
        replaced."""
        if self._known is not None:
            merged: list[list[int]] = []
            for start, end in sorted(self._known.spans(text)):  # one marker where they overlap
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(end, merged[-1][1])
                else:
                    merged.append([start, end])
            text = _replace(text, [SecretHit("known secret", *span) for span in merged])
        return _replace(text, find_secrets(text, broad=True))


def _replace(text: str, hits: list[SecretHit]) -> str:
    parts: list[str] = []
    position = 0
    for hit in hits:
        parts += [text[position : hit.start], f"[REDACTED:{hit.kind}]"]
        position = hit.end
    parts.append(text[position:])
    return "".join(parts)


def known_secrets_from_env(environ: Mapping[str, str]) -> list[str]:
    """Values this run holds that must never leave it: secret-named variables and action inputs."""
    values = [value for name, value in environ.items() if is_secret_name(name)]
    raw_inputs = environ.get("CICD_AGENT_INPUTS", "")
    if raw_inputs:
        try:
            inputs = json.loads(raw_inputs)
        except json.JSONDecodeError:
            inputs = {}
        if isinstance(inputs, dict):
            values += [v for k, v in inputs.items() if isinstance(v, str) and is_secret_name(k)]
    return [value for value in values if worth_hiding(value)]


# ------------------------------------------------------------------------- copies of a value

MIN_ENCODED_LENGTH = 8
"""An encoded copy shorter than this (the middle of a short value's base64) would match by
chance in ordinary text."""
MIN_FRAGMENT = 12
"""A head, tail or middle of a known value this long (and at least half the value) is
redacted: a limit that cut the value leaves a piece that is still the secret's bulk."""
_SEED = 8
"""Known values are found by their 8-character windows, then grown both ways character by
character (across line breaks) as far as the text follows the value."""
_BREAK_PREFIX = re.compile(r"(?:\d{4}-\d\d-\d\dT[\d:.]+Z )?[ \t]*")
"""What may start the next line of a wrapped value: the runner's timestamp, indentation."""


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _upper(found: re.Match[str]) -> str:
    return found.group().upper()


def encoded_copies(value: str) -> set[str]:
    """``value`` as it appears once encoded: base64 (standard and URL-safe) at each of the three
    byte alignments inside a longer encoded text, percent-encoding (its escapes in upper case:
    :class:`KnownValues` finds them in either case), and hex."""
    raw = value.encode()
    # every byte escaped too (``%63%6f…``): the same text to a browser, which ``quote`` leaves
    escaped = "".join(f"%{byte:02X}" for byte in raw)
    copies = {quote(value, safe=""), quote_plus(value), escaped, raw.hex(), raw.hex().upper()}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        copies.add(encode(raw).decode())
        for pad in range(3):
            text = encode(b"\0" * pad + raw).decode()
            # Characters of groups that hold only this value's bytes: the others depend on
            # the bytes around it.
            copies.add(text[4 if pad else 0 : (pad + len(raw)) // 3 * 4])
    return {c for c in copies if c != value and len(c) >= MIN_ENCODED_LENGTH}


class KnownValues:
    """Finds the run's own secret values in text: whole, cut to a long enough piece, split
    across lines, or as an encoded copy. One Aho-Corasick pass finds seeds (8-character
    windows of each value, and each encoded copy whole); each seed is grown as far as the
    text keeps following the value. A regex alternation of every piece was ten times slower."""

    def __init__(self, values: Sequence[str]) -> None:
        self.values = values
        seeds: dict[str, list[tuple[int, int]]] = {}
        for number, value in enumerate(values):
            for offset in range(max(len(value) - _SEED, 0) + 1):
                seeds.setdefault(value[offset : offset + _SEED], []).append((number, offset))
        self.copies = {c for value in values for c in encoded_copies(value)} - set(seeds)
        self.patterns = [*seeds, *self.copies]
        self.seeds = [seeds.get(p, []) for p in self.patterns]
        self.automaton = ahocorasick_rs.AhoCorasick(self.patterns)
        self.longest = max(map(len, self.patterns), default=0)
        # Percent-escapes name the same byte in either case, and a text may mix them
        # (``%6f%6F…``): the escaped copies are also found in the text with every escape's
        # digits upper-cased, which keeps each character where it was.
        escaped = sorted({_ESCAPE.sub(_upper, c) for c in self.copies if "%" in c})
        self.escaped = ahocorasick_rs.AhoCorasick(escaped) if escaped else None
        self.longest_escaped = max(map(len, escaped), default=0)

    def spans(self, text: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for index, start, end in keywords(self.automaton, text, self.longest):
            if found and found[-1][0] <= start and end <= found[-1][1]:
                continue  # inside the value just found
            if not self.seeds[index]:
                found.append((start, end))  # an encoded copy
            for number, offset in self.seeds[index]:
                span = self._grow(text, self.values[number], start, end, offset)
                if span is not None:
                    found.append(span)
        if self.escaped is not None and "%" in text:
            folded = _ESCAPE.sub(_upper, text)
            found += [
                (start, end)
                for _, start, end in keywords(self.escaped, folded, self.longest_escaped)
            ]
        return found

    @staticmethod
    def _grow(text: str, value: str, start: int, end: int, offset: int) -> tuple[int, int] | None:
        """The span of ``value[first:last]`` around the seed ``value[offset:…]`` at
        ``text[start:end]``, if that piece is long enough to be the secret."""
        first, last = offset, offset + (end - start)
        while first > 0:
            if start > 0 and text[start - 1] == value[first - 1]:
                start, first = start - 1, first - 1
                continue
            line_start = text.rfind("\n", 0, start) + 1
            if line_start == 0 or not _BREAK_PREFIX.fullmatch(text, line_start, start):
                break
            before = line_start - 1 - (text[line_start - 2 : line_start - 1] == "\r")
            if before <= 0 or text[before - 1] != value[first - 1]:
                break
            start = before
        while last < len(value):
            if end < len(text) and text[end] == value[last]:
                end, last = end + 1, last + 1
                continue
            following = end + (text[end : end + 1] == "\r")
            if text[following : following + 1] != "\n":
                break
            prefix = _BREAK_PREFIX.match(text, following + 1)
            assert prefix is not None  # the pattern matches the empty string
            if text[prefix.end() : prefix.end() + 1] != value[last : last + 1]:
                break
            end = prefix.end()
        need = min(len(value), max(MIN_FRAGMENT, (len(value) + 1) // 2))
        return (start, end) if last - first >= need else None
