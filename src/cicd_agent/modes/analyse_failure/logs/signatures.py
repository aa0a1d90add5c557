"""Signatures of the errors common CI tools and the runner print, and a fast matcher for them.

The table is data, ``signatures.toml`` beside this module, with each test runner's own rows in
its folder (:attr:`~cicd_agent.runners.shape.RunnerShape.signatures`, tried where the table's
``[runners]`` says). A signature is one regex over a
cleaned line, with the failure type it implies (or none: a generic line ranks but does not
classify), a weight (how strongly it points at the root cause; 100 marks runner-level facts
that decide the type whatever else failed), the context lines an excerpt should keep around it,
and *needles*: literals, one of which every matching line contains.

A 1 GB log is scanned at C speed: one Aho-Corasick pass over raw bytes looks for a few dozen
``SCAN_ANCHORS`` (fragments of the needles of errors that can sit far from a step's end) and
only the lines holding one are decoded; on such a line only the signatures whose needle it
holds are tried. Every line of a failed step's tail is tried
against every signature, also those without needles (flake8-style ``path:1:2: F401`` lines),
since that is where such lines end up.

Order matters: a line takes the first signature that matches it, so specific shapes come before
the general ones they would also match (a pip retry warning before a network error, a
``SyntaxError`` before any Python exception).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import ahocorasick_rs

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.runner_format import MARKER_NEEDLES
from cicd_agent.runners.shapes import LOG_SHAPES

DECISIVE_WEIGHT = 100
_TEST_TYPES = (None, FailureType.TEST_FAILURE, FailureType.TIMEOUT)
"""What a line a test printed may still say: nothing, or that a test failed or timed out."""


@dataclass(frozen=True)
class Signature:
    """One error shape: what it means, how much it counts, how to find it quickly."""

    name: str
    failure_type: FailureType | None
    weight: int
    pattern: re.Pattern[str]
    needles: tuple[str, ...]
    before: int = 1
    after: int = 2
    examples: tuple[str, ...] = field(default=(), compare=False)

    @property
    def decisive(self) -> bool:
        return self.weight >= DECISIVE_WEIGHT


@dataclass(frozen=True)
class SignatureHit:
    """A line some signature matched, with the source location it names, if any."""

    signature: Signature
    path: str | None
    source_line: int | None
    column: int | None
    """The column the line names (1-based, as node prints it), if any."""
    groups: dict[str, str]


_LINE_DIGITS = 12
"""A line or column number longer than this (a test can print any run of digits) names none."""


def hit_of(signature: Signature, match: re.Match[str]) -> SignatureHit:
    # Variants of one shape name their groups path, path2… since a regex cannot repeat a name.
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    path = next((value for name, value in groups.items() if name.startswith("path")), None)
    line, column = (
        next((value for name, value in groups.items() if name.startswith(kind)), None)
        for kind in ("line", "column")
    )
    return SignatureHit(signature, path, _number(line), _number(column), groups)


def _number(digits: str | None) -> int | None:
    """A line's or column's number as the log prints it; None past :data:`_LINE_DIGITS`
    digits (``int()`` raises past 4,300 of them)."""
    return int(digits) if digits and len(digits) <= _LINE_DIGITS else None


def _signature(raw: Mapping[str, Any], linters: str) -> Signature:
    pattern = raw["pattern"] if isinstance(raw["pattern"], str) else "".join(raw["pattern"])
    kind = None if raw["type"] == "none" else FailureType(raw["type"])
    before, after = raw["context"]
    compiled = re.compile(pattern.replace("<golangci-linters>", linters))
    needles, examples = tuple(raw["needles"]), tuple(raw["examples"])
    return Signature(raw["name"], kind, raw["weight"], compiled, needles, before, after, examples)


def _rows(table: Mapping[str, Any], runners: Sequence[Mapping[str, Any]], part: str) -> list[Any]:
    """The table's rows of ``part`` (``verdicts`` or ``tools``), the test runners' own
    (``runners``: their TOML files' tables) after the row its ``[runners]`` names."""
    rows = list(table[part])
    after = table["runners"][f"{part}-after"]
    at = next(index for index, row in enumerate(rows) if row["name"] == after) + 1
    rows[at:at] = [row for runner in runners for row in runner.get(part, ())]
    return rows


_TABLE = tomllib.loads(resources.files(__package__).joinpath("signatures.toml").read_text("utf-8"))
_RUNNERS = [
    tomllib.loads(shape.signatures.read_text("utf-8"))
    for shape in LOG_SHAPES
    if shape.signatures is not None
]
VERDICT_SIGNATURES = tuple(
    _signature(row, _TABLE["golangci-linters"]) for row in _rows(_TABLE, _RUNNERS, "verdicts")
)
"""The runner's verdicts first: the facts that decide a type whatever else failed."""
TOOL_SIGNATURES = tuple(
    _signature(row, _TABLE["golangci-linters"]) for row in _rows(_TABLE, _RUNNERS, "tools")
)
"""Then the tools' shapes, the generic ones last."""
SIGNATURES: tuple[Signature, ...] = (*VERDICT_SIGNATURES, *TOOL_SIGNATURES)


# What the streaming pass looks for in raw bytes. The automaton stays fast (SIMD) only with
# a few dozen short literals, so these are fragments of the needles of the errors that can sit
# far from a step's end; a signature none of whose needles holds one of them is matched in
# step tails only. Fragments avoid spans a colour code could split ("rror", not ": error:").
# No bare "##[": the runner's sections, warnings and debug lines mean nothing to the reader
# (``MarkerKind.OTHER``), every signature of a runner line needs "##[error]", and a job
# repeats them by the hundred thousand (a third of the candidate lines of a real job's log).
SCAN_ANCHORS = (
    "rror",
    "RROR",
    "FAIL",
    "ailed",
    "ailure",
    "xception",
    "not found",
    "not ok",
    "No such file",
    "No space left",
    "Could not",
    "Couldn't",
    "Cannot",
    "cannot",
    "timed out",
    "Timeout",
    "ECONN",
    "ENOTFOUND",
    "ETIMEDOUT",
    "refused",
    "reset by peer",
    "resolve",
    "Killed",
    "emory",
    " 137",
    "JSON",
    "YAML",
    "yaml",
    "TOML",
    ".go:",
    "E  ",
    'File "',
    "--> ",
    "***",
    "●",
    "✕",
    "✖",
    "✗",
    "✘",
    "npm ERR",
    "npm error",
    "panicked",
    "panic: ",
    "undefined reference",
    "fatal:",
    "exceeded",
    *MARKER_NEEDLES,
)


class Matcher:
    """Finds candidate lines in raw bytes, then the first signature that matches a line."""

    def __init__(self) -> None:
        anchors = list(dict.fromkeys(SCAN_ANCHORS))
        needles = sorted({n for sig in SIGNATURES for n in sig.needles})
        # Leftmost-first lets the automaton use its SIMD prefilter (GB/s); which needles a
        # candidate line holds is re-read with the overlapping text automaton below.
        self.bytes_automaton = ahocorasick_rs.BytesAhoCorasick(
            [anchor.encode() for anchor in anchors],
            matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST,
        )
        self._text_automaton = ahocorasick_rs.AhoCorasick(needles)
        self.endgroup_anchor = anchors.index("##[endgroup]")  # one of ``MARKER_NEEDLES``
        by_needle: dict[str, list[int]] = {n: [] for n in needles}
        for index, sig in enumerate(SIGNATURES):
            for needle in sig.needles:
                by_needle[needle].append(index)
        self._by_needle = [tuple(by_needle[n]) for n in needles]
        self._needleless = tuple(i for i, sig in enumerate(SIGNATURES) if not sig.needles)

    def candidates(self, data: bytes | memoryview) -> list[tuple[int, int, int]]:
        """``(anchor index, start, end)`` of the scan anchors in raw ``data`` (leftmost first,
        not overlapping); :attr:`endgroup_anchor` is the index of ``##[endgroup]``."""
        return self.bytes_automaton.find_matches_as_indexes(data)

    def match(
        self, text: str, *, full: bool = False, decisive: bool = True, typed: bool = True
    ) -> SignatureHit | None:
        """The first signature (in table order) matching the cleaned line ``text``.

        ``full`` also tries the signatures without needles, which only the tail pass affords.
        ``decisive=False`` passes over the runner facts: for a line that is a test's own
        output or message, which says something about that test and nothing about the run.
        ``typed=False`` also passes over every shape that implies a type other than a test's
        (a missing module, a type or build error): for a line a test printed while its runner
        reported a failing test elsewhere.
        """
        found = self._text_automaton.find_matches_as_indexes(text, overlapping=True)
        indexes: set[int] = set(self._needleless) if full else set()
        for needle_index, _, _ in found:
            indexes.update(self._by_needle[needle_index])
        for index in sorted(indexes):
            signature = SIGNATURES[index]
            if signature.decisive and not decisive:
                continue
            if not typed and (signature.decisive or signature.failure_type not in _TEST_TYPES):
                continue
            match = signature.pattern.search(text)
            if match is not None:
                return hit_of(signature, match)
        return None
