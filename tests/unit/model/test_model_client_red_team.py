"""Red-team attacks on the model client by a hostile OpenAI-compatible server: answers whose
body never ends, or inflates from 1 MiB on the wire to 1 GiB in memory. ``model-timeout``
bounds the time of a call, not what it holds meanwhile.

The harness's scripted server (``tests/harness/model_server.py``) writes JSON bodies only, so
these servers are raw sockets. Each case runs in a child process whose address space is capped
at what it had plus 512 MiB, so the attack cannot take the test machine's memory with it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_CHILD = """
import resource, socket, sys, threading, zlib
from pydantic import BaseModel, SecretStr
from cicd_agent.runner.errors import ModelError
from cicd_agent.model.client import ModelClient
from cicd_agent.model.config import ModelConfig

KIND = sys.argv[1]
HEAD = b'{"choices": [{"finish_reason": "stop", "message": {"content": "'
if KIND == "gzip":
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    BODY = packer.compress(HEAD) + b"".join(packer.compress(bytes(1 << 20)) for _ in range(1024))
    BODY += packer.flush()
    HEADERS = b"content-encoding: gzip\\r\\ncontent-length: %d\\r\\n" % len(BODY)
else:
    BODY, HEADERS = HEAD, b"connection: close\\r\\n"

listener = socket.create_server(("127.0.0.1", 0))

def answer(conn):
    try:
        conn.recv(1 << 16)
        conn.sendall(b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\n" + HEADERS)
        conn.sendall(b"\\r\\n" + BODY)
        while KIND == "endless":
            conn.sendall(b"A" * (1 << 20))
    except OSError:
        pass

def serve():
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()

threading.Thread(target=serve, daemon=True).start()
status = open("/proc/self/status").read()
size_kib = int(status.split("VmSize:")[1].split()[0])
cap = (size_kib << 10) + (512 << 20)
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

class Answer(BaseModel):
    text: str = ""

config = ModelConfig.model_validate({
    "provider": "openai", "api_key": SecretStr("sk-test-red-team-key-1234"), "timeout": 8.0,
    "base_url": "http://127.0.0.1:%d/v1" % listener.getsockname()[1], "max_retries": 0,
})
try:
    with ModelClient(config) as client:
        client.ask(Answer, system="s", user="u")
    print("ANSWERED")
except ModelError as exc:
    print("MODEL ERROR", exc)
except BaseException as exc:
    print("CRASHED", type(exc).__name__)
"""


@pytest.mark.parametrize(
    "kind",
    [
        "endless",  # headers at once, then a body that never ends, written as fast as it goes
        "gzip",  # 1 MiB of gzip that inflates to 1 GiB: here in milliseconds, no timeout helps
    ],
)
def test_an_answer_too_large_to_be_one_ends_as_a_model_error(kind: str) -> None:
    """Attack: a hostile server (or one the pull request's text talked into rambling) sends
    an answer larger than any completion. Within model-timeout (120 s by default) the client
    held gigabytes; a gzip bomb needs no time at all. Either way the runner's memory runs out
    and the mode dies without its outputs, where a ModelError would keep the floor."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), kind],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert "MODEL ERROR" in done.stdout, done.stdout + done.stderr[-2000:]
