"""cargo's repeats inside the sandbox: a script our own interpreter runs there, standard library
alone.

``record``: cargo's runner for one ``cargo test``: in place of each test binary, one JSON line
naming the binary with its arguments, folder and environment exactly as cargo gives them.

``loop VARIABLE TIMES NOISE PLAN...``: each recorded binary run TIMES times in turn beside NOISE
CPU-and-memory burners. The evidence pipe is taken out of the environment and kept from every
child, and this process makes itself non-dumpable first, so no test can reach the pipe through
``/proc`` or this process's memory. It writes one frame per run (a header with a token drawn
here, the repetition, the binary, its exit status as the kernel gives it, its output's length,
then the output), between a first frame and a last; a run that kills it leaves no last frame."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from typing import BinaryIO

MAX_NOISE = 8
"""The most noise processes a loop starts."""
MARK = "cicd-agent-repeat"
"""How every frame's header line begins."""
_DUMPABLE = 4  # prctl's PR_SET_DUMPABLE

NOISE = """
import os
parent = os.getppid()
chunk = 16 << 20
while os.getppid() == parent:
    block = bytearray(chunk)
    for i in range(0, chunk, 4096):
        block[i] = i & 255
    total = 0
    for i in range(200_000):
        total += i * i
"""
"""One noise process: CPU and fresh pages in turn, until the loop that started it is gone."""


def record(argv: list[str]) -> None:
    """One line of JSON: the binary cargo would run, as it would run it."""
    said = {
        "reason": "cicd-agent-runner",
        "argv": argv,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
    }
    sys.stdout.write(json.dumps(said) + "\n")
    sys.stdout.flush()


def frame(out: BinaryIO, token: str, words: str, data: bytes = b"") -> None:
    out.write(f"{MARK} {token} {words} {len(data)}\n".encode() + data + b"\n")
    out.flush()


def loop(variable: str, times: int, noise: int, plans: list[dict[str, object]]) -> int:
    """Every plan's binary ``times`` times in turn, each run framed on the evidence pipe."""
    fd = int(os.environ.pop(variable))
    os.set_inheritable(fd, False)
    if ctypes.CDLL(None, use_errno=True).prctl(_DUMPABLE, 0, 0, 0, 0) != 0:
        sys.stderr.write("cicd-agent: could not keep the evidence pipe from the tests\n")
        return 2
    token = os.urandom(16).hex()
    noisy = [
        subprocess.Popen(
            [sys.executable, "-I", "-c", NOISE], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        for _ in range(min(max(noise, 0), MAX_NOISE))
    ]
    with os.fdopen(fd, "wb") as out:
        frame(out, token, f"start {times} {len(plans)} {len(noisy)}")
        for repetition in range(times):
            for index, plan in enumerate(plans):
                argv, cwd, env = plan["argv"], plan["cwd"], plan["env"]
                assert isinstance(argv, list) and isinstance(cwd, str) and isinstance(env, dict)
                run = subprocess.run(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    check=False,
                )
                frame(out, token, f"run {repetition} {index} {run.returncode}", run.stdout)
        frame(out, token, "end")
    for process in noisy:
        process.kill()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["record"]:
        record(sys.argv[2:])
    else:
        sys.exit(
            loop(
                sys.argv[2],
                int(sys.argv[3]),
                int(sys.argv[4]),
                [json.loads(plan) for plan in sys.argv[5:]],
            )
        )
