"""What of the machine a build's sandbox shows buildah and skopeo: through buildah's
``/proc/<pid>/root`` every ``RUN`` line of the build sees the same (chroot isolation gives the
line no PID namespace of its own), so it is only what the two programs read, found by tracing
a build, a pull, an image copy and a command run in an image (``research/build/usr-trace.md``).

Of ``/usr`` that is the programs themselves, their libraries (the multiarch library folders
and the loader's), the containers' default settings and the time zones; not ``/usr/local``
(where a machine keeps its own tools and settings: ``etc/npmrc`` with a registry token, say),
nor the machine's other programs, interpreters and their packages. The top-level links of a
merged ``/usr`` (``/bin -> usr/bin``) are made as links, so no folder comes in whole through
them.
"""

from __future__ import annotations

import glob
import os

from cicd_agent.local.processes import host_tool

PROGRAMS = ("buildah", "skopeo", "fuse-overlayfs", "fusermount3", "newuidmap", "newgidmap")
"""buildah and skopeo, and what a rootless storage starts (fuse-overlayfs and its unmount, the
id mappers), where the machine has them."""
LIBRARIES = ("/usr/lib/*-linux-gnu*", "/lib/*-linux-gnu*", "/usr/lib64", "/lib64")
"""The library folders: the multiarch ones (Debian's), and the loader's (and Fedora's)."""
LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SHARED = (
    "/usr/share/containers",
    "/usr/share/zoneinfo",
    "/sys",
    "/run/systemd/resolve/stub-resolv.conf",
    "/run/systemd/resolve/resolv.conf",
)
"""The containers' default settings, the time zones, the kernel's view buildah reads, and the
files a resolver's ``/etc/resolv.conf`` link may point to; not their folder, which holds
systemd-resolved's UNIX sockets, a way to a service of the runner no network closes."""
SETTINGS = tuple(
    f"/etc/{name}"
    for name in (
        "containers",
        "docker/certs.d",
        "resolv.conf",
        "hosts",
        "hostname",
        "host.conf",
        "gai.conf",
        "nsswitch.conf",
        "services",
        "protocols",
        "passwd",
        "group",
        "subuid",
        "subgid",
        "localtime",
        "ld.so.cache",
        "ld.so.conf",
        "ld.so.conf.d",
        "alternatives",
        "mtab",
        "ssl/certs",
        "ssl/cert.pem",
        "ssl/ca-bundle.pem",
        "pki/tls/certs",
        "pki/ca-trust",
    )
)
"""Of the machine's ``/etc``, what buildah and skopeo read (a traced build and pull, in
``research/build/etc-trace.md``; certificates where Go's TLS looks for them): their own
settings, name resolution, users and the ranges of ids a rootless build maps, the
time zone, the loader's cache, and the registries' certificates. Not the rest: a ``RUN`` line
sees what buildah sees, and ``/etc`` holds ``shadow``, TLS private keys (``ssl/private``),
SSH host keys and settings with passwords in them."""


def binds(path: str) -> list[str]:
    """bubblewrap's options showing the machine's part read-only: the top-level links as links,
    the library folders no link leads to (one through ``/lib -> usr/lib`` is there already),
    each program found on ``path``, :data:`SHARED` and :data:`SETTINGS` (where the machine has
    them)."""
    argv: list[str] = []
    for link in LINKS:
        if os.path.islink(link):
            argv += ["--symlink", os.readlink(link), link]
    found = (folder for pattern in LIBRARIES for folder in sorted(glob.glob(pattern)))
    folders = [folder for folder in found if os.path.realpath(folder) == folder]
    programs = [tool for name in PROGRAMS if (tool := host_tool(name, {"PATH": path}))]
    for shown in (*folders, *programs, *SHARED, *SETTINGS):
        argv += ["--ro-bind-try", shown, shown]
    return argv
