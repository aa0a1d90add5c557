"""Following review or analyse-failure from the event to its outputs opens at most ten files
(the entry point, the CLI, the registry, the wiring, the pipeline and the steps), counted from
the source as research/house/wiring_files.py counts them; the types the wiring names only for
the type checker (the run context, the mode's options and result) are three more at most."""

from __future__ import annotations

import pytest
from research.house.wiring_files import files_of

MOST_RUNNING = 10
MOST_WITH_TYPES = 13


@pytest.mark.parametrize("mode", ["review", "analyse_failure"])
def test_a_mode_reads_in_ten_files(mode: str) -> None:
    running = files_of(mode, types=False)
    assert len(running) <= MOST_RUNNING, [str(path) for path in running]
    typed = files_of(mode, types=True)
    assert len(typed) <= MOST_WITH_TYPES, [str(path) for path in typed]
