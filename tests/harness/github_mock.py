"""pytest plugin: GitHub's official OpenAPI description served by Prism, once per test session.

Fixtures:

* ``github_mock`` (session): Prism on a free loopback port behind a scripting proxy
  (``github_proxy.py``). The spec served is the prepared one (``prepare_spec.py``) with its URLs
  pointing at the proxy, which is where PyGithub is sent. Prism takes 10-15 s to load the
  description, so it is launched right after collection when any selected test needs it, and
  loads while the tests before those run; it is stopped at the end of the session.
* ``github_api`` (function): resets the proxy's scripts and record, and at teardown fails the
  test if Prism rejected any request the test made (a ``Violation: request…`` line, or a route
  the description does not have) that the test did not declare with ``expect_rejections``.

Artefacts come from ``tests/harness/setup.sh`` (into the gitignored ``.harness/``).
"""

from __future__ import annotations

import http.client
import os
import re
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
from .prepare_spec import prepare_file, with_base_url

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / ".harness"
PRISM = HARNESS / "prism" / "node_modules" / ".bin" / "prism"
SOURCE_SPEC = HARNESS / "openapi" / "api.github.com.deref.json"
PREPARED_SPEC = HARNESS / "openapi" / "github-mock.json"
REPO = "octocat/Hello-World"
TOKEN = "ghs_cicdAgentTestToken000000000000000000"

_READY = "Prism is listening on"
_SENTINEL = "/__cicd_agent_log_sentinel__/"
# Prism logs each request as a block that starts with "[HTTP SERVER] get /path … Request received".
# A block is a rejection when the request broke the description (body, parameters, route, method,
# media type). Violations of the *response* are ignored: GitHub's own examples break its schemas.
_RECEIVED = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) .*Request received")
_REJECTION_MARKS = (
    "Request did not pass the validation rules",
    "Violation: request",
    "Request terminated with error",
)
_MOCK_KEY = pytest.StashKey["GitHubMock"]()


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
    """The mock: ``base_url`` is the proxy's, which tests and PyGithub talk to."""

    proxy: ScriptingProxy
    prism_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    launched: float
    start_seconds: float = 0.0
    waited_seconds: float = 0.0
    _sentinels: int = 0
    _settled: int = 0
    _settled_after: tuple[int, int] = (-1, -1)

    @property
    def base_url(self) -> str:
        return self.proxy.base_url

    def log_text(self, offset: int = 0) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Block until Prism listens; fail with the end of its log if it died or took too long."""
        waiting = time.perf_counter()
        deadline = time.monotonic() + timeout
        while not self.start_seconds:
            if _READY in self.log_text():
                self.start_seconds = time.perf_counter() - self.launched
            elif self.process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.log_text().splitlines()[-20:])
                reason = f"Prism did not start (exit {self.process.poll()}):\n{tail}"
                pytest.fail(reason, pytrace=False)
            else:
                time.sleep(0.1)
        self.waited_seconds += time.perf_counter() - waiting

    def settle(self, timeout: float = 30.0) -> int:
        """Log offset after every request so far has been fully logged.

        Prism logs a request's violations after answering it; a sentinel request sent directly
        to Prism is logged after them, since Prism handles requests in order on one thread.
        When the proxy has sent Prism nothing since the last sentinel, and nothing is in flight,
        Prism has logged nothing since either: that sentinel's offset stands (a test's start
        follows the last one's end), and Prism is spared a request.
        """
        forwarded = (self.proxy.forwarded[0], self.proxy.forwarded[1])
        if forwarded == self._settled_after and forwarded[0] == forwarded[1]:
            return self._settled
        self._sentinels += 1
        tag = f"{_SENTINEL}{self._sentinels} "
        host, port = self.prism_url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            connection.request("GET", tag.strip())
            connection.getresponse().read()
        finally:
            connection.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text(self._settled)
            if any(tag in line and "terminated" in line for line in text.splitlines()):
                self._settled += len(text.encode("utf-8", errors="replace"))
                self._settled_after = forwarded
                return self._settled
            time.sleep(0.02)
        raise AssertionError(f"Prism did not log the sentinel {tag}within {timeout} s")

    def rejections_since(self, offset: int) -> list[str]:
        """One line per rejected request logged after ``offset``: method, path and Prism's reasons."""
        found: list[str] = []
        request, rejected = "", False
        reasons: list[str] = []

        def close() -> None:
            if rejected and _SENTINEL not in request:
                found.append(f"{request}: {' | '.join(reasons)}")

        for line in self.log_text(offset).splitlines():
            received = _RECEIVED.search(line)
            if received:
                close()
                request, reasons, rejected = f"{received[1].upper()} {received[2]}", [], False
                continue
            rejected = rejected or any(mark in line for mark in _REJECTION_MARKS)
            if "\u2716" in line and "Violation: response" not in line:
                reasons.append(line.split("\u2716", 1)[1].strip().removeprefix("error").strip())
        close()
        return found

    def stop(self) -> None:
        """End the proxy and Prism's own process group (start_new_session), nothing else."""
        self.proxy.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.log_path.parent, ignore_errors=True)


def _launch() -> GitHubMock:
    """Start the proxy and Prism without waiting: Prism takes seconds to load the description."""
    spec = _spec()
    launched = time.perf_counter()
    prism_port = _free_port()
    proxy = ScriptingProxy(("127.0.0.1", prism_port))
    proxy.start()
    workdir = Path(tempfile.mkdtemp(prefix="cicd-agent-github-mock-"))
    session_spec = workdir / "github-mock.json"
    with_base_url(spec, session_spec, proxy.base_url)
    log_path = workdir / "prism.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(prism_port), str(session_spec)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return GitHubMock(proxy, f"http://127.0.0.1:{prism_port}", log_path, process, launched)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Launch Prism as soon as we know a selected test needs it, so it loads while others run."""
    needed = any("github_mock" in getattr(item, "fixturenames", ()) for item in session.items)
    runs = not session.config.option.collectonly
    if needed and runs and SOURCE_SPEC.exists() and PRISM.exists():
        session.config.stash[_MOCK_KEY] = _launch()


def pytest_sessionfinish(session: pytest.Session) -> None:
    mock = session.config.stash.get(_MOCK_KEY, None)
    if mock is not None:
        mock.stop()


@pytest.fixture(scope="session")
def github_mock(pytestconfig: pytest.Config) -> GitHubMock:
    """The session's mock, ready; prefer ``github_api``, which also checks every request."""
    mock = pytestconfig.stash.get(_MOCK_KEY, None)
    if mock is None:
        mock = pytestconfig.stash[_MOCK_KEY] = _launch()
    mock.wait_ready()
    return mock


@dataclass
class GitHubApi:
    """What a test uses: the proxy to script and inspect, and settings pointing at it."""

    mock: GitHubMock
    offset: int
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
        """Prism's rejections of this test's requests so far (waits until they are logged)."""
        self.mock.settle()
        return self.mock.rejections_since(self.offset)


@pytest.fixture
def github_api(github_mock: GitHubMock) -> Iterator[GitHubApi]:
    """A clean proxy for this test; fails it if Prism rejected a request it did not expect."""
    github_mock.proxy.reset()
    api = GitHubApi(github_mock, github_mock.settle())
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
