"""What the sandbox hides and binds back (``sandbox/mounts.py``), on real folders: a folder
``nobody`` cannot pass above a bound path is replaced so the bind stays reachable, and the
job's tools under an emptied folder come back, never through a link in the checkout."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cicd_agent.sandbox.mounts import (
    EMPTIED,
    Mounts,
    ToolMount,
    closed_folders,
    find_homes,
    tools_in_emptied_folders,
)


def test_the_outermost_folder_nobody_cannot_pass_above_a_bind_is_found() -> None:
    # pytest's own temporary folders are 0700 themselves: this tree starts in an open one
    root = Path(tempfile.mkdtemp(prefix="cicd-agent-mounts-", dir="/var/tmp"))
    try:
        root.chmod(0o755)
        closed = root / "closed"
        bound = closed / "open" / "tool"
        bound.mkdir(parents=True)
        closed.chmod(0o700)
        assert closed_folders([bound], []) == (closed,)
        assert closed_folders([bound], [root]) == ()  # already hidden whole
        closed.chmod(0o755)
        assert closed_folders([bound], []) == ()
    finally:
        shutil.rmtree(root)


def test_tools_under_an_emptied_folder_come_back_but_not_through_the_checkout(
    tmp_path: Path,
) -> None:
    assert any(tmp_path.is_relative_to(folder) for folder in EMPTIED), "tmp_path under /tmp"
    venv_bin = tmp_path / "venv" / "bin"
    node_bin = tmp_path / "web" / "node_modules" / ".bin"
    checkout = tmp_path / "checkout"
    for folder in (venv_bin, node_bin, checkout):
        folder.mkdir(parents=True)
    (checkout / "bin").symlink_to(venv_bin)
    search = ":".join(
        [str(venv_bin), str(node_bin), str(checkout / "bin"), "relative/bin", "/usr/bin"]
    )
    found = tools_in_emptied_folders(search, checkout)
    assert found == (venv_bin.parent, node_bin.parent)


def test_a_home_under_an_emptied_folder_or_given_relative_is_not_a_home_to_hide(
    tmp_path: Path,
) -> None:
    homes = find_homes({"HOME": str(tmp_path), "RUNNER_TEMP": "relative/_work/_temp"})
    assert all(home.is_absolute() and home != Path("/") for home in homes)
    assert tmp_path not in homes  # /tmp is emptied anyway
    assert Path("relative") not in homes


def test_credentials_moved_out_of_home_by_their_variables_are_hidden_too(tmp_path: Path) -> None:
    """Attack (red team): ``CARGO_HOME``, ``DOCKER_CONFIG`` and ``GNUPGHOME`` move credential
    folders out of the hidden home (a rust image's ``/usr/local/cargo``), where the host's
    tree shows: they are hidden there as under the home; a relative one names nothing."""
    moved = {"CARGO_HOME": tmp_path / "cargo", "DOCKER_CONFIG": tmp_path / "docker",
             "GNUPGHOME": tmp_path / "gnupg"}  # fmt: skip
    secrets = [moved["CARGO_HOME"] / "credentials.toml", moved["DOCKER_CONFIG"],
               moved["GNUPGHOME"]]  # fmt: skip
    moved["CARGO_HOME"].mkdir()
    secrets[0].write_text('[registry]\ntoken = "x"\n')
    secrets[1].mkdir()
    secrets[2].mkdir()
    (tmp_path / "home").mkdir()
    environ = {"HOME": str(tmp_path / "home"), **{k: str(v) for k, v in moved.items()}}

    hidden = Mounts.of(tmp_path / "checkout", tmp_path / "root", environ).hidden
    assert set(map(str, secrets)) <= set(hidden), hidden
    relative = Mounts.of(tmp_path / "checkout", tmp_path / "root",
                         {**environ, "CARGO_HOME": "cargo"}).hidden  # fmt: skip
    assert str(secrets[0]) not in relative and not any("/cargo/" in h for h in relative)


def test_a_toolchain_s_folder_comes_back_read_only_once_and_a_missing_one_not_at_all(
    tmp_path: Path,
) -> None:
    """The folders the runners' toolchains name (rustup's) are bound back read-only, each once
    whoever names it; one that is no folder is left out (bwrap would fail on it)."""
    (tmp_path / "home" / ".rustup").mkdir(parents=True)
    rustup = ToolMount(tmp_path / "home" / ".rustup", "RUSTUP_HOME")
    gone = ToolMount(tmp_path / "nowhere", "NOWHERE_HOME")
    mounts = Mounts.of(tmp_path / "checkout", tmp_path / "root", {"HOME": str(tmp_path / "home")},
                       (rustup, gone, rustup))  # fmt: skip
    assert mounts.tools == (rustup,)
    argv = mounts.arguments([], as_nobody=False)
    binds = [argv[i + 1] for i, word in enumerate(argv) if word == "--ro-bind"]
    assert binds.count(str(rustup.folder)) == 1
    assert str(gone.folder) not in argv
