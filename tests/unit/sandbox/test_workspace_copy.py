"""What the sandbox's copy of a checkout leaves out (found by the third red team): a
credential file an earlier step of the job wrote into the workspace is not the pull
request's to read; and what it must still copy (fourth): a tree nested deeper than Python's
recursion allows, which git checks out without complaint."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from cicd_agent.sandbox import Sandbox
from cicd_agent.sandbox.workspace import copy_repository
from tests.harness.temp_folders import remove_tree
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox


def test_a_cloud_credential_file_left_in_the_workspace_is_not_copied(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    (source / "src").mkdir(parents=True)
    (source / "src" / "app.py").write_text("X = 1\n")
    (source / "gha-creds-1a2b3c4d5e6f.json").write_text('{"type": "external_account"}\n')
    target = tmp_path / "copy"
    copy_repository(source, target)
    assert (target / "src" / "app.py").is_file()
    assert not (target / "gha-creds-1a2b3c4d5e6f.json").exists()


_DEPTH = 1200


def _git(*argv: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *argv],
        cwd=cwd, check=True, capture_output=True, timeout=120,
    )  # fmt: skip


@needs_sandbox
def test_a_checkout_nested_deeper_than_python_recurses_is_copied_and_runs(
    tmp_path: Path,
) -> None:
    """Attack: a pull request commits ``a/a/…/test_deep.py`` 1200 folders deep (git checks it
    out; its path is 2400 bytes). The copy into the sandbox recursed once a folder
    (``shutil.copytree``) and raised RecursionError: no sandbox could be made for the pull
    request, so none of its code ran and nothing the sandbox runs (its linters, its tests,
    the fix step) happened. The copy walks without recursion; the run sees the deep file."""
    origin = tmp_path / "origin"
    origin.mkdir()
    _git("init", "-q", cwd=origin)
    folder = os.open(origin, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(_DEPTH):  # made relative to each folder: Python's makedirs recurses
            os.mkdir("a", dir_fd=folder)
            deeper = os.open("a", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = deeper
        made = os.open("test_deep.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder)
        os.write(made, b"def test_deep():\n    pass\n")
        os.close(made)
    finally:
        os.close(folder)
    _git("add", "-A", cwd=origin)
    _git("commit", "-qm", "deep", cwd=origin)
    checkout = tmp_path / "checkout"
    _git("clone", "-q", str(origin), str(checkout), cwd=tmp_path)
    deep = "/".join(["a"] * _DEPTH) + "/test_deep.py"
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    try:
        with Sandbox(checkout, env) as box:
            space = box.workspace("deep")
            probe = f"print(open({deep!r}).read().splitlines()[0])"
            result = box.run([sys.executable, "-c", probe], space, timeout=60)
    finally:
        subprocess.run(["rm", "-rf", "--", str(origin), str(checkout)], check=False, timeout=120)
    assert result.ok, (result.describe(), result.output)
    assert result.output == "def test_deep():\n", result.output


@needs_sandbox
def test_a_path_that_fits_in_the_checkout_but_not_in_the_copy_does_not_break_the_sandbox(
    tmp_path: Path,
) -> None:
    """Attack: a pull request commits a file whose path is 4065 bytes, forty-one folders deep,
    which git checks out under a short checkout folder; its copy under the sandbox's own
    folder is past 4096 bytes. The copy and the disk measure go by descriptors; the run
    reads the file by its path relative to the copy."""
    short = Path(tempfile.mkdtemp(prefix="c", dir="/tmp"))
    try:
        origin, checkout = short / "o", short / "c"
        origin.mkdir()
        _git("init", "-q", cwd=origin)
        relative = "/".join(["b" * 99] * 40 + ["c" * 60, "t.py"])
        folder = os.open(origin, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in relative.split("/")[:-1]:
                os.mkdir(part, dir_fd=folder)
                deeper = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
                os.close(folder)
                folder = deeper
            made = os.open("t.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder)
            os.write(made, b"X = 1\n")
            os.close(made)
        finally:
            os.close(folder)
        _git("add", "-A", cwd=origin)
        _git("commit", "-qm", "long", cwd=origin)
        _git("clone", "-q", str(origin), str(checkout), cwd=short)
        env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
        with Sandbox(checkout, env) as box:
            probe = f"print(open({relative!r}).read(), end='')"  # relative: under 4096 bytes
            result = box.run([sys.executable, "-c", probe], box.workspace("long"), timeout=60)
    finally:
        subprocess.run(["rm", "-rf", "--", str(short)], check=False, timeout=120)
    assert result.ok, (result.describe(), result.output)
    assert result.output == "X = 1\n", result.output


_FULL_DISK = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    from cicd_agent.actions.errors import UsageError
    from cicd_agent.sandbox import Sandbox
    tempfile.tempdir = sys.argv[2]
    try:
        Sandbox(Path(sys.argv[1]), {"PATH": "/usr/bin:/bin"})
    except UsageError as exc:
        print(f"UsageError: {exc}")
    """
)


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="mounts a small file system"
)
def test_a_checkout_the_sandbox_cannot_copy_is_one_plain_error(tmp_path: Path) -> None:
    """Common sense: whatever still stops the copy (here the sandbox's own disk is full) is
    one sentence naming where and why, not an internal error with a trace: the copy of a
    2 MiB file into a 1 MiB file system, in a mount namespace of the test's own."""
    checkout = tmp_path / "checkout"
    (checkout / "data" / "big").mkdir(parents=True)
    (checkout / "data" / "big" / "blob.bin").write_bytes(bytes(2 << 20))
    small = tmp_path / "small"
    small.mkdir()
    mount = f'mount -t tmpfs -o size=1m tmpfs {small} && exec "$@"'
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh",
         sys.executable, "-c", _FULL_DISK, str(checkout), str(small)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    said = done.stdout.strip()
    assert said.startswith(
        "UsageError: the sandbox cannot copy the checkout: data/big: No space left on device"
    ), (said, done.stderr[-2000:])
    assert len(said.splitlines()) == 1


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="mounts a small file system"
)
def test_a_copy_error_naming_a_hostile_folder_stays_one_line(tmp_path: Path) -> None:
    """Attack (found by the fifth red team): the usage error names the folder the copy
    stopped in, and the pull request names its folders: a line end and a workflow command in
    one (``::warning::``, ``::add-mask::``) made the one line two, the second the pull
    request's; a name that is not UTF-8 too. Shown escaped, the error stays one line."""
    checkout = tmp_path / "checkout"
    hostile = os.fsdecode(b"big\n::warning::forged \xff")
    (checkout / hostile).mkdir(parents=True)
    (checkout / hostile / "blob.bin").write_bytes(bytes(2 << 20))
    small = tmp_path / "small"
    small.mkdir()
    mount = f'mount -t tmpfs -o size=1m tmpfs {small} && exec "$@"'
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh",
         sys.executable, "-c", _FULL_DISK, str(checkout), str(small)],
        capture_output=True, text=True, timeout=120, check=False, errors="replace",
    )  # fmt: skip
    said = done.stdout.strip()
    assert said.startswith(
        "UsageError: the sandbox cannot copy the checkout: big\\n::warning::forged \\xff: "
        "No space left on device"
    ), (said, done.stderr[-2000:])
    assert len(said.splitlines()) == 1


