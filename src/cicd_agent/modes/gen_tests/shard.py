"""``shard: i/n``: split the segments across matrix jobs, a whole module to one job.

Keeping every segment of a module in one shard means each shard writes different test files,
so the shards' patches apply one after another without conflicts::

    git apply gen-tests-1.patch gen-tests-2.patch gen-tests-3.patch

Modules are dealt round-robin in the order of how much they miss, so the shards get similar
amounts of work, and the assignment is the same on every run of the same change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cicd_agent.modes.gen_tests.segments import Segment
from cicd_agent.runner.errors import UsageError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``total``."""

    index: int
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.match(text)
        if not match:
            raise UsageError(
                f"shard {text!r} is not of the form i/n.",
                hint="Use e.g. `shard: ${{ matrix.shard }}/3` with shard in [1, 2, 3].",
            )
        index, total = int(match.group(1)), int(match.group(2))
        if total < 1 or not 1 <= index <= total:
            raise UsageError(f"shard {text!r}: i must be between 1 and n (n at least 1).")
        return cls(index, total)

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def select(self, segments: Sequence[Segment]) -> list[Segment]:
        """The segments of this shard's modules, in their original order."""
        weight: dict[str, int] = {}
        for segment in segments:
            weight[segment.path] = weight.get(segment.path, 0) + segment.weight
        modules = sorted(weight, key=lambda path: (-weight[path], path))
        mine = {
            path for number, path in enumerate(modules) if number % self.total == self.index - 1
        }
        return [segment for segment in segments if segment.path in mine]
