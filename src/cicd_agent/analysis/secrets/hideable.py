"""Which secret values are hidden wherever they appear: one rule for the redactor, the API key
scrubbed from a model server's errors and the values masked in the runner's log. Imports nothing,
so the runner's log writer can use it without loading the secret rules."""

from __future__ import annotations

import re

MIN_KNOWN_SECRET_LENGTH = 6
_PATH_VALUE = re.compile(r"(?:/|~/|[A-Za-z]:\\)[\w./\\ -]*")
_SHORT_NUMBER = re.compile(r"\d{1,9}")


def worth_hiding(value: str) -> bool:
    """Whether a secret's value is one to hide wherever it appears. A secret-named variable
    that holds a path (``TIKTOKEN_CACHE_DIR``, ``*_TOKEN_FILE``), a flag or a count holds no
    secret, and a value this short (a local model server's ``OPENAI_API_KEY=x``) is part of
    ordinary words: hiding it would hide every such path or number, or cut every such word."""
    return (
        len(value) >= MIN_KNOWN_SECRET_LENGTH
        and not _PATH_VALUE.fullmatch(value)
        and not _SHORT_NUMBER.fullmatch(value)
    )
