"""pytest plugin: GitHub's official OpenAPI description served by Prism, once per test run.

Fixtures:

* ``github_mock`` (session): Prism on a free loopback port behind a scripting proxy
  (``github_proxy.py``) of this process, which is where PyGithub is sent. Prism serves the
  prepared description (``prepare_spec.py``), whose URLs name a placeholder that each proxy
  replaces with its own in what Prism answers. Prism takes 10-15 s and a few CPU-seconds to load
  the description, so it is launched right after collection when any selected test needs it, and
  loads while the tests before those run; one serves every worker of a parallel run (the first
  to need it launches it, the controller stops it at the end) and each worker has its own proxy.
* ``github_api`` (function): resets the proxy's scripts, record and rejections, and at teardown
  fails the test if Prism rejected any request the test made (a violation of the description
  by the request, or a route the description does not have, read from Prism's answer to it)
  that the test did not declare with ``expect_rejections``.

Artefacts come from ``tests/harness/setup.sh`` (into the gitignored ``.harness/``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.github.retry import RetryPolicy
from cicd_agent.github.settings import GitHubSettings

from .github_proxy import ScriptingProxy
from .prepare_spec import BASE_URL_PLACEHOLDER, prepare_file

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / ".harness"
PRISM = HARNESS / "prism" / "node_modules" / ".bin" / "prism"
SOURCE_SPEC = HARNESS / "openapi" / "api.github.com.deref.json"
PREPARED_SPEC = HARNESS / "openapi" / "github-mock.json"
REPO = "octocat/Hello-World"
TOKEN = "ghs_cicdAgentTestToken000000000000000000"

_READY = "Prism is listening on"
_MOCK_KEY = pytest.StashKey["GitHubMock"]()
_SHARED_KEY = pytest.StashKey[Path]()
_SHARED_INPUT = "cicd_agent_github_mock"
"""The key of a worker's input that names the folder of the run's one Prism."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _spec() -> Path:
    """The prepared spec, preparing it here if setup.sh ran before prepare_spec.py existed."""
    if not SOURCE_SPEC.exists() or not PRISM.exists():
        pytest.fail(
            f"GitHub mock artefacts missing ({SOURCE_SPEC.name} or prism): run "
            "`bash tests/harness/setup.sh` from the repository root first.",
            pytrace=False,
        )
    script = Path(__file__).with_name("prepare_spec.py")
    stale = not PREPARED_SPEC.exists() or any(
        PREPARED_SPEC.stat().st_mtime < p.stat().st_mtime for p in (SOURCE_SPEC, script)
    )
    if stale:
        prepare_file(SOURCE_SPEC, PREPARED_SPEC)
    return PREPARED_SPEC


