"""What only posting learns (a review's address, a pushed commit), recorded by the publish step
as each post lands and checked against the field the result declares for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PostedOutputs:
    """What only posting learns (``review_url``, ``pushed_sha``, …), recorded as each post lands:
    publish returns nothing, so no step hands back a result another made, and a failure part-way
    keeps what was recorded. Only fields the result declares (``PlainResult.POSTED``) are taken,
    each type-checked strictly: anything else is a bug, refused where it is written rather than
    rendered wrong."""

    declared: Mapping[str, Any] | None = None
    """The decided result's posted fields, each with its type (``PlainResult.posted_fields``;
    None: nothing may be recorded, no publish step runs)."""
    values: dict[str, object] = field(default_factory=dict)

    def record(self, **values: object) -> None:
        kinds = self.declared if self.declared is not None else {}
        unknown = sorted(set(values) - kinds.keys())
        if self.declared is None or unknown:
            raise TypeError(f"publish recorded {unknown}, which the result does not declare posted")
        from pydantic import TypeAdapter  # posting only: offline runs never load pydantic

        for name, value in values.items():
            self.values[name] = TypeAdapter(kinds[name]).validate_python(value, strict=True)
