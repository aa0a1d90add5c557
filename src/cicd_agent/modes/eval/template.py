"""The variables put into a prompt: promptfoo's ``{{ name }}`` (and ``{{ name.field }}``), and
nothing else of Nunjucks. A tag, a filter or an expression is refused rather than guessed at,
so a case is never asked with a prompt other than the one the team's own tool would send.

The filled-in text is bounded as it is built: a few thousand places of one large variable
would otherwise make hundreds of megabytes before any check saw its length."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

PLACE = re.compile(r"\{\{\s*(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")
OTHER = re.compile(r"\{\{|\{%|\{#")
MAX_FILLED = 200_000
"""Characters of a filled-in prompt or assert value, at the most (a file of a megabyte named in
every case's prompt would otherwise be held once a case)."""


def shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render(text: str, variables: Mapping[str, Any], limit: int = MAX_FILLED) -> str:
    """``text`` with each ``{{ name }}`` replaced; ValueError naming what is not read, or
    saying the text would be over ``limit`` characters (found before it is made)."""

    def value(name: str) -> str:
        first, *rest = name.split(".")
        current: Any = variables.get(first, "")
        for part in rest:
            current = current.get(part, "") if isinstance(current, dict) else ""
        return shown(current)

    pieces = PLACE.split(text)
    for index in range(0, len(pieces), 2):  # the text between the places
        left = OTHER.search(pieces[index])
        if left:
            snippet = pieces[index][left.start() : left.start() + 30]
            raise ValueError(f"the template uses {snippet!r}: only {{{{ name }}}} is filled in")
    filled: list[str] = []
    size = 0
    for index, piece in enumerate(pieces):
        part = value(piece) if index % 2 else piece
        size += len(part)
        if size > limit:
            raise ValueError(
                f"the text is over {limit:,} characters once filled in, so it is not used"
            )
        filled.append(part)
    return "".join(filled)
