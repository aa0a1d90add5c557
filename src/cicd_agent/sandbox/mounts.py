"""What a run sees of the filesystem: bwrap's mount options for one run.

The host's tree comes in read-only, top folder by top folder (:func:`system_binds`);
``/tmp``, ``/var/tmp``, ``/run`` and ``/dev/shm`` are empty; the homes are hidden whole, and
so, for a run as ``nobody``, is every folder above what comes back that nobody could pass
anyway. Then only what runs need comes back, read-only: the checkout, the sandbox's own
folder, our interpreter, our own ``PATH``'s tool folders (never one chosen through the
checkout's links) and the folders the test runners' toolchains name (:class:`ToolMount`:
rustup's toolchains, for cargo); known credential paths inside those stay hidden;
the workspace's own folder is the one writable place, and the password file shows the run's
user with the run's ``HOME`` as its home (:func:`users_shown`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.sandbox.isolation import NOBODY

SHARED_MEMORY = "/dev/shm"  # noqa: S108 - a size-bounded tmpfs of its own per run
"""Emptied like the rest, but writable by every run as on a host (mode 1777): POSIX shared
memory (``shm_open``, ``multiprocessing``'s semaphores and shared blocks) lives there, and a
run as ``nobody`` could not create it in a tmpfs bwrap (root) makes 0755."""

EMPTIED = ("/tmp", "/var/tmp", "/run", SHARED_MEMORY)  # noqa: S108 - hidden, not used as temp dirs

EMPTIED_SIZE = 64 << 20

# Credential files and folders under the real home, hidden inside the sandbox.
_CREDENTIAL_PATHS = (
    ".ssh",
    ".gnupg",
    ".git-credentials",
    ".gitconfig",
    ".config/git",
    ".config/gh",
    ".config/gcloud",
    ".netrc",
    ".pypirc",
    ".npmrc",
    ".yarnrc",
    ".docker",
    ".aws",
    ".azure",
    ".kube",
    ".cargo/credentials",
    ".cargo/credentials.toml",
)
# ... and where a variable puts them, in the host's tree (a rust image's /usr/local/cargo)
_MOVED_BY = {".cargo": "CARGO_HOME", ".docker": "DOCKER_CONFIG", ".gnupg": "GNUPGHOME"}


def _credential_paths(home: Path, environ: Mapping[str, str]) -> Iterator[Path]:
    """The known credential paths under ``home`` and where their tools' variables move them."""
    for name in _CREDENTIAL_PATHS:
        yield home / name
        top, _, rest = name.partition("/")
        moved = environ.get(_MOVED_BY.get(top, ""), "")
        if Path(moved).is_absolute():
            yield Path(moved, rest)


def find_homes(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """The home folders a sandbox hides whole: ``HOME`` and the user's own from the password
    database, when they are real folders outside the ones already emptied (never ``/``), the
    outermost of two nested ones."""
    named = [environ.get("HOME", ""), _runner_folder(environ)]
    with contextlib.suppress(KeyError, ImportError):
        named.append(pwd.getpwuid(os.getuid()).pw_dir)
    absolute = (Path(name).resolve() for name in named if name and Path(name).is_absolute())
    found = dict.fromkeys(
        home
        for home in absolute
        if home.is_dir()
        and home != Path("/")
        and not any(home.is_relative_to(emptied) for emptied in EMPTIED)
    )
    return tuple(  # one inside another is hidden with it
        home
        for home in found
        if not any(home.is_relative_to(other) and home != other for other in found)
    )


def _runner_folder(environ: Mapping[str, str]) -> str:
    """A self-hosted runner's own folder (its key, credentials and logs beside ``_work``),
    hidden like a home wherever it is installed: the folder above the work folder
    (``RUNNER_TEMP`` is ``<runner>/_work/_temp``) when it holds the runner's ``.runner``."""
    temp = environ.get("RUNNER_TEMP", "")
    if not temp or not Path(temp).is_absolute():
        return ""
    runner = Path(temp).parent.parent
    return str(runner) if (runner / ".runner").is_file() else ""


def closed_folders(bound: Iterable[Path], hidden: Sequence[Path]) -> tuple[Path, ...]:
    """The outermost folders above what is bound back that ``nobody`` may not pass through
    (``/root``, 0700, above our interpreter in ``~/.pyenv``), outside the ``hidden`` ones.

    A run as ``nobody`` could reach nothing under them but what we bind back, so an empty
    tmpfs in their place hides nothing it could see, and lets it reach those binds.
    """
    found: list[Path] = []
    for path in bound:
        for parent in reversed(path.parents[:-1]):  # outermost first, never "/"
            if any(parent.is_relative_to(folder) for folder in (*hidden, *found)):
                break
            try:
                mode = parent.stat().st_mode
            except OSError:
                break
            if not mode & stat.S_IXOTH:
                found.append(parent)
                break
    return tuple(found)


def own_environment() -> tuple[Path, ...]:
    """cicd-agent's own virtualenv, read-only, when it lies under a folder the sandbox empties
    (a clone in ``/tmp``): the boot folder's plugin and the interpreter a test names live there.
    Under ``RUNNER_TEMP`` it stays hidden, as that folder is hidden after this bind."""
    if sys.prefix == sys.base_prefix or not Path(sys.prefix).is_dir():
        return ()
    return (Path(sys.prefix),)


_TOOL_FOLDERS = ("bin", ".bin", "shims")


def _path_folders(search_path: str, checkout: Path) -> Iterator[Path]:
    """The absolute folders of ``search_path`` that do not pass through the checkout: the
    checkout is bound anyway, and a link the pull request made there (``bin -> ~/x/bin``)
    must not choose what else is bound back."""
    for entry in search_path.split(os.pathsep):
        folder = Path(entry)
        if not entry or not folder.is_absolute() or not folder.is_dir():
            continue
        here = Path(folder.anchor)
        for part in folder.parts[1:]:
            here = (here / part).resolve()
            if here.is_relative_to(checkout):
                break
        else:
            yield folder


def tools_in_home(homes: Sequence[Path], search_path: str, checkout: Path) -> tuple[Path, ...]:
    """What comes back, read-only, of the hidden home folders: our own interpreter (its
    virtualenv and the installation it was made from, ``~/.pyenv/versions/3.12.4``) and the
    toolchain folders of our own ``PATH`` that lie under a home (a ``bin`` or ``shims`` entry
    brings its parent: ``~/.cargo``, ``~/.pyenv``). Never a home itself."""
    candidates = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent]
    for folder in _path_folders(search_path, checkout):
        for seen in (folder, folder.resolve()):
            candidates.append(seen.parent if seen.name in _TOOL_FOLDERS else seen)
    return tuple(
        dict.fromkeys(
            folder
            for folder in candidates
            if folder.is_dir()
            and any(folder.is_relative_to(home) and folder != home for home in homes)
        )
    )


def tools_in_emptied_folders(search_path: str, checkout: Path) -> tuple[Path, ...]:
    """The job's tools that live under a folder the sandbox empties (a virtualenv or
    ``node_modules`` under ``/tmp``), read-only: the run's ``PATH`` names them, and without the
    bind a linter the job installed there would vanish inside the sandbox. A ``bin`` or ``.bin``
    entry brings its parent (the environment's libraries sit beside it). Hidden folders
    (``RUNNER_TEMP``) stay hidden, as they are hidden after these binds."""
    return tuple(
        dict.fromkeys(
            folder.parent if folder.name in ("bin", ".bin") else folder
            for folder in _path_folders(search_path, checkout)
            if any(folder.is_relative_to(emptied) for emptied in EMPTIED)
        )
    )


def own_path(environ: Mapping[str, str]) -> str:
    """Our own ``PATH`` in ``environ``: its absolute entries alone, as on the host
    (``local.processes``): a relative one (``bin``, the empty one a trailing ``:`` makes) means
    the run's folder, the pull request's copy."""
    entries = environ.get("PATH", os.defpath).split(os.pathsep)
    return os.pathsep.join(entry for entry in entries if os.path.isabs(entry))


@dataclass(frozen=True)
class ToolMount:
    """A folder a toolchain's programs on our own ``PATH`` need in every run (rustup's
    toolchains behind its ``cargo`` proxy): it may lie in the hidden home, and a run's ``HOME``
    is its own, so it comes back read-only and the run is told where (``variable``)."""

    folder: Path
    variable: str
    """The variable that names the folder in a run's environment (``RUSTUP_HOME``)."""


@dataclass(frozen=True)
class Mounts:
    """The folders one sandbox binds, hides and empties; :meth:`arguments` for each run."""

    checkout: Path
    root: Path
    """The sandbox's own folder (copies, boot files), read-only inside."""
    own_path: str
    """Our own ``PATH`` (never a borrowed one): its tool folders come back."""
    homes: tuple[Path, ...]
    hidden: tuple[str, ...]
    """Credential paths, the checkout's ``.git``, ``RUNNER_TEMP``: hidden where they show."""
    linked: tuple[str, ...] = ()
    """Top-level folders of the checkout a run's copy links to (a virtualenv, ``node_modules``)."""
    tools: tuple[ToolMount, ...] = ()
    """The toolchains' folders, each a real folder (the test runners name them:
    ``Row.mounts`` in ``runners/table.py``)."""

    @classmethod
    def of(
        cls,
        checkout: Path,
        root: Path,
        environ: Mapping[str, str],
        tools: Iterable[ToolMount] = (),
    ) -> Mounts:
        home = Path(environ.get("HOME") or Path.home())
        hidden = list(_credential_paths(home, environ))
        hidden += [checkout / ".git", Path("/run/secrets")]
        runner_temp = environ.get("RUNNER_TEMP")
        if runner_temp and not root.is_relative_to(Path(runner_temp).resolve()):
            hidden.append(Path(runner_temp))
        return cls(
            checkout,
            root,
            own_path(environ),
            find_homes(environ),
            tuple(str(path) for path in hidden if path.exists()),
            tools=tuple(dict.fromkeys(tool for tool in tools if tool.folder.is_dir())),
        )

    def arguments(
        self, writable: Sequence[Path], *, as_nobody: bool, workspace: Path | None = None
    ) -> list[str]:
        """bwrap's mount options for a run that may write ``writable`` (``as_nobody``: a run
        whose uid cannot pass root's closed folders, which then become empty tmpfs too), in
        ``workspace``, a folder of the sandbox's own whose siblings (the other workspaces)
        the run never sees: bound whole, the sandbox's folder showed every run what an
        earlier one left in a workspace not yet removed, or one beside it was writing."""
        argv = [*system_binds(), "--dev", "/dev", "--proc", "/proc"]
        for folder in EMPTIED:
            if Path(folder).is_dir() and not Path(folder).is_symlink():
                argv += ["--perms", "1777"] if folder == SHARED_MEMORY else []
                argv += ["--size", str(EMPTIED_SIZE), "--tmpfs", folder]
        # Everything bound below comes after these tmpfs: the checkout and our own folder may
        # lie inside a home (a runner's /home/runner/work), and stay reachable.
        tools = tools_in_emptied_folders(self.own_path, self.checkout)
        ours = (*self._checkout(as_nobody=as_nobody), self.root, *own_environment(), *tools)
        ours += tuple(tool.folder for tool in self.tools)
        hidden_whole = self.homes
        if as_nobody:  # a home inside a closed folder goes with it
            every_tool = tools_in_home((Path("/"),), self.own_path, self.checkout)
            closed = closed_folders((*ours, *every_tool), (*map(Path, EMPTIED), *self.homes))
            hidden_whole = (
                *closed,
                *(home for home in self.homes if not any(map(home.is_relative_to, closed))),
            )
        kept = (*ours, *tools_in_home(hidden_whole, self.own_path, self.checkout))
        for home in hidden_whole:
            argv += ["--size", str(EMPTIED_SIZE), "--tmpfs", str(home)]
        emptied = (*map(Path, EMPTIED), *hidden_whole)
        for number, bound in enumerate(kept):
            if as_nobody:
                argv += _passable_parents(bound, emptied, kept[:number])
            argv += ["--ro-bind", str(bound), str(bound)]
        for path in self.hidden:
            if any(Path(path).is_relative_to(home) for home in hidden_whole) and not any(
                Path(path).is_relative_to(bound) for bound in kept
            ):
                continue  # gone with its home
            if Path(path).is_dir():
                argv += ["--tmpfs", path, "--remount-ro", path]
            else:
                argv += ["--ro-bind", "/dev/null", path]
        others = _others(workspace, self.root)
        for siblings in others:  # an empty folder of workspaces, into which its own comes back
            argv += ["--size", str(EMPTIED_SIZE), "--tmpfs", str(siblings)]
            argv += ["--ro-bind", str(workspace), str(workspace)]
        for place in writable:
            if as_nobody:
                argv += _passable_parents(place, emptied, kept)
            argv += ["--bind", str(place), str(place)]
        for home in (*hidden_whole, *others):
            argv += ["--remount-ro", str(home)]
        users = users_shown(workspace, NOBODY if as_nobody else os.getuid()) if workspace else None
        argv += ["--ro-bind", str(users), str(PASSWD)] if users is not None else []
        return [*argv, "--remount-ro", "/"]  # bwrap's own root: no file a run could add there

    def _checkout(self, *, as_nobody: bool) -> tuple[Path, ...]:
        """What comes back of the checkout: all of it, or for ``nobody`` when the checkout is
        closed to others (0700, as ``mkdtemp`` makes it) only the folders a copy links to.
        Bound whole, a closed checkout keeps ``nobody`` out of the job's own virtualenv; so it
        is an empty folder they come back into, and nothing else of it (nothing ``nobody``
        could read anyway)."""
        try:
            passable = bool(self.checkout.stat().st_mode & stat.S_IXOTH)
        except OSError:
            passable = False
        if passable or not as_nobody:
            return (self.checkout,)
        return tuple(self.checkout / name for name in self.linked)


_REPLACED = frozenset(
    {"proc", "dev", *(Path(folder).name for folder in EMPTIED if folder.count("/") == 1)}
)
"""Top folders of the host never bound: each run gets its own (``/proc``, ``/dev``, empty
``/tmp`` and ``/run``)."""


def system_binds() -> list[str]:
    """bwrap's options that bring back the host's top folders, read-only, each on its own.

    Not ``--ro-bind / /``: a bind takes every mount below it along, and the host's mounts under
    ``/run``, ``/tmp``, ``/dev`` and ``/proc`` would stay in the run's mount table under what
    replaces them (``/proc/self/mountinfo`` names them: places of the host the run can never
    reach). Links at the top (``/bin -> usr/bin``) are made again as links.
    """
    argv: list[str] = []
    for entry in sorted(os.scandir("/"), key=lambda found: found.name):
        if entry.name in _REPLACED:
            continue
        if entry.is_symlink():
            argv += ["--symlink", os.readlink(entry.path), entry.path]
        elif entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False):
            argv += ["--ro-bind", entry.path, entry.path]
    return argv


