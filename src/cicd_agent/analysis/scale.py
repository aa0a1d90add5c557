"""Ordered string enums: the scales gates compare (risk levels, rollout strategies).

Members are declared from least to most severe or cautious, and ``rank`` is that position, so
"raise, never lower" is one comparison wherever a floor is enforced.
"""

from __future__ import annotations

from enum import StrEnum


class OrderedStrEnum(StrEnum):
    """A string enum whose declaration order is its order."""

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)
