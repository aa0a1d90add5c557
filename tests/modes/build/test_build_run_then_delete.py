"""The commonest waste: a file one ``RUN`` writes and a later ``RUN`` deletes stays in the first
one's layer. The advice does both in one ``RUN``, and it is built: a smaller image with the same
files. (Before, the waste was measured on the right line and no advice was given.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cicd_agent.modes.build.dockerfile import parse
from cicd_agent.modes.build.rules import candidates
from cicd_agent.modes.build.types import Source
from tests.helpers.buildah import BUSYBOX, git, needs_buildah
from tests.modes.build.test_build_advice_rules import built
from tests.modes.build.test_build_local_images import build

MIB = 1024 * 1024
DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
COPY busybox /bin/sh
RUN /bin/busybox dd if=/dev/urandom of=/download bs=1048576 count=3 \\
    && /bin/busybox cp /bin/busybox /kept
COPY app.py /app/app.py
RUN /bin/busybox rm /download
"""


def test_the_pair_whose_later_run_deletes_the_most_is_joined() -> None:
    text = "FROM debian:12\nRUN make-big\nRUN make-small\nCOPY a /a\nRUN rm -rf /big /small\n"
    head = built(text, [{"bin/sh": b"sh"}, {"big/data": b"x" * 300}, {"small": b"y"},
                        {"a": b"a"}, {"big": None, "small": None}])  # fmt: skip
    source = Source(Path(), Path(), Path(), text, parse(text))
    (found,) = [c for c in candidates(source, None, head) if c.rule == "run-then-delete"]
    assert (found.line, found.check) == (2, "same")
    assert found.dockerfile == (
        "FROM debian:12\nRUN make-small\nCOPY a /a\nRUN make-big \\\n    && rm -rf /big /small\n"
    )
    chained = "FROM debian:12\nRUN fetch /big\nRUN unpack /big\nRUN rm /big\nCMD [\"x\"]\n"
    head = built(chained, [{"bin/sh": b"sh"}, {"big": b"x" * 300}, {"out": b"o"}, {"big": None}])
    source = Source(Path(), Path(), Path(), chained, parse(chained))
    (found,) = [c for c in candidates(source, None, head) if c.rule == "run-then-delete"]
    assert found.dockerfile == (  # the RUN between reads the file: all three joined, in order
        'FROM debian:12\nRUN fetch /big \\\n    && unpack /big \\\n    && rm /big\nCMD ["x"]\n'
    )
    nothing = built(text, [{"bin/sh": b"sh"}, {"big/data": b"x"}, {"small": b"y"}, {"a": b"a"},
                           {"other": None}])  # fmt: skip
    assert [c for c in candidates(source, None, nothing) if c.rule == "run-then-delete"] == []


@needs_buildah
def test_a_file_written_by_one_run_and_deleted_by_a_later_one_is_advised_and_proven(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, repo / "busybox")
    (repo / "app.py").write_text("print(1)\n")
    (repo / "Dockerfile").write_text(DOCKERFILE)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "app.py").write_text("print(2)\n")
    git(repo, "commit", "-qam", "head")
    done = build(repo, tmp_path / "cache")
    assert done.code == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    rows = {row["line"]: row for row in report["instructions"]}
    assert rows[4]["wasted_bytes"] == 3 * MIB  # measured on the line that wrote it
    advice = {item["rule"]: item for item in report["advice"]}
    joined = advice["run-then-delete"]
    assert joined["line"] == 4
    assert joined["suggestion"] == (
        "RUN /bin/busybox dd if=/dev/urandom of=/download bs=1048576 count=3     && "
        "/bin/busybox cp /bin/busybox /kept \\\n    && /bin/busybox rm /download"
    )
    assert joined["status"] == "verified", joined
    assert joined["same_files"] is True
    assert joined["size_before"] - joined["size_after"] >= 3 * MIB
    assert "one RUN" in done.summary or "run-then-delete" in done.summary
