"""What a PromQL query's shape tells of the metric it reads: its kind, the two counts a rate
divides, the quantile a latency names and whether its values are per second; read from the text
alone, before any query is sent."""

from __future__ import annotations

import re
from typing import Literal

# What a metric is, so it is judged by a test made for it (see :func:`infer_kind`).
Kind = Literal["rate", "count", "latency", "gauge"]

_COUNTER_RATE = re.compile(r"\b(?:rate|irate|increase)\s*\(\s*[A-Za-z_:][\w:]*_(?:total|count)\b")
_RATE_CALL = re.compile(r"\b(?:rate|irate|increase)\s*\(")
_PER_SECOND = re.compile(r"\b(?:rate|irate)\s*\(")
_MATCHING = re.compile(r"^(?:bool\b|on\s*\(|ignoring\s*\(|group_(?:left|right)\b)")
_OPEN, _CLOSE = "([{", ")]}"


def _top_level_division(query: str) -> int:
    """Where the query's last ``/`` outside brackets and strings is (-1: none)."""
    depth, quote, cut = 0, "", -1
    for index, char in enumerate(query):
        if quote:
            quote = "" if char == quote and query[index - 1] != "\\" else quote
        elif char in "\"'`":
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == "/" and depth == 0:
            cut = index
    return cut


def split_ratio(query: str) -> tuple[str, str] | None:
    """``(numerator, denominator)`` of a query that is one division at its top level (without
    vector matching), or None: the counts a rate is judged on."""
    cut = _top_level_division(query)
    if cut < 0:
        return None
    numerator, denominator = query[:cut].strip(), query[cut + 1 :].strip()
    if not numerator or not denominator or _MATCHING.match(denominator):
        return None
    return numerator, denominator


def infer_kind(query: str) -> Kind:
    """What a query measures, from its shape: ``histogram_quantile`` is a latency, a ratio of
    two ``rate``/``increase`` a rate, a ``rate``/``increase`` of a ``_total`` (or ``_count``)
    counter a count; anything else (another division among them) a gauge."""
    if "histogram_quantile" in query:
        return "latency"
    parts = split_ratio(query)
    if parts is not None:
        return "rate" if all(_RATE_CALL.search(part) for part in parts) else "gauge"
    if _top_level_division(query) >= 0:
        return "gauge"
    return "count" if _COUNTER_RATE.search(query) else "gauge"


_QUANTILE = re.compile(r"^\s*histogram_quantile\s*\(\s*(0?\.\d+|0|1)\s*,(.*)\)\s*$", re.DOTALL)


def quantile_of(query: str) -> tuple[float, str] | None:
    """``(q, buckets)`` of a query that is one ``histogram_quantile(q, buckets)``, or None: the
    quantile a latency names and the bucket query its counts come from."""
    found = _QUANTILE.match(query)
    return (float(found.group(1)), found.group(2).strip()) if found else None


def per_second(query: str) -> bool:
    """Whether the query's values are per second (``rate``/``irate``), so a step's events are the
    value times the step."""
    return _PER_SECOND.search(query) is not None
