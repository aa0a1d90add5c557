"""Attacks on which steps a build reports its cache gave: buildah says so in its output
(``--> Using cache``), and a ``RUN`` line's output comes through the same stream. What the
builder reports as cached decides the head's cache strategy and whether an advice about the
cache keeps it (``cache_kept``, and so its ``verified`` status)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cicd_agent.modes.build.builder import Buildah, Request
from tests.helpers.buildah import BUSYBOX, needs_buildah


def _shell(script: str) -> str:
    """A ``RUN`` line running ``script`` with busybox's shell (exec form)."""
    return 'RUN ["/bin/busybox", "sh", "-c", ' + json.dumps(script) + "]\n"


FORGER = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY who /who\n" + _shell(
    "b=/bin/busybox; $b echo '[1/1] STEP 3/4: COPY who /who'; "
    "$b echo '--> Using cache 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'; "
    "$b echo '[1/1] STEP 4/4: RUN'; "
    "$b echo '--> Using cache 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'; "
    "$b sleep 2"
)
"""A Dockerfile whose last ``RUN`` line prints what buildah prints for a step its cache gave,
for the step before it and for itself, and waits: buildah may drop what a line printed as it
ended."""


@needs_buildah
@pytest.mark.timeout(300, method="thread")
@pytest.mark.xfail(
    strict=True,
    reason="buildah prints a RUN line's output and its own '--> Using cache' on one stream: "
    "a RUN line that prints the line is reported cached, and so is any step it names with a "
    "STEP line of its own, in an empty storage (the head's cache strategy, an advice's "
    "cache_kept and so its verified status)",
)
def test_a_run_lines_output_marks_no_step_cached(tmp_path: Path) -> None:
    """The first build in an empty storage: nothing came from a cache."""
    context = tmp_path / "ctx"
    context.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "who").write_text("who\n")
    (context / "Dockerfile").write_text(FORGER)
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 240)
    done = builder.apart().build(
        Request(context, context / "Dockerfile", tmp_path / "out"), lambda _: None
    )
    assert done.cached == frozenset()
