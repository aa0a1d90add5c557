"""Find and redact secrets in untrusted text before it leaves the runner.

Two sources of truth: the secret values this run actually holds (tokens, keys, masked inputs) —
redacted wherever they appear, whatever their shape — and the shapes of common credentials,
which catch secrets that someone committed or printed into a log.

Why regexes here rather than a scanner library: detect-secrets and similar tools report findings
per file but do not redact, and they run entropy plugins per line that are far too slow for a
1 GB log. One compiled alternation does both jobs in one pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Each pattern: a kind name and a regex whose group "secret" (or the whole match) is the secret.
_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "private key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    ),
    ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    ("AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    ("OpenAI key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}\b"),
    ("Anthropic key", r"\bsk-ant-[A-Za-z0-9_-]{20,}\b"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("Slack token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    ("Slack webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"),
    ("Stripe key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}\b"),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}\b"),
    ("JSON web token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),
    ("password in URL", r"(?<=://)[^/\s:@'\"]+:(?P<secret>[^/\s@'\"]{3,})(?=@)"),
    ("Azure storage key", r"AccountKey=(?P<secret>[A-Za-z0-9+/=]{40,})"),
    (
        "assigned secret",
        r"(?i:\b[A-Z0-9_.-]*(?:secret|passw(?:or)?d|passwd|token|api[_-]?key|access[_-]?key"
        r"|private[_-]?key|credentials?|auth)[A-Z0-9_.-]*\b[\"']?\s*[:=]\s*)"
        r"[\"']?(?P<secret>[A-Za-z0-9+/_\-.~!@#$%^&*]{8,}+)(?![(\[])",
    ),
)

_COMBINED = re.compile(
    "|".join(
        f"(?P<k{index}>{pattern.replace('(?P<secret>', f'(?P<s{index}>')})"
        for index, (_, pattern) in enumerate(_PATTERNS)
    ),
)
# "assigned secret" also fires on code like `token = get_token()`; values that look like code or
# placeholders are not secrets.
_PLACEHOLDER = re.compile(
    r"^(?:\$\{?\{?|<|%|\*+$|x{4,}|(?:true|false|null|none|undefined|changeme|example|redacted)$)"
    r"|[()\[\]]|^[a-z_]+\.[a-z_]+",
    re.IGNORECASE,
)
MIN_KNOWN_SECRET_LENGTH = 6
SECRET_ENV_HINTS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "PRIVATE_KEY")


@dataclass(frozen=True)
class SecretHit:
    """A secret found in text: what kind, and where (character offsets of the secret itself)."""

    kind: str
    start: int
    end: int


def _kind_and_span(match: re.Match[str]) -> tuple[str, int, int] | None:
    for index, (kind, _) in enumerate(_PATTERNS):
        if match.group(f"k{index}") is None:
            continue
        secret_group = f"s{index}"
        if secret_group in (match.re.groupindex or {}) and match.group(secret_group) is not None:
            value = match.group(secret_group)
            if kind == "assigned secret" and _PLACEHOLDER.search(value):
                return None
            return kind, match.start(secret_group), match.end(secret_group)
        return kind, match.start(), match.end()
    return None


def find_secrets(text: str) -> list[SecretHit]:
    """Secrets of a known shape in ``text`` (used by review's deterministic findings)."""
    hits = []
    for match in _COMBINED.finditer(text):
        found = _kind_and_span(match)
        if found is not None:
            hits.append(SecretHit(*found))
    return hits


def is_secret_name(name: str) -> bool:
    """Whether a variable or input name says it holds a secret (``GITHUB_TOKEN``, ``openai-api-key``)."""
    upper = name.upper().replace("-", "_")
    return any(hint in upper for hint in SECRET_ENV_HINTS) or "WEBHOOK" in upper


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
        return _COMBINED.sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    found = _kind_and_span(match)
    if found is None:
        return match.group(0)
    kind, start, end = found
    whole = match.group(0)
    offset = match.start()
    return f"{whole[: start - offset]}[REDACTED:{kind}]{whole[end - offset :]}"
