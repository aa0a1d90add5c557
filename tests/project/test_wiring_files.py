"""Following review or analyse-failure from the event to its outputs opens no more files than
it does today, counted from the source as research/house/wiring_files.py counts them: the entry
point, the CLI, the registry, the wiring, the pipeline and the steps, and where the run comes in
(its options resolved, the event read, the run context made) and goes out (the result rendered,
the runner writing it); the types the wiring names only for the type checker (the mode's options
and result) are two more. The goal is ten each."""

from __future__ import annotations

import pytest
from research.house.wiring_files import files_of

MOST = {"review": (12, 14), "analyse_failure": (11, 13)}
"""Each mode's bound: files without and with the type-only names. They may only go down."""


@pytest.mark.parametrize("mode", sorted(MOST))
def test_a_mode_reads_in_at_most_its_files(mode: str) -> None:
    most_running, most_with_types = MOST[mode]
    running = files_of(mode, types=False)
    assert len(running) <= most_running, [str(path) for path in running]
    typed = files_of(mode, types=True)
    assert len(typed) <= most_with_types, [str(path) for path in typed]
