"""Red-team attacks on the shared sandbox (gen-tests and the fix step): what a run can read
outside HOME, what a pull request's link can make us bind back, and a disk filler the byte
count misses. Every run is a real bubblewrap process."""

from __future__ import annotations

import os
import pwd
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.sandbox import Sandbox as GenTestsSandbox
from cicd_agent.sandbox import Limits, Sandbox
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

pytestmark = needs_sandbox
RUNNER_KEY = "runner-rsa-private-key-5b1f"
DIAG_TEXT = "worker-diag-job-message-7c2e"


def _spy(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A folder outside /tmp (which every run sees emptied whatever the sandbox does)."""
    folder = Path(tempfile.mkdtemp(prefix=".cicd-agent-red-team-", dir=Path.home()))
    assert not folder.is_relative_to("/tmp")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pretend_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The password database's home is ``home`` too (a runner user's), not this machine's."""
    real = pwd.getpwuid(os.getuid())
    fake = pwd.struct_passwd((*real[:5], str(home), real[6]))
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: fake)


def test_a_self_hosted_runners_own_folder_outside_home_is_hidden(
    outside_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: a self-hosted runner installed outside HOME (``/opt/actions-runner``, a container's
    ``/actions-runner``) keeps its private key (``.credentials_rsaparams``), its OAuth client
    (``.credentials``) and the worker's logs (``_diag``) beside ``_work``, where the checkout
    lies. A run reads them through the checkout's own path: with the key, anyone can act as
    the runner and take other jobs, secrets included."""
    home, runner = outside_tmp / "home", outside_tmp / "actions-runner"
    home.mkdir()
    _pretend_home(monkeypatch, home)
    (runner / "_diag").mkdir(parents=True)
    (runner / ".runner").write_text('{"agentId": 7}\n')
    (runner / ".credentials_rsaparams").write_text(RUNNER_KEY)
    (runner / "_diag" / "Worker_20261123.log").write_text(DIAG_TEXT)
    checkout = runner / "_work" / "repo" / "repo"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (runner / "_work" / "_temp").mkdir()
    env = {
        "PATH": path_env(),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "RUNNER_TEMP": str(runner / "_work" / "_temp"),
    }
    spy = _spy(
        f"""
        import pathlib
        for name in (".credentials_rsaparams", "_diag/Worker_20261123.log"):
            try:
                print("READ", pathlib.Path({str(runner)!r}, name).read_text())
            except OSError as exc:
                print("unreadable", name, exc.errno)
        import pkg
        print("pkg", pkg.VALUE)
        """
    )
    with Sandbox(checkout, env) as box:
        result = box.run(spy, box.workspace("runner"), timeout=60)
    assert result.ok, result.output
    assert RUNNER_KEY not in result.output and DIAG_TEXT not in result.output, result.output
    assert "pkg 1" in result.output


def test_a_link_in_the_checkout_on_path_chooses_nothing_that_is_bound_back(
    outside_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attack: the job puts a folder of the checkout on PATH (``$GITHUB_WORKSPACE/bin``, a
    ``.venv/bin`` or ``node_modules/.bin`` it adds to ``GITHUB_PATH``); the pull request makes
    that folder a link into the hidden home (``bin -> ~/actions-runner/bin``). Following it
    on the host, the sandbox bound the link's target's parent back: the runner's folder."""
    home = outside_tmp / "home"
    runner = home / "actions-runner"
    (runner / "bin").mkdir(parents=True)
    (runner / ".credentials_rsaparams").write_text(RUNNER_KEY)
    _pretend_home(monkeypatch, home)
    checkout = home / "work" / "repo" / "repo"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (checkout / "bin").symlink_to(runner / "bin", target_is_directory=True)
    env = {"PATH": f"{checkout / 'bin'}:{path_env()}", "HOME": str(home), "LANG": "C.UTF-8"}
    spy = _spy(
        f"""
        import pathlib
        try:
            print("READ", pathlib.Path({str(runner / ".credentials_rsaparams")!r}).read_text())
        except OSError as exc:
            print("unreadable", exc.errno)
        import pkg
        print("pkg", pkg.VALUE)
        """
    )
    with Sandbox(checkout, env) as box:
        result = box.run(spy, box.workspace("link"), timeout=60)
    assert result.ok, result.output
    assert RUNNER_KEY not in result.output, result.output
    assert "pkg 1" in result.output


def test_a_run_that_fills_the_disk_with_empty_folders_is_killed(tmp_path: Path) -> None:
    """Attack: the disk limit counted files' sizes only. Empty folders (a 4 KiB block and an
    inode each) and the entries of a huge folder count nothing, so a run filled the disk (or
    its inodes) past the limit unchecked. Here 1 MiB is allowed and 6,000 folders (about
    24 MiB of blocks) are made, then the run waits to be measured."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    spy = _spy(
        """
        import os, time
        os.mkdir("filler")
        for number in range(6000):
            os.mkdir(f"filler/{number:0>200}")
        print("made them all", flush=True)
        time.sleep(30)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits(disk_bytes=1 << 20)) as box:
        result = box.run(spy, box.workspace("filler"), timeout=20)
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()


