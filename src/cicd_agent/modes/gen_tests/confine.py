"""Run one command with the filesystem read-only except named folders, in fresh namespaces.

The sandbox starts this file as::

    unshare --user --map-root-user --net --mount --pid --fork --mount-proc --kill-child \
        python -I -S confine.py --writable DIR [--hide PATH ...] -- COMMAND ...

``unshare`` creates the namespaces: no network but a private loopback, a private ``/proc`` that
shows only the command's own processes (so no other process's environment can be read), and a
PID namespace the kernel tears down as a whole when the run is killed. This script, root only
inside its own user namespace, makes every mount read-only, makes the candidate's own folder
writable again, hides credential files behind empty mounts, brings the private loopback up and
then becomes COMMAND.

It runs under the agent's interpreter with ``-I -S`` and imports only the standard library:
it must work before anything of the project or of cicd-agent is importable.
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import json
import os
import resource
import socket
import struct
import sys
from pathlib import Path

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 1 << 14
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21

# statvfs flag -> mount flag to keep when remounting (the kernel refuses, inside a user
# namespace, a remount that would drop a flag the outer namespace set).
_KEPT_FLAGS = (
    (os.ST_NOSUID, MS_NOSUID),
    (os.ST_NODEV, MS_NODEV),
    (os.ST_NOEXEC, MS_NOEXEC),
    (os.ST_NOATIME, MS_NOATIME),
    (os.ST_NODIRATIME, MS_NODIRATIME),
    (os.ST_RELATIME, MS_RELATIME),
)
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFREQ = "16sH14x"
_TEST_NET = ("192.0.2.1", 9)  # RFC 5737 documentation address: never a real host

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> str:
    """mount(2); returns "" on success, else the error text (failures are reported, not fatal)."""
    result = _libc.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    if result != 0:
        return os.strerror(ctypes.get_errno())
    return ""


def _kept_flags(path: str) -> int:
    flags = os.statvfs(path).f_flag
    return sum(mount_flag for stat_flag, mount_flag in _KEPT_FLAGS if flags & stat_flag)


def _unescape(field: str) -> str:
    """Mount points in mountinfo escape space, tab, newline and backslash as octal."""
    return (
        field.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
    )


def _mount_points() -> list[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        points = [_unescape(line.split()[4]) for line in handle if line.strip()]
    return list(dict.fromkeys(points))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def confine(writable: list[str], hidden: list[str]) -> list[str]:
    """Make the filesystem read-only except ``writable``; hide ``hidden``. Returns failures."""
    failures: list[str] = []
    error = _mount(None, "/", None, MS_REC | MS_PRIVATE)
    if error:
        return [f"/: {error}"]
    for point in _mount_points():
        if _inside(point, "/proc"):
            continue
        try:
            flags = _kept_flags(point)
        except OSError as exc:
            failures.append(f"{point}: {exc.strerror}")
            continue
        error = _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        if error and not _inside(point, "/sys"):
            failures.append(f"{point}: {error}")
    for folder in writable:
        error = _mount(folder, folder, None, MS_BIND | MS_REC) or _mount(
            None, folder, None, MS_REMOUNT | MS_BIND | _kept_flags(folder)
        )
        if error:
            failures.append(f"{folder} (writable): {error}")
    for path in hidden:
        target = Path(path)
        if target.is_dir():
            error = _mount(
                "tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k"
            )
        elif target.exists():
            error = _mount("/dev/null", path, None, MS_BIND)
        else:
            continue
        if error:
            failures.append(f"{path} (hidden): {error}")
    shared_memory = "/dev/shm"  # noqa: S108 - replaced by a private tmpfs, not used as a temp dir
    if Path(shared_memory).is_dir():
        error = _mount("tmpfs", shared_memory, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m")
        if error:
            failures.append(f"{shared_memory}: {error}")
    return failures


def loopback_up() -> str:
    """Bring up the namespace's own loopback, so tests may still serve on localhost."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack(_IFREQ, b"lo", 0)
            flags = struct.unpack(_IFREQ, fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))
    except OSError as exc:
        return f"loopback: {exc.strerror}"
    return ""


def _probe(writable: list[str], failures: list[str]) -> dict[str, object]:
    """What this confinement achieved, checked by trying (printed once as JSON)."""
    outside = Path(writable[0]).parent / ".cicd-agent-probe" if writable else Path("/probe")
    try:
        outside.write_text("x")
    except OSError:
        readonly = True
    else:
        outside.unlink()
        readonly = False
    inside_ok = True
    for folder in writable:
        try:
            probe = Path(folder) / ".cicd-agent-probe"
            probe.write_text("x")
            probe.unlink()
        except OSError:
            inside_ok = False
    try:
        with socket.create_connection(_TEST_NET, timeout=1):
            network_blocked = False
    except OSError:
        network_blocked = True
    others = [name for name in os.listdir("/proc") if name.isdigit() and int(name) > 10]
    return {
        "readonly": readonly,
        "writable": inside_ok,
        "network_blocked": network_blocked,
        "private_proc": len(others) < 5,
        "failures": failures,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="confine")
    parser.add_argument("--writable", action="append", default=[])
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--max-file-bytes", type=int, default=0)
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    failures = confine(args.writable, args.hide)
    lo_error = loopback_up()
    if lo_error:
        failures.append(lo_error)
    if args.max_file_bytes:
        limit = args.max_file_bytes
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    os.chdir(os.getcwd())  # re-enter the working folder through the new (writable) mount
    if args.probe:
        sys.stdout.write(json.dumps(_probe(args.writable, failures)) + "\n")
        return 0
    if not command:
        sys.stderr.write("confine: no command given\n")
        return 2
    try:
        os.execvp(command[0], command)  # noqa: S606 - no shell, by design
    except OSError as exc:
        sys.stderr.write(f"confine: cannot run {command[0]}: {exc.strerror}\n")
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