PASSWD = Path("/etc/passwd")
MAX_PASSWD = 4 << 20
"""The largest password file shown with the run's home in it; a larger one is shown as it is."""


def users_shown(workspace: Path, uid: int) -> Path | None:
    """The password file a run in ``workspace`` sees, as user ``uid``: the host's, with that
    user's home the run's ``HOME`` (a line of its own where the host has none), written once
    beside the workspace's live folder; None where the host's is not a plain file we can read.

    A home a test reads from the database (go's ``os/user``, Python's ``pwd`` and
    ``expanduser`` without ``HOME``) was ``nobody``'s ``/nonexistent`` or the hidden real
    home, while ``HOME`` named the workspace's: go-homedir's tests failed in the sandbox only.
    The rest of the file is the host's, which every run could read before."""
    shown, home = workspace / "passwd", str(workspace / "live" / "home")
    if shown.is_file() or any(mark in home for mark in ":\n"):
        return shown if shown.is_file() else None
    try:
        if not stat.S_ISREG(os.lstat(PASSWD).st_mode) or PASSWD.stat().st_size > MAX_PASSWD:
            return None
        lines = PASSWD.read_bytes().decode("utf-8", "surrogateescape").splitlines()
    except OSError:
        return None
    fields = [line.split(":") for line in lines]
    own = [
        number for number, found in enumerate(fields) if len(found) == 7 and found[2] == str(uid)
    ]
    for number in own:
        lines[number] = ":".join([*fields[number][:5], home, fields[number][6]])
    if not own:
        gid = NOBODY if uid == NOBODY else os.getgid()
        lines.append(f"cicd-agent:x:{uid}:{gid}::{home}:/bin/sh")
    text = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape")
    made = os.open(
        shown, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644
    )
    with os.fdopen(made, "wb") as file:
        file.write(text)
    return shown


def _others(workspace: Path | None, root: Path) -> tuple[Path, ...]:
    """The folder holding ``workspace`` and its siblings, when it lies inside ``root``."""
    if workspace is None or workspace.parent == root or not workspace.is_relative_to(root):
        return ()
    return (workspace.parent,)


def _passable_parents(path: Path, emptied: Sequence[Path], bound: Sequence[Path]) -> list[str]:
    """bwrap options that make the folders it creates above ``path`` in an emptied folder
    passable by ``nobody`` (bwrap makes them 0700, root's): ``--perms 0755 --dir`` each."""
    argv: list[str] = []
    for parent in reversed(path.parents):
        if any(parent.is_relative_to(folder) for folder in bound):
            break  # a real folder, bound back whole
        if any(parent.is_relative_to(folder) and parent != folder for folder in emptied):
            argv += ["--perms", "0755", "--dir", str(parent)]
    return argv
