"""Lines of the last successful run, to drop from a failed run's findings and excerpt.

A line that a green run printed too (a deprecation warning, pip's resolver notice, a retry
that recovered) did not make this run fail. Lines are compared after the runner's prefixes
are stripped and what varies between runs (timestamps, durations, ids, temporary paths,
hashes) is folded by ``normalise.diff_key``, by hash, in a set bounded by ``max_lines`` lines
read: memory and time stay bounded whatever the size of the baseline log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cicd_agent.modes.analyse_failure.logs.normalise import diff_key
from cicd_agent.modes.analyse_failure.logs.runner_format import clean_line
from cicd_agent.modes.analyse_failure.logs.sources import JobLog, iter_lines

DEFAULT_MAX_LINES = 300_000


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


def subtract_baseline(lines: Sequence[str], baseline: BaselineIndex | None) -> list[str]:
    """``lines`` without those the successful run printed too."""
    if baseline is None:
        return list(lines)
    return [line for line in lines if line not in baseline]
