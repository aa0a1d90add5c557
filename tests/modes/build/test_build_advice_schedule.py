"""How advice builds are scheduled: two at once in one storage (each with its own copy of the
context), each within the time left for advice, and none started once that time is spent."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from cicd_agent.modes.build import advice
from cicd_agent.modes.build.buildah import Buildah
from cicd_agent.modes.build.builder import BuildFailed, Request
from cicd_agent.modes.build.layer_archive import read_tree
from cicd_agent.modes.build.oci import read_layout
from tests.helpers.buildah import BUSYBOX, needs_buildah
from tests.modes.build.test_build_buildah import build, repository


def context(folder: Path, dockerfile: str, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    assert BUSYBOX is not None
    shutil.copy(BUSYBOX, folder / "busybox")
    (folder / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_advice_stops_at_three_times_the_longest_build_and_before_the_deadline() -> None:
    assert advice.budget(100.0, 60.0, 30) == 100.0 + 180.0
    assert advice.budget(100.0, 5.0, 30) == 100.0 + advice.AT_LEAST  # a build of seconds
    assert advice.budget(100.0, 600.0, 30) == 100.0 + 30 * 60 - advice.RESERVE
    assert advice.budget(100.0, 600.0, None) == 100.0 + 1800.0


SLOW = (
    "FROM scratch\nCOPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox", "sleep", "3"]\nCOPY who /who\n'
    'RUN ["/bin/busybox", "sleep", "2"]\n'
)


@needs_buildah
@pytest.mark.timeout(400, method="thread")
def test_two_builds_at_once_in_one_storage_each_build_their_own_context(tmp_path: Path) -> None:
    """Two advice builds run side by side in the run's storage. Before, every build copied its
    context to one folder of the storage: the second build's copy replaced the first's while
    it built (and the first removed it as it ended), so an image held the other's files or a
    build failed."""
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 300)
    start = threading.Barrier(2)
    images: dict[str, Path] = {}
    failed: list[BaseException] = []

    def one(who: str) -> None:
        folder = context(tmp_path / f"ctx-{who}", SLOW, {"who": who, f"only-{who}": who})
        start.wait()
        try:
            done = builder.build(
                Request(folder, folder / "Dockerfile", tmp_path / f"out-{who}"), lambda _: None
            )
            images[who] = done.layout
        except BuildFailed as exc:
            failed.append(exc)

    threads = [threading.Thread(target=one, args=(who,)) for who in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed, failed
    for who, layout in images.items():
        assert read_tree(read_layout(layout).layers).files["who"].read() == who.encode()
    assert not list(builder.work.glob("context*"))  # each copy removed after its build


@needs_buildah
@pytest.mark.timeout(240, method="thread")
def test_a_build_given_fewer_seconds_than_the_builders_stops_at_them(tmp_path: Path) -> None:
    """An advice build gets the time left for advice, not the run's whole deadline."""
    builder = Buildah(tmp_path / "job", {"PATH": "/usr/bin:/bin"}, 600)
    folder = context(
        tmp_path / "ctx",
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sleep", "100000"]\n',
        {},
    )
    started = time.monotonic()
    with pytest.raises(BuildFailed, match="stopped after 6 s"):
        builder.build(
            Request(folder, folder / "Dockerfile", tmp_path / "out", timeout=6), lambda _: None
        )
    assert time.monotonic() - started < 120


@needs_buildah
@pytest.mark.timeout(600, method="thread")
def test_advice_past_the_runs_time_for_it_is_unchecked_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the time for advice spent before it begins, no candidate is built: each one a
    build would check is ``unchecked`` with why, never verified or refuted, and the rest of
    the report is made as before."""
    monkeypatch.setattr(advice, "TIMES", 0.0)
    monkeypatch.setattr(advice, "AT_LEAST", 0.0)
    done = build(repository(tmp_path), tmp_path / "cache")
    assert done.code == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    built = {"copy-then-delete", "dependencies-before-copy", "dockerignore"}
    checked = {item["rule"]: item for item in report["advice"] if item["rule"] in built}
    assert set(checked) == built, report["advice"]
    for item in checked.values():
        assert item["status"] == "unchecked", item
        assert (
            item["why"] == "not built: the run's time for advice was spent (0× its longest build)"
        )
        assert item["size_after"] is None
    assert report["verified_advice"] == 0 and report["build_strategy"] == "cached"
    assert not (tmp_path / "cache" / "advice-0" / "image").exists()
