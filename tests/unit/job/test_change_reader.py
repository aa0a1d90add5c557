"""A mode reads changes for another mode only when it offers both halves of the seam."""

from __future__ import annotations

from typing import Any

from cicd_agent.job.change_reader import ReadsChanges


class ReadsOnly:
    def read_change(self, run: Any) -> Any:
        return None


class ReadsAndDescribes(ReadsOnly):
    def describe_change(self, ctx: Any, pull: Any, run: Any) -> Any:
        return None


def test_a_mode_offering_half_the_seam_is_no_reader() -> None:
    assert not isinstance(ReadsOnly(), ReadsChanges)
    assert isinstance(ReadsAndDescribes(), ReadsChanges)