@pytest.mark.skipif(os.geteuid() != 0, reason="only an agent running as root holds root's files")
@pytest.mark.parametrize("kind", [Sandbox, GenTestsSandbox], ids=["fix-step", "gen-tests"])
def test_an_agent_running_as_root_lends_no_root_only_file(
    tmp_path: Path, kind: type[Sandbox]
) -> None:
    """Attack: the agent runs as root (a self-hosted runner's service, a job ``container:``,
    whose steps are root by default). bwrap's user namespace maps root to root and drops
    capabilities, but a file root owns is still its owner's: ``/etc/shadow`` (0640), the host's
    SSH keys (0600) and cloud-init's user data are read by any run, whose owner check passes.
    The run must still write its copy, HOME and TMPDIR, and we must read back what it wrote."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    assert Path("/etc/shadow").read_text()  # we can, outside
    spy = _spy(
        """
        import os, pathlib
        print("ids", os.getuid(), os.getgid(), os.getgroups())
        try:
            print("READ", len(open("/etc/shadow").read()))
        except OSError as exc:
            print("unreadable", exc.errno)
        pathlib.Path("pkg/written.py").write_text("WRITTEN = 2\\n")
        for place in (os.environ["HOME"], os.environ["TMPDIR"]):
            pathlib.Path(place, "note").write_text("here")
        import pkg
        print("pkg", pkg.VALUE)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with kind(checkout, env) as box:
        space = box.workspace("root")
        result = box.run(spy, space, timeout=60)
        assert result.ok, result.output
        assert "unreadable 13" in result.output, result.output
        assert "ids 65534 65534 []" in result.output, result.output
        assert "pkg 1" in result.output, result.output
        assert (space.repo / "pkg" / "written.py").read_text() == "WRITTEN = 2\n"
        assert (space.home / "note").read_text() == (space.tmp / "note").read_text() == "here"
        again = box.run(spy, space, timeout=60)  # a second run in the same folder
        assert again.ok, again.output


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands a run's folder over to nobody")
def test_links_a_run_leaves_behind_hand_over_no_host_file(
    tmp_path: Path, outside_tmp: Path
) -> None:
    """Attack on the hand-over: as root, each run's folder is given to ``nobody`` (``chown``)
    before the run starts. A first run leaves links to host files and folders there (a file
    of root's, a folder of root's); the second run's hand-over must change the links, never
    what they point at, or the next run reads and rewrites that file."""
    secret = outside_tmp / "root-only"
    secret.write_text("root's own\n")
    secret.chmod(0o600)
    folder = outside_tmp / "root-folder"
    folder.mkdir(mode=0o700)
    (folder / "inside").write_text("also root's\n")
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    plant = _spy(
        f"""
        import os
        os.symlink({str(secret)!r}, "to-file")
        os.symlink({str(folder)!r}, "to-folder")
        os.mkdir("deep")
        os.symlink({str(folder)!r}, "deep/to-folder")
        print("planted")
        """
    )
    read = _spy(
        f"""
        for name in ({str(secret)!r}, {str(folder / "inside")!r}):
            try:
                print("READ", open(name).read())
            except OSError as exc:
                print("unreadable", exc.errno)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        space = box.workspace("links")
        planted = box.run(plant, space, timeout=60)
        assert planted.ok, planted.output
        result = box.run(read, space, timeout=60)
    assert result.ok, result.output
    assert "READ" not in result.output, result.output
    for path in (secret, folder, folder / "inside"):
        assert path.stat().st_uid == 0, path
    assert secret.stat().st_mode & 0o777 == 0o600


def test_a_run_that_exhausts_inodes_with_empty_files_is_killed(tmp_path: Path) -> None:
    """Attack: empty files take no block and their short names little room in their folder,
    so millions of them (the disk's inodes, which every later step needs) counted almost
    nothing. Here 1 MiB is allowed and 3,000 empty files are made."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    spy = _spy(
        """
        import os, time
        os.mkdir("filler")
        for number in range(3000):
            open(f"filler/{number}", "w").close()
        print("made them all", flush=True)
        time.sleep(30)
        """
    )
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits(disk_bytes=1 << 20)) as box:
        result = box.run(spy, box.workspace("inodes"), timeout=20)
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()


def test_a_run_that_fills_a_shared_folder_is_killed(tmp_path: Path) -> None:
    """Attack: gen-tests lets a suite's run write its coverage data folder (``shared``), which
    the run finds named in ``COVERAGE_PROCESS_START``'s configuration. The disk limit measured
    the workspace alone, so a test filled the runner's disk through that folder unchecked.
    Here 1 MiB is allowed and 8 MiB are written there."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env, limits=Limits(disk_bytes=1 << 20)) as box:
        space = box.workspace("shared")
        shared = space.scratch("coverage", ".data")
        shared.mkdir()
        spy = _spy(
            f"""
            import time
            with open({str(shared / ".coverage.filler")!r}, "wb") as handle:
                handle.write(bytes(8 << 20))
            print("filled", flush=True)
            time.sleep(30)
            """
        )
        result = box.run(spy, space, timeout=20, shared=[shared])
    assert not result.timed_out, result.output
    assert result.killed_for.startswith("it wrote more than 1 MiB"), result.describe()
