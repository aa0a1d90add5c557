"""Fetch tiktoken's encoding files into ``TIKTOKEN_CACHE_DIR`` before a run needs them
(``python -m cicd_agent.model.encodings``, the action's install step).

tiktoken checks each download against its pinned SHA-256; the action caches the folder, so a run
never waits on the network for them. Without internet this says so and exits 0, and runs count
with ``tokens``' over-estimate; ``--strict`` (the Dockerfile) exits 1: an image must carry the
files."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from cicd_agent.model.tokens import TokenCounter

ENCODINGS = ("o200k_base", "cl100k_base")
"""Every encoding ``model.names`` maps a model to."""

_SOURCE = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
"""Where tiktoken downloads an encoding from (tiktoken_ext/openai_public.py); its cache names
the file by the SHA-1 of this URL."""

FETCH_TIMEOUT = 20.0
"""Seconds for each file: a few MB from a CDN on a hosted runner takes about one."""


def _cache_name(encoding: str) -> str:
    """tiktoken's file name for ``encoding``: a cache key, not a security hash."""
    return hashlib.sha1(_SOURCE.format(encoding).encode(), usedforsecurity=False).hexdigest()


def cached(encodings: tuple[str, ...] = ENCODINGS) -> bool:
    """True when every file is already in ``TIKTOKEN_CACHE_DIR`` (a restored cache): then the
    set-up skips loading them, and tiktoken checks their SHA-256 when a run loads them."""
    folder = os.environ.get("TIKTOKEN_CACHE_DIR")
    if not folder:
        return False
    return all((Path(folder) / _cache_name(name)).is_file() for name in encodings)


def fetch(encodings: tuple[str, ...] = ENCODINGS, timeout: float = FETCH_TIMEOUT) -> list[str]:
    """Load each encoding (from the cache, else by download); the names not loaded. After the
    first failure the rest are not tried: the same network would fail them, each after
    ``timeout``."""
    for index, name in enumerate(encodings):
        if not TokenCounter(name, load_timeout=timeout).exact:
            return list(encodings[index:])
    return []


def main(argv: list[str]) -> int:
    strict = argv == ["--strict"]
    folder = os.environ.get("TIKTOKEN_CACHE_DIR") or "tiktoken's default cache"
    missing = [] if cached() else fetch()
    if not missing:
        print(f"tiktoken encodings ready in {folder}: {', '.join(ENCODINGS)}")
        return 0
    if strict:
        print(f"tiktoken's {', '.join(missing)} files could not be fetched into {folder}.")
        return 1
    print(
        f"::notice title=cicd-agent::tiktoken's {', '.join(missing)} files could not be "
        f"fetched into {folder}; token counts will be estimated and the summary will say so."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
