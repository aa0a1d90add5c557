"""``--vuln-db osv`` with no network: the error a new user read ran the cause into the fix,
"could not be downloaded: ConnectionError use --vuln-db DIR …". The command line prints the
error's message, then its hint; they read as two sentences. A real refused connection, to a
port of this machine nothing listens on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cicd_agent.actions.errors import ExternalServiceError
from cicd_agent.modes.build.osv import download


def _closed_port() -> int:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port: int = held.getsockname()[1]
    return port


def test_a_refused_download_says_its_cause_and_its_fix_as_two_sentences(tmp_path: Path) -> None:
    with pytest.raises(ExternalServiceError) as caught:
        download(["Debian:12"], tmp_path, source=f"http://127.0.0.1:{_closed_port()}")
    error = caught.value
    printed = f"{error.message} {error.hint}"  # as the command line's error line prints it
    assert printed.startswith(
        "OSV data for Debian could not be downloaded: ConnectionError. Use --vuln-db DIR"
    ), printed
    assert str(error) == printed
