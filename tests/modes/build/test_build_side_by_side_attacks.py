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

from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import BuildFailed, Request
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


CHECK = (
    "b=/bin/busybox; "
    "for d in /proc/[0-9]*/root{work}/run-*/root/overlay/*/diff/who; do "
    '[ "$($b cat "$d" 2>/dev/null)" = real ] && $b printf "fake\\n" > "$d" 2>/dev/null; done; true'
)
"""The image's ``/check``, which the smoke command runs: it rewrites each ``who`` of a layer in
every storage its buildah's process shows (as many bytes)."""


@needs_buildah
@pytest.mark.timeout(400, method="thread")
def test_the_heads_smoke_command_changes_nothing_advice_builds_from(tmp_path: Path) -> None:
    """The smoke command runs the head's image, whose files are the pull request's, before
    advice is built, and candidates take the head's steps from the storage it was built in.
    The image's own program, run by the smoke command, rewrites the layer of ``COPY who``
    there. Before: the smoke command ran in that storage, writable to it, so a candidate's
    ``RUN`` read ``fake`` where the head's image holds ``real``."""
    context = tmp_path / "ctx"
    context.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "who").write_text("real\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    check = CHECK.replace("{work}", str(builder.work))
    (context / "check").write_text("#!/bin/busybox sh\n" + check + "\n")
    (context / "check").chmod(0o755)
    common = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\nCOPY check /check\n"
    common += "COPY who /who\n"
    (context / "Head").write_text(common)
    (context / "Advice").write_text(common + _shell("/bin/busybox cat /who > /seen"))
    head = builder.build(Request(context, context / "Head", tmp_path / "head"), lambda _: None)
    assert read_tree(read_layout(head.layout).layers).files["who"].read() == b"real\n"
    status, tail = builder.smoke(head.image, "/check", 120)
    assert status == 0, tail
    advice = builder.apart().build(
        Request(context, context / "Advice", tmp_path / "advice"), lambda _: None
    )
    assert 5 in advice.cached  # the head's COPY who, from its storage
    files = read_tree(read_layout(advice.layout).layers).files
    assert (files["who"].read(), files["seen"].read()) == (b"real\n", b"real\n")


SHADOW = (
    "b=/bin/busybox; "
    "for d in /proc/[0-9]*/root{work}/trusted/root/overlay/*/diff/who; do "
    '[ -f "$d" ] || continue; l=${d%/diff/who}; id=${l##*/}; n=$($b cat $l/link); '
    "for s in /proc/[0-9]*/root{work}/run-*/root/overlay; do "
    "w=${s#/proc/*/root}; f=$s/../../fake; "
    "$b mkdir -p $f/a/b/c/d $f/trusted/root/overlay/$id/diff; "
    "echo fake > $f/trusted/root/overlay/$id/diff/who; "
    "$b ln -sfn ${w%/root/overlay}/fake/a/b/c/d $s/sneak; "
    "$b ln -sfn ../sneak/../../../../trusted/root/overlay/$id/diff $s/l/$n; done; done; true"
)
"""A ``RUN`` line of the head's build, writing only the storage it is built in: for the kept
storage's layer holding ``who``, a short link of the same name (``l/<name>``, which the overlay
driver looks up in a build's own storage and then in each it reads, in order) whose target
reads, as text, as that layer's folder (``link/../sneak/../../../../trusted/...``: what skopeo
reads when it copies the image), and, followed through ``sneak``, a folder the line wrote
(what the kernel mounts under a later build's ``RUN``)."""


@needs_buildah
@pytest.mark.timeout(400, method="thread")
def test_a_heads_run_line_changes_no_layer_advice_builds_on(tmp_path: Path) -> None:
    """The base's build fills the kept storage; the head's last ``RUN`` line plants a short
    link in the run's storage (:data:`SHADOW`); a candidate built beside it reads ``/who`` in
    a ``RUN`` line of its own, on top of the kept layer that holds it. Before: the overlay
    driver looked the kept layer's short name up in the run's storage first, so the line read
    ``fake`` where every image showed ``real``; now a storage whose links do not hold is not
    read by a candidate (vfs storages have no links)."""
    context = tmp_path / "ctx"
    context.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "who").write_text("real\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    common = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY who /who\n"
    (context / "Base").write_text(common)
    (context / "Head").write_text(common + _shell(SHADOW.replace("{work}", str(builder.work))))
    (context / "Advice").write_text(common + _shell("/bin/busybox cat /who > /seen"))
    builder.build(
        Request(context, context / "Base", tmp_path / "base", trusted=True), lambda _: None
    )
    head = builder.build(Request(context, context / "Head", tmp_path / "head"), lambda _: None)
    assert read_tree(read_layout(head.layout).layers).files["who"].read() == b"real\n"
    apart = builder.apart()
    advice = apart.build(Request(context, context / "Advice", tmp_path / "advice"), lambda _: None)
    files = read_tree(read_layout(advice.layout).layers).files
    assert (files["who"].read(), files["seen"].read()) == (b"real\n", b"real\n")
    if builder.storage == "overlay":  # the head's storage, its links forged, is not read
        assert apart.own.reads == (builder.kept.folder,)


LOWER = (
    "b=/bin/busybox; "
    "for d in /proc/[0-9]*/root{work}/trusted/root/overlay/*/diff/who; do "
    '[ "$($b cat "$d" 2>/dev/null)" = fake ] || continue; l=${d%/diff/who}; '
    'f="l/$($b cat $l/link):$($b cat $l/lower)"; done; '
    "for x in /proc/[0-9]*/root{work}/run-*/root/overlay/*/diff/extra; do "
    '$b printf %s "$f" > "${x%/diff/extra}/lower" 2>/dev/null; done; true'
)
"""A ``RUN`` line of the head's build that rewrites the ``lower`` file of its own layer of
``COPY extra`` (the short names of the layers below it) to name a kept layer of another image,
one holding a fake ``/who``, and that layer's own lower layers: every link stays one the
driver made."""


@needs_buildah
@pytest.mark.timeout(400, method="thread")
def test_a_heads_run_line_moves_no_layer_of_its_own_onto_other_layers(tmp_path: Path) -> None:
    """The kept storage holds two images (``who`` real, and fake); the head adds a layer of its
    own on the real one, and its last ``RUN`` line rewrites that layer's ``lower`` file
    (:data:`LOWER`). A candidate taking that layer from the cache reads ``/who`` in a ``RUN``
    line: with links checked alone it read ``fake`` while both images show ``real``; each
    layer's ``lower`` must name its parents as the storage's layer list has them."""
    context = tmp_path / "ctx"
    context.mkdir()
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "who").write_text("real\n")
    (context / "fake").write_text("fake\n")
    (context / "extra").write_text("extra\n")
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    common = "FROM scratch\nCOPY busybox /bin/busybox\n"
    (context / "Base").write_text(common + "COPY who /who\n")
    (context / "Other").write_text(common + "COPY fake /who\n")
    mine = common + "COPY who /who\nCOPY extra /extra\n"
    (context / "Head").write_text(mine + _shell(LOWER.replace("{work}", str(builder.work))))
    (context / "Advice").write_text(mine + _shell("/bin/busybox cat /who > /seen"))
    for name in ("Base", "Other"):
        builder.build(
            Request(context, context / name, tmp_path / name, trusted=True), lambda _: None
        )
    head = builder.build(Request(context, context / "Head", tmp_path / "head"), lambda _: None)
    assert read_tree(read_layout(head.layout).layers).files["who"].read() == b"real\n"
    advice = builder.apart().build(
        Request(context, context / "Advice", tmp_path / "advice"), lambda _: None
    )
    files = read_tree(read_layout(advice.layout).layers).files
    assert (files["who"].read(), files["seen"].read()) == (b"real\n", b"real\n")
