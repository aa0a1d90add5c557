"""Lines of the last successful run, to drop from a failed run's findings and excerpt.

A line that a green run printed too (a deprecation warning, pip's resolver notice, a retry
that recovered) did not make this run fail. Lines are compared after the runner's prefixes
are stripped and what varies between runs (timestamps, durations, ids, temporary paths,
hashes) is folded by :func:`diff_key`, by hash, in a set bounded by ``max_lines`` lines
read: memory and time stay bounded whatever the size of the baseline log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cicd_agent.modes.analyse_failure.logs.runner_format import clean_line
from cicd_agent.modes.analyse_failure.logs.sources import JobLog, iter_lines

DEFAULT_MAX_LINES = 300_000
_TMP = re.compile(
    r"(?:/home/runner/work/_temp|/tmp|/var/folders/[\w/]+?/T|[A-Z]:\\Users\\\w+\\AppData"
    r"\\Local\\Temp)[/\\][^\s'\":,)]*"
)
_TMP_HINT = re.compile(r"/tmp|_temp|/var/folders|\\Temp")  # noqa: S108 (matched, not used)
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
# After digits are folded to 0: hex hashes, UUIDs and addresses (7+ hex characters, one a 0),
# then runs of zeros (numbers of any width: 1.23 s and 12.3 s meet as 0.0 s).
_HEX = re.compile(
    rb"\b(?:[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|0x[0-9a-fA-F]+"
    rb"|(?=[a-f]*0)[0a-f]{7,64})\b"
)
_NUMBER = re.compile(rb"00+")
_HEX_HINT = re.compile(rb"[a-f]0|0[a-fx]")
_TIME = re.compile(rb"0-0-0[T ]0:0(?::0(?:[.,]0)?)?(?:Z|[+-]0(?::0)?)?|\b0:0:0(?:[.,]0)?\b")
_SPACES = re.compile(rb"\s+")


def diff_key(text: str) -> str:
    """``text`` with the parts that vary between runs of the same job folded to placeholders:
    timestamps, durations, run and job ids, temporary paths, hashes, ports and counters. Words
    are left as they are (a test name, an error message, a file name): two lines that differ
    there are different lines."""
    key = text.strip()
    if _TMP_HINT.search(key):
        key = _TMP.sub("<tmp>", key)
    folded = key.encode("utf-8", errors="replace").translate(_DIGITS)
    if _HEX_HINT.search(folded):
        folded = _HEX.sub(b"<hex>", folded)
    folded = _NUMBER.sub(b"0", folded)
    if b"0:0" in folded:
        folded = _TIME.sub(b"<time>", folded)
    return _SPACES.sub(b" ", folded).decode("utf-8", errors="replace")


def _key(text: str) -> int:
    return hash(diff_key(text))


class BaselineIndex:
    """A bounded set of the (normalised) lines of a successful run."""

    def __init__(self, lines: Iterable[str] = (), *, max_lines: int = DEFAULT_MAX_LINES) -> None:
        self.max_lines = max_lines
        self._keys: set[int] = set()
        self._read = 0
        for line in lines:
            if not self.add(line):
                break

    def add(self, text: str) -> bool:
        """Remember one cleaned line; False once the index is full."""
        if self._read >= self.max_lines:
            return False
        self._read += 1
        if text.strip():
            self._keys.add(_key(text))
        return True

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and _key(text) in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def from_jobs(
        cls, jobs: Iterable[JobLog], *, max_lines: int = DEFAULT_MAX_LINES
    ) -> BaselineIndex:
        """Index the logs of a successful run's jobs, reading at most ``max_lines`` lines."""
        index = cls(max_lines=max_lines)
        for job in jobs:
            for part in job.parts:
                for raw in iter_lines(part):
                    if not index.add(clean_line(raw)):
                        return index
        return index
