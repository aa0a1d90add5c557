"""What a signature is and what a match of one yields; the table is ``signatures.toml``.

A signature is one regex over a cleaned line, with the failure type it implies (or none: a
generic line ranks but does not classify), a weight (how strongly it points at the root cause;
100 marks runner-level facts that decide the type whatever else failed), the context lines an
excerpt should keep around it, and *needles*: literals, one of which every matching line
contains (see ``signatures.Matcher``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cicd_agent.analysis.logs.model import FailureType

DECISIVE_WEIGHT = 100


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


def sig(
    name: str,
    failure_type: FailureType | None,
    weight: int,
    pattern: str,
    needles: Sequence[str],
    *examples: str,
    before: int = 1,
    after: int = 2,
) -> Signature:
    return Signature(
        name, failure_type, weight, re.compile(pattern), tuple(needles), before, after, examples
    )


@dataclass(frozen=True)
class SignatureHit:
    """A line some signature matched, with the source location it names, if any."""

    signature: Signature
    path: str | None
    source_line: int | None
    groups: dict[str, str]


def hit_of(signature: Signature, match: re.Match[str]) -> SignatureHit:
    # Variants of one shape name their groups path, path2… since a regex cannot repeat a name.
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    path = next((value for name, value in groups.items() if name.startswith("path")), None)
    line = next((value for name, value in groups.items() if name.startswith("line")), None)
    return SignatureHit(signature, path, int(line) if line else None, groups)
