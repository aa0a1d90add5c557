"""Where untrusted code runs: bubblewrap, a throw-away copy of the repository, no secrets, limits.

Everything a pull request controls is attacker input, and so is any command of its checkout:
gen-tests runs the suite and model-written tests, analyse-failure re-runs a failed step's
command with and without a candidate fix. Every such run goes through :meth:`Sandbox.run`:

- it runs under `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``), in new
  user, mount, PID, network, IPC, UTS and cgroup namespaces, with an empty capability set, no
  new privileges, no further user namespaces (so no mount, remount or umount can succeed), a new
  session, and killed with its parent;
- the filesystem is the host's, read-only; ``/tmp``, ``/var/tmp``, ``/run`` and ``/dev/shm`` are
  empty (no host Unix socket is reachable there, and the network namespace hides abstract ones);
  the home folder is hidden whole (an empty read-only tmpfs: no list of credential files can be
  complete), and only what runs need comes back read-only: our own interpreter's folders, the
  toolchain folders on our own ``PATH`` that live there (``~/.pyenv``, ``~/.cargo``), the
  checkout and the sandbox's own folder (on a runner both sit inside HOME); known credential
  files inside those stay hidden, and so do the checkout's ``.git`` and the runner's temp
  folder;
- the only writable place is the workspace's own folder: its copy of the repository, its
  ``HOME`` and ``TMPDIR`` (runs in one workspace share it, so a test that leaves state behind
  fails its reruns); a run that writes more than the disk limit there is killed. Our own files
  (a mode's boot files, scratch files) sit beside it, read-only, and evidence comes back through
  a pipe, never from a file a run could write;
- the environment is scrubbed (the GitHub token, the model key, ``ACTIONS_*`` runtime tokens,
  the runner's file-command paths, action inputs, secret-named variables, values holding a
  known secret or a credential's shape, and the names the user lists);
- nothing untrusted chooses the host side: ``bwrap`` itself starts with a minimal environment
  of ours (:data:`HOST_ENVIRONMENT`) and gives the run its environment with ``--clearenv`` and
  ``--setenv``; variables borrowed from a log (a failed step's ``env:``) reach only the inside,
  filtered (:func:`borrowable`), and the folders bound back come from our own ``PATH``;
- memory, process-count and file-size limits apply, and a timeout kills the whole run.

Where bubblewrap cannot run, :class:`Isolation` says why; a mode then runs no untrusted code
unless the user opts in (``allow-unsandboxed``), and such runs get only the scrubbed
environment, a temporary copy, the limits and the timeout.

A mode adds what its runs need (gen-tests: its pytest plugin and coverage) by subclassing
:class:`Sandbox` and overriding :meth:`Sandbox.prepare` and :meth:`Sandbox.python_path`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Self

from cicd_agent.analysis.redact import find_secrets, is_secret_name

MAX_EVIDENCE_BYTES = 64 << 20
MAX_OUTPUT_CHARS = 64_000
_PROBE_TIMEOUT = 20.0
_GIB = 1 << 30

_DISK_POLL = 0.25
"""Seconds between two measures of what a run wrote."""
_EMPTIED_SIZE = 64 << 20
_ENTRY_BYTES = 4096
"""The least one file or folder counts against the disk limit (a block; an empty one holds an
inode, and millions of them exhaust a disk's inodes whatever their size)."""
_BWRAP_FLAGS = (
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
)
_EMPTIED = ("/tmp", "/var/tmp", "/run", "/dev/shm")  # noqa: S108 - hidden, not used as temp dirs

# Never copied into a sandbox: git metadata (it may hold credentials) and caches.
SKIPPED_NAMES = frozenset(
    {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox"}
)
# Variables a generated test never sees. Prefixes cover the runner's tokens and file-command
# paths (GITHUB_ENV/GITHUB_OUTPUT would let a test steer later steps), action inputs, model
# and cloud credentials, git's credential helpers, and our own coverage switch.
_DROPPED_PREFIXES = (
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
    "INPUT_",
    "CICD_AGENT_",
    "CICD_GENTESTS_",
    "OPENAI_",
    "AZURE_",
    "AWS_",
    "GOOGLE_",
    "GH_",
    "GIT_",
    "SSH_",
    "GPG_",
    "COVERAGE_",
)
_DROPPED_NAMES = frozenset({"DBUS_SESSION_BUS_ADDRESS", "KUBECONFIG", "NETRC", "DOCKER_CONFIG"})
_KEPT_NAMES = frozenset({"GITHUB_ACTIONS"})

HOST_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
"""The whole environment of the host-side ``bwrap`` process: nothing a run, a log or the job
chose (``LD_PRELOAD``, ``GCONV_PATH`` and the like would run code there, beside our secrets)."""

# Borrowed variables (a log's ``env:``) a run never gets: the places we set ourselves, and the
# variables that make a loader, a shell or an interpreter run code it was not asked to run.
# Inside the sandbox the step's own script could set them too, so dropping them costs nothing;
# it keeps our own launches there (``git apply``, gen-tests' boot files) as we start them.
_BORROW_OURS = frozenset(
    {"PATH", "HOME", "TMPDIR", "TMP", "TEMP", "PWD", "OLDPWD", "SHELL", "USER", "LOGNAME"}
)
_BORROW_HIJACKS = frozenset(
    {
        "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS",
        "LOCALDOMAIN", "MALLOC_CHECK_", "MALLOC_TRACE", "BASH_ENV", "ENV", "SHELLOPTS",
        "BASHOPTS", "PS4", "PROMPT_COMMAND", "IFS", "CDPATH", "GLOBIGNORE", "PERL5LIB",
        "PERL5OPT", "PERLLIB", "PERL5DB", "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
    }
)  # fmt: skip
_BORROW_HIJACK_PREFIXES = ("LD_", "DYLD_", "PYTHON", "BASH_FUNC_", "XDG_", "CICD_")
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


@dataclass(frozen=True)
class Limits:
    """Resource limits of every run (per process for memory, per run for processes and disk)."""

    memory_bytes: int = 4 * _GIB
    processes: int = 512
    disk_bytes: int = 2 * _GIB
    """Room a run may write in its folder, on top of what is there when it starts."""
    file_bytes: int = _GIB

    def apply(self, pids_group: Path | None = None) -> None:
        """Set the limits in the calling process (run in the child before exec).

        The kernel does not apply ``RLIMIT_NPROC`` to root, so a run started by root also joins
        ``pids_group``, a pids cgroup of its own (see :func:`_pids_group`).
        """
        if pids_group is not None:
            with contextlib.suppress(OSError):  # then only the rlimit applies
                (pids_group / "cgroup.procs").write_text("0")
        for limit, value in (
            (resource.RLIMIT_AS, self.memory_bytes),
            (resource.RLIMIT_NPROC, self.processes),
            (resource.RLIMIT_FSIZE, self.file_bytes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(limit, (value, value))


@dataclass(frozen=True)
class Isolation:
    """Whether bubblewrap can confine runs on this machine, found by trying it once."""

    sandboxed: bool
    detail: str = ""

    def describe(self) -> str:
        """One sentence for the job summary."""
        if self.sandboxed:
            return (
                "Sandbox: bubblewrap (no network, no capabilities, read-only filesystem except "
                "the run's own copy, host sockets and credentials hidden), disk, memory "
                "and process limits, a scrubbed environment, timeouts."
            )
        return (
            f"NO SANDBOX: bubblewrap cannot run here ({self.detail}). Only the scrubbed "
            "environment, a temporary copy, resource limits and timeouts protect this runner."
        )


_PIDS_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
_group_numbers = itertools.count(1)


def _pids_group(limit: int) -> Path | None:
    """A new pids cgroup capped at ``limit`` tasks, when we are root and cgroups allow it."""
    if os.geteuid() != 0:
        return None  # RLIMIT_NPROC applies
    for root in _PIDS_ROOTS:
        if not (root / "cgroup.procs").is_file():
            continue
        group = root / f"cicd-agent-{os.getpid()}-{next(_group_numbers)}"
        try:
            group.mkdir()
            (group / "pids.max").write_text(str(limit))
        except OSError:
            _remove_group(group)
            continue
        return group
    return None


def _remove_group(group: Path | None) -> None:
    if group is None:
        return
    try:
        group.rmdir()
    except OSError:
        return


def find_bwrap(environ: Mapping[str, str]) -> str | None:
    """The ``bwrap`` on the run's ``PATH`` (None when absent or not on Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    return shutil.which("bwrap", path=environ.get("PATH", os.defpath))


@cache
def probe_isolation(bwrap: str | None) -> Isolation:
    """Start bubblewrap once with the sandbox's flags; say why when it cannot run."""
    if bwrap is None:
        return Isolation(False, "bwrap is not installed")
    argv = [bwrap, *_BWRAP_FLAGS, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    argv += ["--", "sh", "-c", "exit 0"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Isolation(False, f"bwrap failed: {exc}")
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return Isolation(False, reason[:200])
    return Isolation(True)


def borrowable(borrowed: Mapping[str, str]) -> dict[str, str]:
    """The variables of a log's ``env:`` a run may get (inside the sandbox only).

    Dropped: the places we set ourselves (``PATH``, ``HOME``, temp folders), the loader's,
    the shells' and the interpreters' hooks (``LD_*``, ``GCONV_PATH``, ``BASH_ENV``,
    ``PYTHON*``, ``NODE_OPTIONS``, ...). ``PYTHONPATH`` alone is kept when every entry is a
    relative folder of the repository (``src``): it goes after our own entries. A NUL byte
    (which no environment can hold, and no argv either) drops the variable.
    """
    return {
        name: value
        for name, value in borrowed.items()
        if "\0" not in name + value
        and (
            (name.upper() == "PYTHONPATH" and _relative_entries(value))
            or not (
                name.upper() in _BORROW_OURS
                or name.upper() in _BORROW_HIJACKS
                or name.upper().startswith(_BORROW_HIJACK_PREFIXES)
            )
        )
    }


def _relative_entries(search_path: str) -> bool:
    entries = search_path.split(os.pathsep)
    return all(
        entry and not entry.startswith(("/", "~")) and ".." not in Path(entry).parts
        for entry in entries
    )


def scrub_environment(
    environ: Mapping[str, str],
    *,
    known_secrets: Iterable[str] = (),
    secret_names: Iterable[str] = (),
) -> dict[str, str]:
    """``environ`` without anything a generated test must not see (see the module doc)."""
    extra = {name.strip().upper() for name in secret_names if name.strip()}
    known = [value for value in known_secrets if value]
    kept: dict[str, str] = {}
    for name, value in environ.items():
        upper = name.upper()
        if upper not in _KEPT_NAMES and (
            upper.startswith(_DROPPED_PREFIXES)
            or upper in _DROPPED_NAMES
            or upper in extra
            or is_secret_name(name)
            or any(secret in value for secret in known)
            or find_secrets(f"{name}={value}")
        ):
            continue
        kept[name] = value
    return kept


@dataclass(frozen=True)
class RunResult:
    """One finished (or killed) run. ``output`` is the tail of stdout and stderr together."""

    command: tuple[str, ...]
    returncode: int
    timed_out: bool
    output: str
    seconds: float
    evidence: bytes = b""
    """What the run wrote to its evidence pipe (empty unless asked for)."""
    killed_for: str = ""
    """Why we killed the run before its timeout ("" when we did not)."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def describe(self) -> str:
        """How the run ended, in words (for feedback and reports)."""
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s and was killed"
        if self.killed_for:
            return f"was killed: {self.killed_for}"
        if self.returncode < 0:
            return f"was killed by signal {-self.returncode}"
        return f"exited with status {self.returncode}"


@dataclass
class Workspace:
    """One workspace's folder: ``live`` (writable by its runs) and our own files beside it.

    ``live`` holds the repository copy, ``HOME`` and ``TMPDIR``; scratch files (coverage
    configuration, data of a suite run) sit in ``root``, read-only inside the sandbox.
    """

    root: Path
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    @property
    def live(self) -> Path:
        return self.root / "live"

    @property
    def repo(self) -> Path:
        return self.live / "repo"

    @property
    def home(self) -> Path:
        return self.live / "home"

    @property
    def tmp(self) -> Path:
        return self.live / "tmp"

    def scratch(self, stem: str, suffix: str) -> Path:
        """A new file name in the workspace (outside anything a run can write)."""
        return self.root / f"{stem}-{next(self._numbers)}{suffix}"


def copy_repository(source: Path, target: Path) -> list[Path]:
    """Copy a checkout without git metadata or caches; virtual environments are linked, not copied.

    A project's ``.venv`` (or any top-level folder holding ``pyvenv.cfg``) and ``node_modules``
    are symlinked: they are large, used read-only, and read-only inside the sandbox.
    Returns every ``.git`` left out, at any depth: a second checkout in a folder of the first
    (``actions/checkout`` with ``path:``) keeps its credential header in its own ``.git``.
    """
    left_out: list[Path] = []
    linked = {
        entry.name
        for entry in source.iterdir()
        if entry.is_dir()
        and not entry.is_symlink()
        and (entry.name == "node_modules" or (entry.joinpath("pyvenv.cfg")).is_file())
    }

    def skipped(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == source
        left_out.extend(Path(folder) / name for name in names if name == ".git")
        return {
            name
            for name in names
            if name in SKIPPED_NAMES or name.startswith(".coverage") or (top and name in linked)
        }

    shutil.copytree(source, target, symlinks=True, ignore=skipped)
    for name in linked:
        (target / name).symlink_to(source / name, target_is_directory=True)
    return left_out


def _tree_bytes(root: Path) -> int:
    """What ``root`` takes on disk: every file, folder and link, each at the larger of its size,
    its blocks and one block (empty folders and empty files take blocks or inodes too)."""
    total, folders = 0, [str(root)]
    while folders:  # no recursion: a run may nest folders thousands deep
        try:
            entries = list(os.scandir(folders.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                found = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += max(found.st_size, found.st_blocks * 512, _ENTRY_BYTES)
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
    return total


def remove_tree(path: Path) -> None:
    """Delete ``path`` and whatever runs left in it. ``shutil.rmtree`` recurses once a level
    before Python 3.13, and a tree nested 1,000 deep raises RecursionError, which its
    ``ignore_errors`` does not cover; ``rm`` does not recurse on the stack."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        subprocess.run(["rm", "-rf", "--", str(path)], check=False, timeout=600)


def _protect_own_environment() -> None:
    """Without a sandbox, stop same-user processes reading our environment in /proc."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_dumpable = 4
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_dumpable, 0, 0, 0, 0)


def _own_environment() -> tuple[Path, ...]:
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


def _tools_in_home(homes: Sequence[Path], search_path: str, checkout: Path) -> tuple[Path, ...]:
    """What comes back, read-only, of the hidden home folders: our own interpreter (its
    virtualenv and the installation it was made from, ``~/.pyenv/versions/3.12.4``) and the
    toolchain folders of our own ``PATH`` that lie under a home (a ``bin`` or ``shims`` entry
    brings its parent: ``~/.cargo``, ``~/.pyenv``). Never a home itself."""
    candidates = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent]
    for folder in _path_folders(search_path, checkout):
        for seen in (folder, folder.resolve()):
            candidates.append(seen.parent if seen.name in _TOOL_FOLDERS else seen)
    found: list[Path] = []
    for folder in candidates:
        if (
            folder.is_dir()
            and any(folder.is_relative_to(home) and folder != home for home in homes)
            and folder not in found
        ):
            found.append(folder)
    return tuple(found)


def _tools_in_emptied_folders(search_path: str, checkout: Path) -> tuple[Path, ...]:
    """The job's tools that live under a folder the sandbox empties (a virtualenv or
    ``node_modules`` under ``/tmp``), read-only: the run's ``PATH`` names them, and without the
    bind a linter the job installed there would vanish inside the sandbox. A ``bin`` or ``.bin``
    entry brings its parent (the environment's libraries sit beside it). Hidden folders
    (``RUNNER_TEMP``) stay hidden, as they are hidden after these binds."""
    found: list[Path] = []
    for folder in _path_folders(search_path, checkout):
        if not any(folder.is_relative_to(emptied) for emptied in _EMPTIED):
            continue
        prefix = folder.parent if folder.name in ("bin", ".bin") else folder
        if prefix not in found:
            found.append(prefix)
    return tuple(found)


class Sandbox:
    """Temporary copies of one checkout and the means to run commands over them safely."""

    temp_prefix = "cicd-agent-sandbox-"
    """Prefix of the one temporary folder holding every copy (a mode names its own)."""
    evidence_variable = "CICD_SANDBOX_EVIDENCE_FD"
    """Names the write end of the evidence pipe in a run's environment."""

    def __init__(
        self,
        checkout: Path,
        environ: Mapping[str, str],
        *,
        known_secrets: Iterable[str] = (),
        secret_names: Iterable[str] = (),
        isolation: Isolation | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.checkout = checkout.resolve()
        self._bwrap = find_bwrap(environ)
        self.isolation = isolation if isolation is not None else probe_isolation(self._bwrap)
        self.limits = limits or Limits()
        self._tempdir = tempfile.TemporaryDirectory(
            prefix=self.temp_prefix, ignore_cleanup_errors=True
        )
        self.root = Path(self._tempdir.name).resolve()
        self.pristine = self.root / "pristine"
        self._known_secrets = tuple(known_secrets)
        self._secret_names = tuple(secret_names)
        self._environment = self._scrubbed(environ)
        self._own_path = environ.get("PATH", os.defpath)
        self._hidden = self._hidden_paths(environ)
        self._homes = _homes(environ)
        self._names = 0
        self.prepare()
        # the checkout is bound back whole: every .git in it is hidden, not only its own
        nested = copy_repository(self.checkout, self.pristine)
        self._hidden += [str(path) for path in nested if str(path) not in self._hidden]
        if not self.isolation.sandboxed:
            _protect_own_environment()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete every copy; runs are over (their process groups were killed or ended)."""
        remove_tree(self.root)
        self._tempdir.cleanup()

    def prepare(self) -> None:
        """Write files every run needs into ``self.root`` (read-only inside): none by default."""

    def python_path(self) -> list[str]:
        """Folders put first on every run's ``PYTHONPATH`` (a mode's boot files): none here."""
        return []

    def _hidden_paths(self, environ: Mapping[str, str]) -> list[str]:
        home = Path(environ.get("HOME") or Path.home())
        hidden = [home / name for name in _CREDENTIAL_PATHS]
        hidden += [self.checkout / ".git", Path("/run/secrets")]
        runner_temp = environ.get("RUNNER_TEMP")
        if runner_temp and not self.root.is_relative_to(Path(runner_temp).resolve()):
            hidden.append(Path(runner_temp))
        return [str(path) for path in hidden if path.exists()]

    def add_file(self, relative: str, text: str) -> None:
        """Add a file to the pristine copy, so later workspaces hold it (an accepted test)."""
        from cicd_agent.checkout_files import create_file

        create_file(self.pristine, relative, text)  # never through a link of the PR's

    def workspace(self, label: str) -> Workspace:
        """A fresh folder with its own copy of the repository (and files added so far)."""
        self._names += 1
        safe = "".join(ch if ch.isalnum() else "-" for ch in label)[:40]
        space = Workspace(self.root / "work" / f"{self._names:03d}-{safe}")
        space.root.mkdir(parents=True)
        space.live.mkdir()
        copy_repository(self.pristine, space.repo)
        space.home.mkdir()
        space.tmp.mkdir()
        return space

    def _scrubbed(self, environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` scrubbed with everything this sandbox knows (known secret values and
        secret names included)."""
        return scrub_environment(
            environ, known_secrets=self._known_secrets, secret_names=self._secret_names
        )

    def environment(
        self,
        space: Workspace,
        extra: Mapping[str, str] | None = None,
        borrowed: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The scrubbed environment of one run in ``space``: ``extra`` holds variables we set
        ourselves (``GIT_CEILING_DIRECTORIES``), kept as given; ``borrowed`` holds variables
        taken from elsewhere (a failed step's ``env:``), filtered (:func:`borrowable`) and
        scrubbed here like the sandbox's own, so no caller can pass them on with less. The
        places we set (``HOME``, ``PATH``, temp folders) always win over borrowed ones."""
        env = dict(self._environment)
        lent = self._scrubbed(borrowable(borrowed or {}))
        user_path = lent.pop("PYTHONPATH", None) or env.get("PYTHONPATH")
        env.update(lent)
        env.update(
            {
                "HOME": str(space.home),
                "TMPDIR": str(space.tmp),
                "TMP": str(space.tmp),
                "TEMP": str(space.tmp),
                "XDG_CACHE_HOME": str(space.home / ".cache"),
                "XDG_CONFIG_HOME": str(space.home / ".config"),
                "XDG_DATA_HOME": str(space.home / ".local" / "share"),
                "PYTHONPATH": os.pathsep.join(filter(None, [*self.python_path(), user_path])),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONNOUSERSITE": "1",
                "PATH": self._own_path,
            }
        )
        env.update(extra or {})
        return env

    def _argv(
        self,
        command: Sequence[str],
        space: Workspace,
        shared: Sequence[Path],
        env: Mapping[str, str],
    ) -> list[str]:
        """bwrap's argv; the run's environment goes in through ``--clearenv`` and ``--setenv``
        (the host-side process gets :data:`HOST_ENVIRONMENT` only)."""
        if not self.isolation.sandboxed or self._bwrap is None:
            return list(command)
        argv = [self._bwrap, *_BWRAP_FLAGS, "--clearenv"]
        for name, value in env.items():
            argv += ["--setenv", name, value]
        argv += ["--ro-bind", "/", "/", "--dev", "/dev"]
        argv += ["--proc", "/proc"]
        for folder in _EMPTIED:
            if Path(folder).is_dir() and not Path(folder).is_symlink():
                argv += ["--size", str(_EMPTIED_SIZE), "--tmpfs", folder]
        for home in self._homes:
            argv += ["--size", str(_EMPTIED_SIZE), "--tmpfs", str(home)]
        # Everything below comes after the tmpfs above: the checkout and our own folder may
        # lie inside a home (a runner's /home/runner/work), and stay reachable.
        tools = _tools_in_emptied_folders(self._own_path, self.checkout)
        in_home = _tools_in_home(self._homes, self._own_path, self.checkout)
        kept = (self.checkout, self.root, *_own_environment(), *tools, *in_home)
        for bound in kept:
            argv += ["--ro-bind", str(bound), str(bound)]
        for path in self._hidden:
            if any(Path(path).is_relative_to(home) for home in self._homes) and not any(
                Path(path).is_relative_to(bound) for bound in kept
            ):
                continue  # gone with its home
            if Path(path).is_dir():
                argv += ["--tmpfs", path, "--remount-ro", path]
            else:
                argv += ["--ro-bind", "/dev/null", path]
        for writable in (space.live, *shared):
            argv += ["--bind", str(writable), str(writable)]
        for home in self._homes:
            argv += ["--remount-ro", str(home)]
        return [*argv, "--chdir", str(space.repo), "--", *command]

    def run(
        self,
        command: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
        borrowed_env: Mapping[str, str] | None = None,
        evidence: bool = False,
        shared: Sequence[Path] = (),
    ) -> RunResult:
        """Run ``command`` in ``space``'s repository copy; killed with its group at ``timeout``.

        ``extra_env`` and ``borrowed_env``: see :meth:`environment`. ``evidence`` opens a
        pipe whose write end the run finds in :attr:`evidence_variable`;
        ``shared`` names host folders the run may write (coverage data of a whole suite).
        """
        env = self.environment(space, extra_env, borrowed_env)
        read_end, write_end = os.pipe() if evidence else (-1, -1)
        if evidence:
            env[self.evidence_variable] = str(write_end)
        argv = self._argv(command, space, shared, env)
        confined = self.isolation.sandboxed and self._bwrap is not None
        host_env = dict(HOST_ENVIRONMENT) if confined else env
        collected = bytearray()
        reader = threading.Thread(target=_drain, args=(read_end, collected), daemon=True)
        log = space.scratch("run", ".log")
        started = time.monotonic()
        group = _pids_group(self.limits.processes)
        limit = functools.partial(self.limits.apply, group)
        with log.open("wb") as sink:
            try:
                process = subprocess.Popen(
                    argv,
                    cwd=space.repo,
                    env=host_env,
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=(write_end,) if evidence else (),
                    preexec_fn=limit,  # noqa: PLW1509 - setrlimit only
                )
            except OSError as exc:
                if evidence:
                    os.close(read_end)
                    os.close(write_end)
                _remove_group(group)
                return RunResult(tuple(command), 127, False, f"cannot run {argv[0]}: {exc}", 0.0)
            if evidence:
                os.close(write_end)
                reader.start()
            timed_out, killed_for = False, ""
            writable = (space.live, *shared)  # every folder the run may write counts
            room = sum(map(_tree_bytes, writable)) + self.limits.disk_bytes
            deadline = started + timeout
            while True:
                try:
                    returncode = process.wait(timeout=_DISK_POLL)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= deadline:
                        timed_out = True
                    elif sum(map(_tree_bytes, writable)) > room:
                        killed_for = f"it wrote more than {self.limits.disk_bytes >> 20} MiB"
                    else:
                        continue
                    _kill_group(process.pid)
                    returncode = process.wait()
                    break
        if evidence:
            reader.join(timeout=5)
        _remove_group(group)
        seconds = time.monotonic() - started
        output = _tail(log)
        return RunResult(
            tuple(command), returncode, timed_out, output, seconds, bytes(collected), killed_for
        )


def _homes(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """The home folders a sandbox hides whole: ``HOME`` and the user's own from the password
    database, when they are real folders outside the ones already emptied (never ``/``), the
    outermost of two nested ones."""
    found: list[Path] = []
    named = [environ.get("HOME", ""), _runner_folder(environ)]
    with contextlib.suppress(KeyError, ImportError):
        import pwd

        named.append(pwd.getpwuid(os.getuid()).pw_dir)
    for name in named:
        if not name or not Path(name).is_absolute():
            continue
        home = Path(name).resolve()
        if (
            home.is_dir()
            and home != Path("/")
            and not any(home.is_relative_to(emptied) for emptied in _EMPTIED)
            and home not in found
        ):
            found.append(home)
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


def _drain(fd: int, into: bytearray) -> None:
    """Read the evidence pipe until every writer closed it (a run's daemons are killed with it)."""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(1 << 16):
            if len(into) < MAX_EVIDENCE_BYTES:
                into += chunk


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _tail(path: Path) -> str:
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - MAX_OUTPUT_CHARS))
        return handle.read().decode("utf-8", "replace")
