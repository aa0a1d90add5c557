"""Attacks on which steps a build reports its cache gave: buildah says so in its output
(``--> Using cache``), and a ``RUN`` line's output comes through the same stream. What the
builder reports as cached decides the head's cache strategy and whether an advice about the
cache keeps it (``cache_kept``, and so its ``verified`` status)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import Request
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


@needs_buildah
@pytest.mark.timeout(300, method="thread")
def test_a_second_build_in_the_same_storage_reports_its_steps_cached(tmp_path: Path) -> None:
    """What the cache did give is still reported: built again in the same storage, every step
    after FROM came from it, in the stage built (``--target``) as in the last one."""
    context = tmp_path / "ctx"
    context.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "who").write_text("who\n")
    (context / "Dockerfile").write_text(FORGER + "FROM scratch\nCOPY --from=0 /who /who\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 240)
    first = Request(context, context / "Dockerfile", tmp_path / "first", target="0")
    assert builder.build(first, lambda _: None).cached == frozenset()
    again = Request(context, context / "Dockerfile", tmp_path / "again", target="0")
    assert builder.build(again, lambda _: None).cached == frozenset({2, 3, 4})
    last = builder.build(
        Request(context, context / "Dockerfile", tmp_path / "last"), lambda _: None
    )
    assert last.cached == frozenset()
    twice = builder.build(
        Request(context, context / "Dockerfile", tmp_path / "twice"), lambda _: None
    )
    assert twice.cached == frozenset({2})
