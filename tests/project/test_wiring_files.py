"""Following review or analyse-failure from the event to its outputs opens no more files than
it does today, counted from the source as research/house/wiring_files.py counts them: the entry
point, the CLI, the registry, the mode's declaration, the wiring, the pipeline, the steps and the
classes they hand on, where the run comes in (its options resolved, the event read, the run
context made) and goes out (the result rendered, the runner writing it), and every module of a
function on a call path from the console script to a read of the event or the repository's
settings or a write of the outputs, the job summary, an annotation or a post to GitHub; the
mode's options, named by the wiring for the type checker alone, are one more. The goal is ten
each."""

from __future__ import annotations

import pytest
from research.house.wiring_files import files_of

MOST = {"review": (23, 24), "analyse_failure": (20, 21)}
"""Each mode's bound: files without and with the type-only names. They may only go down."""


@pytest.mark.parametrize("mode", sorted(MOST))
def test_a_mode_reads_in_at_most_its_files(mode: str) -> None:
    most_running, most_with_types = MOST[mode]
    running = files_of(mode, types=False)
    assert len(running) <= most_running, [str(path) for path in running]
    typed = files_of(mode, types=True)
    assert len(typed) <= most_with_types, [str(path) for path in typed]
