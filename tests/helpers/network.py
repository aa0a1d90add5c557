"""Network helpers for tests: a free loopback port, an environment whose HTTPS goes nowhere."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def offline_env(tmp_path: Path, proxy: str) -> dict[str, str]:
    """An environment whose tiktoken cache is empty and whose HTTPS goes to ``proxy``."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    empty = tmp_path / "empty-tiktoken-cache"
    empty.mkdir()
    return {**env, "TIKTOKEN_CACHE_DIR": str(empty), "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
