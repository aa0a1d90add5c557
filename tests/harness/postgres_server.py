"""A real PostgreSQL server for the tests of the decision record (``audit-database-url``).

Why real: the record's value rests on the schema the tool creates and migrates, the advisory lock
two jobs take at once, JSONB round trips and the query the docs give for rollbacks per month;
only a server says those work. Once per session (per xdist worker) this plugin runs Debian's
``initdb`` into a temporary folder and starts ``postgres`` on a free loopback port with password
authentication. PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
user the Debian package creates (``runuser``). ``tests/harness/setup.sh`` installs the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.prometheus_server import free_port

USER = "cicd"
PASSWORD = "audit-test-password"
_READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class PostgresServer:
    """A running server and the URL of a fresh database on it (:meth:`database`)."""

    host: str
    port: int
    socket_dir: Path
    run_as: tuple[str, ...]
    bin_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql://{USER}:{PASSWORD}@{self.host}:{self.port}/{database}"

    def database(self, name: str) -> str:
        """Create database ``name`` (dropped first if a test made it before) and return its URL."""
        for statement in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
            self._psql(statement)
        return self.url(name)

    def _psql(self, statement: str) -> None:
        subprocess.run(
            [str(self.bin_dir / "psql"), "-h", self.host, "-p", str(self.port), "-U", USER,
             "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", statement],
            check=True, capture_output=True, timeout=60,
            env={**os.environ, "PGPASSWORD": PASSWORD},
        )  # fmt: skip


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed: the decision-record tests need a real server. "
            "Run `bash tests/harness/setup.sh` (Debian: apt-get install postgresql).",
            pytrace=False,
        )
    return found[-1].parent


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """Start one PostgreSQL server for the whole test session (per worker)."""
    bin_dir = _bin_dir()
    root = tmp_path_factory.mktemp("postgres")
    run_as: tuple[str, ...] = ()
    if os.geteuid() == 0:
        run_as = ("runuser", "-u", "postgres", "--")
        # The server's user needs to reach its folders: the temporary root is 0700 (root's).
        for folder in (root, *root.parents):
            if folder == Path("/"):
                break
            folder.chmod(folder.stat().st_mode | 0o011)
        shutil.chown(root, "postgres")
    data, sockets = root / "data", root / "sockets"
    (root / "pw").write_text(PASSWORD, encoding="utf-8")
    if run_as:
        shutil.chown(root / "pw", "postgres")
    subprocess.run(
        [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "-A", "scram-sha-256",
         f"--pwfile={root / 'pw'}", "--no-sync", "-E", "UTF8", "--locale=C"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    sockets.mkdir()
    if run_as:
        shutil.chown(sockets, "postgres")
    port = free_port()
    server = subprocess.Popen(
        [*run_as, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
         "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sockets}",
         "-c", "fsync=off", "-c", "max_connections=40"],
        stdout=subprocess.DEVNULL, stderr=(root / "server.log").open("wb"),
    )  # fmt: skip
    found = PostgresServer("127.0.0.1", port, sockets, run_as, bin_dir)
    deadline = time.monotonic() + _READY_TIMEOUT
    try:
        while True:
            ready = subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True, check=False,
            )  # fmt: skip
            if ready.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                log = (root / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"PostgreSQL did not start: {log}", pytrace=False)
            time.sleep(0.2)
        yield found
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
