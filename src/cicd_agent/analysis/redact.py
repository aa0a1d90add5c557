"""Find and redact secrets in untrusted text before it leaves the runner.

Two sources of truth: the secret values this run actually holds (tokens, keys, masked inputs) —
redacted wherever they appear, whatever their shape — and the shapes of common credentials,
which catch secrets that someone committed or printed into a log.

Why regexes here rather than a scanner library: detect-secrets and similar tools report findings
per file but do not redact, and they run entropy plugins per line that are far too slow for a
1 GB log. A few regexes, each tried only when its literal anchors occur, do both jobs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class _Shape:
    """One credential shape. ``anchors`` are lowercase literals of which every match contains at
    least one: text without any of them skips this regex, which keeps megabytes of diff or log
    fast (a single alternation over all shapes tried every pattern at every position)."""

    kind: str
    regex: re.Pattern[str]
    anchors: tuple[str, ...]


def _shape(kind: str, pattern: str, *anchors: str, flags: int = 0) -> _Shape:
    return _Shape(kind, re.compile(pattern, flags), anchors)


_SHAPES: tuple[_Shape, ...] = (
    _shape(
        "private key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        "private key",
    ),
    _shape(
        "GitHub token",
        # No leading \b: the prefixes are distinctive enough to catch a token glued to the text
        # before it (``xxxghp_…``), as happens in logs and URLs.
        r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
        "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
    ),
    _shape("AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b", "akia", "asia", "abia", "acca"),
    _shape("Anthropic key", r"\bsk-ant-[A-Za-z0-9_-]{20,}\b", "sk-ant-"),
    _shape("OpenAI key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}\b", "sk-"),
    _shape("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b", "aiza"),
    _shape("Slack token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b", "xox"),
    _shape("Slack webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}", "hooks.slack"),
    _shape("Stripe key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}\b", "k_live_", "k_test_"),
    _shape("npm token", r"\bnpm_[A-Za-z0-9]{36}\b", "npm_"),
    _shape("PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}\b", "pypi-"),
    _shape(
        "JSON web token",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b",
        "eyj",
    ),
    _shape("password in URL", r"(?<=://)[^/\s:@'\"]+:(?P<secret>[^/\s@'\"]{3,})(?=@)", "://"),
    _shape("Azure storage key", r"AccountKey=(?P<secret>[A-Za-z0-9+/=]{40,})", "accountkey="),
    # Anchored on the keyword, not the start of the variable name: a leading [A-Z0-9_.-]* would
    # be tried at every character of the text.
    _shape(
        "assigned secret",
        r"(?:secret|passw(?:or)?d|passwd|token|api[_-]?key|access[_-]?key|private[_-]?key"
        r"|credentials?|auth(?!ors?\b))[A-Z0-9_.-]*\b[\"']?\s*[:=]\s*"
        r"[\"']?(?P<secret>[A-Za-z0-9+/_\-.~!@#$%^&*]{8,}+)(?![(\[])",
        "secret", "passw", "token", "key", "credential", "auth",
        flags=re.IGNORECASE,
    ),
)  # fmt: skip
SECRET_ANCHORS: frozenset[str] = frozenset(a for shape in _SHAPES for a in shape.anchors)
"""Every anchor of every shape: a text whose lowercase form holds none cannot hold a secret of a
known shape (callers scanning many small texts can use it to skip lines)."""

# "assigned secret" also fires on code like `token = get_token()`; values that look like code or
# placeholders are not secrets.
_PLACEHOLDER = re.compile(
    r"^(?:\$\{?\{?|<|%|\*+$|x{4,}|(?:true|false|null|none|undefined|changeme|example|redacted)$)"
    r"|[()\[\]]|^[a-z_]+\.[a-z_]+",
    re.IGNORECASE,
)
MIN_KNOWN_SECRET_LENGTH = 6
# Words of a variable or input name that say it holds a secret; pairs must stand side by side.
SECRET_NAME_WORDS = frozenset({"TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY", "WEBHOOK"})
SECRET_NAME_PAIRS = frozenset({("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY")})


@dataclass(frozen=True)
class SecretHit:
    """A secret found in text: what kind, and where (character offsets of the secret itself)."""

    kind: str
    start: int
    end: int


def find_secrets(text: str) -> list[SecretHit]:
    """Secrets of a known shape in ``text``, in order, without overlaps (the earliest, then
    longest, wins)."""
    lowered = text.lower()
    hits: list[SecretHit] = []
    for shape in _SHAPES:
        if not any(anchor in lowered for anchor in shape.anchors):
            continue
        for match in shape.regex.finditer(text):
            group = "secret" if "secret" in shape.regex.groupindex else 0
            value = match.group(group)
            if shape.kind == "assigned secret" and _PLACEHOLDER.search(value):
                continue
            hits.append(SecretHit(shape.kind, match.start(group), match.end(group)))
    hits.sort(key=lambda hit: (hit.start, -hit.end))
    kept: list[SecretHit] = []
    for hit in hits:
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def is_secret_name(name: str) -> bool:
    """Whether a variable or input name says it holds a secret (``GITHUB_TOKEN``, ``openai-api-key``)."""
    words = [word for word in re.split(r"[^A-Z0-9]+", name.upper()) if word]
    # Whole words only: TIKTOKEN_CACHE_DIR names a tokenizer cache, not a token.
    return any(word in SECRET_NAME_WORDS for word in words) or any(
        pair in SECRET_NAME_PAIRS for pair in pairwise(words)
    )


def known_secrets_from_env(environ: Mapping[str, str]) -> list[str]:
    """Values this run holds that must never leave it: secret-named variables and action inputs."""
    values = [value for name, value in environ.items() if is_secret_name(name)]
    raw_inputs = environ.get("CICD_AGENT_INPUTS", "")
    if raw_inputs:
        try:
            inputs = json.loads(raw_inputs)
        except json.JSONDecodeError:
            inputs = {}
        if isinstance(inputs, dict):
            values += [v for k, v in inputs.items() if isinstance(v, str) and is_secret_name(k)]
    return [value for value in values if len(value) >= MIN_KNOWN_SECRET_LENGTH]


class Redactor:
    """Replaces secrets with ``[REDACTED:<kind>]``; one instance per run, built from the run's secrets."""

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self.known = tuple(
            sorted(
                {value for value in known_secrets if len(value) >= MIN_KNOWN_SECRET_LENGTH},
                key=len,
                reverse=True,
            )
        )
        self._known = (
            re.compile("|".join(re.escape(value) for value in self.known)) if self.known else None
        )

    def redact(self, text: str) -> str:
        """``text`` with every known secret and every secret-shaped value replaced."""
        if self._known is not None:
            text = self._known.sub("[REDACTED:known secret]", text)
        hits = find_secrets(text)
        if not hits:
            return text
        parts: list[str] = []
        position = 0
        for hit in hits:
            parts += [text[position : hit.start], f"[REDACTED:{hit.kind}]"]
            position = hit.end
        parts.append(text[position:])
        return "".join(parts)