@dataclass
class GitHubMock:
    """The mock: ``base_url`` is the proxy's, which tests and PyGithub talk to. Prism itself
    (``pid``, its own process group) is shared by every test worker of the run; each worker
    has its own proxy, which records its requests and Prism's rejections of them."""

    proxy: ScriptingProxy
    log_path: Path
    pid: int
    launched: float
    shared: bool
    start_seconds: float = 0.0
    waited_seconds: float = 0.0

    @property
    def base_url(self) -> str:
        return self.proxy.base_url

    def log_text(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", errors="replace")

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Block until Prism listens; fail with the end of its log if it died or took too long."""
        waiting = time.perf_counter()
        deadline = time.monotonic() + timeout
        while not self.start_seconds:
            if _READY in self.log_text():
                self.start_seconds = time.perf_counter() - self.launched
            elif not _alive(self.pid) or time.monotonic() > deadline:
                tail = "\n".join(self.log_text().splitlines()[-20:])
                pytest.fail(f"Prism did not start:\n{tail}", pytrace=False)
            else:
                time.sleep(0.1)
        self.waited_seconds += time.perf_counter() - waiting

    def stop(self) -> None:
        """End the proxy, and Prism when this process alone uses it (else the run's end does)."""
        self.proxy.close()
        if not self.shared:
            _end_prism(self.log_path.parent)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (not ended, nor ended and waiting to be reaped)."""
    try:
        return not Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].startswith(" Z")
    except OSError:
        return False


def _end_prism(workdir: Path) -> None:
    """End the Prism started in ``workdir`` (its own process group, start_new_session), nothing
    else, and remove the folder."""
    with contextlib.suppress(OSError, ValueError):
        pid = int((workdir / "prism.pid").read_text())
        for sent in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sent)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _alive(pid):
                break
    shutil.rmtree(workdir, ignore_errors=True)


_GUARDED = """
run=$1; shift
"$@" & served=$!
while kill -0 "$run" 2>/dev/null && kill -0 "$served" 2>/dev/null; do sleep 1; done
kill 0 2>/dev/null
"""
"""Prism in a group of its own (a test's signals never reach it) that ends with the run: a
suite killed from outside left it serving, with no parent, until killed by hand."""


def _run_pid(config: pytest.Config) -> int:
    """The test run's own process: xdist's controller (each worker's parent), or this one."""
    return os.getppid() if hasattr(config, "workerinput") else os.getpid()


def _launch(config: pytest.Config) -> GitHubMock:
    """Start this process's proxy, and Prism unless another worker of the run has (it takes
    seconds and a few CPU-seconds to load the description: one serves the whole run)."""
    spec = _spec()
    launched = time.perf_counter()
    shared = getattr(config, "workerinput", {}).get(_SHARED_INPUT)
    workdir = Path(shared or tempfile.mkdtemp(prefix="cicd-agent-github-mock-"))
    with (workdir / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
        if not (workdir / "prism.pid").exists():
            # Prism reloads the file it serves when that file changes, refusing requests for
            # the seconds it takes: it serves the run's own copy, which no other run rewrites.
            spec = Path(shutil.copyfile(spec, workdir / spec.name))
            port = _free_port()
            with (workdir / "prism.log").open("wb") as log:
                process = subprocess.Popen(
                    ["sh", "-c", _GUARDED, "guard", str(_run_pid(config)), str(PRISM), "mock",
                     "-h", "127.0.0.1", "-p", str(port), str(spec)],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )  # fmt: skip
            (workdir / "prism.port").write_text(str(port))
            (workdir / "prism.pid").write_text(str(process.pid))
        port, pid = (int((workdir / f"prism.{n}").read_text()) for n in ("port", "pid"))
    proxy = ScriptingProxy(("127.0.0.1", port), BASE_URL_PLACEHOLDER)
    proxy.start()
    return GitHubMock(proxy, workdir / "prism.log", pid, launched, shared=bool(shared))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, in the controller: every worker is told the folder of the run's Prism."""
    if _SHARED_KEY not in node.config.stash:
        node.config.stash[_SHARED_KEY] = Path(tempfile.mkdtemp(prefix="cicd-agent-github-mock-"))
    node.workerinput[_SHARED_INPUT] = str(node.config.stash[_SHARED_KEY])


def pytest_collection_finish(session: pytest.Session) -> None:
    """Launch Prism as soon as we know a selected test needs it, so it loads while others run."""
    needed = any("github_mock" in getattr(item, "fixturenames", ()) for item in session.items)
    runs = not session.config.option.collectonly
    if needed and runs and SOURCE_SPEC.exists() and PRISM.exists():
        session.config.stash[_MOCK_KEY] = _launch(session.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    mock = session.config.stash.get(_MOCK_KEY, None)
    if mock is not None:
        mock.stop()
    shared = session.config.stash.get(_SHARED_KEY, None)
    if shared is not None:  # the controller, once every worker is done
        _end_prism(shared)


@pytest.fixture(scope="session")
def github_mock(pytestconfig: pytest.Config) -> GitHubMock:
    """The session's mock, ready; prefer ``github_api``, which also checks every request."""
    mock = pytestconfig.stash.get(_MOCK_KEY, None)
    if mock is None:
        mock = pytestconfig.stash[_MOCK_KEY] = _launch(pytestconfig)
    mock.wait_ready()
    return mock


@dataclass
class GitHubApi:
    """What a test uses: the proxy to script and inspect, and settings pointing at it."""

    mock: GitHubMock
    expected: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.mock.base_url

    @property
    def proxy(self) -> ScriptingProxy:
        return self.mock.proxy

    def settings(self, **changes: Any) -> GitHubSettings:
        """Facade settings for the mock: no pacing, immediate retries; override any field."""
        base = GitHubSettings(
            token=TOKEN,
            repo=REPO,
            api_url=self.base_url,
            retry=RetryPolicy(total=2, backoff_factor=0.0, max_wait_seconds=0.0),
            seconds_between_writes=0.0,
            timeout_seconds=30,
        )
        return replace(base, **changes)

    def env(self) -> dict[str, str]:
        """The runner variables a mode run (CLI) needs to reach the mock."""
        return {
            "GITHUB_API_URL": self.base_url,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": REPO,
            "CICD_AGENT_GITHUB_WRITE_INTERVAL": "0",
            "CICD_AGENT_GITHUB_MAX_WAIT": "0",
        }

    def expect_rejections(self, *fragments: str) -> None:
        """Declare requests the description must reject; each fragment must match one line."""
        self.expected.extend(fragments)

    def rejections(self) -> list[str]:
        """Prism's rejections of this test's requests so far."""
        return self.proxy.rejected


@pytest.fixture
def github_api(github_mock: GitHubMock) -> Iterator[GitHubApi]:
    """A clean proxy for this test; fails it if Prism rejected a request it did not expect."""
    github_mock.proxy.reset()
    api = GitHubApi(github_mock)
    yield api
    problems = judge(api.rejections(), api.expected)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def judge(rejected: list[str], expected: list[str]) -> list[str]:
    """Problems to fail a test with: rejections not declared, and declared ones that never came."""
    unexpected = [line for line in rejected if not any(f in line for f in expected)]
    unmet = [f for f in expected if not any(f in line for line in rejected)]
    problems = [f"rejected by the GitHub description: {line}" for line in unexpected]
    problems += [f"expected a rejection matching {f!r}, Prism logged none" for f in unmet]
    return problems


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Report what the mock cost this session: start-up time and per-request latency."""
    mock = config.stash.get(_MOCK_KEY, None)
    if mock is None or not mock.start_seconds:
        return
    seconds = sorted(mock.proxy.upstream_seconds)
    line = (
        f"github mock: Prism ready {mock.start_seconds:.1f} s after launch,"
        f" tests waited {mock.waited_seconds:.1f} s for it"
    )
    if seconds:
        p95 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))]
        line += (
            f"; {len(seconds)} requests validated, median {statistics.median(seconds) * 1000:.0f} ms,"
            f" p95 {p95 * 1000:.0f} ms"
        )
    terminalreporter.write_line(line)
