"""Vendor token formats the upstream rule sets here do not name alone: each a prefix the vendor
documents for its keys, then the key's characters. Redaction only: the prefix marks the value
as the vendor's credential, so a placeholder after it (``hvb.aaaa…``) goes too, harmlessly.
Written from the vendors' own documentation of their key formats; no pattern of trufflehog's
(AGPL-3.0) is used. Each rule starts at its prefix (``anchored``), so it is tried only where
the prefix occurs, and no rule has a nested or overlapping repeat: linear on any text."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from cicd_agent.analysis.secrets.rule import Rule

_START = r"(?<![\w.+/-])"
"""Not inside a longer word, path or base64 run."""
_UUID = r"[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}"


def _vendor(kind: str, pattern: str, *prefixes: str) -> Rule:
    """A token that starts with one of ``prefixes``, spelled as the vendor spells them."""
    return Rule(
        kind,
        _START + pattern,
        tuple(prefix.lower() for prefix in prefixes),
        anchored=True,
        redaction_only=True,
        cased=prefixes,
    )


def _rule(raw: dict[str, Any]) -> Rule:
    pattern = raw["pattern"] if isinstance(raw["pattern"], str) else "".join(raw["pattern"])
    pattern = pattern.replace("<uuid>", _UUID)
    if "prefixes" in raw:
        return _vendor(raw["kind"], pattern, *raw["prefixes"])
    return Rule(
        raw["kind"],
        pattern,
        tuple(raw["keywords"]),
        redaction_only=True,
        anchored=raw.get("anchored", False),
        cased=tuple(raw.get("cased", ())),
    )


VENDOR_RULES = tuple(
    _rule(raw)
    for raw in tomllib.loads(
        resources.files("cicd_agent").joinpath("data/vendor_secrets.toml").read_text("utf-8")
    )["vendor"]
)
"""The formats, with the documentation each comes from: data, ``data/vendor_secrets.toml``."""
