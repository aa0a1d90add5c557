"""Unicode's bidirectional controls (embeddings and overrides, isolates, the marks U+200E, U+200F
and U+061C): invisible, and rendered by GitHub in code too, so an override in a quoted log line
makes text read as other text than it is. Every text we post shows each as its code point."""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The controls, as the inside of a regular expression's character class."""
_CONTROL = re.compile(f"[{BIDI_CONTROLS}]")


def shown_bidi(text: str) -> str:
    """``text`` with each bidirectional control written as its code point (``<U+202E>``)."""
    return _CONTROL.sub(lambda found: f"<U+{ord(found.group()):04X}>", text)
