"""Whether bubblewrap can confine runs here, and with which flags and user.

Found once per ``bwrap`` by trying it (:func:`probe_isolation`); who the run is depends on
who we are (:func:`confinement`): a user lends its own access, root lends nobody's.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from cicd_agent.local import processes
from cicd_agent.sandbox.environment import HOST_ENVIRONMENT, system_program
from cicd_agent.sandbox.syscalls import filter_fd, seccomp_option

_PROBE_TIMEOUT = 20.0

USER_FLAGS = (
    "--unshare-user",
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
)
"""bwrap's namespace flags when a user (not root) runs the agent.

No cgroup namespace (``--unshare-all`` would add one), here or for root: ``/sys`` is the
host's, so the run sees every group through it anyway, and a namespace rooted at the run's
group made each hierarchy's mount show root ``/../..`` against the run's own path ``/``, which
no tool can place: the JVM's container code dies on it (a NullPointerException: every
``recheck`` ReDoS check of a real vitest suite failed in the sandbox and passed outside;
``java -XshowSettings:system`` dies so), and others read the host's root group's limits.
Without one a run's path is its real group's, and its limits are what a tool reads there."""

NOBODY = 65534
"""The uid and gid every run gets when the agent is root: not root's files, whoever owns them."""

_ROOT_FLAGS = (
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--cap-add",
    "CAP_SETUID",
    "--cap-add",
    "CAP_SETGID",
)


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


@dataclass(frozen=True)
class Confinement:
    """How bwrap starts a run: its namespace flags, what runs first inside, who owns the run.

    Run by a user, bwrap maps that user to itself in a new user namespace, and the run holds
    that user's access to files, no more. Run by root, the same mapping leaves every file root
    owns readable by its owner (``/etc/shadow``, host SSH keys), capabilities or not: so bwrap
    (still root, to bind what the run needs wherever it lies) makes no user namespace, keeps
    only ``CAP_SETUID`` and ``CAP_SETGID``, and ``setpriv`` turns the run into ``nobody`` (no
    groups, no capabilities, no new privileges) before its command starts.
    """

    flags: tuple[str, ...]
    prefix: tuple[str, ...] = ()
    """Put before the command inside the sandbox (the drop to ``nobody``)."""
    owner: int | None = None
    """The uid and gid that must own what a run may write (None: ours already)."""


