"""What docs/modes/test-step.md says a test history row costs, for the tests that hold the store
and the test step's rows to it."""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "modes" / "test-step.md"
CLAIM = re.compile(r"a row costs about ([\d,]+) bytes a run and ([\d,]+) bytes a test")


def page_claim() -> tuple[int, int]:
    """The bytes a run and a test the page gives a row."""
    claim = CLAIM.search(" ".join(PAGE.read_text(encoding="utf-8").split()))
    assert claim, f"{PAGE.name} gives no row size"
    per_run, per_test = (int(g.replace(",", "")) for g in claim.groups())
    return per_run, per_test