_FEW_DESCRIPTORS = textwrap.dedent(
    """
    import os, resource, sys
    from pathlib import Path
    from cicd_agent.sandbox.limits import tree_bytes
    from cicd_agent.sandbox.workspace import copy_repository
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    copy_repository(source, target)
    print(tree_bytes(source) == tree_bytes(target))
    """
)


def test_a_tree_deeper_than_the_descriptor_limit_is_copied_and_measured(tmp_path: Path) -> None:
    """Common sense: the walk keeps one descriptor open, not one a level, so a tree 300 deep
    is copied and measured by a process that may open 64 (a default limit is 1024, and a pull
    request chooses how deep its folders go)."""
    source = tmp_path / "source"
    source.mkdir()
    folder = os.open(source, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(300):
            os.mkdir("d", dir_fd=folder)
            deeper = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = deeper
        os.close(os.open("bottom.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folder))
    finally:
        os.close(folder)
    target = tmp_path / "target"
    try:
        done = subprocess.run(
            [sys.executable, "-c", _FEW_DESCRIPTORS, str(source), str(target)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        copied = (target / "/".join(["d"] * 300) / "bottom.py").is_file()
    finally:
        remove_tree(source)
        remove_tree(target)
    assert done.stdout == "True\n", done.stderr[-2000:]
    assert copied


def test_a_sparse_file_is_copied_sparse(tmp_path: Path) -> None:
    """Attack (found by the fifth red team): a file of 256 MiB that holds two words and a hole
    (a step before ours made it; git never writes holes) took 256 MiB in the copy, written
    out as zeros: the same file at a terabyte fills the runner's disk before any run starts.
    The copy keeps the holes: what it writes is what the checkout holds."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    with open(checkout / "sparse.img", "wb") as handle:
        handle.write(b"head")
        handle.seek((256 << 20) - 4)
        handle.write(b"tail")
    if os.stat(checkout / "sparse.img").st_blocks * 512 >= 1 << 20:
        pytest.skip("this file system keeps no holes")
    copy_repository(checkout, tmp_path / "copy")
    copied = tmp_path / "copy" / "sparse.img"
    assert copied.stat().st_size == 256 << 20
    assert copied.stat().st_blocks * 512 < 1 << 20
    with open(copied, "rb") as handle:
        assert handle.read(4) == b"head"
        handle.seek((256 << 20) - 4)
        assert handle.read() == b"tail"


_AS_THE_JOBS_USER = textwrap.dedent(
    """
    import importlib.readers, os, sys, tempfile
    from pathlib import Path
    from cicd_agent.analysis.secrets.loading import rule_set
    from cicd_agent.actions.errors import UsageError
    from cicd_agent.sandbox import Sandbox
    rule_set()  # read while root: the interpreter's own folders may be closed to nobody
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    tempfile.tempdir = sys.argv[2]
    try:
        Sandbox(Path(sys.argv[1]), {"PATH": "/usr/bin:/bin"}).close()
    except UsageError as exc:
        print(f"UsageError: {exc}")
    """
)


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the copy as another user")
def test_a_top_folder_its_owner_cannot_enter_is_one_plain_error() -> None:
    """Attack (found by the fifth red team): the job's user (not root, as on a hosted runner)
    owns a top-level folder it may list but not enter (mode 0600: an earlier step's
    ``chmod``). The search for linked virtual environments asked for ``pyvenv.cfg`` inside it
    and raised PermissionError: an internal error with a trace, where a folder deeper down
    is one usage error naming it."""
    made = Path(tempfile.mkdtemp(prefix="rt-closed-"))
    try:
        checkout, temp = made / "checkout", made / "temp"
        (checkout / "closed").mkdir(parents=True)
        (checkout / "closed" / "inside.py").write_text("x = 1\n")
        temp.mkdir()
        for path in (made, checkout, checkout / "closed", checkout / "closed" / "inside.py", temp):
            os.chown(path, 65534, 65534)
        (checkout / "closed").chmod(0o600)
        done = subprocess.run(
            [sys.executable, "-c", _AS_THE_JOBS_USER, str(checkout), str(temp)],
            capture_output=True, text=True, timeout=120, check=False, cwd=made,
            env={**os.environ, "HOME": str(temp)},
        )  # fmt: skip
        said = done.stdout.strip()
        expected = "UsageError: the sandbox cannot copy the checkout: closed: Permission denied"
        assert said.startswith(expected), (said, done.stderr[-2000:])
        assert len(said.splitlines()) == 1
    finally:
        remove_tree(made)


_MEASURED_AS_ITS_OWNER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from cicd_agent.sandbox.limits import tree_bytes
    from cicd_agent.sandbox.workspace import copy_repository
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    top = Path(sys.argv[1])
    os.mkdir(top / "checkout" / "empty", 0o600)
    os.mkdir(top / "run" / "hidden", 0o600)
    print(tree_bytes(top / "run"))
    copy_repository(top / "checkout", top / "copy")
    print(sorted(os.listdir(top / "copy")), oct(os.stat(top / "copy" / "empty").st_mode & 0o777))
    """
)


@pytest.mark.skipif(os.geteuid() != 0, reason="walks as another user")
def test_a_folder_its_owner_may_list_but_not_search_is_walked() -> None:
    """Attack (found by the fifth red team): where the agent is not root, a run is the agent's
    own user, and ``chmod 600`` on a folder of its own leaves it listable but not searchable
    by either. The walk went back up by opening ``..`` inside it, which raised
    PermissionError: the disk measure of every poll crashed the host side, and a checkout
    holding such a folder, empty (all its owner can read), could not be copied."""
    made = Path(tempfile.mkdtemp(prefix="rt-closed-"))
    try:
        for name in ("checkout", "run"):
            (made / name).mkdir()
            (made / name / "kept.txt").write_text("x")
        for path in (made, made / "checkout", made / "run", *made.glob("*/kept.txt")):
            os.chown(path, 65534, 65534)
        done = subprocess.run(
            [sys.executable, "-c", _MEASURED_AS_ITS_OWNER, str(made)],
            capture_output=True, text=True, timeout=120, check=False, cwd=made,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        measured, copied = done.stdout.splitlines()
        assert int(measured) == 2 * 4096  # the file and the closed folder
        assert copied == "['empty', 'kept.txt'] 0o755"
    finally:
        remove_tree(made)


def test_names_of_one_file_are_copied_as_names_of_one_copy(tmp_path: Path) -> None:
    """Attack (found by the fifth red team): the copy wrote each name of a file as a file of
    its own: 50 names of a 1 MiB file (in folders of their own) made a 50 MiB copy, and the
    65000 names a file may have on ext4 make a GiB fill any disk before a run starts. Each
    further name is now a name of the copy."""
    checkout = tmp_path / "checkout"
    (checkout / "deep" / "er").mkdir(parents=True)
    (checkout / "big").write_bytes(b"x" * (1 << 20))
    for number in range(50):
        os.link(checkout / "big", checkout / ("deep/er" if number % 2 else "deep") / f"n{number}")
    copy_repository(checkout, tmp_path / "copy")
    first = (tmp_path / "copy" / "big").stat()
    assert first.st_nlink == 51
    assert (tmp_path / "copy" / "deep" / "er" / "n1").stat().st_ino == first.st_ino
    assert (tmp_path / "copy" / "deep" / "n0").read_bytes() == b"x" * (1 << 20)


def test_hidden_paths_inside_the_checkout_are_not_copied(tmp_path: Path) -> None:
    """Attack (red team): a credential path the sandbox hides can lie in the checkout (a
    ``CARGO_HOME`` cached in the workspace): hiding it at its place is not enough when each
    run works in a copy; the copy leaves it out, and a hidden path elsewhere changes nothing."""
    source = tmp_path / "checkout"
    (source / ".cargo-home").mkdir(parents=True)
    (source / ".cargo-home" / "credentials.toml").write_text("token\n")
    (source / ".cargo-home" / "registry.txt").write_text("kept\n")
    (source / "app.py").write_text("x = 1\n")
    hidden = [str(source / ".cargo-home" / "credentials.toml"), str(tmp_path / "elsewhere")]
    copy_repository(source, tmp_path / "copy", hidden)

    assert not (tmp_path / "copy" / ".cargo-home" / "credentials.toml").exists()
    assert (tmp_path / "copy" / ".cargo-home" / "registry.txt").read_text() == "kept\n"
    assert (tmp_path / "copy" / "app.py").exists()


def test_attack_a_linked_folder_the_pull_request_commits_is_not_the_jobs_install(
    tmp_path: Path,
) -> None:
    """A copy links a virtualenv and ``node_modules`` alike; only one of which the index holds
    no file is the job's install, whose modules the in-run check takes as the job's (a committed
    ``pyvenv.cfg`` makes ``venv`` the pull request's, its pytest with it)."""
    from cicd_agent.sandbox import installed_folders
    from tests.git_builder import GitRepoBuilder

    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit("base", {"venv/pyvenv.cfg": "home = /usr/bin\n", "a.py": ""})
    for name in (".venv", "node_modules"):
        (repo.path / name).mkdir()
    (repo.path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    linked = ["venv", ".venv", "node_modules"]
    assert installed_folders(repo.path, linked) == (".venv", "node_modules")
    assert installed_folders(tmp_path, linked) == ()  # no repository: git cannot say


@needs_sandbox
def test_attack_a_run_writes_node_modules_caches_of_its_own_and_no_package_or_checkout(
    tmp_path: Path,
) -> None:
    """Attack on the copy's ``node_modules`` (a folder of its own whose entries link to the
    checkout's, tool caches left out): the checkout's ``.cache`` and ``.vite`` are links out
    of it (``.cache -> <a folder of the host>``); a run writes in them, in a package through
    its link, in the checkout itself (a folder holding ``pyvenv.cfg``, for a later sandbox to
    take as an install), and swaps a package's link for a folder of its own. Only the copy
    changes: its caches are its own folders, packages and checkout stay read-only, the next
    run in that copy finds the package's link again, and the next copy nothing the run left."""
    checkout, host = tmp_path / "checkout", tmp_path / "host"
    host.mkdir()
    modules = checkout / "node_modules"
    (modules / "pkg").mkdir(parents=True)
    (modules / "pkg" / "index.js").write_text("module.exports = 1\n")
    for cache in (".cache", ".vite"):
        (modules / cache).symlink_to(host, target_is_directory=True)
    spy = [sys.executable, "-c", textwrap.dedent(
        f"""
        import os, pathlib
        def attempt(what, do):
            try:
                do()
                print("WROTE", what)
            except OSError as exc:
                print("refused", what, exc.errno)
        for cache in (".cache", ".vite"):
            os.makedirs("node_modules/" + cache, exist_ok=True)  # as the tool does: not there
            attempt(cache, lambda: pathlib.Path("node_modules", cache, "x").write_text("x"))
        attempt("package", lambda: pathlib.Path("node_modules/pkg/evil.js").write_text("x"))
        attempt("checkout", lambda: os.mkdir({str(checkout / "evilvenv")!r}))
        os.unlink("node_modules/pkg")
        os.mkdir("node_modules/pkg")
        pathlib.Path("node_modules/pkg/index.js").write_text("swapped")
        print("SWAPPED")
        """
    )]  # fmt: skip
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    look = [sys.executable, "-c", "import os; print(open('node_modules/pkg/index.js').read(),"
            " os.path.exists('node_modules/.cache/x'))"]  # fmt: skip
    with Sandbox(checkout, env) as box:
        result = box.run(spy, space := box.workspace("caches"), timeout=60)
        again = box.run(look, space, timeout=60)  # the next run in that copy: its package
        assert "module.exports = 1\n True" in again.output, again.output
        after = box.workspace("after")
        assert "SWAPPED" in result.output, result.output
        assert "WROTE .cache" in result.output and "WROTE .vite" in result.output
        assert "refused package" in result.output and "refused checkout" in result.output
        assert list(host.iterdir()) == []
        assert sorted(p.name for p in modules.iterdir()) == [".cache", ".vite", "pkg"]
        assert sorted(p.name for p in (modules / "pkg").iterdir()) == ["index.js"]
        assert (after.repo / "node_modules" / "pkg" / "index.js").read_text() == (
            "module.exports = 1\n"
        )
        assert not (after.repo / "node_modules" / ".cache").exists()
    assert not (checkout / "evilvenv").exists()
    assert list(host.iterdir()) == []


def test_attack_no_index_trick_makes_a_folder_of_the_pull_request_the_jobs_install(
    tmp_path: Path,
) -> None:
    """Attack on :func:`installed_folders`: the pull request's virtualenv (its own pytest) as
    a submodule (the index holds a gitlink, no file), its files hidden from git's eye
    (``assume-unchanged``, ``skip-worktree``, ``.git/info/exclude``), a name differing only in
    case from the job's untracked ``.venv``, and a link to a folder holding ``pyvenv.cfg``.
    None is the job's install; the case twin makes the job's ``.venv`` unsure, so not one."""
    from cicd_agent.sandbox import installed_folders
    from cicd_agent.sandbox.workspace import linked_folders
    from tests.git_builder import GitRepoBuilder

    repo = GitRepoBuilder(tmp_path / "repo")
    cfg = "home = /usr/bin\n"
    repo.commit("base", {"hidden/pyvenv.cfg": cfg, "skipped/pyvenv.cfg": cfg, "a.py": ""})
    (repo.path / "sub").mkdir()
    (repo.path / "sub" / "pyvenv.cfg").write_text(cfg)
    head = repo.git("rev-parse", "HEAD").strip()
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{head},sub")
    repo.git("update-index", "--assume-unchanged", "hidden/pyvenv.cfg")
    repo.git("update-index", "--skip-worktree", "skipped/pyvenv.cfg")
    (repo.path / ".git" / "info" / "exclude").write_text("hidden\nskipped\nsub\n")
    (repo.path / "link").symlink_to(repo.path / "sub", target_is_directory=True)
    linked = linked_folders(repo.path)
    assert linked == {"hidden", "skipped", "sub"}, linked  # a link is never linked
    assert installed_folders(repo.path, sorted(linked)) == ()
    repo.commit("a case twin", {".VENV/pyvenv.cfg": cfg})
    (repo.path / ".venv").mkdir()
    (repo.path / ".venv" / "pyvenv.cfg").write_text(cfg)
    assert installed_folders(repo.path, [".venv", ".VENV"]) == ()



def test_attack_a_file_we_write_in_a_copy_never_lands_in_the_jobs_installs(tmp_path: Path) -> None:
    """Attack on the host's own writes into a copy (a generated test, the fix step's patch),
    whose path a model chose: ``node_modules/pkg/x.test.js`` or a file of ``.venv``'s pytest
    passes through a link into the checkout's installs, which no sandbox guards on the host.
    Refused; a new entry of the copy's own ``node_modules`` (a tool cache) stays in the copy."""
    from cicd_agent.local.checkout_files import CheckoutFileError, create_file, replace_file

    checkout, copy = tmp_path / "checkout", tmp_path / "copy"
    (checkout / "node_modules" / "pkg").mkdir(parents=True)
    (checkout / "node_modules" / "pkg" / "index.js").write_text("module.exports = 1\n")
    pytest_folder = checkout / ".venv" / "lib" / "pytest"
    pytest_folder.mkdir(parents=True)
    (checkout / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (pytest_folder / "__init__.py").write_text("REAL = True\n")
    copy_repository(checkout, copy)
    for path in ("node_modules/pkg/x.test.js", ".venv/lib/pytest/x.py"):
        with pytest.raises(CheckoutFileError):
            create_file(copy, path, "planted\n")
    for path in ("node_modules/pkg/index.js", ".venv/lib/pytest/__init__.py"):
        with pytest.raises(CheckoutFileError):
            replace_file(copy, path, b"planted\n")
    create_file(copy, "node_modules/.cache/x", "ours\n")
    assert sorted(p.name for p in (checkout / "node_modules").iterdir()) == ["pkg"]
    assert sorted(p.name for p in (checkout / "node_modules" / "pkg").iterdir()) == ["index.js"]
    assert sorted(p.name for p in pytest_folder.iterdir()) == ["__init__.py"]
    assert (pytest_folder / "__init__.py").read_text() == "REAL = True\n"


@needs_sandbox
def test_attack_a_run_cannot_swap_the_jobs_virtualenv_for_a_later_run_in_its_copy(
    tmp_path: Path,
) -> None:
    """Attack: a copy links the job's ``.venv`` and a run may write its copy, so the pull
    request's code in one run (a suite's first pass, a candidate's earlier stage) put a
    folder of its own in place of the link: the next run in the same copy started
    ``.venv/bin/python`` (a test command as the job wrote it) from the pull request, whose
    pytest the in-run check took as the job's install. Each run finds the copy's links as made."""
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    (checkout / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    program = checkout / ".venv" / "bin" / "python"
    program.write_text("#!/bin/sh\necho job-python\n")
    program.chmod(0o755)
    swap = [sys.executable, "-c", textwrap.dedent(
        """
        import os
        os.unlink(".venv")
        os.makedirs(".venv/bin")
        with open(".venv/bin/python", "w") as out:
            out.write("#!/bin/sh\\necho pr-python\\n")
        os.chmod(".venv/bin/python", 0o755)
        print("SWAPPED")
        """
    )]  # fmt: skip
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        space = box.workspace("suite")
        first = box.run(swap, space, timeout=60)
        assert "SWAPPED" in first.output, first.output
        second = box.run([".venv/bin/python"], space, timeout=60)
    assert "job-python" in second.output, second.output


@needs_sandbox
def test_attack_a_copy_a_run_made_a_link_is_not_relinked_through(tmp_path: Path) -> None:
    """Attack on the host's putting back of a copy's links before a run: a run renames its
    copy away and leaves a link in its place to a folder of the host holding ``.venv``
    (the checkout itself). Putting the link back through it removed the host's folder, and
    the host's next file for the copy (a generated test) was written in that folder."""
    from cicd_agent.local.checkout_files import create_file

    checkout, victim = tmp_path / "checkout", tmp_path / "victim"
    (checkout / ".venv").mkdir(parents=True)
    (checkout / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (victim / ".venv").mkdir(parents=True)
    (victim / ".venv" / "keep").write_text("the host's\n")
    away = [sys.executable, "-c", textwrap.dedent(
        f"""
        import os
        os.chdir("..")
        os.rename("repo", "gone")
        os.symlink({str(victim)!r}, "repo")
        print("MOVED")
        """
    )]  # fmt: skip
    env = {"PATH": path_env(), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    with Sandbox(checkout, env) as box:
        space = box.workspace("suite")
        first = box.run(away, space, timeout=60)
        assert "MOVED" in first.output, first.output
        box.run([sys.executable, "-c", "print(1)"], space, timeout=60)
        create_file(space.repo, "test_written.py", "ours\n")  # as the gate writes a test
        assert not space.repo.is_symlink() and (space.repo / ".venv").is_symlink()
    assert (victim / ".venv" / "keep").read_text() == "the host's\n"
    assert sorted(p.name for p in victim.iterdir()) == [".venv"]