def confinement() -> Confinement | str:
    """This process's :class:`Confinement`, or why runs cannot be confined (root without
    ``setpriv``, which would leave them root)."""
    if os.geteuid() != 0:
        return Confinement(USER_FLAGS)
    setpriv = shutil.which("setpriv", path=HOST_ENVIRONMENT["PATH"])
    if setpriv is None:
        return "the agent runs as root and setpriv (util-linux) is missing to drop to nobody"
    drop = (setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
    return Confinement(_ROOT_FLAGS, (*drop, "--inh-caps=-all", "--"), NOBODY)


def find_bwrap(environ: Mapping[str, str]) -> str | None:
    """The ``bwrap`` on the run's ``PATH`` that no repository put there (None when absent or
    not on Linux): :func:`cicd_agent.local.processes.host_tool`."""
    if not sys.platform.startswith("linux"):
        return None
    return processes.host_tool("bwrap", environ)


@cache
def probe_isolation(bwrap: str | None) -> Isolation:
    """Start bubblewrap once with the sandbox's flags; say why when it cannot run."""
    if bwrap is None:
        return Isolation(False, "bwrap is not installed")
    confined = confinement()
    if isinstance(confined, str):
        return Isolation(False, confined)
    try:
        namespace = closed_user_namespace() if confined.owner is not None else -1
    except OSError as exc:
        return Isolation(False, f"cannot make a user namespace for nobody: {exc}")
    argv = [bwrap, *confined.flags, *userns_option(namespace), "--ro-bind", "/", "/"]
    argv += ["--proc", "/proc", "--dev", "/dev", "--", *confined.prefix, "sh", "-c", "exit 0"]
    try:
        with filter_fd() as syscalls:
            done = processes.run(
                [argv[0], *seccomp_option(syscalls), *argv[1:]],
                env=HOST_ENVIRONMENT,
                capture_output=True,
                text=True,
                timeout=_PROBE_TIMEOUT,
                check=False,
                pass_fds=tuple(fd for fd in (namespace, syscalls) if fd >= 0),
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Isolation(False, f"bwrap failed: {exc}")
    finally:
        if namespace >= 0:
            os.close(namespace)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return Isolation(False, reason[:200])
    return Isolation(True)


_CLONE_NEWUSER = 0x10000000


def userns_option(namespace: int) -> tuple[str, ...]:
    """bwrap's option to join ``namespace`` (none for -1: bwrap makes its own)."""
    return ("--userns", str(namespace)) if namespace >= 0 else ()


def closed_user_namespace() -> int:
    """An fd of a new user namespace that maps root and ``nobody`` to themselves and in which
    no further user namespace can be made (``user.max_user_namespaces`` 0 there), for bwrap's
    ``--userns`` when we are root: bwrap mounts as root in it, ``setpriv`` drops the run to
    ``nobody``, and the run cannot make a namespace of its own to undo the mounts from. Its
    first process is exec'd (:func:`_exec_namespace`) where the system has util-linux's
    ``unshare``: a fork of this process would copy its page tables, every run."""
    tools = namespace_tools()
    return _exec_namespace(*tools) if tools is not None else _forked_namespace()


@cache
def namespace_tools() -> tuple[str, str] | None:
    """The system's ``unshare`` and shell (:func:`system_program`); None: either is missing."""
    unshare = system_program("unshare")
    shell = system_program("dash") or system_program("sh")
    return (unshare, shell) if unshare is not None and shell is not None else None


_CLOSE = (
    'printf 1; read -r go && [ "$go" = 1 ] &&'
    ' exec "$1" -c "echo 0 >/proc/sys/user/max_user_namespaces"'
)
"""The namespace's first process, after ``unshare``: it says it is in the namespace, waits
for its maps, then execs a shell that closes it. Only that second exec makes it the
namespace's root (an exec before the maps, as the first, leaves a process no capability
there), and only its root may write the limit."""


def _exec_namespace(unshare: str, shell: str) -> int:
    """:func:`closed_user_namespace` by ``unshare --user`` and :data:`_CLOSE`."""
    helper = processes.start(
        [unshare, "--user", "--", shell, "-c", _CLOSE, "close", shell],
        env=HOST_ENVIRONMENT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert helper.stdin is not None and helper.stdout is not None
    namespace = -1
    try:
        if helper.stdout.read(1) != b"1":
            raise OSError("cannot make a user namespace")
        _map(helper.pid)
        namespace = os.open(f"/proc/{helper.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        helper.stdin.write(b"1\n")
    finally:
        with contextlib.suppress(OSError):  # it ended early: its status says so
            helper.stdin.close()
        helper.stdout.close()
        code = helper.wait()
    if code != 0:
        os.close(namespace)
        raise OSError("cannot close the user namespace to further ones")
    return namespace


def _map(pid: int) -> None:
    for name in ("uid_map", "gid_map"):
        with open(f"/proc/{pid}/{name}", "w") as mapping:
            mapping.write(f"0 0 1\n{NOBODY} {NOBODY} 1\n")


def _forked_namespace() -> int:
    """:func:`closed_user_namespace` by a fork of this process (no ``unshare`` here)."""
    unshare = ctypes.CDLL(None, use_errno=True).unshare  # looked up before the fork, not in it
    ready_read, ready_write = os.pipe()
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the namespace's first process: unshare, wait for its maps, close it
        code = 1
        try:
            os.close(ready_read)
            os.close(go_write)
            if unshare(_CLONE_NEWUSER) == 0:
                os.write(ready_write, b"1")
                if os.read(go_read, 1) == b"1":
                    with open("/proc/sys/user/max_user_namespaces", "w") as limit:
                        limit.write("0")
                    code = 0
        finally:
            os._exit(code)
    os.close(ready_write)
    os.close(go_read)
    try:
        if os.read(ready_read, 1) != b"1":
            raise OSError("cannot make a user namespace")
        _map(pid)
        namespace = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        os.write(go_write, b"1")
    finally:
        os.close(ready_read)
        os.close(go_write)
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        os.close(namespace)
        raise OSError("cannot close the user namespace to further ones")
    return namespace
