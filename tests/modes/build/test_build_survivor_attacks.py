"""Attacks by a process a ``RUN`` line leaves running when the line ends. buildah's chroot
isolation gives a line no PID namespace of its own and ends none of its processes with it, so
the process outlives its line within the build (never the build: bubblewrap's PID namespace
ends with buildah) and sees every later line's processes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import Request
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, needs_buildah

pytestmark = needs_buildah

SURVIVOR = (
    "for i in $(seq 200); do for p in /proc/[0-9]*; do "
    "if grep -q l[a]ter-line $p/cmdline 2>/dev/null && [ -d $p/root/bin ]; then "
    "echo planted > $p/root/planted && exit 0; fi; done; sleep 0.05; done"
)
"""Waits for the later line (its command holds ``later-line``) and writes ``/planted`` into
that line's container through ``/proc/<pid>/root``."""


@pytest.mark.timeout(300, method="thread")
@pytest.mark.xfail(
    strict=True,
    reason="buildah's chroot isolation makes no PID namespace per RUN line and ends no process "
    "a line leaves running: it writes into a later line's container through /proc/<pid>/root, "
    "and its files (bytes, packages) are counted as that line's; closing it needs each line's "
    "processes ended before its step is committed (a PID namespace per line, as buildah's oci "
    "isolation under a runtime makes)",
)
def test_a_run_lines_process_left_running_writes_no_file_of_a_later_line(tmp_path: Path) -> None:
    """Line 4 leaves the survivor running and ends; line 5, written by someone else, sleeps.
    No file may be in the image that line 4 did not write before it ended."""
    context = tmp_path / "context"
    context.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        f"RUN ({SURVIVOR}) > /dev/null 2>&1 &\nRUN echo later-line > /dev/null; sleep 4\n"
    )
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 240)
    built = builder.build(Request(context, context / "Dockerfile", tmp_path / "image"),
                          lambda _: None)  # fmt: skip
    tree = read_tree(read_layout(built.layout).layers)
    assert "planted" not in tree.files, f"in layer {tree.files['planted'].layer + 1} of 4"
