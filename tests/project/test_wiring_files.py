"""Following review or analyse-failure from the event to its outputs opens at most ten files
(the entry point, the CLI, the registry, the wiring, the pipeline and the steps), counted from
the source as research/house/wiring_files.py counts them; the types the wiring names only for
the type checker (the run context, the mode's options and result) are three more at most."""

from __future__ import annotations

import pytest
from research.house.wiring_files import files_of

MOST = {"review": (10, 13), "analyse_failure": (9, 12)}
"""Each mode's bound: files without and with the type-only names. They may only go down."""


@pytest.mark.parametrize("mode", sorted(MOST))
def test_a_mode_reads_in_ten_files(mode: str) -> None:
    most_running, most_with_types = MOST[mode]
    running = files_of(mode, types=False)
    assert len(running) <= most_running, [str(path) for path in running]
    typed = files_of(mode, types=True)
    assert len(typed) <= most_with_types, [str(path) for path in typed]
