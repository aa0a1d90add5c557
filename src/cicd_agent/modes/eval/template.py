"""The variables put into a prompt: promptfoo's ``{{ name }}`` (and ``{{ name.field }}``), and
nothing else of Nunjucks. A tag, a filter or an expression is refused rather than guessed at,
so a case is never asked with a prompt other than the one the team's own tool would send."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

PLACE = re.compile(r"\{\{\s*(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")
OTHER = re.compile(r"\{\{|\{%|\{#")


def shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render(text: str, variables: Mapping[str, Any]) -> str:
    """``text`` with each ``{{ name }}`` replaced; ValueError naming what is not read."""

    def value(found: re.Match[str]) -> str:
        first, *rest = found["name"].split(".")
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
    return PLACE.sub(value, text)
