"""Write tiktoken's offline cache from the BPE ranks that npm ``js-tiktoken`` ships.

Why: tiktoken downloads its encoding files on first use and the test machines have no internet.
js-tiktoken carries the same ranks in a compressed form (lines of ``<ignored> <first rank>
<base64 token> <base64 token> ...``). Written out in tiktoken's format (``<base64 token> <rank>``
per line, sorted by rank) under the SHA-1 of the download URL, tiktoken loads them unchanged,
and it checks each file's SHA-256 against its own expected hash, so a wrong conversion cannot
pass the verification below.

Usage: python tests/harness/tiktoken_cache.py JS_TIKTOKEN_RANKS_DIR CACHE_DIR
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

# Where tiktoken itself downloads each encoding from (tiktoken_ext/openai_public.py); the cache
# file name is the SHA-1 of this URL.
ENCODING_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}

_JS_PREFIX = "export default "


def read_js_ranks(path: Path) -> dict[str, int]:
    """Parse js-tiktoken's ``dist/ranks/NAME.js`` (an ES module exporting one JSON object)."""
    text = path.read_text(encoding="utf-8").strip()
    if not text.startswith(_JS_PREFIX):
        raise ValueError(f"{path}: not a js-tiktoken ranks module")
    data = json.loads(text.removeprefix(_JS_PREFIX).rstrip(";"))
    ranks: dict[str, int] = {}
    for line in data["bpe_ranks"].split("\n"):
        if not line:
            continue
        _, offset, *tokens = line.split(" ")
        for i, token in enumerate(tokens):
            ranks[token] = int(offset) + i
    return ranks


def to_tiktoken_file(ranks: dict[str, int]) -> bytes:
    """Render ranks in the ``.tiktoken`` format, byte for byte as OpenAI publishes it."""
    ordered = sorted(ranks.items(), key=lambda item: item[1])
    return "".join(f"{token} {rank}\n" for token, rank in ordered).encode("ascii")


def cache_file_name(url: str) -> str:
    """tiktoken names a cached download by the SHA-1 of its URL (tiktoken.load.read_file_cached)."""
    return hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()


def write_cache(ranks_dir: Path, cache_dir: Path) -> list[Path]:
    """Convert every encoding in ENCODING_URLS and return the files written."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, url in ENCODING_URLS.items():
        target = cache_dir / cache_file_name(url)
        target.write_bytes(to_tiktoken_file(read_js_ranks(ranks_dir / f"{name}.js")))
        written.append(target)
    return written


def verify(cache_dir: Path) -> None:
    """Load each encoding through tiktoken from the cache; tiktoken rejects a wrong SHA-256.

    On a mismatch tiktoken deletes the file and tries to download it, which fails here, so any
    conversion error surfaces as an exception rather than as silently different token counts.
    """
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    import tiktoken  # imported late: the cache directory must be set first

    for name in ENCODING_URLS:
        encoding = tiktoken.get_encoding(name)
        if encoding.decode(encoding.encode("hello world")) != "hello world":
            raise RuntimeError(f"{name}: round trip through the converted ranks failed")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ranks_dir, cache_dir = Path(argv[0]), Path(argv[1])
    written = write_cache(ranks_dir, cache_dir)
    verify(cache_dir)
    print(f"tiktoken cache: {len(written)} encodings verified in {cache_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
