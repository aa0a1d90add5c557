"""Attacks on the rights a ``RUN`` line holds over its build's network: the fence's rules
(:mod:`cicd_agent.modes.build.network`) hold only while no process of the build holds
``CAP_NET_ADMIN`` (to change them) or ``CAP_NET_RAW`` (to send a frame past them). A ``RUN``
line runs as root with ``CAP_SETFCAP``: it gives a program of its image both capabilities as
file capabilities and runs it, and opens packet and raw sockets itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.helpers.buildah import needs_buildah, static_program
from tests.modes.build.test_build_network_attacks import build

pytestmark = needs_buildah

RIGHTS = r"""
#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/xattr.h>
int main(int argc, char **argv) {
    if (argc > 2) {
        struct vfs_cap_data cap; memset(&cap, 0, sizeof cap);
        cap.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
        cap.data[0].permitted = (1u << CAP_NET_ADMIN) | (1u << CAP_NET_RAW);
        int set = setxattr(argv[2], "security.capability", &cap, XATTR_CAPS_SZ_2, 0);
        printf("setcap %s\n", set == 0 ? "done" : "refused");
        return 0;
    }
    int packet = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    printf("packet %s\nraw %s\n", packet < 0 ? "refused" : "opened", raw < 0 ? "refused" : "opened");
    return 0;
}
"""
"""A static program that opens a packet socket and a raw one and says which it could
(``setcap FILE``: gives ``FILE`` both network capabilities, permitted and effective)."""


def test_attack_a_run_line_gets_no_network_right_from_a_file_capability(tmp_path: Path) -> None:
    """On the machine the program, given the capabilities as a file's and run by a user who
    holds none, opens both sockets; in a ``RUN`` line, as root, it opens neither, and the
    copy the line gives the capabilities is not run with them."""
    tools = tmp_path / "tools"
    tools.mkdir()
    tool = static_program(tools, "rights", RIGHTS)
    if os.geteuid() == 0:  # the capability works where the bounding set holds it
        capped = tools / "capped"
        shutil.copy(tool, capped)
        subprocess.run([str(tool), "setcap", str(capped)], check=True, capture_output=True)
        with capped.open("rb") as program:  # run by its descriptor: nobody reaches no folder here
            fd = program.fileno()
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "--inh-caps=-all", f"/proc/self/fd/{fd}"]  # fmt: skip
            outside = subprocess.run(argv, capture_output=True, text=True, check=True,
                                     pass_fds=(fd,)).stdout  # fmt: skip
        assert outside == "packet opened\nraw opened\n", outside
    seen = build(tmp_path, [
        "/rights > /plain 2>&1; true",
        "cp /rights /capped && /rights setcap /capped > /setcap 2>&1; true",
        "/capped > /capped.out 2>&1; echo \"status $?\" >> /capped.out",
    ], {"rights": tool})  # fmt: skip
    assert seen["plain"] == "packet refused\nraw refused\n", seen["plain"]
    assert "opened" not in seen["capped.out"], (seen["setcap"], seen["capped.out"])
