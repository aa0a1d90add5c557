"""What GitHub would render live in a Markdown text: everything outside its code spans."""

from __future__ import annotations

import re


def outside_code_spans(text: str) -> str:
    """``text`` without its code spans, by CommonMark's rule: a run of n backticks opens a
    span that only the next run of exactly n backticks closes (GitHub renders nothing inside)."""
    runs = list(re.finditer(r"`+", text))
    kept, start, index = [], 0, 0
    while index < len(runs):
        opening = runs[index]
        closing = next(
            (
                j
                for j in range(index + 1, len(runs))
                if len(runs[j].group()) == len(opening.group())
            ),
            None,
        )
        if closing is None:
            index += 1
            continue
        kept.append(text[start : opening.start()])
        start, index = runs[closing].end(), closing + 1
    return "".join(kept) + text[start:]
