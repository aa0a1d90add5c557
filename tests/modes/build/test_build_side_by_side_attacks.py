"""Attacks by one build on the builds beside it: advice candidates are built two at a time, and
a ``RUN`` line sees every file its buildah sees (through ``/proc/<pid>/root``). Each build must
see only its own context copy and its own storage: no ``RUN`` line reads, rewrites or stops
what another build is building from, nor writes the storage the head's build left, which every
candidate reads."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from cicd_agent.modes.build.builder import Buildah, BuildFailed, Request
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, needs_buildah
from tests.modes.build.test_build_buildah import DOCKERFILE, build, git

VICTIM = (
    "FROM scratch\nCOPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox", "sleep", "5"]\nCOPY who /who\nRUN ["/bin/busybox", "sleep", "5"]\n'
)
"""A candidate whose image holds its context's ``who``, with time for another build to reach
the file in its context copy, in the layer its ``COPY`` made and in its container."""
DEPTH = 7
"""Folders below the work folder a ``RUN`` line looks in: a layer's file of an overlay storage
is six down (``run-<id>/root/overlay/<layer>/diff/who``)."""


def _shell(script: str) -> str:
    """A ``RUN`` line running ``script`` with busybox's shell (exec form)."""
    return 'RUN ["/bin/busybox", "sh", "-c", ' + json.dumps(script) + "]\n"


def _reacher(work: Path) -> str:
    """A candidate whose ``RUN`` line, for 20 s, looks through every process it sees for the
    other build: each file named ``who`` holding ``victim`` under the work folder, at any
    depth a storage or a context copy puts it, is rewritten (as many bytes: a layer's
    checksum by size still holds), and each process whose command line names the victim's
    folder is killed (``[c]tx-victim``: no match in grep's own command line). Its image's
    ``/seen`` says whether it found anything of the victim's."""
    globs = " ".join(f"/proc/[0-9]*/root{work}" + "/*" * depth + "/who" for depth in range(DEPTH))
    script = (
        "b=/bin/busybox; seen=0; mark=[c]tx-victim; "
        "for i in $($b seq 1 100); do "
        f"for f in {globs}; do "
        'if [ -f "$f" ] && [ "$($b cat "$f" 2>/dev/null)" = victim ]; then seen=1; '
        '$b printf forged > "$f" 2>/dev/null; fi; done; '
        "for p in /proc/[0-9]*; do "
        'if $b tr "\\0" " " < "$p/cmdline" 2>/dev/null | $b grep -q "$mark"; then seen=1; '
        '$b kill -9 "${p#/proc/}" 2>/dev/null; fi; done; '
        "$b sleep 0.2; done; echo $seen > /seen"
    )
    return "FROM scratch\nCOPY busybox /bin/busybox\n" + _shell(script)


@needs_buildah
@pytest.mark.timeout(400, method="thread")
def test_attack_a_run_line_of_one_candidate_reaches_nothing_the_other_builds_from(
    tmp_path: Path,
) -> None:
    """Two candidates build at once, each by a builder of its own (as advice builds them).
    One's ``RUN`` line rewrites each ``who`` file of the other it can reach (its context
    copy, its layers, its container) and kills each process of it it sees. Before: both
    built in the run's storage, whose folder each sandbox binds writable, with the context
    copies in it, so the line found the victim's files there through its buildah's
    ``/proc/<pid>/root``: the victim's image held ``forged`` or did not build."""
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    start = threading.Barrier(2)
    images: dict[str, Path] = {}
    failed: list[BaseException] = []

    def one(who: str, dockerfile: str) -> None:
        folder = tmp_path / f"ctx-{who}"
        folder.mkdir()
        assert BUSYBOX is not None
        shutil.copy(BUSYBOX, folder / "busybox")
        (folder / "Dockerfile").write_text(dockerfile)
        (folder / "who").write_text(who)
        apart = builder.apart()
        start.wait()
        try:
            done = apart.build(
                Request(folder, folder / "Dockerfile", tmp_path / f"out-{who}"), lambda _: None
            )
            images[who] = done.layout
        except BuildFailed as exc:
            failed.append(exc)

    threads = [
        threading.Thread(target=one, args=("victim", VICTIM)),
        threading.Thread(target=one, args=("attacker", _reacher(builder.work))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed, failed
    assert read_tree(read_layout(images["victim"]).layers).files["who"].read() == b"victim"
    assert read_tree(read_layout(images["attacker"]).layers).files["seen"].read() == b"0\n"
    assert not list(builder.work.glob("context-*"))  # each copy removed after its build


HEAD_LINE = _shell(
    "b=/bin/busybox; "
    "if $b cat /proc/[0-9]*/cmdline 2>/dev/null | $b tr '\\0' ' ' | $b grep -q '[/]advice-'; "
    "then mark=advice-was-here; else mark=head-was-here; fi; "
    "for s in /proc/[0-9]*/root{cache}/run-*; do "
    'if [ "$mark" = head-was-here ] || [ -e "$s/head-was-here" ]; then '
    '$b touch "$s/$mark" 2>/dev/null; fi; done; true'
)
"""A ``RUN`` line that, in the head's build, marks each storage folder it can write, and in an
advice build (its buildah's command line names the advice's Dockerfile) writes a mark into
each storage folder the head's build marked. Each pattern is written ``[/]advice-``, which
grep's own command line, in the list it reads, does not match."""


@needs_buildah
@pytest.mark.timeout(900, method="thread")
def test_attack_an_advice_build_does_not_write_the_storage_the_head_was_built_in(
    tmp_path: Path,
) -> None:
    """The mode end to end: every candidate reads the head's storage for its cache, so a
    candidate's ``RUN`` line that writes there chooses what the next candidate's cached steps
    hold. Before: every candidate built in the run's storage, writable to it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, repo / "busybox")
    (repo / "requirements.txt").write_text("flask==3.0\n")
    (repo / ".github").mkdir()
    (repo / ".github" / "ci.yml").write_text("on: push\n")
    (repo / "Dockerfile").write_text(DOCKERFILE)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    cache = tmp_path / "cache"
    (repo / "Dockerfile").write_text(DOCKERFILE + HEAD_LINE.replace("{cache}", str(cache)))
    git(repo, "commit", "-qam", "a step that marks the storages")
    done = build(repo, cache)
    assert done.code == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    built = [item for item in report["advice"] if item["size_after"] is not None]
    assert len(built) >= 2, report["advice"]  # candidates ran the line, two at a time
    marked = [folder.name for folder in cache.glob("run-*") if (folder / "head-was-here").exists()]
    assert marked, sorted(path.name for path in cache.iterdir())  # the head's line ran
    assert not list(cache.glob("run-*/advice-was-here"))
