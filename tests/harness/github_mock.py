"""pytest plugin: GitHub's official OpenAPI description served by Prism, once per test session.

Fixtures:

* ``github_mock`` (session): Prism on a free loopback port behind a scripting proxy
  (``harness.github_proxy``). The spec served is the prepared one (``prepare_spec.py``) with its
  URLs pointing at the proxy, which is where PyGithub is sent.
* ``github_api`` (function): resets the proxy's scripts and record, and at teardown fails the
  test if Prism rejected any request the test made (a ``Violation: request…`` line, or a route
  the description does not have) that the test did not declare with ``expect_rejections``.

Artefacts come from ``tests/harness/setup.sh`` (into the gitignored ``.harness/``).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.github.client import GitHubSettings
from cicd_agent.github.retry import RetryPolicy

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
# A request the description rejects: a body/parameter violation, or a route/method/media type
# Prism cannot serve. Response violations (GitHub's own examples break its schemas) are ignored.
_REJECTION_MARKS = ("Violation: request", "Request terminated with error")
_STATS_KEY = pytest.StashKey["GitHubMock"]()


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
    """The running mock: ``base_url`` is the proxy's, which tests and PyGithub talk to."""

    proxy: ScriptingProxy
    prism_url: str
    log_path: Path
    start_seconds: float
    process: subprocess.Popen[bytes]
    _sentinels: int = 0

    @property
    def base_url(self) -> str:
        return self.proxy.base_url

    def log_text(self, offset: int = 0) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", errors="replace")

    def settle(self, timeout: float = 30.0) -> int:
        """Log offset after every request so far has been fully logged.

        Prism logs a request's violations after answering it; a sentinel request sent directly
        to Prism is logged after them, since Prism handles requests in order on one thread.
        """
        self._sentinels += 1
        tag = f"{_SENTINEL}{self._sentinels}"
        host, port = self.prism_url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            connection.request("GET", tag)
            connection.getresponse().read()
        finally:
            connection.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            if any(f"{tag} " in line and "terminated" in line for line in text.splitlines()):
                return len(text.encode("utf-8", errors="replace"))
            time.sleep(0.02)
        raise AssertionError(f"Prism did not log the sentinel {tag} within {timeout} s")

    def rejections_since(self, offset: int) -> list[str]:
        lines = self.log_text(offset).splitlines()
        return [
            line.strip()
            for line in lines
            if any(mark in line for mark in _REJECTION_MARKS) and _SENTINEL not in line
        ]


@pytest.fixture(scope="session")
def github_mock(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[GitHubMock]:
    spec = _spec()
    started = time.perf_counter()
    prism_port = _free_port()
    proxy = ScriptingProxy(("127.0.0.1", prism_port))
    proxy.start()
    workdir = tmp_path_factory.mktemp("github-mock")
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
    mock = GitHubMock(proxy, f"http://127.0.0.1:{prism_port}", log_path, 0.0, process)
    try:
        deadline = time.monotonic() + 180
        while _READY not in mock.log_text():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(mock.log_text().splitlines()[-20:])
                pytest.fail(f"Prism did not start (exit {process.poll()}):\n{tail}", pytrace=False)
            time.sleep(0.1)
        mock.start_seconds = time.perf_counter() - started
        pytestconfig.stash[_STATS_KEY] = mock
        yield mock
    finally:
        proxy.close()
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Prism runs in its own process group (start_new_session); end that group only."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


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
    mock = config.stash.get(_STATS_KEY, None)
    if mock is None:
        return
    seconds = sorted(mock.proxy.upstream_seconds)
    line = f"github mock: Prism ready in {mock.start_seconds:.1f} s"
    if seconds:
        p95 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))]
        line += (
            f"; {len(seconds)} requests validated, median {statistics.median(seconds) * 1000:.0f} ms,"
            f" p95 {p95 * 1000:.0f} ms"
        )
    terminalreporter.write_line(line)
