"""The characters that change the order text is shown in: Unicode's bidirectional controls
(``Bidi_Control``: the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, the
marks U+200E, U+200F and U+061C). None is visible, and GitHub renders them in code too: an
override in a quoted log line turns the rest of that line around, so text reads as other text
than it is. Every text we post shows each one as its code point instead."""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The controls, as the inside of a regular expression's character class."""
_CONTROL = re.compile(f"[{BIDI_CONTROLS}]")


def shown_bidi(text: str) -> str:
    """``text`` with each bidirectional control written as its code point (``<U+202E>``)."""
    return _CONTROL.sub(lambda found: f"<U+{ord(found.group()):04X}>", text)
