"""What this run hides wherever it writes: which names hold a secret and which values are worth
hiding, one rule for log masking, the redactor, a model server's errors, the sandbox's
environment and unechoed options. It imports nothing of ours, so the log writer and ``--help``'s
error path can use it without loading the secret rules."""

from __future__ import annotations

import re
import unicodedata

SECRET_NAME_PARTS = (
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "APIKEY",
    "PRIVATEKEY",
    "PRIVKEY",
    "ACCESSKEY",
    "SIGNINGKEY",
    "WEBHOOK",
    "CREDENTIAL",
    "DATABASEURL",
    "CONNECTIONSTRING",
    "COOKIE",
    "BEARER",
)
"""A variable or input whose name, without separators, contains one of these holds a secret."""
SECRET_NAME_WORDS = frozenset({"PASS", "PWD", "AUTH", "DSN", "KEY", "CREDS", "PAT"})
"""…or has one of these as a whole word (``DB_PASS``, ``MYSQL_PWD``, ``SENTRY_DSN``, ``DEPLOY_KEY``,
``GH_PAT``; not ``BYPASS``, ``KEYBOARD`` or ``PATH``, and not the shell's own ``PWD``/``OLDPWD``,
which hold the working directory)."""
_NOT_SECRET_NAMES = frozenset(
    {"PWD", "OLDPWD", "CONTEXT_TOKENS", "TOKEN_BUDGET", "SECRET_ENV", "MIN_PASS_RATE", "MUST_PASS"}
)
"""The shell's working directories, and this action's own inputs that count tokens, name
secret variables or say what must pass (``INPUT_CONTEXT-TOKENS=120000`` must not turn every
120000 into a marker)."""

MIN_KNOWN_SECRET_LENGTH = 6
_PATH_VALUE = re.compile(r"(?:/|~/|[A-Za-z]:\\)[\w./\\ -]*")
_RANDOM_PART = re.compile(r"(?=[^/\\]*[A-Z])(?=[^/\\]*[a-z])(?=[^/\\]*\d)[A-Za-z0-9]{12,}")
"""A part of a "path" mixing capitals, small letters and digits for twelve characters or
more: base64's alphabet holds ``/``, and an AWS secret key starting with one
(``/Xk8pQ2vLm9wZ3Rt7YbN1…``, one in 64) is no path."""
_SHORT_NUMBER = re.compile(r"\d{1,9}")


def is_secret_name(name: str) -> bool:
    """Whether a variable or input name says it holds a secret (``GITHUB_TOKEN``,
    ``openai-api-key``, ``MYSECRET``, ``DB_PASS``). A name still written in other than ASCII
    letters once full-width ones are read as theirs (``ＴＯＫＥＮ``), a Cyrillic ``Т`` say, is
    read as one: the rule cannot tell what it spells."""
    name = unicodedata.normalize("NFKC", name)
    if not name.isascii():
        return True
    words = [word for word in re.split(r"[^A-Z0-9]+", name.upper()) if word]
    if "_".join(words[1:] if words[:1] == ["INPUT"] else words) in _NOT_SECRET_NAMES:
        return False
    joined = "".join(words)
    return any(part in joined for part in SECRET_NAME_PARTS) or any(
        word in SECRET_NAME_WORDS for word in words
    )


def worth_hiding(value: str) -> bool:
    """Whether a secret's value is one to hide wherever it appears. A secret-named variable
    that holds a path (``TIKTOKEN_CACHE_DIR``, ``*_TOKEN_FILE``), a flag or a count holds no
    secret, and a value this short (a local model server's ``OPENAI_API_KEY=x``) is part of
    ordinary words: hiding it would hide every such path or number, or cut every such word."""
    return (
        len(value) >= MIN_KNOWN_SECRET_LENGTH
        and not (_PATH_VALUE.fullmatch(value) and not _RANDOM_PART.search(value))
        and not _SHORT_NUMBER.fullmatch(value)
    )
